"""Shared fixtures: the card library and scope, and the case store under test, on SQLite always and on PostgreSQL when configured.

CI starts a throwaway PostgreSQL server on loopback (scripts/postgres-for-tests) and sets
CARECHAT_TEST_POSTGRES_URL; there the PostgreSQL cases must run, so a missing URL fails.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.knowledge.card_loader import load_library
from bot.knowledge.scope import load_scope
from tests.unit.gateway_fakes import FakeRasa

POSTGRES_ENV = "CARECHAT_TEST_POSTGRES_URL"


def _fresh_postgres(url: str) -> str:
    """Empty the test database so every test starts from nothing, as with a new SQLite file."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def case_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty case store on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'case.sqlite'}"
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the case-store tests on PostgreSQL: {POSTGRES_ENV} is not set")
        pytest.skip(f"no PostgreSQL configured (set {POSTGRES_ENV}; CI does)")
    return _fresh_postgres(url)


@pytest.fixture(scope="module")
def library():
    """The shipped card library (content/cards), loaded once per test module."""
    return load_library()


@pytest.fixture(scope="module")
def scope(library):
    """The scope check's vocabulary built from that library."""
    return load_scope(library)


#: The day the demo people are dated around in the lookup and care-history tests (a Monday).
DEMO_TODAY = date(2026, 11, 23)


@pytest.fixture
def demo_store(case_store_url: str):
    """A migrated case store holding the demo people, dated around DEMO_TODAY, on each backend."""
    from bot.personal.casestore.db import session_factory
    from bot.personal.casestore.demo import load_demo
    from bot.personal.casestore.migrate import upgrade_to_head

    upgrade_to_head(case_store_url)
    factory = session_factory(case_store_url)
    load_demo(factory, DEMO_TODAY)
    return factory


@pytest.fixture
def writer(case_store_url: str):
    """A Rasa-shaped tracker store (events table) on each backend, for the retention and erase tests."""
    from tests.unit.test_retention_rasa_events import TrackerWriter

    writer = TrackerWriter(case_store_url)
    yield writer
    writer.close()


@pytest_asyncio.fixture
async def fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    """A stand-in Rasa REST channel on a test server (``gateway_fakes.FakeRasa``) and its base URL.

    Shared by the gateway tests; test_gateway_app.py has its own, slower-answering one.
    """
    fake = FakeRasa()
    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", fake.webhook)
    server = TestServer(rasa)
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
