"""Case store: engines, migrations matching the models, table constraints, and the fictional demo set."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.personal.casestore.db import make_engine, session_factory
from bot.personal.casestore.demo import DEMO_PEOPLE, list_demo_people, load_demo
from bot.personal.casestore.migrate import alembic_config, upgrade_to_head
from bot.personal.casestore.models import (
    EPISODE_LEGAL_STATUSES,
    Advocate,
    Base,
    CareEpisode,
    Review,
    Worker,
    YoungPerson,
)
from bot.personal.review_dates import add_months

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 23)


@pytest.fixture
def store(case_store_url: str) -> sessionmaker[Session]:
    url = case_store_url
    upgrade_to_head(url)
    return session_factory(url)


def _counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
                for m in (YoungPerson, Worker, Advocate, Review, CareEpisode)}


# ---- engine and migrations -------------------------------------------------------

def test_make_engine_creates_sqlite_folder(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "store.sqlite"
    engine = make_engine(f"sqlite:///{target}")
    with engine.connect():
        pass
    assert target.parent.is_dir()


def test_make_engine_accepts_postgres_urls_without_connecting() -> None:
    engine = make_engine("postgresql+psycopg://someone:secret@127.0.0.1:1/carechat")
    assert engine.dialect.name == "postgresql"
    assert engine.dialect.driver == "psycopg"


def test_upgrade_creates_tables_and_is_repeatable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'case.sqlite'}"
    upgrade_to_head(url)
    upgrade_to_head(url)
    names = set(inspect(make_engine(url)).get_table_names())
    assert {"young_people", "workers", "advocates", "reviews", "care_episodes", "alembic_version"} <= names


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'case.sqlite'}"
    upgrade_to_head(url)
    with make_engine(url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_alembic_ini_has_no_url_and_cli_uses_case_store_url(tmp_path: Path) -> None:
    ini = (ROOT / "alembic.ini").read_text()
    assert "sqlalchemy.url" not in ini
    target = tmp_path / "cli" / "case.sqlite"
    env = {**os.environ, "CASE_STORE_URL": f"sqlite:///{target}", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    assert "young_people" in inspect(make_engine(f"sqlite:///{target}")).get_table_names()


def _migrate(url: str, direction: str, revision: str) -> None:
    """Run Alembic up or down to ``revision`` on ``url``, as upgrade_to_head does for head."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            getattr(command, direction)(config, revision)
    finally:
        engine.dispose()


def test_care_episodes_migration_keeps_existing_people(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    _migrate(url, "upgrade", "0001_initial")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO young_people (case_ref, first_name, date_of_birth, council, care_leaver) "
                          "VALUES ('OLD-1', 'Test Old', '2010-04-04', 'durham', 0)"))
    assert "care_episodes" not in inspect(engine).get_table_names()
    upgrade_to_head(url)
    columns = {c["name"]: c for c in inspect(engine).get_columns("care_episodes")}
    assert set(columns) == {"id", "episode_ref", "young_person_id", "start_date", "end_date", "legal_status"}
    assert columns["end_date"]["nullable"] and not columns["start_date"]["nullable"]
    born = {c["name"]: c for c in inspect(engine).get_columns("young_people")}["date_of_birth"]
    assert not born["nullable"]  # already held since 0001: the care-leaver rules can rely on it
    with session_factory(url)() as s:
        old = s.scalars(select(YoungPerson).where(YoungPerson.case_ref == "OLD-1")).one()
        assert old.date_of_birth == date(2010, 4, 4) and old.care_episodes == []
    _migrate(url, "downgrade", "0001_initial")
    assert "care_episodes" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM young_people")).scalar() == 1


# ---- care episode constraints -------------------------------------------------------

def _person(s: Session, ref: str = "REAL-1") -> YoungPerson:
    yp = YoungPerson(case_ref=ref, first_name="Test Kept", date_of_birth=date(2010, 1, 1), council="durham",
                     care_leaver=False)
    s.add(yp)
    s.flush()
    return yp


def _episode(yp_id: int, ref: str = "EP-1", start: date = date(2020, 1, 1), end: date | None = None,
             status: str = "s20") -> CareEpisode:
    return CareEpisode(episode_ref=ref, young_person_id=yp_id, start_date=start, end_date=end, legal_status=status)


