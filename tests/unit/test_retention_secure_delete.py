"""SQLite: after purge, erase or erase_person, the deleted words are nowhere in the files on disk.

Conversations with a distinctive text are written the way Rasa writes them (with
``secure_delete`` off, as on platforms whose SQLite is not built with it on), between other
people's conversations so SQLite splits and moves pages. Then the raw bytes of the database
file and of any rollback journal or write-ahead log are read back.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import delete, event

from bot.ops import retention
from bot.ops.retention import erase, erase_person, purge_older_than, tracker_engine
from bot.personal.identity import mint_token
from bot.settings import load_settings
from tests.unit.test_retention_rasa_events import RASA_EVENTS, TrackerWriter

SECRET = "retention-test-secret-that-is-long-enough-0123456789"
NOW = 1_800_000_000.0
DAY = 86400.0
NEEDLE = b"ZEBRA-PINEAPPLE"
KEPT = b"KEPT-WORDS-OF-SOMEONE-ELSE"


def raw_count(path: Path, needle: bytes) -> int:
    """How often ``needle`` occurs in the database file and its journal or WAL, read as plain bytes."""
    total = 0
    for suffix in ("", "-journal", "-wal"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            total += side.read_bytes().count(needle)
    return total


@pytest.fixture
def settings(tmp_path: Path):
    return load_settings({"CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_VAR_DIR": str(tmp_path)})


def fill(path: Path, journal_mode: str, settings) -> TrackerWriter:
    """One conversation full of NEEDLE, old and signed in, among many others, written turn by turn."""
    writer = TrackerWriter(f"sqlite:///{path}")
    with writer.engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA journal_mode={journal_mode}")
    token = mint_token("CASE-Z", settings, now=NOW - 40 * DAY)
    for turn in range(40):
        writer.conversation("target", NOW - 40 * DAY + turn * 60, [f"{NEEDLE.decode()}-{turn} " + "x" * (turn * 37)],
                            token=token)
        writer.conversation(f"other-{turn % 9}", NOW - DAY + turn, [f"{KEPT.decode()} " + "y" * (turn * 23)])
    return writer


def our_engine(path: Path):
    """tracker_engine, on a SQLite whose connections start with secure_delete off."""
    engine = tracker_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect", insert=True)
    def _platform_default_off(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA secure_delete=OFF")

    return engine


OPERATIONS = {
    "erase": lambda engine, settings: erase(engine, "target"),
    "purge": lambda engine, settings: purge_older_than(engine, days=30, now=NOW),
    "erase_person": lambda engine, settings: erase_person(engine, "CASE-Z", settings),
}


@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_deleted_text_is_gone_from_the_files(tmp_path: Path, settings, journal_mode: str, operation: str) -> None:
    path = tmp_path / "tracker.sqlite"
    writer = fill(path, journal_mode, settings)  # its pooled connection stays open, as Rasa's does
    assert raw_count(path, NEEDLE) > 0  # the test can see the words before
    engine = our_engine(path)
    OPERATIONS[operation](engine, settings)
    assert writer.senders() == sorted(f"other-{n}" for n in range(9))
    assert raw_count(path, NEEDLE) == 0
    assert raw_count(path, KEPT) > 0  # everyone else's conversations are still there, readable
    engine.dispose()
    writer.close()


def test_a_plain_delete_would_leave_the_text_behind(tmp_path: Path, settings) -> None:
    """The check above is real: deleting without secure delete and a rebuild leaves the words in the file."""
    path = tmp_path / "tracker.sqlite"
    writer = fill(path, "delete", settings)
    with writer.engine.begin() as conn:
        conn.execute(delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == "target"))
    assert "target" not in writer.senders()
    assert raw_count(path, NEEDLE) > 0
    writer.close()


def test_a_busy_write_ahead_log_is_emptied_at_the_next_run(tmp_path: Path, settings, caplog) -> None:
    """A reader holding the WAL stops it being emptied; the deletion stands and the next run finishes the job."""
    path = tmp_path / "tracker.sqlite"
    writer = fill(path, "wal", settings)
    engine = our_engine(path)
    reader = writer.engine.connect()
    reader.exec_driver_sql("BEGIN")
    reader.exec_driver_sql("SELECT count(*) FROM events").scalar()  # an open read transaction pins the WAL
    with caplog.at_level(logging.WARNING, logger="bot.ops.retention"):
        assert erase(engine, "target") > 0
    assert "write-ahead log in use" in caplog.text and "target" not in caplog.text
    assert str(engine.url) in retention._SCRUB_PENDING
    reader.rollback()
    reader.close()
    assert purge_older_than(engine, days=30, now=NOW).events == 0  # nothing more to delete, but it tidies up
    assert str(engine.url) not in retention._SCRUB_PENDING
    assert raw_count(path, NEEDLE) == 0
    engine.dispose()
    writer.close()


def test_the_deleted_rows_are_zeroed_even_if_the_rebuild_cannot_run(tmp_path: Path, settings, monkeypatch) -> None:
    """secure_delete on its own: with the rebuild (VACUUM) switched off, the rows deleted are still overwritten.

    One short conversation fits in one page, so SQLite made no stray copies while writing:
    only secure delete decides whether the words stay. The same delete without it leaves them.
    """
    monkeypatch.setattr(retention, "_scrub", lambda engine, deleted: None)
    ours, plain = tmp_path / "ours.sqlite", tmp_path / "plain.sqlite"
    for path in (ours, plain):
        writer = TrackerWriter(f"sqlite:///{path}")
        writer.conversation("target", NOW, [f"{NEEDLE.decode()} once"])
        writer.close()
    engine = our_engine(ours)
    assert erase(engine, "target") > 0
    assert raw_count(ours, NEEDLE) == 0
    control = TrackerWriter(f"sqlite:///{plain}")
    with control.engine.begin() as conn:
        conn.execute(delete(RASA_EVENTS).where(RASA_EVENTS.c.sender_id == "target"))
    assert raw_count(plain, NEEDLE) > 0
    engine.dispose()
    control.close()
