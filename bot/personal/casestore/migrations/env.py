"""Alembic environment for the case store.

The URL never lives in alembic.ini: the command line uses CASE_STORE_URL (through
bot.settings), and bot.personal.casestore.migrate hands over an open connection, so tests and
the CLI migrate exactly the database they were given.
"""
from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from bot.personal.casestore.db import make_engine
from bot.personal.casestore.models import Base
from bot.settings import load_settings

config = context.config
target_metadata = Base.metadata


def _options(dialect_name: str) -> dict[str, object]:
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    return {"target_metadata": target_metadata, "render_as_batch": dialect_name == "sqlite", "compare_type": True}


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting (alembic upgrade --sql)."""
    url = config.attributes.get("url") or load_settings().case_store_url
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"},
                      **_options(url.split(":", 1)[0].split("+", 1)[0]))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the connection we were handed, or one made from settings."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **_options(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(config.attributes.get("url") or load_settings().case_store_url)
    try:
        with engine.connect() as conn:
            context.configure(connection=conn, **_options(conn.dialect.name))
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
