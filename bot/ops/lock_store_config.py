"""``LOCK_STORE_URL`` → the ``lock_store`` entry of Rasa's endpoints file.

Why a setting of its own: one Rasa process keeps conversation locks in memory, which is right
for ``make run``. Several Rasa replicas must share them, or two messages of one conversation
handled by two replicas at once would both change the same tracker. The shared store is Redis,
through Rasa's own ``RedisLockStore`` made atomic (``bot.engine.lock_store``).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from bot.settings import ConfigurationError, redis_url_fault

LOCK_STORE_CLASS = "bot.engine.lock_store.AtomicRedisLockStore"
EXAMPLE = "redis://localhost:6379/1"


def lock_store_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be Rasa's lock store, or None (empty means in memory, which is fine)."""
    fault = redis_url_fault(url) if url else None
    if fault is None:
        return None
    return (f"LOCK_STORE_URL is not a Redis URL CareChat can use ({fault}): set it to redis://host:port/db "
            f"(rediss:// for TLS), for example {EXAMPLE}, or leave it empty for one Rasa process.")


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
