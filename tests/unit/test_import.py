"""Importing a council export: validation of every row, all-or-nothing, re-import is a no-op."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.personal.casestore.db import session_factory
from bot.personal.casestore.importer import import_folder
from bot.personal.casestore.migrate import upgrade_to_head
from bot.personal.casestore.models import Advocate, Review, Worker, YoungPerson

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


@pytest.fixture
def store(case_store_url: str) -> sessionmaker[Session]:
    url = case_store_url
    upgrade_to_head(url)
    return session_factory(url)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A writable copy of the good export, for tests that break one thing."""
    target = tmp_path / "export"
    shutil.copytree(FIXTURES / "good", target)
    return target


def _snapshot(factory: sessionmaker[Session]) -> dict[str, list[tuple]]:
    """Every column of every row, so 'nothing changed' is checked exactly."""
    out: dict[str, list[tuple]] = {}
    with factory() as s:
        for model in (Worker, Advocate, YoungPerson, Review):
            cols = [c.key for c in model.__table__.columns]
            out[model.__tablename__] = sorted(tuple(getattr(o, c) for c in cols) for o in s.scalars(select(model)))
    return out


def _where(report) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {(i.file, i.line, i.column, i.why) for i in report.issues}


def test_good_export_is_imported(store: sessionmaker[Session]) -> None:
    report = import_folder(store, FIXTURES / "good")
    assert report.ok and report.committed
    assert report.created == {"workers.csv": 3, "advocates.csv": 1, "young_people.csv": 3, "reviews.csv": 4}
    with store() as s:
        echo = s.scalars(select(YoungPerson).where(YoungPerson.case_ref == "TEST-001")).one()
        fern = s.scalars(select(YoungPerson).where(YoungPerson.case_ref == "TEST-002")).one()
        assert echo.social_worker.worker_ref == "TW-SW1"
        assert echo.iro.kind == "iro"
        assert echo.advocate.advocate_ref == "TA-1"
        assert echo.looked_after_since == date(2025, 2, 3)
        assert fern.date_of_birth == date(2007, 9, 14)  # DD/MM/YYYY accepted
        assert fern.care_leaver is True and fern.personal_adviser.name == "Test Adviser Cedar"
        assert {r.review_ref for r in echo.reviews} == {"TR-1", "TR-2", "TR-3"}
        assert next(r for r in echo.reviews if r.review_ref == "TR-2").held_date == date(2025, 5, 27)
        cedar = s.scalars(select(Worker).where(Worker.worker_ref == "TW-PA1")).one()
        assert cedar.email is None  # blank optional value stored as NULL, not ""


def test_reimport_changes_nothing(store: sessionmaker[Session]) -> None:
    import_folder(store, FIXTURES / "good")
    before = _snapshot(store)
    report = import_folder(store, FIXTURES / "good")
    assert report.ok
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert report.unchanged["reviews.csv"] == 4
    assert _snapshot(store) == before


def test_changed_value_updates_in_place(store: sessionmaker[Session], export: Path) -> None:
    import_folder(store, export)
    path = export / "reviews.csv"
    path.write_text(path.read_text().replace("TR-3,TEST-001,subsequent,2027-01-12,,", "TR-3,TEST-001,subsequent,2027-01-19,,"))
    report = import_folder(store, export)
    assert report.updated["reviews.csv"] == 1 and report.created["reviews.csv"] == 0
    with store() as s:
        assert s.scalars(select(Review).where(Review.review_ref == "TR-3")).one().booked_date == date(2027, 1, 19)
        assert len(list(s.scalars(select(Review)))) == 4


def test_every_kind_of_bad_row_is_reported_and_nothing_written(store: sessionmaker[Session]) -> None:
    report = import_folder(store, FIXTURES / "bad_rows")
    assert not report.ok and not report.committed
    assert _where(report) == {
        ("workers.csv", 4, "worker_ref", "duplicate"),
        ("workers.csv", 5, "kind", "bad_value"),
        ("young_people.csv", 3, "first_name", "missing_field"),
        ("young_people.csv", 4, "date_of_birth", "bad_date"),
        ("young_people.csv", 5, "social_worker_ref", "unknown_reference"),
        ("young_people.csv", 5, "iro_ref", "wrong_kind"),
        ("young_people.csv", 5, "advocate_ref", "unknown_reference"),
        ("young_people.csv", 6, "care_leaver", "bad_value"),
        ("reviews.csv", 3, "case_ref", "unknown_reference"),
        ("reviews.csv", 4, "booked_date", "missing_field"),
        ("reviews.csv", 5, "review_ref", "duplicate"),
    }
    assert all(v == [] for v in _snapshot(store).values())


