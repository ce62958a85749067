"""What keeps the gateway safe to deploy: limits that dropping the cookie cannot dodge, sessions a
flood cannot push out, a global in-flight limit, the TLS cookie and HSTS, and cross-site POSTs refused."""
from __future__ import annotations

import asyncio
import contextlib
from types import SimpleNamespace
from typing import Any, AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import api_errors, create_app
from bot.gateway import app as gateway_app
from bot.gateway.app import _rotate_session, _session_state, SESSION_KEY
from bot.gateway.security import HSTS, runner_options
from bot.gateway.sessions import COOKIE_NAME, SECURE_COOKIE_NAME, SessionStore, sign_in
from bot.settings import Settings, load_settings

SECRET = "unit-test-secret-that-is-long-enough-for-hs256-0123456789"
PEOPLE = [{"case_ref": "FAKE-1", "display_name": "Pretend Pat", "situation": "test person"}]
DISCLOSURE = "i want to kill myself"  # flagged by the stub matcher below


class StubMatcher:
    """Flags DISCLOSURE only, so the tests do not need the shipped lexicon."""

    def check(self, text: str) -> Any:
        return SimpleNamespace(tier="risk") if text == DISCLOSURE else None


class FakeRasa:
    """Rasa's REST channel; ``hang`` holds every reply until ``release`` is set (a slow Rasa)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()
        self.hang = False
        self.status = 200

    async def webhook(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        self.arrived.set()
        if self.hang:
            await self.release.wait()
        return web.json_response([{"recipient_id": "x", "text": "hello"}], status=self.status)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings_for(rasa_url: str, **env: str) -> Settings:
    values = {"RASA_URL": rasa_url, "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_DEMO_MODE": "true",
              "CARECHAT_COUNCIL": "calderdale"}
    values.update(env)
    return load_settings(values)


@contextlib.asynccontextmanager
async def running(env: dict[str, str] | None = None, *, cookies: bool = True,
                  **kwargs: Any) -> AsyncIterator[tuple[TestClient, web.Application, FakeRasa]]:
    """A fake Rasa and a gateway in front of it; ``cookies=False``: a client that never keeps a cookie."""
    fake = FakeRasa()
    rasa_app = web.Application()
    rasa_app.router.add_post("/webhooks/rest/webhook", fake.webhook)
    rasa = TestServer(rasa_app)
    await rasa.start_server()
    kwargs.setdefault("matcher", StubMatcher())
    app = create_app(settings_for(str(rasa.make_url("")).rstrip("/"), **(env or {})), demo_people=PEOPLE, **kwargs)
    server = TestServer(app)
    await server.start_server(**runner_options())
    client = TestClient(server, **({} if cookies else {"cookie_jar": aiohttp.DummyCookieJar()}))
    await client.start_server()
    try:
        yield client, app, fake
    finally:
        fake.release.set()
        await client.close()
        await rasa.close()


async def chat(client: TestClient, message: str = "hi", **headers: str) -> tuple[int, dict]:
    response = await client.post("/api/chat", json={"message": message}, headers=headers)
    return response.status, await response.json()


def from_address(address: str) -> dict[str, str]:
    """Headers a trusted proxy (the test client's 127.0.0.1) adds for a client at ``address``."""
    return {"X-Forwarded-For": address}


TRUST_LOOPBACK = {"CARECHAT_TRUSTED_PROXIES": "127.0.0.1"}


# ---- per-address limit -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_dropping_the_cookie_does_not_dodge_the_limit() -> None:
    env = {"CARECHAT_RATE_LIMIT_PER_ADDRESS": "5"}
    async with running(env, cookies=False, new_session_limit=100) as (client, _, fake):
        results = [await chat(client) for _ in range(8)]
        assert [status for status, _ in results] == [200] * 5 + [429] * 3
        assert results[-1][1] == {"error": api_errors.RATE_LIMITED}
        assert len(fake.received) == 5


@pytest.mark.asyncio
async def test_all_cookies_of_an_address_count_together() -> None:
    store = SessionStore()
    async with running({"CARECHAT_RATE_LIMIT_PER_ADDRESS": "4"}, new_session_limit=10,
                       session_store=store) as (client, _, fake):
        # A second browser on the same address, keeping its own cookie (unsafe=True: a jar for IP hosts).
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
            for _ in range(2):
                assert (await chat(client))[0] == 200
                async with other.post(client.make_url("/api/chat"), json={"message": "hi"}) as response:
                    assert response.status == 200
            assert (await chat(client))[0] == 429
            async with other.post(client.make_url("/api/chat"), json={"message": "hi"}) as response:
                assert response.status == 429
        assert len(fake.received) == 4 and len(store) == 2  # two sessions, one shared limit


@pytest.mark.asyncio
async def test_each_address_behind_a_trusted_proxy_has_its_own_limit() -> None:
    env = {"CARECHAT_RATE_LIMIT_PER_ADDRESS": "2", **TRUST_LOOPBACK}
    async with running(env, cookies=False, new_session_limit=100) as (client, _, fake):
        first = [(await chat(client, **from_address("203.0.113.1")))[0] for _ in range(3)]
        second = [(await chat(client, **from_address("203.0.113.2")))[0] for _ in range(3)]
        assert first == second == [200, 200, 429]


@pytest.mark.asyncio
async def test_made_up_xff_from_an_untrusted_peer_gets_no_fresh_limit() -> None:
    env = {"CARECHAT_RATE_LIMIT_PER_ADDRESS": "2"}
    async with running(env, cookies=False, new_session_limit=100) as (client, _, _f):
        statuses = [(await chat(client, **from_address(f"198.51.100.{n}")))[0] for n in range(4)]
        assert statuses == [200, 200, 429, 429]


@pytest.mark.asyncio
async def test_address_limit_is_a_sliding_window() -> None:
    clock = FakeClock()
    async with running({"CARECHAT_RATE_LIMIT_PER_ADDRESS": "2"}, clock=clock) as (client, _, _f):
        assert [(await chat(client))[0] for _ in range(3)] == [200, 200, 429]
        clock.now += 60
        assert (await chat(client))[0] == 200


@pytest.mark.asyncio
async def test_worrying_message_over_the_address_limit_still_gets_the_safety_reply() -> None:
    from bot.knowledge.safety_reply import safety_reply

    env = {"CARECHAT_RATE_LIMIT_PER_ADDRESS": "1"}
    async with running(env, cookies=False, new_session_limit=100) as (client, _, fake):
        assert (await chat(client))[0] == 200
        status, body = await chat(client, DISCLOSURE)
        assert status == 200
        assert body == {"messages": [{"text": safety_reply("calderdale")}], "fallback": True}
        assert len(fake.received) == 1  # not forwarded: the limit still protects Rasa
        assert await chat(client) == (429, {"error": api_errors.RATE_LIMITED})


# ---- sessions cannot be flooded away -------------------------------------------------------


@pytest.mark.asyncio
async def test_page_views_start_no_session_and_set_no_cookie() -> None:
    store = SessionStore()
    async with running(session_store=store) as (client, _, _f):
        for path in ("/", "/api/session", "/api/demo/people", "/static/chat.js", "/healthz") * 20:
            response = await client.get(path)
            assert "Set-Cookie" not in response.headers
        state = await (await client.get("/api/session")).json()
        assert state == {"signed_in": False, "display_name": None, "demo_mode": True, "audience": None}
        assert len(store) == 0


@pytest.mark.asyncio
async def test_post_to_an_unknown_api_route_starts_no_session() -> None:
    store = SessionStore()
    async with running(session_store=store) as (client, _, _f):
        for path in ("/api/nothing-here", "/api/session"):  # 404, and 405 (GET only)
            response = await client.post(path, json={})
            assert response.status in (404, 405) and "Set-Cookie" not in response.headers
        assert len(store) == 0


@pytest.mark.asyncio
async def test_the_page_flow_works_with_the_session_starting_on_the_first_post() -> None:
    """What chat.js does: read the state (no cookie yet), chat, sign in (demo), quick-exit beacon."""
    async with running() as (client, _, fake):
        page_headers = {"Sec-Fetch-Site": "same-origin", "Origin": f"http://{client.host}:{client.port}"}
        state = await (await client.get("/api/session")).json()
        assert state["signed_in"] is False
        first = await client.post("/api/chat", json={"message": "one", "audience": "child"}, headers=page_headers)
        assert first.status == 200 and COOKIE_NAME in first.cookies
        assert (await (await client.get("/api/session")).json())["audience"] == "child"
        signin = await client.post("/api/demo/signin", json={"case_ref": "FAKE-1"}, headers=page_headers)
        assert (await signin.json())["signed_in"] is True
        await client.post("/api/chat", json={"message": "two"}, headers=page_headers)
        assert fake.received[0]["sender"] == fake.received[1]["sender"]  # one conversation throughout
        assert "carechat_token" in fake.received[1]["metadata"]
        beacon = await client.post("/api/signout", data=b"", headers={**page_headers, "Content-Type": "text/plain"})
        assert beacon.status == 200
        assert (await (await client.get("/api/session")).json())["signed_in"] is False


@pytest.mark.asyncio
async def test_new_sessions_are_limited_per_address() -> None:
    from bot.knowledge.safety_reply import safety_reply

    store = SessionStore()
    async with running(cookies=False, session_store=store, new_session_limit=3) as (client, _, fake):
        statuses = [(await client.post("/api/restart")).status for _ in range(3)]
        assert statuses == [200, 200, 200] and len(store) == 3
        refused = await client.post("/api/restart")
        assert refused.status == 429 and await refused.json() == {"error": api_errors.RATE_LIMITED}
        assert "Set-Cookie" not in refused.headers
        assert await chat(client) == (429, {"error": api_errors.RATE_LIMITED})
        status, body = await chat(client, DISCLOSURE)  # a worrying first message still gets help at once
        assert status == 200 and body == {"messages": [{"text": safety_reply("calderdale")}], "fallback": True}
        assert len(store) == 3 and fake.received == []


@pytest.mark.asyncio
async def test_new_session_limit_follows_the_per_address_message_limit() -> None:
    async with running({"CARECHAT_RATE_LIMIT_PER_ADDRESS": "9"}) as (_, app, _f):
        assert app[gateway_app.NEW_SESSION_LIMIT_KEY].limit == 3
        assert app[gateway_app.ADDRESS_LIMIT_KEY].limit == 9


@pytest.mark.asyncio
async def test_a_flood_of_new_sessions_signs_nobody_out() -> None:
    store = SessionStore(max_sessions=5)
    async with running(TRUST_LOOPBACK, session_store=store) as (client, _, fake):
        assert (await (await client.post("/api/demo/signin", json={"case_ref": "FAKE-1"})).json())["signed_in"]
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as flood:
            for n in range(200):  # from 200 addresses, so no per-address limit stops it
                address = from_address(f"10.9.{n // 250}.{n % 250}")
                async with flood.post(client.make_url("/api/restart"), headers=address) as response:
                    assert response.status == 200
        assert len(store) <= 5
        state = await (await client.get("/api/session")).json()
        assert state["signed_in"] is True and state["display_name"] == "Pretend Pat"
        assert (await chat(client))[0] == 200
        assert "carechat_token" in fake.received[-1]["metadata"]


@pytest.mark.asyncio
async def test_a_route_added_later_can_sign_in_on_the_first_request() -> None:
    """How the portal sign-in will work: a POST route calling sign_in, _rotate_session, _session_state."""

    async def pretend_signin(request: web.Request) -> web.Response:
        sign_in(request[SESSION_KEY], "FAKE-9", "Later Route")
        _rotate_session(request)
        return web.json_response(_session_state(request))

    settings = settings_for("http://127.0.0.1:9")
    app = create_app(settings, matcher=StubMatcher())
    app.router.add_post("/api/test/signin", pretend_signin)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        response = await client.post("/api/test/signin", data=b"")
        assert response.status == 200 and (await response.json())["signed_in"] is True
        assert COOKIE_NAME in response.cookies
        assert (await (await client.get("/api/session")).json())["display_name"] == "Later Route"
        cross = await client.post("/api/test/signin", headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status == 403  # the cross-site check covers routes added after create_app
    finally:
        await client.close()


# ---- global in-flight limit ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_turns_beyond_max_in_flight_are_answered_busy_without_forwarding() -> None:
    from bot.knowledge.safety_reply import safety_reply

    env = {"CARECHAT_MAX_IN_FLIGHT": "2", **TRUST_LOOPBACK}
    async with running(env, cookies=False) as (client, _, fake):
        fake.hang = True
        held = [asyncio.create_task(chat(client, **from_address(f"203.0.113.{n}"))) for n in (1, 2)]
        while len(fake.received) < 2:
            await asyncio.wait_for(fake.arrived.wait(), 5)
            fake.arrived.clear()
        status, body = await chat(client, **from_address("203.0.113.3"))
        assert status == 503
        assert body["error"].startswith("CareChat is very busy right now. Please try again in a moment.")
        assert body == {"error": api_errors.BUSY} and "999" in body["error"]
        status, body = await chat(client, DISCLOSURE, **from_address("203.0.113.4"))
        assert status == 200 and body == {"messages": [{"text": safety_reply("calderdale")}], "fallback": True}
        assert len(fake.received) == 2  # neither was forwarded
        fake.release.set()
        assert [(await task)[0] for task in held] == [200, 200]
        assert (await chat(client, **from_address("203.0.113.5")))[0] == 200  # the turns were given back


@pytest.mark.asyncio
async def test_failed_and_cut_short_turns_give_their_place_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gateway_app, "SAFETY_DEADLINE_SECONDS", 0.2)
    async with running({"CARECHAT_MAX_IN_FLIGHT": "1"}) as (client, app, fake):
        fake.status = 500
        for _ in range(3):
            assert (await chat(client))[0] == 502
        fake.status, fake.hang = 200, True
        for _ in range(3):
            status, body = await chat(client, DISCLOSURE)  # Rasa misses the safety deadline
            assert status == 200 and body["fallback"] is True
        assert app[gateway_app.IN_FLIGHT_KEY].count == 0
        fake.hang = False
        fake.release.set()
        assert await chat(client) == (200, {"messages": [{"text": "hello"}]})


# ---- cookie and TLS ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_secure_deployment_uses_a_host_prefixed_secure_cookie() -> None:
    async with running({"CARECHAT_SECURE_COOKIES": "true"}, cookies=False) as (client, _, _f):
        response = await client.post("/api/demo/signin", json={"case_ref": "FAKE-1"})
        header = response.headers["Set-Cookie"]
        assert header.startswith(f"{SECURE_COOKIE_NAME}=")
        attributes = [part.strip().lower() for part in header.split(";")[1:]]
        assert {"secure", "httponly", "path=/", "samesite=strict"} <= set(attributes)
        assert not any(part.startswith("domain") for part in attributes)
        session_id = response.cookies[SECURE_COOKIE_NAME].value
        signed_in = await client.get("/api/session", headers={"Cookie": f"{SECURE_COOKIE_NAME}={session_id}"})
        assert (await signed_in.json())["signed_in"] is True
        # The plain name is not read when the __Host- one is in use.
        plain = await client.get("/api/session", headers={"Cookie": f"{COOKIE_NAME}={session_id}"})
        assert (await plain.json())["signed_in"] is False


@pytest.mark.asyncio
@pytest.mark.parametrize("method,path", [("GET", "/"), ("GET", "/static/chat.js"), ("GET", "/api/session"),
                                         ("GET", "/healthz"), ("GET", "/no-such-page"), ("POST", "/api/chat"),
                                         ("POST", "/api/restart")])
async def test_every_response_carries_hsts_when_secure(method: str, path: str) -> None:
    async with running({"CARECHAT_SECURE_COOKIES": "true"}) as (client, _, _f):
        response = await client.request(method, path, json={"message": ""})
        assert response.headers["Strict-Transport-Security"] == HSTS == "max-age=31536000"


@pytest.mark.asyncio
async def test_plain_deployment_has_no_hsts_and_the_plain_cookie() -> None:
    async with running() as (client, _, _f):
        page = await client.get("/")
        assert "Strict-Transport-Security" not in page.headers
        response = await client.post("/api/restart")
        assert "Strict-Transport-Security" not in response.headers
        header = response.headers["Set-Cookie"]
        assert header.startswith(f"{COOKIE_NAME}=") and "secure" not in header.lower()
        assert "HttpOnly" in header and "SameSite=Strict" in header


# ---- cross-site POSTs refused -----------------------------------------------------------------


POST_ROUTES = ["/api/chat", "/api/signout", "/api/restart", "/api/demo/signin"]


@pytest.mark.asyncio
@pytest.mark.parametrize("path", POST_ROUTES)
@pytest.mark.parametrize("site", ["cross-site", "same-site", "Cross-Site"])
async def test_a_post_another_site_made_is_refused(path: str, site: str) -> None:
    store = SessionStore()
    async with running(session_store=store) as (client, _, fake):
        response = await client.post(path, json={"message": "hi", "case_ref": "FAKE-1"},
                                     headers={"Sec-Fetch-Site": site})
        assert response.status == 403
        assert await response.json() == {"error": api_errors.CROSS_SITE}
        assert "Set-Cookie" not in response.headers
        assert fake.received == [] and len(store) == 0


@pytest.mark.asyncio
async def test_cross_site_refusal_keeps_the_signed_in_session_untouched() -> None:
    async with running() as (client, _, fake):
        await client.post("/api/demo/signin", json={"case_ref": "FAKE-1"})
        forged = await client.post("/api/signout", headers={"Sec-Fetch-Site": "cross-site"})
        assert forged.status == 403
        assert (await (await client.get("/api/session")).json())["signed_in"] is True


@pytest.mark.asyncio
@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:1", "https://127.0.0.1",
                                    "not an origin"])