def test_every_listed_legal_status_and_an_open_or_one_day_episode_is_stored(store: sessionmaker[Session]) -> None:
    with store() as s, s.begin():
        yp = _person(s)
        for n, status in enumerate(EPISODE_LEGAL_STATUSES):
            start = date(2020, 1, 1 + n)
            s.add(_episode(yp.id, f"EP-{n}", start, start, status))
        s.add(_episode(yp.id, "EP-open", date(2021, 1, 1), None, "s31"))
    with store() as s:
        assert s.scalar(select(func.count()).select_from(CareEpisode)) == len(EPISODE_LEGAL_STATUSES) + 1
    assert set(EPISODE_LEGAL_STATUSES) == {"s20", "s31", "s38", "epo", "placement_order", "remand",
                                           "police_protection", "sgo", "adoption"}


@pytest.mark.parametrize("bad", ["unknown_status", "end_before_start", "duplicate_ref", "no_such_person"])
def test_care_episode_constraints(store: sessionmaker[Session], bad: str) -> None:
    with store() as s, s.begin():
        yp_id = _person(s).id
        s.add(_episode(yp_id))
    episode = {
        "unknown_status": _episode(yp_id, "EP-2", status="care_order"),
        "end_before_start": _episode(yp_id, "EP-2", date(2020, 5, 2), date(2020, 5, 1)),
        "duplicate_ref": _episode(yp_id, "EP-1", date(2022, 1, 1)),
        "no_such_person": _episode(yp_id + 999, "EP-2"),
    }[bad]
    with store() as s:
        s.add(episode)
        with pytest.raises(IntegrityError):
            s.commit()


def test_removing_a_young_person_removes_their_episodes_only(store: sessionmaker[Session]) -> None:
    with store() as s, s.begin():
        gone, kept = _person(s, "REAL-1"), _person(s, "REAL-2")
        s.add_all([_episode(gone.id, "EP-1"), _episode(kept.id, "EP-2")])
    with store() as s, s.begin():  # a bulk delete, so only the database's ON DELETE CASCADE can do it
        s.execute(delete(YoungPerson).where(YoungPerson.case_ref == "REAL-1"))
    with store() as s:
        assert list(s.scalars(select(CareEpisode.episode_ref))) == ["EP-2"]


# ---- demo ------------------------------------------------------------------------------

def test_demo_list_has_the_menu_keys_and_distinct_situations() -> None:
    people = list_demo_people()
    assert len(people) >= 6
    assert all(set(p) == {"case_ref", "display_name", "situation"} for p in people)
    assert len({p["situation"] for p in people}) == len(people)
    people[0]["display_name"] = "changed"
    assert DEMO_PEOPLE[0]["display_name"] != "changed"


def test_load_demo_is_idempotent(store: sessionmaker[Session]) -> None:
    assert load_demo(store, TODAY) == len(DEMO_PEOPLE)
    first = _counts(store)
    assert load_demo(store, TODAY + timedelta(days=3)) == len(DEMO_PEOPLE)
    assert _counts(store) == first
    assert first["young_people"] == len(DEMO_PEOPLE)


def test_load_demo_leaves_real_rows_alone(store: sessionmaker[Session]) -> None:
    with store() as s, s.begin():
        s.add(YoungPerson(case_ref="REAL-1", first_name="Test Kept", date_of_birth=date(2012, 1, 1),
                          council="durham", care_leaver=False,
                          care_episodes=[CareEpisode(episode_ref="REAL-E1", start_date=date(2020, 1, 1),
                                                     legal_status="s20")]))
    load_demo(store, TODAY)
    load_demo(store, TODAY)
    with store() as s:
        assert s.scalar(select(func.count()).where(YoungPerson.case_ref == "REAL-1")) == 1
        assert list(s.scalars(select(CareEpisode.episode_ref).where(~CareEpisode.episode_ref.startswith("DEMO-")))) \
            == ["REAL-E1"]


