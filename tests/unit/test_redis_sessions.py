"""Sessions in a shared Redis: two gateways serve one browser, a restart signs nobody out, and Redis
being down costs a kind 503 but never the safety reply. Against a real redis-server (tests/redis_fixture.py)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, AsyncIterator, Optional

import aiohttp
import jwt
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.gateway import api_errors, create_app
from bot.gateway.portal import PORTAL_SIGNIN_PATH, SIGNIN_FAILED
from bot.gateway.redis_link import KEY_PREFIX, RedisLink, hashed_key
from bot.gateway.redis_sessions import RedisSessions, session_key
from bot.gateway.redis_signins import SIGNIN_KIND
from bot.gateway.security import runner_options
from bot.gateway.sessions import COOKIE_NAME
from bot.personal.portal_signin import LEEWAY_SECONDS, mint_signin_token
from bot.settings import Settings, load_settings
from tests.redis_fixture import RedisServer, redis_server  # noqa: F401 - the session-scoped fixture
from tests.unit.gateway_fakes import FakeRasa

SECRET = "redis-session-test-secret-that-is-long-enough-0123456789"
PEOPLE = [{"case_ref": "FAKE-1", "display_name": "Pretend Pat", "situation": "test person"}]
DISCLOSURE = "i want to kill myself"  # flagged by the stub matcher below


class StubMatcher:
    """Flags DISCLOSURE only, so these tests do not need the shipped lexicon."""

    def check(self, text: str) -> Any:
        return SimpleNamespace(tier="risk") if text == DISCLOSURE else None


class Browser:
    """One browser's cookie, carried by hand, so the same browser can talk to any gateway (as behind a load balancer)."""

    def __init__(self) -> None:
        self.cookie: Optional[str] = None

    async def request(self, client: TestClient, method: str, path: str, **kwargs: Any) -> aiohttp.ClientResponse:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookie is not None:
            headers["Cookie"] = f"{COOKIE_NAME}={self.cookie}"
        response = await client.request(method, path, headers=headers, **kwargs)
        if COOKIE_NAME in response.cookies:
            self.cookie = response.cookies[COOKIE_NAME].value
        return response

    async def state(self, client: TestClient) -> dict[str, Any]:
        response = await self.request(client, "GET", "/api/session")
        assert response.status == 200
        return await response.json()

    async def chat(self, client: TestClient, message: str = "hi", **body: Any) -> tuple[int, dict]:
        response = await self.request(client, "POST", "/api/chat", json={"message": message, **body})
        return response.status, await response.json()

    async def sign_in(self, client: TestClient) -> None:
        response = await self.request(client, "POST", "/api/demo/signin", json={"case_ref": "FAKE-1"})
        assert response.status == 200 and (await response.json())["signed_in"] is True


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:  # noqa: F811 - the fixture imported above
    """The shared Redis, running and empty."""
    redis_server.ensure_running()
    redis_server.flush()
    return redis_server.url


@pytest_asyncio.fixture
async def inspect(redis_url: str) -> AsyncIterator[Redis]:
    """A plain client for looking into Redis from the test."""
    client = Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()



@pytest.fixture
def settings(fake_rasa: tuple[FakeRasa, str], redis_url: str, tmp_path: Path) -> Settings:
    return load_settings({
        "RASA_URL": fake_rasa[1], "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_DEMO_MODE": "true",
        "CARECHAT_COUNCIL": "calderdale", "CARECHAT_SESSION_STORE_URL": redis_url,
        "CARECHAT_RATE_LIMIT_PER_ADDRESS": "1000", "CARECHAT_VAR_DIR": str(tmp_path / "var"),
    })


@contextlib.asynccontextmanager
async def gateway(settings: Settings, **kwargs: Any) -> AsyncIterator[TestClient]:
    """One gateway process (an app of its own: its own memory, its own Redis connections)."""
    kwargs.setdefault("matcher", StubMatcher())
    app = create_app(settings, demo_people=PEOPLE, **kwargs)
    server = TestServer(app)
    await server.start_server(**runner_options())
    client = TestClient(server, cookie_jar=aiohttp.DummyCookieJar())
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def two_gateways(settings: Settings, **kwargs: Any) -> AsyncIterator[tuple[TestClient, TestClient]]:
    async with gateway(settings, **kwargs) as a, gateway(settings, **kwargs) as b:
        yield a, b


