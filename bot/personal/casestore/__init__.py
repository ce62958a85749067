"""The case store: the few facts a signed-in young person can look up about themselves.

Modules: ``models`` (tables), ``db`` (engines and sessions), ``migrate`` (Alembic to
head), ``demo`` (fictional demo people) and ``importer`` (council CSV exports).
"""
from bot.personal.casestore.db import make_engine, session_factory

__all__ = ["make_engine", "session_factory"]
