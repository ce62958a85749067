"""Bring a case store up to the newest schema by running Alembic from Python.

The CLI (``bot demo load``) and the tests call :func:`upgrade_to_head` with an explicit
URL, so they never depend on the working directory or on alembic.ini holding a URL.
"""
from __future__ import annotations

from alembic import command
from alembic.config import Config

from bot.personal.casestore.db import make_engine
from bot.settings import PROJECT_ROOT

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
SCRIPT_LOCATION = PROJECT_ROOT / "bot" / "personal" / "casestore" / "migrations"


def alembic_config() -> Config:
    """Alembic config with an absolute script location, so any working directory works."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    return config


def upgrade_to_head(url: str) -> None:
    """Apply every migration to the database at ``url`` (creating a SQLite file's folder)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def main() -> None:
    """``python -m bot.personal.casestore.migrate``: migrate the store named by CASE_STORE_URL."""
    from bot.settings import load_settings

    upgrade_to_head(load_settings().case_store_url)


if __name__ == "__main__":
    main()
