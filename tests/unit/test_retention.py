"""Retention and erasure on both tracker-store backends, with conversations written as Rasa writes them.

Every test runs on SQLite and on PostgreSQL (``case_store_url`` gives an empty database on each;
CI sets CARECHAT_TEST_POSTGRES_URL). Conversations come from ``TrackerWriter``, which mirrors
Rasa 3.6's ``events`` table and event JSON (see tests/unit/test_retention_rasa_events.py).
"""
from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import event

from bot.ops import retention
from bot.ops.retention import (PurgeResult, check_tracker_url, conversations_of, erase, erase_person,
                               purge_configured, purge_older_than, tokens_in, tracker_engine, tracker_url_problem)
from bot.personal.identity import mint_token
from bot.settings import ConfigurationError, load_settings
from tests.unit.test_retention_rasa_events import TrackerWriter

DAY = 86400.0
NOW = 1_800_000_000.0
SECRET = "retention-test-secret-that-is-long-enough-0123456789"


def events_for(turns: int) -> int:
    """Events the writer stores for a conversation of ``turns`` messages: 4 at session start, 5 a turn."""
    return 4 + 5 * turns


@pytest.fixture
def settings(tmp_path):
    return load_settings({"CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_VAR_DIR": str(tmp_path / "var")})


@pytest.fixture
def tracker_url(case_store_url: str) -> str:
    """An empty tracker store: SQLite file, or the test PostgreSQL database."""
    return case_store_url


@pytest.fixture
def engine(tracker_url: str, writer: TrackerWriter):
    engine = tracker_engine(tracker_url)
    yield engine
    engine.dispose()


# ---- purge ---------------------------------------------------------------------------------------

def test_purge_deletes_whole_conversations_past_retention_and_keeps_the_rest(writer, engine):
    writer.conversation("old", NOW - 40 * DAY, ["one", "two"])
    writer.conversation("mixed", NOW - 60 * DAY, ["long ago"])
    writer.conversation("mixed", NOW - 2 * DAY, ["and again lately"])   # still active: kept whole
    writer.conversation("new", NOW - 1 * DAY, ["hello"])
    result = purge_older_than(engine, days=30, now=NOW)
    assert result == PurgeResult(1, events_for(2))
    assert writer.senders() == ["mixed", "new"]
    assert writer.count("mixed") == 2 * events_for(1)


def test_purge_with_nothing_old_deletes_nothing(writer, engine):
    writer.conversation("new", NOW - 1 * DAY, ["hello"])
    assert purge_older_than(engine, days=30, now=NOW) == PurgeResult(0, 0)
    assert writer.count() == events_for(1)


def test_purge_configured_uses_the_retention_setting(writer, tracker_url, tmp_path):
    writer.conversation("forty-days", time.time() - 40 * DAY, ["hi"])
    writer.conversation("ten-days", time.time() - 10 * DAY, ["hi"])
    settings = load_settings({"TRACKER_STORE_URL": tracker_url, "CARECHAT_RETENTION_DAYS": "30",
                              "CARECHAT_VAR_DIR": str(tmp_path)})
    assert purge_configured(settings).conversations == 1
    assert writer.senders() == ["ten-days"]
    assert purge_configured(settings, days=5).conversations == 1
    assert writer.senders() == []


def test_retention_must_be_positive(engine):
    with pytest.raises(ValueError):
        purge_older_than(engine, days=0)


# ---- erase one conversation ----------------------------------------------------------------------

def test_erase_deletes_one_conversation_whole(writer, engine):
    writer.conversation("mine", NOW, ["one", "two", "three"])
    writer.conversation("theirs", NOW, ["hello"])
    assert erase(engine, "mine") == events_for(3)
    assert writer.senders() == ["theirs"]


def test_erase_unknown_conversation_is_harmless(writer, engine):
    writer.conversation("theirs", NOW, ["hello"])
    assert erase(engine, "nobody") == 0
    assert writer.count() == events_for(1)


# ---- erase a person ------------------------------------------------------------------------------

def test_erase_person_deletes_every_conversation_that_carried_their_token(writer, engine, settings):
    expired = mint_token("CASE-A", settings, ttl_seconds=300, now=time.time() - 90 * DAY)
    writer.conversation("a-long-ago", NOW - 20 * DAY, ["first chat"], token=expired)
    writer.conversation("a-today", NOW, ["second chat", "more"], token=mint_token("CASE-A", settings))
    writer.conversation("b", NOW, ["not theirs"], token=mint_token("CASE-B", settings))
    writer.conversation("anonymous", NOW, ["nobody signed in"])
    result = erase_person(engine, "CASE-A", settings)
    assert result == PurgeResult(2, events_for(1) + events_for(2))
    assert writer.senders() == ["anonymous", "b"]


