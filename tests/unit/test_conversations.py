"""Conversation retention and erasure over a tracker-store ``events`` table shaped like Rasa's."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, insert, select

from bot.ops.retention import erase, purge_older_than, tracker_engine

DAY = 86400.0
NOW = 1_800_000_000.0


@pytest.fixture
def engine(tmp_path: Path):
    engine = tracker_engine(f"sqlite:///{tmp_path / 'tracker.sqlite'}")
    table = Table("events", MetaData(), Column("id", Integer, primary_key=True),
                  Column("sender_id", String(255), nullable=False), Column("type_name", String(255), nullable=False),
                  Column("timestamp", Float), Column("intent_name", String(255)), Column("action_name", String(255)),
                  Column("data", Text))
    table.create(engine)
    rows = [("old", NOW - 40 * DAY), ("old", NOW - 35 * DAY),            # last event 35 days ago
            ("mixed", NOW - 60 * DAY), ("mixed", NOW - 2 * DAY),         # still active: kept whole
            ("new", NOW - 1 * DAY)]
    with engine.begin() as conn:
        conn.execute(insert(table), [{"sender_id": s, "type_name": "user", "timestamp": t, "data": "{}"} for s, t in rows])
    return engine


def _senders(engine) -> list[str]:
    with engine.connect() as conn:
        return sorted({row[0] for row in conn.execute(select(Table("events", MetaData(), autoload_with=engine).c.sender_id))})


def test_purge_deletes_only_conversations_past_retention(engine):
    result = purge_older_than(engine, days=30, now=NOW)
    assert (result.conversations, result.events) == (1, 2)
    assert _senders(engine) == ["mixed", "new"]


def test_purge_keeps_an_active_conversation_whole(engine):
    purge_older_than(engine, days=30, now=NOW)
    with engine.connect() as conn:
        count = conn.exec_driver_sql("select count(*) from events where sender_id = 'mixed'").scalar()
    assert count == 2


def test_erase_deletes_one_conversation(engine):
    assert erase(engine, "new") == 1
    assert _senders(engine) == ["mixed", "old"]


def test_erase_unknown_conversation_is_harmless(engine):
    assert erase(engine, "nobody") == 0
    assert _senders(engine) == ["mixed", "new", "old"]


def test_empty_tracker_store_is_fine(tmp_path):
    fresh = tracker_engine(f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert purge_older_than(fresh, days=30).conversations == 0
    assert erase(fresh, "x") == 0


def test_retention_must_be_positive(engine):
    with pytest.raises(ValueError):
        purge_older_than(engine, days=0)
