"""Importing a council export: validation of every row, all-or-nothing, re-import is a no-op.

Care episodes (the optional fifth file) are checked against ``TODAY``, so a fixture date
never drifts into "the future" or out of it.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.personal.casestore.db import session_factory
from bot.personal.casestore.importer import CARE_EPISODES, import_folder
from bot.personal.casestore.migrate import upgrade_to_head
from bot.personal.casestore.models import Advocate, CareEpisode, Review, Worker, YoungPerson

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TODAY = date(2026, 11, 23)
EPISODES_HEADER = "episode_ref,case_ref,start_date,end_date,legal_status\n"


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
        for model in (Worker, Advocate, YoungPerson, Review, CareEpisode):
            cols = [c.key for c in model.__table__.columns]
            out[model.__tablename__] = sorted(tuple(getattr(o, c) for c in cols) for o in s.scalars(select(model)))
    return out


def _where(report) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {(i.file, i.line, i.column, i.why) for i in report.issues}


def test_good_export_is_imported(store: sessionmaker[Session]) -> None:
    report = import_folder(store, FIXTURES / "good")
    assert report.ok and report.committed
    assert report.created == {"workers.csv": 3, "advocates.csv": 1, "young_people.csv": 3, "reviews.csv": 4,
                              "care_episodes.csv": 5}
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
        assert [(e.episode_ref, e.start_date, e.end_date, e.legal_status) for e in fern.care_episodes] == [
            ("TE-3", date(2021, 3, 1), date(2021, 8, 1), "s20"),
            ("TE-4", date(2021, 8, 1), date(2025, 9, 14), "s31"),  # DD/MM/YYYY; starts the day TE-3 ended
        ]
        assert [(e.episode_ref, e.end_date) for e in echo.care_episodes] == [("TE-1", date(2025, 6, 10)),
                                                                              ("TE-2", None)]


def test_reimport_changes_nothing(store: sessionmaker[Session]) -> None:
    import_folder(store, FIXTURES / "good")
    before = _snapshot(store)
    report = import_folder(store, FIXTURES / "good")
    assert report.ok
    assert sum(report.created.values()) == 0 and sum(report.updated.values()) == 0
    assert report.unchanged["reviews.csv"] == 4
    assert report.unchanged["care_episodes.csv"] == 5
    assert _snapshot(store) == before
    assert len(before["care_episodes"]) == 5


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


# ---- care episodes ----------------------------------------------------------------------

def _issues(report) -> dict[tuple, str]:  # type: ignore[no-untyped-def]
    return {(i.file, i.line, i.column, i.why): i.detail for i in report.issues}


def _add_episodes(export: Path, rows: str) -> None:
    path = export / "care_episodes.csv"
    path.write_text(path.read_text() + rows)


def test_every_kind_of_bad_episode_is_reported_with_file_and_line(store: sessionmaker[Session]) -> None:
    report = import_folder(store, FIXTURES / "bad_episodes", today=TODAY)
    assert not report.ok and not report.committed
    issues = _issues(report)
    assert set(issues) == {
        ("care_episodes.csv", 3, "end_date", "bad_date"),            # ends before it starts
        ("care_episodes.csv", 4, "start_date", "bad_date"),          # starts after TODAY
        ("care_episodes.csv", 5, "legal_status", "bad_value"),       # not one of the codes
        ("care_episodes.csv", 6, "case_ref", "unknown_reference"),   # no such young person
        ("care_episodes.csv", 7, "episode_ref", "duplicate"),        # same ref as line 2
        ("care_episodes.csv", 9, "start_date", "overlap"),           # overlaps line 8
        ("care_episodes.csv", 10, "start_date", "bad_date"),         # before the date of birth
        ("care_episodes.csv", 11, "end_date", "bad_date"),           # ends after TODAY
    }
    assert issues[("care_episodes.csv", 3, "end_date", "bad_date")] == "earlier than start_date"
    assert issues[("care_episodes.csv", 4, "start_date", "bad_date")] == "in the future"
    assert issues[("care_episodes.csv", 5, "legal_status", "bad_value")] == (
        "must be one of s20, s31, s38, epo, placement_order, remand, police_protection, sgo, adoption")
    assert issues[("care_episodes.csv", 7, "episode_ref", "duplicate")] == "same episode_ref as line 2"
    assert issues[("care_episodes.csv", 9, "start_date", "overlap")] == (
        "overlaps the episode on line 8 for the same young person")
    assert issues[("care_episodes.csv", 10, "start_date", "bad_date")] == (
        "earlier than the young person's date_of_birth")
    assert all(v == [] for v in _snapshot(store).values())  # the four good files were not written either


def test_bad_episode_report_names_file_and_line_but_no_values(store: sessionmaker[Session]) -> None:
    text = import_folder(store, FIXTURES / "bad_episodes", today=TODAY).summary()
    assert "care_episodes.csv line 9, column start_date: overlap: overlaps the episode on line 8" in text
    assert "care_episodes.csv line 6, column case_ref: unknown_reference" in text
    for value in ("TEST-999", "care_order", "2027-01-05", "2012-01-01", "TE-7"):
        assert value not in text


@pytest.mark.parametrize(("rows", "expected"), [
    # A second open episode for someone whose episode is still open.
    ("TE-9,TEST-001,2026-01-01,,s20\n", {(7, "start_date", "overlap"): "overlaps the episode on line 3 for the same young person"}),
    # Same start day as a one-day episode that ends that very day.
    ("TE-9,TEST-001,2024-01-01,2024-01-01,police_protection\nTE-10,TEST-001,2024-01-01,2024-02-01,epo\n",
     {(8, "start_date", "overlap"): "overlaps the episode on line 7 for the same young person"}),
    # Inside an episode that comes later in the file: reported on the later line, naming the earlier.
    ("TE-9,TEST-002,2021-01-01,2021-03-02,epo\n", {(7, "start_date", "overlap"): "overlaps the episode on line 4 for the same young person"}),
    # Starting the day the last one ended, and someone else's dates: both fine.
    ("TE-9,TEST-002,2025-09-14,2025-09-20,sgo\nTE-10,TEST-003,2021-03-01,2021-04-01,police_protection\n", {}),
], ids=["second_open_episode", "same_start_day", "inside_a_later_line", "touching_and_other_people_are_fine"])
def test_overlaps_between_lines(store: sessionmaker[Session], export: Path, rows: str,
                                expected: dict[tuple, str]) -> None:
    _add_episodes(export, rows)
    report = import_folder(store, export, today=TODAY)
    assert {(i.line, i.column, i.why): i.detail for i in report.issues} == expected
    assert report.committed is (not expected)


def test_overlap_with_an_episode_already_stored(store: sessionmaker[Session], export: Path) -> None:
    assert import_folder(store, export, today=TODAY).ok
    for name in ("workers.csv", "advocates.csv", "young_people.csv", "reviews.csv"):
        path = export / name
        path.write_text(path.read_text().splitlines()[0] + "\n")  # header only: nothing new
    (export / CARE_EPISODES).write_text(EPISODES_HEADER + "TE-20,TEST-001,2025-03-01,2025-04-01,s20\n")
    before = _snapshot(store)
    report = import_folder(store, export, today=TODAY)
    assert _issues(report) == {("care_episodes.csv", 2, "start_date", "overlap"):
                               "overlaps an episode of the same young person already in the store"}
    assert _snapshot(store) == before


def test_changed_episode_is_not_checked_against_its_old_self(store: sessionmaker[Session], export: Path) -> None:
    assert import_folder(store, export, today=TODAY).ok
    path = export / CARE_EPISODES
    path.write_text(path.read_text().replace("TE-1,TEST-001,2025-02-03,2025-06-10,s38", "TE-1,TEST-001,2025-02-03,2025-06-20,s38")
                    .replace("TE-2,TEST-001,2025-06-10,,s31", "TE-2,TEST-001,2025-06-20,,s31"))
    report = import_folder(store, export, today=TODAY)
    assert report.ok, report.summary()
    assert report.updated[CARE_EPISODES] == 2 and report.created[CARE_EPISODES] == 0
    with store() as s:
        assert s.scalars(select(CareEpisode).where(CareEpisode.episode_ref == "TE-2")).one().start_date == date(2025, 6, 20)


def test_export_without_care_episodes_still_works(store: sessionmaker[Session], export: Path) -> None:
    assert import_folder(store, FIXTURES / "good", today=TODAY).ok
    stored = _snapshot(store)["care_episodes"]
    (export / CARE_EPISODES).unlink()
    report = import_folder(store, export, today=TODAY)
    assert report.ok and report.committed
    assert CARE_EPISODES not in report.created and CARE_EPISODES not in report.summary()
    assert _snapshot(store)["care_episodes"] == stored  # a missing optional file leaves episodes alone


def test_episodes_may_point_at_people_already_stored(store: sessionmaker[Session], tmp_path: Path) -> None:
    assert import_folder(store, FIXTURES / "good", today=TODAY).ok
    partial = tmp_path / "partial"
    shutil.copytree(FIXTURES / "good", partial)
    for name in ("workers.csv", "advocates.csv", "young_people.csv", "reviews.csv", CARE_EPISODES):
        path = partial / name
        path.write_text(path.read_text().splitlines()[0] + "\n")
    # Gale's stored episode started 2026-10-01; a closed one long before it is fine.
    (partial / CARE_EPISODES).write_text(EPISODES_HEADER + "TE-30,TEST-003,2016-02-01,2016-03-01,s20\n")
    report = import_folder(store, partial, today=TODAY)
    assert report.ok, report.summary()
    assert report.created[CARE_EPISODES] == 1
    # ... and the stored date of birth is what an episode is checked against.
    (partial / CARE_EPISODES).write_text(EPISODES_HEADER + "TE-31,TEST-003,2015-12-01,2016-01-15,s20\n")
    assert _where(import_folder(store, partial, today=TODAY)) == {
        ("care_episodes.csv", 2, "start_date", "bad_date")}


def test_missing_episode_column_is_reported(store: sessionmaker[Session], export: Path) -> None:
    (export / CARE_EPISODES).write_text("episode_ref,case_ref,start_date,legal_status\nTE-1,TEST-001,2025-02-03,s38\n")
    assert _where(import_folder(store, export, today=TODAY)) == {("care_episodes.csv", 1, "end_date", "missing_column")}