def test_erase_person_finds_a_conversation_signed_in_part_way(writer, engine, settings):
    """Signed in after some anonymous turns: the whole conversation goes, the anonymous turns too."""
    writer.conversation("c", NOW, ["asked before signing in"])
    writer.conversation("c", NOW + 100, ["asked after"], token=mint_token("CASE-A", settings))
    assert erase_person(engine, "CASE-A", settings) == PurgeResult(1, 2 * events_for(1))
    assert writer.count() == 0


def test_erase_person_ignores_tokens_it_cannot_read(writer, engine, settings, tmp_path):
    other = load_settings({"CARECHAT_TOKEN_SECRET": "another-secret-entirely-0123456789abcdefghij",
                           "CARECHAT_VAR_DIR": str(tmp_path)})
    writer.conversation("forged", NOW, ["hi"], token=mint_token("CASE-A", other))
    writer.conversation("junk", NOW, ["hi"], token="not-a-token")
    assert erase_person(engine, "CASE-A", settings) == PurgeResult(0, 0)
    assert writer.senders() == ["forged", "junk"]


def test_erase_person_matches_the_case_reference_exactly(writer, engine, settings):
    writer.conversation("a1", NOW, ["hi"], token=mint_token("CASE-A1", settings))
    assert conversations_of(engine, "CASE-A", settings) == []
    assert conversations_of(engine, "CASE-A1", settings) == ["a1"]


def test_erase_person_needs_a_case_reference(engine, settings):
    with pytest.raises(ValueError):
        erase_person(engine, " ", settings)


def test_tokens_are_found_wherever_rasa_put_them():
    data = ('{"event": "slot", "name": "session_started_metadata", "value": {"carechat_token": "t1",'
            ' "nested": [{"carechat_token": "t2"}, {"carechat_token": 7}]}}')
    assert tokens_in(data) == {"t1", "t2"}
    assert tokens_in("not json") == set() and tokens_in(None) == set()


# ---- nothing there yet ---------------------------------------------------------------------------

def test_missing_sqlite_tracker_store_is_left_alone(tmp_path, settings):
    path = tmp_path / "none" / "tracker.sqlite"
    fresh = tracker_engine(f"sqlite:///{path}")
    assert purge_older_than(fresh, days=30) == PurgeResult(0, 0)
    assert erase(fresh, "x") == 0
    assert erase_person(fresh, "CASE-A", settings) == PurgeResult(0, 0)
    assert not path.exists()


def test_database_without_events_table_is_fine(tracker_url, settings):
    engine = tracker_engine(tracker_url)
    assert purge_older_than(engine, days=30) == PurgeResult(0, 0)
    assert erase(engine, "x") == 0
    assert erase_person(engine, "CASE-A", settings) == PurgeResult(0, 0)
    engine.dispose()


# ---- which databases ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["sqlite:////srv/carechat/tracker.sqlite", "sqlite:///var/tracker.sqlite",
                                 "postgresql://carechat:pw@db:5432/carechat", "postgresql+psycopg://db/carechat",
                                 "postgresql+psycopg2://db/carechat"])
def test_supported_tracker_stores(url):
    assert tracker_url_problem(url) is None


@pytest.mark.parametrize("url, says", [
    ("mysql://carechat:hunter2secret@db/carechat", "'mysql'"),
    ("postgres://carechat:hunter2secret@db/carechat", "'postgres'"),
    ("mongodb://carechat:hunter2secret@db", "'mongodb'"),
    ("sqlite://", "in-memory"),
    ("sqlite:///:memory:", "in-memory"),
    ("postgresql://carechat:hunter2secret@db:5432", "must name the database"),
    ("not a url hunter2secret", "not a database URL"),
])
def test_unsupported_tracker_stores_are_refused_plainly(url, says):
    with pytest.raises(ConfigurationError) as error:
        check_tracker_url(url)
    message = str(error.value)
    assert says in message
    assert "hunter2secret" not in message  # never repeats a password


def test_postgres_is_always_reached_with_psycopg():
    engine = tracker_engine("postgresql://carechat:pw@db:5432/carechat")
    assert engine.url.drivername == "postgresql+psycopg"
    assert engine.url.password == "pw" and engine.url.database == "carechat"


# ---- SQLite: secure delete on every connection ---------------------------------------------------

def test_secure_delete_is_on_for_every_sqlite_connection(tmp_path):
    engine = tracker_engine(f"sqlite:///{tmp_path / 'tracker.sqlite'}")

    @event.listens_for(engine, "connect", insert=True)  # runs first: as if SQLite defaulted to off
    def _platform_default_off(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA secure_delete=OFF")

    with engine.connect() as first, engine.connect() as second:  # two pooled connections
        assert first.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert second.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    engine.dispose()


def test_deletion_logs_no_ids_or_text(writer, engine, settings, caplog):
    writer.conversation("sender-zz-9", NOW - 40 * DAY, ["my secret words"], token=mint_token("CASE-Q", settings))
    with caplog.at_level(logging.DEBUG):
        purge_older_than(engine, days=30, now=NOW)
    for forbidden in ("sender-zz-9", "my secret words", "CASE-Q"):
        assert forbidden not in caplog.text
    assert not retention._SCRUB_PENDING
