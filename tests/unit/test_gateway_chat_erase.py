""""Delete this chat": POST /api/chat/delete erases the session's conversation from the tracker store.

A fake Rasa answers the gateway and, like the real one, writes each turn into the tracker store
under the sender id the gateway sent (TrackerWriter mirrors Rasa's table and events), on SQLite
and on PostgreSQL.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Any, AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import create_app
from bot.gateway.chat_erase import DELETE_FAILED
from bot.settings import ConfigurationError, load_settings
from tests.unit.test_retention_rasa_events import TrackerWriter
from tests.unit.gateway_fakes import NoSignal

SECRET = "chat-erase-test-secret-that-is-long-enough-0123456789"
PEOPLE = [{"case_ref": "FAKE-1", "display_name": "Pretend Pat", "situation": "test person"}]


class RasaThatRemembers:
    """A Rasa REST channel stand-in that stores every turn in the tracker store, as Rasa does."""

    def __init__(self, writer: TrackerWriter | None) -> None:
        self.writer = writer
        self.senders: list[str] = []

    async def webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.senders.append(body["sender"])
        if self.writer is not None:
            token = (body.get("metadata") or {}).get("carechat_token")
            self.writer.conversation(body["sender"], time.time(), [body["message"]], token=token)
        return web.json_response([{"recipient_id": body["sender"], "text": "Here is what I know."}])


@pytest_asyncio.fixture
async def rasa_url_and_fake() -> AsyncIterator[tuple[str, RasaThatRemembers]]:
    """A fake Rasa that stores nothing (the tracker store under test is broken)."""
    fake = RasaThatRemembers(None)
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", fake.webhook)
    server = TestServer(app)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), fake
    finally:
        await server.close()


def settings_for(tmp_path, rasa_url: str, tracker_url: str):
    return load_settings({
        "RASA_URL": rasa_url, "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_DEMO_MODE": "true",
        "CARECHAT_COUNCIL": "calderdale", "CARECHAT_VAR_DIR": str(tmp_path / "var"), "TRACKER_STORE_URL": tracker_url,
    })


async def gateway(settings) -> TestClient:
    app = create_app(settings, demo_people=PEOPLE, matcher=NoSignal())
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest_asyncio.fixture
async def world(tmp_path, case_store_url, writer) -> AsyncIterator[tuple[TestClient, TestClient, RasaThatRemembers]]:
    """Two browsers on one gateway (two sessions), a fake Rasa that writes to the tracker store."""
    fake = RasaThatRemembers(writer)
    rasa = web.Application()
    rasa.router.add_post("/webhooks/rest/webhook", fake.webhook)
    rasa_server = TestServer(rasa)
    await rasa_server.start_server()
    settings = settings_for(tmp_path, str(rasa_server.make_url("")).rstrip("/"), case_store_url)
    me = await gateway(settings)
    other = TestClient(me.server)  # same gateway, its own cookie jar
    await other.start_server()
    try:
        yield me, other, fake
    finally:
        await other.close()
        await me.close()
        await rasa_server.close()


async def test_delete_erases_this_chat_and_starts_a_new_one(world, writer, caplog) -> None:
    me, other, fake = world
    caplog.set_level(logging.INFO)
    await me.post("/api/chat", json={"message": "my private words", "audience": "young_person"})
    await me.post("/api/chat", json={"message": "more private words"})
    await other.post("/api/chat", json={"message": "someone else's words"})
    mine, theirs = fake.senders[0], fake.senders[2]
    assert writer.count(mine) > 0

    response = await me.post("/api/chat/delete")  # no body, as the page sends it
    assert response.status == 200
    assert await response.json() == {"deleted": True, "signed_in": False, "display_name": None, "demo_mode": True,
                                     "audience": "young_person"}
    assert writer.count(mine) == 0
    assert writer.count(theirs) > 0  # nobody else's chat is touched

    await me.post("/api/chat", json={"message": "after deleting"})
    assert fake.senders[-1] != mine  # a new conversation
    for secret in (mine, "private words"):
        assert secret not in caplog.text


async def test_delete_keeps_a_signed_in_person_signed_in(world, writer) -> None:
    me, _, fake = world
    await me.post("/api/demo/signin", json={"case_ref": "FAKE-1"})
    await me.post("/api/chat", json={"message": "when is my review"})
    before = fake.senders[-1]
    body = await (await me.post("/api/chat/delete", data=b"", headers={"Content-Type": "text/plain"})).json()
    assert body["deleted"] is True and body["signed_in"] is True and body["display_name"] == "Pretend Pat"
    assert writer.count(before) == 0
    await me.post("/api/chat", json={"message": "and now"})
    assert fake.senders[-1] != before


async def test_another_site_cannot_delete_a_chat(world, writer) -> None:
    me, _, fake = world
    await me.post("/api/chat", json={"message": "keep this"})
    refused = await me.post("/api/chat/delete", headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status == 403 and "error" in await refused.json()
    assert writer.count(fake.senders[0]) > 0


async def test_delete_is_post_only(world) -> None:
    me, _, _ = world
    response = await me.get("/api/chat/delete")
    assert response.status == 405 and "error" in await response.json()


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+psycopg://carechat:pw@127.0.0.1:{port}/carechat"


@pytest.mark.parametrize("broken", ["postgres_down", "sqlite_not_a_database"])
async def test_a_database_failure_is_kind_and_keeps_the_conversation(tmp_path, rasa_url_and_fake, broken,
                                                                     caplog) -> None:
    rasa_url, fake = rasa_url_and_fake
    if broken == "postgres_down":
        tracker_url = _closed_port_url()
    else:
        garbage = tmp_path / "tracker.sqlite"
        garbage.write_bytes(b"this is not a database file at all" * 200)
        tracker_url = f"sqlite:///{garbage}"
    client = await gateway(settings_for(tmp_path, rasa_url, tracker_url))
    try:
        await client.post("/api/chat", json={"message": "hello"})
        failed = await client.post("/api/chat/delete")
        assert failed.status == 503
        assert await failed.json() == {"error": DELETE_FAILED}
        await client.post("/api/chat", json={"message": "still here"})
        assert fake.senders[0] == fake.senders[1]  # no new conversation: trying again later still deletes it
    finally:
        await client.close()
    assert "chat delete failed (" in caplog.text
    assert "pw@" not in caplog.text and fake.senders[0] not in caplog.text


def test_an_unsupported_tracker_store_is_refused_at_start(tmp_path) -> None:
    settings = settings_for(tmp_path, "http://127.0.0.1:9", "mysql://u:p@db/x")
    with pytest.raises(ConfigurationError, match="'mysql'"):
        create_app(settings, matcher=NoSignal())


# ---- the page, in a real browser (Debian's Chromium via Playwright; skipped where there is none) ----

class GatewayInThread:
    """The gateway (with the delete route) and a remembering fake Rasa, served from a thread of their own,
    because Playwright's sync API cannot run inside the test's event loop."""

    def __init__(self, tmp_path, tracker_url: str, writer: TrackerWriter | None) -> None:
        self.fake = RasaThatRemembers(writer)
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        serve = self._serve(tmp_path, tracker_url)
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(serve,), daemon=True)
        self._thread.start()
        assert self._ready.wait(30), "the gateway did not start"

    async def _serve(self, tmp_path, tracker_url: str) -> None:
        self._stop = asyncio.Event()
        rasa = web.Application()
        rasa.router.add_post("/webhooks/rest/webhook", self.fake.webhook)
        rasa_runner = web.AppRunner(rasa)
        await rasa_runner.setup()
        await web.TCPSite(rasa_runner, "127.0.0.1", 0).start()
        rasa_port = rasa_runner.addresses[0][1]
        app = create_app(settings_for(tmp_path, f"http://127.0.0.1:{rasa_port}", tracker_url),
                         demo_people=PEOPLE, matcher=NoSignal())
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()
        await rasa_runner.cleanup()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)
        self._loop.close()


@pytest.fixture(scope="module")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.e2e import browser as b

    if not b.CHROMIUM.exists():
        pytest.skip(f"no Chromium at {b.CHROMIUM} (scripts/ensure-chromium installs it)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(b.CHROMIUM), headless=True, args=b.LAUNCH_ARGS)
        yield browser
        browser.close()


def open_chat(chromium, url: str):
    """A fresh tab on the chat screen, recording dialogs and console complaints (CSP refusals among them)."""
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.complaints = []
    page.on("dialog", lambda dialog: (page.complaints.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda msg: msg.type in ("error", "warning") and page.complaints.append(msg.text))
    page.goto(url + "/")
    page.click("text=I'm a young person in care")
    page.fill("#message", "my private words")
    page.keyboard.press("Enter")
    page.wait_for_selector("#log li.msg.bot")
    return context, page


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement && document.activeElement.id")


def test_page_deletes_the_chat_in_two_steps_by_keyboard(chromium, tmp_path) -> None:
    writer = TrackerWriter(f"sqlite:///{tmp_path / 'tracker.sqlite'}")
    server = GatewayInThread(tmp_path, f"sqlite:///{tmp_path / 'tracker.sqlite'}", writer)
    context, page = open_chat(chromium, server.url)
    try:
        sender = server.fake.senders[0]
        page.focus("#delete-chat")
        page.keyboard.press("Enter")  # step one: the question, inside the page
        assert page.is_visible("#delete-confirm") and focused_id(page) == "delete-question"
        assert page.get_attribute("#delete-chat", "aria-expanded") == "true"
        from tests.e2e import browser as b
        found = b.violations_by_impact(b.run_axe(page, "delete-confirm"))
        assert not any(impact in b.AXE_BLOCKING for impact in found), found

        page.keyboard.press("Escape")  # changed their mind: nothing deleted, focus back on the button
        assert not page.is_visible("#delete-confirm") and focused_id(page) == "delete-chat"
        assert page.locator("#log li").count() == 2 and writer.count(sender) > 0

        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert focused_id(page) == "delete-yes"
        page.keyboard.press("Enter")  # step two
        page.wait_for_selector("#delete-status:has-text('This chat has been deleted.')")
        assert page.get_attribute("#delete-status", "aria-live") == "polite"
        assert page.locator("#log li").count() == 0 and focused_id(page) == "message"
        assert writer.count(sender) == 0

        page.reload()  # the tab's own copy is gone too (the reader choice stays, so the chat screen shows)
        page.wait_for_selector("#chat")
        assert page.locator("#log li").count() == 0
        assert page.complaints == []  # no window.confirm, nothing the CSP refused
    finally:
        context.close()
        server.close()
        writer.close()


def test_page_says_kindly_when_the_chat_could_not_be_deleted(chromium, tmp_path) -> None:
    garbage = tmp_path / "tracker.sqlite"
    garbage.write_bytes(b"this is not a database file at all" * 200)
    server = GatewayInThread(tmp_path, f"sqlite:///{garbage}", None)
    context, page = open_chat(chromium, server.url)
    try:
        page.click("#delete-chat")
        page.click("#delete-yes")
        page.wait_for_selector(f"#delete-status:has-text(\"{DELETE_FAILED}\")")
        assert "failed" in page.get_attribute("#delete-status", "class")
        assert page.locator("#log li").count() == 2  # still on screen: nothing was deleted
        assert focused_id(page) == "delete-chat"  # ready to try again
        assert [c for c in page.complaints if "dialog" in c] == []
    finally:
        context.close()
        server.close()
