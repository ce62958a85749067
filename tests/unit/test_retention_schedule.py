"""The running gateway purges old conversations on a schedule, on SQLite and PostgreSQL, without a restart."""
from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from types import SimpleNamespace

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.exc import OperationalError

from bot.gateway import create_app
from bot.gateway import retention_schedule
from bot.gateway.retention_schedule import RETENTION_TASK_KEY, add_retention_schedule
from bot.ops import retention
from bot.settings import ConfigurationError, load_settings
from tests.unit.gateway_fakes import NoSignal

SECRET = "retention-schedule-secret-long-enough-0123456789"
DAY = 86400.0
INTERVAL = 0.2


def make_settings(tmp_path, tracker_url: str, interval: float = INTERVAL, days: str = "30"):
    return load_settings({
        "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_VAR_DIR": str(tmp_path / "var"), "CARECHAT_COUNCIL": "calderdale",
        "TRACKER_STORE_URL": tracker_url, "CARECHAT_PURGE_INTERVAL_SECONDS": str(interval),
        "CARECHAT_RETENTION_DAYS": days, "RASA_URL": "http://127.0.0.1:9",
    })


async def start(settings) -> TestClient:
    app = create_app(settings, matcher=NoSignal())
    add_retention_schedule(app, settings)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(condition):
            return True
        await asyncio.sleep(0.05)
    return False


def closed_port_url() -> str:
    """A PostgreSQL URL on a loopback port where nothing listens (refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+psycopg://carechat:pw@127.0.0.1:{port}/carechat"


async def test_old_conversations_go_while_running_and_recent_ones_stay(tmp_path, case_store_url, writer, caplog):
    now = time.time()
    writer.conversation("old-sender-1", now - 40 * DAY, ["words from long ago"])
    writer.conversation("recent-sender", now - 2 * DAY, ["words from this week"])
    caplog.set_level(logging.INFO, logger="bot.gateway.retention_schedule")
    client = await start(make_settings(tmp_path, case_store_url))
    try:
        assert await until(lambda: writer.senders() == ["recent-sender"])
        # Still running: a conversation that ages past the limit later goes at a later run, no restart.
        writer.conversation("old-sender-2", now - 31 * DAY, ["more old words"])
        assert await until(lambda: writer.senders() == ["recent-sender"])
        assert writer.count("recent-sender") > 0
        task = client.app[RETENTION_TASK_KEY]
    finally:
        await client.close()
    assert task.done() and not task.cancelled() and task.exception() is None  # stopped cleanly
    assert "scheduled purge: 1 conversation(s)" in caplog.text
    for secret in ("old-sender-1", "old-sender-2", "recent-sender", "words from", "more old words"):
        assert secret not in caplog.text  # counts only


async def test_a_failed_run_is_logged_and_the_next_one_still_purges(tmp_path, case_store_url, writer, monkeypatch,
                                                                     caplog):
    writer.conversation("old", time.time() - 40 * DAY, ["old words"])
    real = retention_schedule.purge_older_than
    calls = SimpleNamespace(n=0)

    def fails_first(engine, days):
        calls.n += 1
        if calls.n == 1:
            raise OperationalError("DELETE FROM events WHERE sender_id = 'old'", {}, Exception("database is locked"))
        return real(engine, days)

    monkeypatch.setattr(retention_schedule, "purge_older_than", fails_first)
    client = await start(make_settings(tmp_path, case_store_url))
    try:
        assert await until(lambda: writer.senders() == [])
    finally:
        await client.close()
    assert calls.n >= 2
    assert "scheduled purge failed (OperationalError)" in caplog.text
    assert "sender_id" not in caplog.text and "database is locked" not in caplog.text  # the type only


async def test_a_database_that_is_down_does_not_stop_the_gateway(tmp_path, caplog):
    client = await start(make_settings(tmp_path, closed_port_url()))
    try:
        assert await until(lambda: caplog.text.count("scheduled purge failed (OperationalError)") >= 2)
        page = await client.get("/")
        assert page.status == 200
        task = client.app[RETENTION_TASK_KEY]
        assert not task.done()  # still scheduled after failures
    finally:
        await client.close()
    assert task.done() and task.exception() is None
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith(("bot.gateway.retention", "bot.ops")))
    assert "pw@" not in ours and "127.0.0.1" not in ours and "carechat" not in ours


async def test_shutdown_waits_for_a_purge_in_progress(tmp_path, monkeypatch):
    started, finished = threading.Event(), threading.Event()

    def slow_purge(engine, days):
        started.set()
        time.sleep(0.5)
        finished.set()
        return retention.PurgeResult(0, 0)

    monkeypatch.setattr(retention_schedule, "purge_older_than", slow_purge)
    client = await start(make_settings(tmp_path, f"sqlite:///{tmp_path / 'tracker.sqlite'}"))
    assert await until(started.is_set)
    await client.close()
    assert finished.is_set()
    assert client.app[RETENTION_TASK_KEY].done()


async def test_the_first_run_comes_soon_after_start_even_with_a_long_interval(tmp_path, monkeypatch):
    monkeypatch.setattr(retention_schedule, "FIRST_RUN_DELAY_SECONDS", 0.1)
    ran = threading.Event()
    monkeypatch.setattr(retention_schedule, "purge_older_than",
                        lambda engine, days: ran.set() or retention.PurgeResult(0, 0))
    client = await start(make_settings(tmp_path, f"sqlite:///{tmp_path / 'tracker.sqlite'}", interval=3600))
    try:
        assert await until(ran.is_set, timeout=3)
    finally:
        await client.close()


@pytest.mark.parametrize("change, says", [
    ({"TRACKER_STORE_URL": "mysql://u:p@db/x"}, "'mysql'"),
    ({"CARECHAT_PURGE_INTERVAL_SECONDS": "0"}, "CARECHAT_PURGE_INTERVAL_SECONDS"),
    ({"CARECHAT_PURGE_INTERVAL_SECONDS": "nan"}, "CARECHAT_PURGE_INTERVAL_SECONDS"),
    ({"CARECHAT_RETENTION_DAYS": "-1"}, "CARECHAT_RETENTION_DAYS"),
])
def test_settings_that_would_keep_conversations_for_ever_are_refused(tmp_path, change, says):
    env = {"CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_VAR_DIR": str(tmp_path), **change}
    settings = load_settings(env)
    with pytest.raises(ConfigurationError, match=says):  # from create_app (the URL) or the schedule
        add_retention_schedule(create_app(settings, matcher=NoSignal()), settings)
