"""CARECHAT_SESSION_STORE_URL: empty keeps sessions in memory, a Redis URL shares them, anything else
stops the gateway with one kind line that never repeats a password. No Redis needed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.gateway import create_app
from bot.gateway.app import STORE_KEY
from bot.gateway.portal import USED_SIGNINS_KEY
from bot.gateway.redis_sessions import RedisSessions
from bot.gateway.redis_signins import RedisUsedSignins
from bot.gateway.session_store import MemorySessions
from bot.ops.production_checks import gateway_problem
from bot.ops.stack import service_env
from bot.personal.portal_signin import AwaitableUsedSignins
from bot.settings import ConfigurationError, load_settings, session_store_problem
from tests.unit.gateway_fakes import NoSignal

ROOT = Path(__file__).resolve().parents[2]
SECRET = "session-store-setting-test-secret-long-enough-0123456789"

GOOD = ["redis://localhost", "redis://redis-host:6379/0", "redis://10.0.0.5:6380/3", "rediss://cache.example:6380/0",
        "redis://:s3cret@redis-host:6379/0", "redis://carechat:s3cret@redis-host/1", "redis://[::1]:6379/0",
        "REDIS://redis-host:6379/"]
BAD = {
    "http://redis-host:6379/0": "redis://",
    "redis-host:6379": "redis://",
    "unix:///var/run/redis.sock": "redis://",
    "redis://": "no host",
    "redis://:s3cret@/0": "no host",
    "redis://redis-host:port/0": "port",
    "redis://redis-host:70000/0": "port",
    "redis://redis-host:0/0": "port",
    "redis://:s3cret@redis-host:6379/sessions": "database number",
    "redis://redis-host:6379/0?ssl_cert_reqs=none": "query",
}


def settings_with(url: str, **env: str):
    return load_settings({"CARECHAT_SESSION_STORE_URL": url, "CARECHAT_TOKEN_SECRET": SECRET,
                          "CARECHAT_COUNCIL": "calderdale", **env})


def test_unset_or_empty_means_memory() -> None:
    assert load_settings({}).session_store_url == ""
    assert load_settings({"CARECHAT_SESSION_STORE_URL": "  "}).session_store_url == ""
    assert session_store_problem(load_settings({})) is None


@pytest.mark.parametrize("url", GOOD)
def test_redis_urls_are_accepted(url: str) -> None:
    assert session_store_problem(settings_with(url)) is None


@pytest.mark.parametrize("url,says", sorted(BAD.items()))
def test_anything_else_is_one_kind_line_that_never_repeats_the_url(url: str, says: str) -> None:
    problem = session_store_problem(settings_with(url))
    assert problem is not None and "\n" not in problem
    assert problem.startswith("CARECHAT_SESSION_STORE_URL is not a Redis URL") and says in problem
    assert "s3cret" not in problem and "redis-host" not in problem  # the URL is never repeated
    assert "redis://host:6379/0" in problem  # says what to write instead


def test_create_app_and_the_production_check_refuse_a_bad_url() -> None:
    settings = settings_with("http://:s3cret@redis-host:6379/0")
    with pytest.raises(ConfigurationError, match="CARECHAT_SESSION_STORE_URL") as raised:
        create_app(settings, matcher=NoSignal())
    assert "s3cret" not in str(raised.value)
    assert gateway_problem(settings) == session_store_problem(settings)
    # Reported whatever else is wrong: the unsafe secret is listed separately by production_problems.
    assert gateway_problem(settings_with("redis://", CARECHAT_TOKEN_SECRET="short")) is not None


def test_the_gateway_refuses_to_start_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARECHAT_")}
    env.update({"CARECHAT_DEMO_MODE": "false", "CARECHAT_VAR_DIR": str(tmp_path), "GATEWAY_PORT": "1",
                "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_SESSION_STORE_URL": "redis://:s3cret@redis-host:6379/x"})
    result = subprocess.run([sys.executable, "-m", "bot.gateway"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "CARECHAT_SESSION_STORE_URL" in lines[0] and "s3cret" not in lines[0]


def test_memory_by_default_and_redis_when_configured() -> None:
    memory = create_app(settings_with(""), matcher=NoSignal())
    assert isinstance(memory[STORE_KEY], MemorySessions)
    assert isinstance(memory[USED_SIGNINS_KEY], AwaitableUsedSignins)
    shared = create_app(settings_with("redis://127.0.0.1:1/0"), matcher=NoSignal())  # nothing connects yet
    assert isinstance(shared[STORE_KEY], RedisSessions)
    assert isinstance(shared[USED_SIGNINS_KEY], RedisUsedSignins)
    assert shared[STORE_KEY].link is shared[USED_SIGNINS_KEY].link  # one client per gateway


def test_every_service_gets_the_setting() -> None:
    assert service_env(settings_with("redis://redis-host:6379/2"))["CARECHAT_SESSION_STORE_URL"] == \
        "redis://redis-host:6379/2"
    assert service_env(settings_with(""))["CARECHAT_SESSION_STORE_URL"] == ""