async def test_without_fetch_metadata_a_foreign_origin_is_refused(origin: str) -> None:
    async with running() as (client, _, fake):
        if origin == "https://127.0.0.1":
            origin = f"https://127.0.0.1:{client.port}"  # same host and port, other scheme
        status, body = await chat(client, Origin=origin)
        assert (status, body) == (403, {"error": api_errors.CROSS_SITE})
        assert fake.received == []


@pytest.mark.asyncio
@pytest.mark.parametrize("headers", [
    {},  # not a browser (scripts, tests)
    {"Sec-Fetch-Site": "same-origin"},
    {"Sec-Fetch-Site": "none"},
    {"Origin": "OWN"},
    {"Sec-Fetch-Site": "same-origin", "Origin": "null"},  # the page's no-referrer policy can null the Origin
])
async def test_the_pages_own_posts_are_allowed(headers: dict[str, str]) -> None:
    async with running() as (client, _, fake):
        headers = {k: (f"http://{client.host}:{client.port}" if v == "OWN" else v) for k, v in headers.items()}
        assert (await chat(client, **headers))[0] == 200
        assert len(fake.received) == 1


@pytest.mark.asyncio
async def test_quick_exit_beacon_signs_out_in_old_browsers_too() -> None:
    """An old browser sends no Sec-Fetch-Site, and the page's no-referrer policy makes the beacon's Origin null."""
    async with running() as (client, _, _f):
        await client.post("/api/demo/signin", json={"case_ref": "FAKE-1"})
        beacon = await client.post("/api/signout", data=b"", headers={"Origin": "null", "Content-Type": "text/plain"})
        assert beacon.status == 200
        assert (await (await client.get("/api/session")).json())["signed_in"] is False
        # ...but a null Origin gets nothing else through.
        assert (await client.post("/api/restart", headers={"Origin": "null"})).status == 403


