"""``LOCK_STORE_URL`` → the ``lock_store`` entry of Rasa's endpoints file.

Why a setting of its own: one Rasa process keeps conversation locks in memory, which is right
for ``make run``. Several Rasa replicas must share them, or two messages of one conversation
handled by two replicas at once would both change the same tracker. The shared store is Redis,
through Rasa's own ``RedisLockStore`` made atomic (``bot.engine.lock_store``).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from bot.settings import ConfigurationError

LOCK_STORE_CLASS = "bot.engine.lock_store.AtomicRedisLockStore"
EXAMPLE = "redis://localhost:6379/1"


def lock_store_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be Rasa's lock store, or None (empty means in memory, which is fine)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return f"LOCK_STORE_URL is not a valid URL; use redis://host:port/db, for example {EXAMPLE}."
    if parts.scheme not in ("redis", "rediss"):
        return (f"LOCK_STORE_URL uses {parts.scheme or 'no scheme'!r}; CareChat's lock store is Redis: "
                f"use redis://host:port/db (or rediss:// for TLS), for example {EXAMPLE}.")
    if not parts.hostname:
        return f"LOCK_STORE_URL names no host; for example {EXAMPLE}."
    db = parts.path.strip("/") or "1"
    if not db.isdigit():
        return f"LOCK_STORE_URL's database must be a number (the /1 in {EXAMPLE})."
    return None


def lock_store_endpoint(url: str) -> dict[str, Any] | None:
    """Rasa's ``lock_store`` entry for ``url``, or None for the in-memory default.

    Keys as Rasa passes them on: ``url`` becomes the host, the rest go to
    ``RedisLockStore(host, port, db, username, password, use_ssl)``.
    """
    problem = lock_store_url_problem(url)
    if problem:
        raise ConfigurationError(problem)
    if not url:
        return None
    parts = urlsplit(url)
    entry: dict[str, Any] = {"type": LOCK_STORE_CLASS, "url": parts.hostname, "port": parts.port or 6379,
                             "db": int(parts.path.strip("/") or "1")}
    if parts.username:
        entry["username"] = unquote(parts.username)
    if parts.password:
        entry["password"] = unquote(parts.password)
    if parts.scheme == "rediss":
        entry["use_ssl"] = True
    return entry
