"""Engines and sessions for the case store, for SQLite (one machine) or PostgreSQL (scaled).

The URL always comes from the caller (settings or a test), so the same code runs
against ``sqlite:///var/casestore.sqlite`` and ``postgresql+psycopg://...``.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

#: Seconds to wait for PostgreSQL before giving up, so a down database fails fast
#: and the bot can say so instead of hanging the conversation.
CONNECT_TIMEOUT_SECONDS = 5


def _sqlite_foreign_keys(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """SQLite ignores foreign keys unless asked, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, create_parent: bool = True) -> Engine:
    """Build an engine for ``url``; for a SQLite file, create its folder first (unless told not to).

    ``hide_parameters`` keeps case refs and names out of SQL logs and error messages,
    even if someone turns on SQLAlchemy's logging while debugging.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if create_parent and database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_foreign_keys)
        return engine
    connect_args: dict[str, object] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    return create_engine(url, pool_pre_ping=True, hide_parameters=True, connect_args=connect_args)


def session_factory(url: str, create_parent: bool = True) -> sessionmaker[Session]:
    """A session maker bound to a new engine for ``url`` (use ``with factory() as s:``)."""
    return sessionmaker(bind=make_engine(url, create_parent=create_parent), expire_on_commit=False)