@pytest.mark.asyncio
async def test_behind_a_trusted_tls_proxy_the_public_origin_is_the_pages() -> None:
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "carechat.example.gov.uk"}
    async with running(TRUST_LOOPBACK) as (client, _, _f):
        assert (await chat(client, Origin="https://carechat.example.gov.uk", **proxy))[0] == 200
        assert (await chat(client, Origin="http://carechat.example.gov.uk", **proxy))[0] == 403
        assert (await chat(client, Origin="https://evil.example", **proxy))[0] == 403
    async with running() as (client, _, _f):  # the same headers from a peer nobody trusts are ignored
        assert (await chat(client, Origin="https://carechat.example.gov.uk", **proxy))[0] == 403


@pytest.mark.asyncio
async def test_a_tls_only_site_refuses_a_plain_http_origin() -> None:
    async with running({"CARECHAT_SECURE_COOKIES": "true"}) as (client, _, _f):
        assert (await chat(client, Origin=f"http://127.0.0.1:{client.port}"))[0] == 403
        assert (await chat(client, Origin=f"https://127.0.0.1:{client.port}"))[0] == 200


@pytest.mark.asyncio
async def test_reads_are_not_refused_as_cross_site() -> None:
    async with running() as (client, _, _f):
        response = await client.get("/api/session", headers={"Sec-Fetch-Site": "cross-site"})
        assert response.status == 200