def test_every_menu_person_is_loaded(store: sessionmaker[Session]) -> None:
    load_demo(store, TODAY)
    with store() as s:
        stored = {p.case_ref: p.first_name for p in s.scalars(select(YoungPerson))}
    assert stored == {p["case_ref"]: p["display_name"] for p in DEMO_PEOPLE}


_DRAMA_NUMBER = re.compile(r"^(07700 ?900\d{3}|01632 ?960\d{3})$")


def test_demo_people_are_obviously_fictional(store: sessionmaker[Session]) -> None:
    load_demo(store, TODAY)
    with store() as s:
        people = list(s.scalars(select(YoungPerson)))
        contacts = [*s.scalars(select(Worker)), *s.scalars(select(Advocate))]
    assert all(p.case_ref.startswith("DEMO-") and p.first_name.startswith("Demo ") for p in people)
    for c in contacts:
        assert c.name.startswith("Demo ")
        assert c.email is None or c.email.endswith("@example.org")
        assert c.phone is None or _DRAMA_NUMBER.match(c.phone), c.phone


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2031, 2, 28)])
def test_demo_booked_reviews_are_always_in_the_future(store: sessionmaker[Session], today: date) -> None:
    load_demo(store, today)
    with store() as s:
        booked = list(s.scalars(select(Review).where(Review.held_date.is_(None))))
        held = list(s.scalars(select(Review).where(Review.held_date.is_not(None))))
    assert booked and all(r.booked_date and r.booked_date > today for r in booked)
    assert held and all(r.held_date < today for r in held)


def _age(born: date, on: date) -> int:
    return next(years for years in range(200) if add_months(born, 12 * (years + 1)) > on)


def _episodes(store: sessionmaker[Session]) -> dict[str, tuple[date, list[CareEpisode]]]:
    with store() as s:
        return {p.case_ref: (p.date_of_birth, list(p.care_episodes)) for p in s.scalars(select(YoungPerson))}


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2028, 2, 29), date(2031, 2, 28)])
def test_demo_episodes_would_pass_the_import_checks(store: sessionmaker[Session], today: date) -> None:
    load_demo(store, today)
    for case_ref, (born, episodes) in _episodes(store).items():
        assert episodes == sorted(episodes, key=lambda e: e.start_date), case_ref
        for earlier, later in zip(episodes, episodes[1:]):
            assert earlier.end_date is not None and later.start_date >= earlier.end_date, case_ref  # no overlap
        for e in episodes:
            assert born <= e.start_date <= today and (e.end_date is None or e.start_date <= e.end_date <= today)
            assert e.legal_status in EPISODE_LEGAL_STATUSES and e.episode_ref.startswith(case_ref)


def _days_in_care_after(episodes: list[CareEpisode], since: date, today: date) -> int:
    return sum(max(0, ((e.end_date or today) - max(e.start_date, since)).days) for e in episodes)


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2028, 2, 29), date(2031, 2, 28)])
def test_demo_has_an_eligible_child_and_a_former_relevant_care_leaver(store: sessionmaker[Session],
                                                                     today: date) -> None:
    load_demo(store, today)
    stored = _episodes(store)
    # Eligible child: 16 or 17, still looked after, 13 weeks or more in care since turning 14.
    jo_born, jo = stored["DEMO-007"]
    assert 16 <= _age(jo_born, today) < 18 and jo[-1].end_date is None
    assert _days_in_care_after(jo, add_months(jo_born, 14 * 12), today) >= 13 * 7
    # Former relevant: 18 to 20, no longer looked after, in care (13 weeks since 14) up to turning 18.
    kai_born, kai = stored["DEMO-004"]
    assert 18 <= _age(kai_born, today) < 21 and all(e.end_date is not None for e in kai)
    assert kai[-1].end_date == add_months(kai_born, 18 * 12)
    assert _days_in_care_after(kai, add_months(kai_born, 14 * 12), today) >= 13 * 7
    # An incomplete record has no episodes at all; the others in care have one open episode.
    assert stored["DEMO-006"][1] == []
    for ref in ("DEMO-001", "DEMO-002", "DEMO-003", "DEMO-005"):
        assert [e.end_date for e in stored[ref][1]][-1] is None, ref