# ---- any gateway serves any browser ---------------------------------------------------------------


async def test_a_session_started_on_one_gateway_is_served_by_another(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    browser = Browser()
    async with two_gateways(settings) as (a, b):
        assert await browser.chat(a, "one", audience="child") == (200, {"messages": [{"text": "hello"}]})
        first_cookie = browser.cookie
        assert await browser.chat(b, "two") == (200, {"messages": [{"text": "hello"}]})
        assert browser.cookie == first_cookie  # B knew the session: no new cookie
        assert fake.received[0]["sender"] == fake.received[1]["sender"]  # one conversation throughout
        assert fake.received[1]["metadata"]["audience"] == "child"  # the audience set on A, saved for B
        assert (await browser.state(b))["audience"] == "child"


async def test_sign_in_on_one_gateway_is_seen_on_the_other_and_sign_out_on_it_ends_it_everywhere(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    browser = Browser()
    async with two_gateways(settings) as (a, b):
        await browser.request(a, "POST", "/api/restart")
        anonymous_id = browser.cookie
        await browser.sign_in(a)
        signed_in_id = browser.cookie
        assert signed_in_id != anonymous_id  # rotated at sign-in
        state = await browser.state(b)
        assert state["signed_in"] is True and state["display_name"] == "Pretend Pat"
        assert (await browser.chat(b))[0] == 200
        assert "carechat_token" in fake.received[-1]["metadata"]
        for gw in (a, b):  # the id from before sign-in is dead on every gateway
            assert (await browser_with(anonymous_id).state(gw))["signed_in"] is False

        signout = await browser.request(b, "POST", "/api/signout")
        assert signout.status == 200 and (await signout.json())["signed_in"] is False
        assert browser.cookie != signed_in_id  # rotated at sign-out
        stale = browser_with(signed_in_id)
        assert (await stale.state(a))["signed_in"] is False  # dead on A at once
        assert (await stale.chat(a))[0] == 200
        assert "carechat_token" not in fake.received[-1]["metadata"]
        assert stale.cookie != signed_in_id  # a fresh anonymous session, not the old one back
        assert (await browser.state(a))["signed_in"] is False


def browser_with(cookie: Optional[str]) -> Browser:
    """A browser holding ``cookie`` (an id seen earlier)."""
    browser = Browser()
    browser.cookie = cookie
    return browser


async def test_a_gateway_restart_keeps_the_person_signed_in(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    browser = Browser()
    async with gateway(settings) as first:
        await browser.sign_in(first)
        await browser.chat(first, "before", audience="parent")
    async with gateway(settings) as restarted:  # a new process: nothing in memory
        state = await browser.state(restarted)
        assert state == {"signed_in": True, "display_name": "Pretend Pat", "demo_mode": True, "audience": "parent"}
        assert (await browser.chat(restarted, "after"))[0] == 200
    assert fake.received[0]["sender"] == fake.received[1]["sender"]
    assert "carechat_token" in fake.received[1]["metadata"]


async def test_start_again_on_one_gateway_is_a_new_conversation_on_the_other(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    browser = Browser()
    async with two_gateways(settings) as (a, b):
        await browser.chat(a, "one")
        assert (await browser.request(a, "POST", "/api/restart")).status == 200
        await browser.chat(b, "two")
    assert fake.received[0]["sender"] != fake.received[1]["sender"]


# ---- limits that hold across gateways -------------------------------------------------------------


async def test_the_per_session_rate_limit_holds_across_gateways(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    browser = Browser()
    async with two_gateways(settings, rate_limit=3) as (a, b):
        statuses = [(await browser.chat(gw))[0] for gw in (a, b, a, b, a)]
        assert statuses == [200, 200, 200, 429, 429]
        assert await browser.chat(b) == (429, {"error": api_errors.RATE_LIMITED})
        assert len(fake.received) == 3


async def test_messages_sent_at_once_through_both_gateways_are_counted_exactly(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    browser = Browser()
    async with two_gateways(settings, rate_limit=5) as (a, b):
        await browser.request(a, "POST", "/api/restart")
        results = await asyncio.gather(*(browser.chat(gw) for gw in (a, b) * 6))
        assert sorted(status for status, _ in results) == [200] * 5 + [429] * 7
        assert len(fake.received) == 5  # the count is one atomic step in Redis: no lost update


async def test_a_disclosure_over_the_shared_limit_still_gets_the_safety_reply(settings: Settings) -> None:
    from bot.knowledge.safety_reply import safety_reply

    browser = Browser()
    async with two_gateways(settings, rate_limit=1) as (a, b):
        assert (await browser.chat(a))[0] == 200
        assert await browser.chat(b, DISCLOSURE) == (
            200, {"messages": [{"text": safety_reply("calderdale")}], "fallback": True})


# ---- ids: rotation, idle expiry, what Redis holds -------------------------------------------------


async def test_idle_sessions_expire_and_each_use_restarts_the_clock(redis_url: str, settings: Settings) -> None:
    link = RedisLink(redis_url)
    store = RedisSessions(link, idle_seconds=1.0)
    browser = Browser()
    try:
        async with two_gateways(settings, session_store=store) as (a, b):
            await browser.sign_in(a)
            for gw in (b, a, b, a):  # used every 0.5 s for 2 s: longer than the idle time, never idle
                await asyncio.sleep(0.5)
                assert (await browser.state(gw))["signed_in"] is True
            await asyncio.sleep(1.3)
            assert (await browser.state(b))["signed_in"] is False
    finally:
        await link.close()


async def test_redis_holds_no_cookie_id_and_each_session_expires(
    settings: Settings, inspect: Redis
) -> None:
    browser = Browser()
    async with gateway(settings) as a:
        await browser.sign_in(a)
        await browser.chat(a, "hello there")
    keys = await inspect.keys("*")
    assert keys == [session_key(browser.cookie)]
    assert all(key.startswith(KEY_PREFIX) and browser.cookie not in key for key in keys)
    assert 0 < await inspect.pttl(keys[0]) <= 30 * 60 * 1000
    stored = await inspect.hgetall(keys[0])
    assert set(stored) == {"sender_id", "case_ref", "display_name", "recent"}
    assert browser.cookie not in str(stored) and "hello there" not in str(stored)


async def test_a_late_save_never_brings_a_rotated_id_back(redis_url: str) -> None:
    link = RedisLink(redis_url)
    store = RedisSessions(link)
    try:
        old_id, session = await store.create()
        late_copy = await store.get(old_id)  # a request still running on the old id
        new_id = await store.rotate(old_id, session)
        late_copy.audience = "child"
        await store.save(old_id, late_copy, ["audience"])
        assert await store.get(old_id) is None
        assert (await store.get(new_id)).sender_id == session.sender_id
    finally:
        await link.close()


# ---- the portal link is used once, whichever gateway -----------------------------------------------


async def test_a_portal_link_used_on_one_gateway_is_refused_on_the_other(
    settings: Settings, inspect: Redis
) -> None:
    token = mint_signin_token("PORTAL-9", settings, name="Robin", ttl_seconds=60)
    async with two_gateways(settings) as (a, b):
        first = await Browser().request(a, "POST", PORTAL_SIGNIN_PATH, json={"token": token})
        assert first.status == 200 and (await first.json())["display_name"] == "Robin"
        again = await Browser().request(b, "POST", PORTAL_SIGNIN_PATH, json={"token": token})
        assert again.status == 401 and await again.json() == {"error": SIGNIN_FAILED}
    claims = jwt.decode(token, options={"verify_signature": False})
    remaining_ms = (claims["exp"] + LEEWAY_SECONDS - time.time()) * 1000
    ttl = await inspect.pttl(hashed_key(SIGNIN_KIND, claims["jti"]))
    assert 0 < ttl <= remaining_ms + 1000  # remembered exactly as long as the link could still work


async def test_the_same_link_at_the_same_moment_on_both_gateways_signs_in_once(settings: Settings) -> None:
    token = mint_signin_token("PORTAL-9", settings)
    async with two_gateways(settings) as (a, b):
        responses = await asyncio.gather(*(Browser().request(gw, "POST", PORTAL_SIGNIN_PATH, json={"token": token})
                                           for gw in (a, b) * 4))
        assert sorted(r.status for r in responses) == [200] + [401] * 7


# ---- Redis down, and back ------------------------------------------------------------------------


async def test_redis_down_is_a_kind_503_the_safety_reply_still_goes_out_and_redis_back_is_the_same_session(
    settings: Settings, fake_rasa: tuple[FakeRasa, str], redis_server: RedisServer,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    from bot.knowledge.safety_reply import safety_reply

    caplog.set_level(logging.DEBUG)
    fake, _ = fake_rasa
    browser = Browser()
    down = {"error": api_errors.STORE_DOWN}
    try:
        async with two_gateways(settings) as (a, b):
            await browser.sign_in(a)
            await browser.chat(a, "before")
            signed_in_id = browser.cookie
            redis_server.stop()

            state = await browser.request(b, "GET", "/api/session")
            assert state.status == 503 and await state.json() == down
            assert "Set-Cookie" not in state.headers  # no silent new anonymous session
            assert await browser.chat(a, "are you there") == (503, down)
            began = time.monotonic()
            status, body = await browser.chat(b, DISCLOSURE)
            assert time.monotonic() - began < 2.0
            assert (status, body) == (200, {"messages": [{"text": safety_reply("calderdale")}], "fallback": True})
            for path in ("/api/signout", "/api/restart", "/api/demo/signin"):
                response = await browser.request(a, "POST", path, json={"case_ref": "FAKE-1"})
                assert response.status == 503 and await response.json() == down
            newcomer = await Browser().request(b, "POST", "/api/restart")
            assert newcomer.status == 503 and "Set-Cookie" not in newcomer.headers
            portal = await Browser().request(a, "POST", PORTAL_SIGNIN_PATH,
                                             json={"token": mint_signin_token("PORTAL-9", settings)})
            assert portal.status == 503 and await portal.json() == down
            assert len(fake.received) == 1 and browser.cookie == signed_in_id

            redis_server.start()  # same folder: the append-only file brings every session back
            state = await browser.state(b)
            assert state["signed_in"] is True and state["display_name"] == "Pretend Pat"
            assert await browser.chat(a, "after") == (200, {"messages": [{"text": "hello"}]})
            assert browser.cookie == signed_in_id
            assert fake.received[0]["sender"] == fake.received[1]["sender"]
    finally:
        redis_server.ensure_running()
    logged = caplog.text
    assert "session store unavailable: ConnectionError" in logged
    for secret in (signed_in_id, "FAKE-1", "Pretend Pat", "are you there", DISCLOSURE, "before", "after",
                   f"127.0.0.1:{redis_server.port}"):
        assert secret not in logged


async def test_a_redis_restart_keeps_sessions_with_the_append_only_file(
    settings: Settings, redis_server: RedisServer  # noqa: F811
) -> None:
    browser = Browser()
    async with gateway(settings) as a:
        await browser.sign_in(a)
        redis_server.restart()
        assert (await browser.state(a))["signed_in"] is True  # the gateway's old connection is replaced


async def test_delete_this_chat_on_one_gateway_starts_a_new_conversation_on_the_other(
    settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    browser = Browser()
    async with two_gateways(settings) as (a, b):
        await browser.chat(a, "one")
        deleted = await browser.request(a, "POST", "/api/chat/delete")
        assert deleted.status == 200 and (await deleted.json())["deleted"] is True
        await browser.chat(b, "two")
    assert fake.received[0]["sender"] != fake.received[1]["sender"]
