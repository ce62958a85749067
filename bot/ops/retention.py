"""Keep conversations no longer than configured, and erase one on request.

Rasa's SQL tracker store keeps every event of a conversation (message text and metadata
included) in one ``events`` table keyed by ``sender_id``. A child's words should not sit
there for ever: ``purge_older_than`` deletes whole conversations whose last event is older
than the retention period (``make run`` does this at every start), and ``erase`` deletes
one conversation at once, e.g. when a young person or the council asks.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine, MetaData, Table, create_engine, delete, func, inspect, select


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    events: int


def tracker_engine(url: str) -> Engine:
    """An engine for the tracker store; parameters are hidden so sender ids never reach error text."""
    return create_engine(url, hide_parameters=True)


def _events(engine: Engine) -> Table | None:
    if not inspect(engine).has_table("events"):
        return None  # Rasa has not written anything yet
    return Table("events", MetaData(), autoload_with=engine)


def erase(engine: Engine, sender_id: str) -> int:
    """Delete every event of one conversation; returns how many events were deleted."""
    events = _events(engine)
    if events is None:
        return 0
    with engine.begin() as conn:
        return conn.execute(delete(events).where(events.c.sender_id == sender_id)).rowcount


def purge_older_than(engine: Engine, days: float, now: float | None = None) -> PurgeResult:
    """Delete whole conversations whose most recent event is more than ``days`` old."""
    if days <= 0:
        raise ValueError("retention must be a positive number of days")
    events = _events(engine)
    if events is None:
        return PurgeResult(0, 0)
    cutoff = (time.time() if now is None else now) - days * 86400
    stale = (
        select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(func.max(events.c.timestamp) < cutoff)
    )
    with engine.begin() as conn:
        senders = [row[0] for row in conn.execute(stale)]
        deleted = 0
        for start in range(0, len(senders), 500):
            chunk = senders[start:start + 500]
            deleted += conn.execute(delete(events).where(events.c.sender_id.in_(chunk))).rowcount
    return PurgeResult(len(senders), deleted)
