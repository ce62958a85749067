"""The scaled-out stack for the fault tests: PostgreSQL, Redis and HAProxy on loopback, started by
the test session, and two of each CareChat service behind HAProxy (``Stack(replicas=2)``).

Without PostgreSQL, Redis or HAProxy installed the tests skip, unless
``CARECHAT_REQUIRE_SCALE_TESTS=1`` (CI sets it, after ``scripts/scale-services install``): then
a missing server is a failure, so CI can never pass by skipping them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from bot.ops.local_postgres import LocalPostgres
from bot.ops.stack import Stack, missing_scale_servers
from bot.ops.training import ensure_model
from bot.ops.local_redis import RedisServer, free_port, start_redis
from bot.settings import Settings, load_settings

SECRET = "scale-test-secret-" + "y" * 40


def _need_servers() -> None:
    missing = missing_scale_servers()
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (scripts/scale-services install; scripts/postgres-for-tests install)"
    if os.environ.get("CARECHAT_REQUIRE_SCALE_TESTS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@dataclass
class ScaledStack:
    stack: Stack
    settings: Settings
    postgres: LocalPostgres
    redis: RedisServer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.gateway_port}"


@pytest.fixture(scope="session")
def scaled(tmp_path_factory) -> ScaledStack:
    _need_servers()
    var_dir = tmp_path_factory.mktemp("scaled-var")
    postgres = LocalPostgres(Path(f"/tmp/carechat-scale-pg-{os.getpid()}"), free_port()).start()
    redis = start_redis(free_port(), tmp_path_factory.mktemp("scaled-redis"))
    base = int(os.environ.get("CARECHAT_SCALE_PORT_BASE", "21000"))
    settings = load_settings({
        "GATEWAY_PORT": str(base + 80), "RASA_PORT": str(base + 5), "ACTION_PORT": str(base + 55),
        "CARECHAT_VAR_DIR": str(var_dir),
        "CASE_STORE_URL": f"sqlite:///{var_dir / 'casestore.sqlite'}",
        "TRACKER_STORE_URL": postgres.url,
        "LOCK_STORE_URL": f"redis://127.0.0.1:{redis.port}/1",
        "CARECHAT_SESSION_STORE_URL": f"redis://127.0.0.1:{redis.port}/2",
        "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_DEMO_MODE": "true", "CARECHAT_COUNCIL": "north_yorkshire",
        "CARECHAT_RATE_LIMIT_PER_ADDRESS": "100000", "CARECHAT_RATE_LIMIT_PER_SESSION": "1000",
        "CARECHAT_MAX_IN_FLIGHT": "1000",
    })
    from bot.personal.casestore.db import session_factory
    from bot.personal.casestore.demo import load_demo
    from bot.personal.casestore.migrate import upgrade_to_head

    upgrade_to_head(settings.case_store_url)
    load_demo(session_factory(settings.case_store_url), date.today())
    pinned = os.environ.get("CARECHAT_TEST_MODEL")
    stack = Stack(settings, Path(pinned) if pinned else ensure_model(), replicas=2)
    try:
        stack.start(timeout=400, say=lambda line: None)
        yield ScaledStack(stack, settings, postgres, redis)
    finally:
        stack.stop()
        redis.stop()
        postgres.stop()
