"""A tracker-store writer that mirrors Rasa 3.6's SQL tracker store, used by the retention tests.

Rasa cannot be imported here (it lives in .venv-engine), so ``RASA_EVENTS`` copies
``rasa.core.tracker_store.SQLTrackerStore.SQLEvent`` column for column (names, types,
nullability, the ``sender_id`` index, the optional ``events_seq`` sequence), and
``TrackerWriter`` fills the columns as ``SQLTrackerStore.save`` does: ``intent_name`` from
``parse_data.intent.name``, ``action_name`` from the event's ``name``, ``data`` =
``json.dumps(event.as_dict())``. User events have ``UserUttered.as_dict``'s shape (text,
parse_data, input_channel, message_id, metadata), and a session's first metadata is copied
into the ``session_started_metadata`` slot as ``MessageProcessor._update_tracker_session`` does.
The test below checks the copy against Rasa's own source when the engine environment is there.

On SQLite the writer turns ``secure_delete`` off, as it is on platforms whose SQLite is not
built with it on by default (Debian's is), so the tests show our deletion does the work.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

import pytest
from sqlalchemy import (Column, Engine, Float, Integer, MetaData, Sequence, String, Table, Text, create_engine,
                        event, func, insert, select)

from bot.settings import PROJECT_ROOT

RASA_TRACKER_STORE_SOURCE = (PROJECT_ROOT / ".venv-engine" / "lib" / "python3.10" / "site-packages" / "rasa"
                             / "core" / "tracker_store.py")

_metadata = MetaData()
RASA_EVENTS = Table(
    "events", _metadata,
    Column("id", Integer, Sequence("events_seq", optional=True), primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def _secure_delete_off(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=OFF")
    cursor.close()


def rasa_like_engine(url: str) -> Engine:
    """An engine like the one Rasa opens on the same URL (no secure delete on SQLite)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _secure_delete_off)
    return engine


class TrackerWriter:
    """Writes whole conversations into a tracker store the way Rasa's SQLTrackerStore.save does."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = rasa_like_engine(url)
        _metadata.create_all(self.engine)  # what SQLTrackerStore.__init__ does: Base.metadata.create_all

    def _save(self, sender_id: str, events: Iterable[dict[str, Any]]) -> None:
        rows = [{
            "sender_id": sender_id,
            "type_name": data["event"],
            "timestamp": data.get("timestamp"),
            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        } for data in events]
        with self.engine.begin() as conn:
            conn.execute(insert(RASA_EVENTS), rows)

    def conversation(self, sender_id: str, start: float, texts: Iterable[str], token: str | None = None,
                     audience: str | None = "young_person") -> None:
        """A session start and one turn per text: user message, action, bot reply, listen."""
        metadata: dict[str, Any] = {"audience": audience}
        if token is not None:
            metadata["carechat_token"] = token
        ts = start
        events: list[dict[str, Any]] = [
            {"event": "action", "timestamp": ts, "name": "action_session_start", "policy": None, "confidence": 1.0},
            {"event": "session_started", "timestamp": ts},
            {"event": "slot", "timestamp": ts, "name": "session_started_metadata", "value": metadata},
            {"event": "action", "timestamp": ts, "name": "action_listen", "policy": None, "confidence": None},
        ]
        for number, text in enumerate(texts):
            ts = start + 10 * (number + 1)
            events += [
                {"event": "user", "timestamp": ts, "metadata": dict(metadata), "text": text,
                 "parse_data": {"intent": {"name": "ask_topic", "confidence": 0.9}, "entities": [], "text": text,
                                "message_id": f"m{number}", "metadata": {},
                                "intent_ranking": [{"name": "ask_topic", "confidence": 0.9}]},
                 "input_channel": "rest", "message_id": f"m{number}"},
                {"event": "user_featurization", "timestamp": ts, "use_text_for_featurization": False},
                {"event": "action", "timestamp": ts + 1, "name": "action_answer_topic", "policy": "RulePolicy",
                 "confidence": 1.0},
                {"event": "bot", "timestamp": ts + 2, "text": "Here is what I know.", "data": {}, "metadata": {}},
                {"event": "action", "timestamp": ts + 3, "name": "action_listen", "policy": None, "confidence": None},
            ]
        self._save(sender_id, events)

    def count(self, sender_id: str | None = None) -> int:
        query = select(func.count()).select_from(RASA_EVENTS)
        if sender_id is not None:
            query = query.where(RASA_EVENTS.c.sender_id == sender_id)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def senders(self) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(row[0] for row in conn.execute(select(RASA_EVENTS.c.sender_id).distinct()))

    def close(self) -> None:
        self.engine.dispose()


def test_the_copy_matches_rasas_own_table() -> None:
    """The mirrored columns are exactly SQLEvent's in Rasa's source (skipped without the engine environment)."""
    if not RASA_TRACKER_STORE_SOURCE.exists():
        pytest.skip("no Rasa engine environment here")
    source = RASA_TRACKER_STORE_SOURCE.read_text(encoding="utf-8")
    body = source[source.index("class SQLEvent(Base):"):source.index("def __init__", source.index("class SQLEvent"))]
    assert '__tablename__ = "events"' in body
    rasa_columns = dict(re.findall(r"^\s+(\w+) = sa\.Column\((.*)\)$", body, flags=re.M))
    assert rasa_columns == {
        "id": "sa.Integer, _create_sequence(__tablename__), primary_key=True",
        "sender_id": "sa.String(255), nullable=False, index=True",
        "type_name": "sa.String(255), nullable=False",
        "timestamp": "sa.Float",
        "intent_name": "sa.String(255)",
        "action_name": "sa.String(255)",
        "data": "sa.Text",
    }
    assert [c.name for c in RASA_EVENTS.columns] == list(rasa_columns)
    assert 'sequence_name = f"{table_name}_seq"' in source


def test_writer_stores_the_token_where_rasa_does(tmp_path: Path) -> None:
    writer = TrackerWriter(f"sqlite:///{tmp_path / 'tracker.sqlite'}")
    writer.conversation("s1", 1000.0, ["hello"], token="tok-123")
    with writer.engine.connect() as conn:
        rows = {t: json.loads(d) for t, d in conn.execute(select(RASA_EVENTS.c.type_name, RASA_EVENTS.c.data))}
    assert rows["user"]["metadata"]["carechat_token"] == "tok-123"
    assert rows["slot"]["value"]["carechat_token"] == "tok-123"
    writer.close()
