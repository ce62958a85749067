"""The session-scoped ``redis_server`` fixture: a real, throwaway redis-server for a test session.

Why a real one: what matters (Lua scripts, key expiry, ``SET NX``, surviving a restart through
the append-only file) is Redis's behaviour, which a fake would only imitate. The server itself is
``bot.ops.local_redis`` (also used by the scale bench). Import the fixture into a test module or a
conftest: ``from tests.redis_fixture import redis_server``. Without ``redis-server`` installed
(Debian: ``apt-get install redis-server``) it skips its tests.
"""
from __future__ import annotations

import os
import shutil
from typing import Iterator

import pytest

from bot.ops.local_redis import REDIS_SERVER, RedisServer, free_port, start_redis

__all__ = ["RedisServer", "free_port", "redis_server", "start_redis"]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the whole test session (skips its tests when redis-server is not installed)."""
    executable = shutil.which(REDIS_SERVER)
    if executable is None:
        reason = ("redis-server is not installed (Debian: apt-get install redis-server, or "
                  "scripts/scale-services install); the Redis session store tests need a real one")
        if os.environ.get("CARECHAT_REQUIRE_SCALE_TESTS") == "1":  # CI: never pass by skipping
            pytest.fail(reason)
        pytest.skip(reason)
    server = start_redis(free_port(), tmp_path_factory.mktemp("redis"), executable)
    try:
        yield server
    finally:
        server.stop()