def test_report_never_repeats_cell_values(store: sessionmaker[Session]) -> None:
    text = import_folder(store, FIXTURES / "bad_rows").summary()
    for value in ("2016-02-30", "TW-NOBODY", "TA-404", "TEST-999", "maybe", "manager", "Test Echo"):
        assert value not in text
    assert "young_people.csv line 4, column date_of_birth: bad_date" in text


def test_bad_import_leaves_earlier_data_untouched(store: sessionmaker[Session], export: Path) -> None:
    import_folder(store, export)
    before = _snapshot(store)
    # A valid change in one file plus one bad row in another: neither may be written.
    workers = export / "workers.csv"
    workers.write_text(workers.read_text().replace("Test IRO Basil", "Test IRO Renamed"))
    reviews = export / "reviews.csv"
    reviews.write_text(reviews.read_text() + "TR-9,TEST-003,initial,2026-13-01,,\n")
    report = import_folder(store, export)
    assert _where(report) == {("reviews.csv", 6, "booked_date", "bad_date")}
    assert _snapshot(store) == before


def test_references_may_point_at_rows_already_stored(store: sessionmaker[Session], tmp_path: Path) -> None:
    import_folder(store, FIXTURES / "good")
    partial = tmp_path / "partial"
    partial.mkdir()
    for name, header in {
        "workers.csv": "worker_ref,kind,name,phone,email,availability",
        "advocates.csv": "advocate_ref,name,organisation,phone,email,availability",
    }.items():
        (partial / name).write_text(header + "\n")
    (partial / "young_people.csv").write_text(
        "case_ref,first_name,date_of_birth,council,legal_status,looked_after_since,care_leaver,"
        "social_worker_ref,iro_ref,personal_adviser_ref,advocate_ref\n"
        "TEST-010,Test Jade,2015-07-07,durham,Care Order,2026-01-05,no,TW-SW1,TW-IRO1,,TA-1\n")
    (partial / "reviews.csv").write_text(
        "review_ref,case_ref,kind,booked_date,held_date,chair_ref\nTR-20,TEST-001,subsequent,2027-07-01,,TW-IRO1\n")
    report = import_folder(store, partial)
    assert report.ok, report.summary()
    with store() as s:
        jade = s.scalars(select(YoungPerson).where(YoungPerson.case_ref == "TEST-010")).one()
        assert jade.iro.worker_ref == "TW-IRO1" and jade.advocate.name == "Test Advocate Dune"


def test_missing_file_is_reported(store: sessionmaker[Session], export: Path) -> None:
    (export / "advocates.csv").unlink()
    report = import_folder(store, export)
    assert _where(report) == {("advocates.csv", 0, None, "missing_file")}
    assert _snapshot(store)["workers"] == []


def test_missing_column_is_reported(store: sessionmaker[Session], export: Path) -> None:
    path = export / "workers.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0].replace(",availability", "")] + [l.rsplit(",", 1)[0] for l in lines[1:]]) + "\n")
    report = import_folder(store, export)
    assert _where(report) == {("workers.csv", 1, "availability", "missing_column")}


def test_extra_columns_bom_and_blank_rows_are_fine(store: sessionmaker[Session], export: Path) -> None:
    path = export / "advocates.csv"
    lines = path.read_text().splitlines()
    path.write_text("\ufeff" + lines[0] + ",notes\n" + lines[1] + ",ignored\n,,,,,,\n", encoding="utf-8")
    report = import_folder(store, export)
    assert report.ok, report.summary()
    assert report.created["advocates.csv"] == 1


def test_non_utf8_file_is_reported(store: sessionmaker[Session], export: Path) -> None:
    (export / "workers.csv").write_bytes("worker_ref,kind,name,phone,email,availability\nW1,iro,Test Zo\xe9,,,\n".encode("latin-1"))
    report = import_folder(store, export)
    assert _where(report) == {("workers.csv", 0, None, "bad_encoding")}


def test_held_before_born_and_too_long_values_are_rejected(store: sessionmaker[Session], export: Path) -> None:
    path = export / "young_people.csv"
    text = path.read_text().replace("2013-05-14,north_yorkshire,Care Order,2025-02-03", "2013-05-14,north_yorkshire,Care Order,2012-02-03")
    text = text.replace("TEST-003,Test Gale", "TEST-003," + "x" * 101)
    path.write_text(text)
    report = import_folder(store, export)
    assert _where(report) == {
        ("young_people.csv", 2, "looked_after_since", "bad_date"),
        ("young_people.csv", 4, "first_name", "bad_value"),
    }
