"""Keep conversations no longer than configured, and erase them on request.

Rasa's SQL tracker store keeps every event of a conversation (message text and metadata
included) in one ``events`` table keyed by ``sender_id``. A child's words should not sit
there for ever: ``purge_older_than`` deletes whole conversations whose last event is older
than the retention period (the running gateway does this on a schedule, ``make run`` at every
start), ``erase`` deletes one conversation at once ("Delete this chat" on the page, or the
command line), and ``erase_person`` deletes every conversation a signed-in young person had.

On SQLite a deleted row is not gone from the file by itself: its bytes stay in free space
until overwritten, and copies SQLite made while Rasa wrote can sit in other pages. So every
connection deletes with ``PRAGMA secure_delete=ON``, and after any deletion the file is
rebuilt (``VACUUM``) and a write-ahead log, if one is used, is emptied. PostgreSQL has no
equivalent; see docs/retention.md.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Engine, MetaData, Table, create_engine, delete, event, func, inspect, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.settings import ConfigurationError, Settings

logger = logging.getLogger(__name__)

#: The metadata key the gateway puts a signed-in young person's token under (bot.gateway.app).
TOKEN_KEY = "carechat_token"
#: Conversations deleted per statement, so a big purge never builds one enormous IN (...) list.
CHUNK = 500
#: Seconds to wait for PostgreSQL before giving up, so a down database fails fast.
CONNECT_TIMEOUT_SECONDS = 5

SUPPORTED_TRACKER_STORES = ("SQLite (sqlite:///path/to/tracker.sqlite) or PostgreSQL "
                            "(postgresql://user:password@host:5432/database, or postgresql+psycopg://...)")
_POSTGRES_DRIVERS = {"postgresql", "postgresql+psycopg", "postgresql+psycopg2"}


@dataclass(frozen=True)
class PurgeResult:
    conversations: int
    events: int


def tracker_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be CareChat's tracker store, or None. Never repeats the URL (it may hold a password)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f"TRACKER_STORE_URL is not a database URL. Use {SUPPORTED_TRACKER_STORES}."
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            return ("TRACKER_STORE_URL must give SQLite a plain file path that Rasa and the gateway can share "
                    "(not an in-memory database), e.g. sqlite:///var/tracker.sqlite.")
        return None
    if parsed.drivername in _POSTGRES_DRIVERS:
        if not parsed.database:
            return ("TRACKER_STORE_URL for PostgreSQL must name the database, e.g. "
                    "postgresql://carechat:password@db.example:5432/carechat.")
        return None
    return (f"TRACKER_STORE_URL uses {parsed.drivername!r}, which CareChat does not support for conversations. "
            f"Use {SUPPORTED_TRACKER_STORES}.")


def check_tracker_url(url: str) -> URL:
    """The parsed tracker store URL, or :class:`ConfigurationError` saying what is supported."""
    problem = tracker_url_problem(url)
    if problem is not None:
        raise ConfigurationError(problem)
    return make_url(url)


def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
    """Deleted rows are overwritten with zeros, not just marked free (per connection, so on every one)."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def tracker_engine(url: str) -> Engine:
    """An engine for the tracker store; parameters are hidden so sender ids never reach error text.

    PostgreSQL is always reached through psycopg 3 (the app environment's driver), whatever
    driver the URL names for Rasa. Other URLs are passed to SQLAlchemy unchanged, so the safety
    report can still say plainly when it cannot open one; the services check with
    :func:`check_tracker_url` first.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return create_engine(url)  # raises ArgumentError: the caller says "not a database URL"
    if parsed.drivername in _POSTGRES_DRIVERS:
        return create_engine(parsed.set(drivername="postgresql+psycopg"), hide_parameters=True,
                             pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    engine = create_engine(parsed, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _secure_delete)
    return engine


def open_tracker_store(settings: Settings) -> Engine:
    """The configured tracker store (``TRACKER_STORE_URL``), refused with a clear message if unsupported."""
    check_tracker_url(settings.tracker_url)
    return tracker_engine(settings.tracker_url)


def _missing_sqlite_file(engine: Engine) -> bool:
    """A SQLite tracker store that does not exist yet (connecting would create it empty)."""
    if engine.dialect.name != "sqlite":
        return False
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return False
    return not Path(database).exists()


def _events(engine: Engine) -> Table | None:
    if _missing_sqlite_file(engine) or not inspect(engine).has_table("events"):
        return None  # Rasa has not written anything yet
    return Table("events", MetaData(), autoload_with=engine)


#: SQLite files whose last rebuild failed (e.g. Rasa held a lock): rebuilt at the next chance.
_SCRUB_PENDING: set[str] = set()


def _scrub(engine: Engine, deleted: int) -> None:
    """After deleting on SQLite: rebuild the file and empty the write-ahead log, so no text is left.

    ``VACUUM`` copies the live rows into a fresh file, dropping free space that may still hold
    text (``secure_delete`` only zeroes what this connection deletes, not copies SQLite left
    behind while Rasa wrote). The rollback journal is deleted at commit (SQLite's default);
    a WAL is checkpointed and truncated to zero bytes. A failure here does not undo the
    deletion (already committed): it is logged by type and tried again next time.
    """
    if engine.dialect.name != "sqlite":
        return
    key = str(engine.url)
    if not deleted and key not in _SCRUB_PENDING:
        return
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM")
            wal = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower() == "wal"
            busy = wal and bool(conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()[0])
    except SQLAlchemyError as error:
        _SCRUB_PENDING.add(key)
        logger.warning("tracker store not compacted after deleting (%s); will retry", type(error).__name__)
        return
    if busy:
        _SCRUB_PENDING.add(key)
        logger.warning("tracker store write-ahead log in use, not emptied after deleting; will retry")
        return
    _SCRUB_PENDING.discard(key)


def _delete_senders(conn: Any, events: Table, senders: list[str]) -> int:
    deleted = 0
    for start in range(0, len(senders), CHUNK):
        chunk = senders[start:start + CHUNK]
        deleted += conn.execute(delete(events).where(events.c.sender_id.in_(chunk))).rowcount
    return deleted


def erase(engine: Engine, sender_id: str) -> int:
    """Delete every event of one conversation; returns how many events were deleted."""
    events = _events(engine)
    if events is None:
        return 0
    with engine.begin() as conn:
        deleted = _delete_senders(conn, events, [sender_id])
    _scrub(engine, deleted)
    return deleted


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
        deleted = _delete_senders(conn, events, senders)
    _scrub(engine, deleted)
    return PurgeResult(len(senders), deleted)


def purge_configured(settings: Settings, engine: Engine | None = None, days: float | None = None) -> PurgeResult:
    """The one purge every caller runs (start-up, ``conversations purge``, the gateway's schedule)."""
    own = engine is None
    engine = open_tracker_store(settings) if own else engine
    try:
        return purge_older_than(engine, settings.retention_days if days is None else days)
    finally:
        if own:
            engine.dispose()


def tokens_in(data: str | None) -> set[str]:
    """Every ``carechat_token`` value anywhere in one event's JSON.

    Rasa stores a message's metadata under ``metadata`` of the ``user`` event, and copies the
    first message's metadata into the ``session_started_metadata`` slot, so the whole event is
    searched rather than one path.
    """
    try:
        parsed = json.loads(data or "")
    except ValueError:
        return set()
    found: set[str] = set()
    stack: list[Any] = [parsed]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == TOKEN_KEY and isinstance(value, str):
                    found.add(value)
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _rows_with_tokens(engine: Engine, events: Table) -> Iterator[tuple[str, str]]:
    query = select(events.c.sender_id, events.c.data).where(events.c.data.like(f"%{TOKEN_KEY}%"))
    with engine.connect() as conn:
        yield from conn.execution_options(yield_per=CHUNK).execute(query)


def conversations_of(engine: Engine, case_ref: str, settings: Settings) -> list[str]:
    """Sender ids of every conversation that carried a token for ``case_ref`` (expired ones too)."""
    from bot.personal.identity import read_case_ref

    events = _events(engine)
    if events is None:
        return []
    matched: set[str] = set()
    for sender_id, data in _rows_with_tokens(engine, events):
        if sender_id in matched:
            continue
        if any(read_case_ref(token, settings) == case_ref for token in tokens_in(data)):
            matched.add(sender_id)
    return sorted(matched)


def erase_person(engine: Engine, case_ref: str, settings: Settings) -> PurgeResult:
    """Delete, whole, every conversation in which ``case_ref`` was signed in.

    A conversation is theirs when any of its events carries a token that decodes (with this
    gateway's token secret, expiry ignored) to ``case_ref``. Anonymous conversations carry no
    token and cannot be linked to anyone; tokens made with a secret no longer configured
    cannot be read, so those conversations wait for the retention purge.
    """
    if not case_ref or not case_ref.strip():
        raise ValueError("a case reference is needed")
    senders = conversations_of(engine, case_ref, settings)
    if not senders:
        return PurgeResult(0, 0)
    events = _events(engine)
    with engine.begin() as conn:
        deleted = _delete_senders(conn, events, senders)
    _scrub(engine, deleted)
    return PurgeResult(len(senders), deleted)
