"""Case store: engines, migrations matching the models, and the fictional demo set."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.personal.casestore.db import make_engine, session_factory
from bot.personal.casestore.demo import DEMO_PEOPLE, list_demo_people, load_demo
from bot.personal.casestore.migrate import upgrade_to_head
from bot.personal.casestore.models import Advocate, Base, Review, Worker, YoungPerson

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
                for m in (YoungPerson, Worker, Advocate, Review)}


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
    assert {"young_people", "workers", "advocates", "reviews", "alembic_version"} <= names


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
                          council="durham", care_leaver=False))
    load_demo(store, TODAY)
    load_demo(store, TODAY)
    with store() as s:
        assert s.scalar(select(func.count()).where(YoungPerson.case_ref == "REAL-1")) == 1


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
