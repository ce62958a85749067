"""POST /api/portal/signin: the council portal's one-time link signs a web session in, and nothing else does."""
from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from typing import Any, AsyncIterator

import aiohttp
import jwt
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import create_app
from bot.gateway.app import STATIC_DIR
from bot.gateway.portal import NEUTRAL_NAME, PORTAL_SIGNIN_PATH, SIGNIN_FAILED
from bot.gateway.security import CONTENT_SECURITY_POLICY, runner_options
from bot.gateway.sessions import COOKIE_NAME
from bot.personal.identity import mint_token, verify_token
from bot.personal.portal_signin import LEEWAY_SECONDS, mint_signin_token
from bot.settings import Settings, load_settings
from tests.unit.gateway_fakes import FakeRasa, NoSignal

SECRET = "portal-gateway-test-secret-that-is-long-enough-0123456789"
CASE_REF = "PORTAL-77"
NAME = "Robin"


def make_settings(rasa_url: str, demo_mode: bool) -> Settings:
    return load_settings({"RASA_URL": rasa_url, "CARECHAT_TOKEN_SECRET": SECRET,
                          "CARECHAT_DEMO_MODE": "true" if demo_mode else "false", "CARECHAT_COUNCIL": "calderdale"})



async def start_client(settings: Settings) -> TestClient:
    app = create_app(settings, matcher=NoSignal())
    server = TestServer(app)
    await server.start_server(**runner_options())
    client = TestClient(server)
    await client.start_server()
    return client


@pytest_asyncio.fixture(params=[True, False], ids=["demo", "live"])
async def client(request: pytest.FixtureRequest, fake_rasa: tuple[FakeRasa, str]) -> AsyncIterator[TestClient]:
    """The gateway with the portal route, in demo mode and outside it (the route works in both)."""
    client = await start_client(make_settings(fake_rasa[1], demo_mode=request.param))
    try:
        yield client
    finally:
        await client.close()


def settings_of(client: TestClient) -> Settings:
    from bot.gateway.app import SETTINGS_KEY

    return client.server.app[SETTINGS_KEY]


async def state(client: TestClient) -> dict[str, Any]:
    return await (await client.get("/api/session")).json()


async def post_token(client: TestClient, token: object) -> aiohttp.ClientResponse:
    return await client.post(PORTAL_SIGNIN_PATH, json={"token": token})


async def assert_refused(response: aiohttp.ClientResponse, status: int = 401) -> None:
    assert response.status == status
    assert await response.json() == {"error": SIGNIN_FAILED}  # the same words whatever was wrong


async def assert_nobody_signed_in(client: TestClient, fake: FakeRasa) -> None:
    assert (await state(client))["signed_in"] is False
    await client.post("/api/chat", json={"message": "when is my review"})
    assert "carechat_token" not in fake.received[-1]["metadata"]


# --- success ----------------------------------------------------------------------------------------
async def test_a_portal_link_signs_the_session_in_as_the_named_person(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    settings = settings_of(client)
    response = await post_token(client, mint_signin_token(CASE_REF, settings, name=NAME))
    assert response.status == 200
    assert await response.json() == {"signed_in": True, "display_name": NAME,
                                     "demo_mode": settings.demo_mode, "audience": None}
    await client.post("/api/chat", json={"message": "when is my review"})
    assert verify_token(fake.received[0]["metadata"]["carechat_token"], settings).case_ref == CASE_REF


async def test_without_a_name_the_page_says_a_neutral_word(client: TestClient) -> None:
    response = await post_token(client, mint_signin_token(CASE_REF, settings_of(client)))
    assert (await response.json())["display_name"] == NEUTRAL_NAME


async def test_signin_rotates_the_cookie_and_the_old_one_is_worthless(client: TestClient) -> None:
    before = (await client.post("/api/restart")).cookies[COOKIE_NAME].value  # the first POST starts a session
    response = await post_token(client, mint_signin_token(CASE_REF, settings_of(client), name=NAME))
    after = response.cookies[COOKIE_NAME].value
    assert after != before
    async with aiohttp.ClientSession(cookies={COOKIE_NAME: before}) as other:
        async with other.get(client.make_url("/api/session")) as old:
            assert (await old.json())["signed_in"] is False
    assert (await state(client))["signed_in"] is True


async def test_a_new_person_signing_in_gets_a_new_conversation(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    settings = settings_of(client)
    await post_token(client, mint_signin_token("PERSON-A", settings))
    await client.post("/api/chat", json={"message": "one"})
    await post_token(client, mint_signin_token("PERSON-B", settings))
    await client.post("/api/chat", json={"message": "two"})
    assert fake.received[0]["sender"] != fake.received[1]["sender"]
    assert verify_token(fake.received[1]["metadata"]["carechat_token"], settings).case_ref == "PERSON-B"


# --- refusals ---------------------------------------------------------------------------------------
async def test_a_replayed_link_is_refused_even_from_another_browser(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    token = mint_signin_token(CASE_REF, settings_of(client), name=NAME)
    assert (await post_token(client, token)).status == 200
    async with aiohttp.ClientSession() as other:
        async with other.post(client.make_url(PORTAL_SIGNIN_PATH), json={"token": token}) as again:
            assert again.status == 401
            assert await again.json() == {"error": SIGNIN_FAILED}
        async with other.get(client.make_url("/api/session")) as other_state:
            assert (await other_state.json())["signed_in"] is False


def _bad_tokens(settings: Settings) -> dict[str, str]:
    """One token for each way a sign-in token can be wrong (all otherwise well made)."""
    claims = {"sub": CASE_REF, "iss": settings.portal_issuer, "aud": settings.portal_audience, "jti": "jti-1"}
    now = int(time.time())
    return {
        "expired": mint_signin_token(CASE_REF, settings, ttl_seconds=60, now=now - 60 - LEEWAY_SECONDS - 5),
        "lifetime too long": jwt.encode(dict(claims, iat=now, exp=now + settings.portal_max_ttl_seconds + 1),
                                        SECRET, algorithm="HS256"),
        "from the future": mint_signin_token(CASE_REF, settings, now=now + 3600),
        "identity token": mint_token(CASE_REF, settings),
        "another audience": jwt.encode(dict(claims, aud="another-service", iat=now, exp=now + 60),
                                       SECRET, algorithm="HS256"),
        "identity audience": jwt.encode(dict(claims, aud=settings.token_audience, iat=now, exp=now + 60),
                                        SECRET, algorithm="HS256"),
        "wrong issuer": jwt.encode(dict(claims, iss="someone-else", iat=now, exp=now + 60),
                                   SECRET, algorithm="HS256"),
        "another secret": jwt.encode(dict(claims, iat=now, exp=now + 60), "another-secret-" * 4, algorithm="HS256"),
        "alg none": jwt.encode(dict(claims, iat=now, exp=now + 60), key=None, algorithm="none"),
        "no jti": jwt.encode({k: v for k, v in dict(claims, iat=now, exp=now + 60).items() if k != "jti"},
                             SECRET, algorithm="HS256"),
        "garbage": "not-a-token",
        "garbage with dots": "a.b.c",
        "huge": "x" * 10_000,
    }


@pytest.mark.parametrize("kind", list(_bad_tokens(load_settings({"CARECHAT_TOKEN_SECRET": SECRET}))))
async def test_every_bad_token_gets_the_same_kind_401_and_signs_nobody_in(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], kind: str
) -> None:
    token = _bad_tokens(settings_of(client))[kind]
    await assert_refused(await post_token(client, token))
    await assert_nobody_signed_in(client, fake_rasa[0])


@pytest.mark.parametrize("kwargs", [
    {"json": {}},
    {"json": {"token": ""}},
    {"json": {"token": "   "}},
    {"json": {"token": None}},
    {"json": {"token": 42}},
    {"json": {"token": ["a.b.c"]}},
    {"json": ["not", "an", "object"]},
    {"data": "token=abc", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
    {"data": "{not json", "headers": {"Content-Type": "application/json"}},
    {"data": "{" + "x" * 100_000, "headers": {"Content-Type": "application/json"}},
])
async def test_a_bad_body_gets_the_same_kind_400_and_signs_nobody_in(
    client: TestClient, fake_rasa: tuple[FakeRasa, str], kwargs: dict
) -> None:
    await assert_refused(await client.post(PORTAL_SIGNIN_PATH, **kwargs), status=400)
    await assert_nobody_signed_in(client, fake_rasa[0])


async def test_a_failed_signin_signs_out_whoever_was_signed_in(
    client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    # On a shared device the next person's stale link must not leave them in someone else's session.
    settings = settings_of(client)
    signed_in = await post_token(client, mint_signin_token(CASE_REF, settings, name=NAME))
    before = signed_in.cookies[COOKIE_NAME].value
    failed = await post_token(client, "not-a-token")
    await assert_refused(failed)
    assert failed.cookies[COOKIE_NAME].value != before
    await assert_nobody_signed_in(client, fake_rasa[0])


async def test_another_site_cannot_post_a_signin(client: TestClient, fake_rasa: tuple[FakeRasa, str]) -> None:
    token = mint_signin_token(CASE_REF, settings_of(client))
    response = await client.post(PORTAL_SIGNIN_PATH, json={"token": token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status == 403
    await assert_nobody_signed_in(client, fake_rasa[0])
    # Refused before it was redeemed: the page's own script can still use the token.
    assert (await post_token(client, token)).status == 200


async def test_only_post_is_allowed(client: TestClient) -> None:
    response = await client.get(PORTAL_SIGNIN_PATH)
    assert response.status == 405
    assert "error" in await response.json()


async def test_logs_hold_no_token_case_ref_or_name(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_of(client)
    good = mint_signin_token(CASE_REF, settings, name=NAME)
    bad = jwt.encode({"sub": "OTHER-REF", "name": "Alexandra"}, "x" * 40, algorithm="HS256")
    await post_token(client, good)
    await post_token(client, good)
    await post_token(client, bad)
    text = caplog.text
    assert "portal sign-in refused" in text and "portal sign-in accepted" in text
    for forbidden in (good, bad, CASE_REF, "OTHER-REF", NAME, "Alexandra"):
        assert forbidden not in text


async def test_several_signins_at_once_each_redeem_once(client: TestClient) -> None:
    settings = settings_of(client)
    token = mint_signin_token(CASE_REF, settings)

    async def attempt() -> int:
        async with aiohttp.ClientSession() as browser:
            async with browser.post(client.make_url(PORTAL_SIGNIN_PATH), json={"token": token}) as response:
                return response.status

    statuses = await asyncio.gather(*(attempt() for _ in range(5)))
    assert sorted(statuses) == [200, 401, 401, 401, 401]


# --- the page's script --------------------------------------------------------------------------------
SCRIPT = STATIC_DIR / "portal-signin.js"


async def test_script_is_served_under_the_strict_csp(client: TestClient) -> None:
    response = await client.get("/static/portal-signin.js")
    assert response.status == 200
    assert "javascript" in response.headers["Content-Type"]
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_script_removes_the_token_from_the_address_bar_before_sending_it() -> None:
    code = SCRIPT.read_text(encoding="utf-8")
    assert '"#signin="' in code
    replace_at = code.index("history.replaceState(")
    assert replace_at < code.index('"/api/portal/signin"')
    assert replace_at < code.index("sessionStorage.clear()")


def test_script_talks_only_to_the_signin_route_and_never_makes_html() -> None:
    code = re.sub(r"^\s*//.*$", "", SCRIPT.read_text(encoding="utf-8"), flags=re.M)
    assert re.findall(r"\"(/api/[^\"]+)\"", code) == ["/api/portal/signin"]
    assert "http://" not in code and "https://" not in code
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in code
    assert "localStorage" not in code and "document.cookie" not in code
    assert SIGNIN_FAILED in code.replace('" +\n    "', "")  # the same words if the answer is unreadable


# --- the whole journey in a real browser (Chromium, as in tests/e2e), no Rasa needed ----------------------
#: The line docs/portal-signin.md asks for in index.html, before chat.js (this test adds it to the page
#: it is served, so it checks that exact line).
SCRIPT_LINE = '<script src="/static/portal-signin.js" defer></script>'
CHAT_LINE = '<script src="/static/chat.js" defer></script>'


class GatewayThread:
    """The gateway with the portal route, served from its own thread so the sync browser API can drive it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    async def _start(self) -> str:
        app = create_app(self.settings, matcher=NoSignal())
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> "GatewayThread":
        self.thread.start()
        self.base_url = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(60)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.runner is not None:
            asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def browser_gateway():
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.e2e import browser as b

    if not b.CHROMIUM.exists():
        pytest.skip(f"{b.CHROMIUM} is missing (scripts/ensure-chromium installs it)")
    settings = make_settings("http://127.0.0.1:9", demo_mode=False)
    with GatewayThread(settings) as gateway, sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(b.CHROMIUM), headless=True, args=b.LAUNCH_ARGS)
        try:
            yield chromium, gateway
        finally:
            chromium.close()


class Tab:
    """A fresh browser profile on the chat page with the portal script line added; records every URL requested."""

    def __init__(self, chromium: Any, base_url: str) -> None:
        self.base_url = base_url
        self.context = chromium.new_context()
        self.requested: list[str] = []
        self.context.route(base_url + "/", self._with_script_line)
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.page.on("request", lambda request: self.requested.append(request.url))

    def _with_script_line(self, route: Any) -> None:
        response = route.fetch()
        html = response.text()
        assert CHAT_LINE in html
        route.fulfill(response=response, body=html.replace(CHAT_LINE, SCRIPT_LINE + "\n  " + CHAT_LINE))

    def open_link(self, token: str) -> None:
        self.page.goto(f"{self.base_url}/#signin={token}")

    def session(self) -> dict:
        return self.page.evaluate("() => fetch('/api/session').then(r => r.json())")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tab(browser_gateway):
    chromium, gateway = browser_gateway
    opened = Tab(chromium, gateway.base_url)
    yield opened
    opened.close()


def test_browser_link_signs_in_and_leaves_no_token_behind(tab: Tab, browser_gateway) -> None:
    token = mint_signin_token(CASE_REF, browser_gateway[1].settings, name=NAME)
    tab.open_link(token)
    tab.page.wait_for_selector("#signed-in:not([hidden])")
    assert tab.page.text_content("#signed-in-as") == f"Signed in as {NAME}"
    assert tab.page.url == tab.base_url + "/"  # the fragment is gone from the address bar
    assert tab.session()["signed_in"] is True
    assert not any(token in url for url in tab.requested)  # never sent in a URL
    tab.page.go_back()
    assert "signin" not in tab.page.url  # nor left in this tab's history


def test_browser_link_opened_over_a_chat_starts_afresh_but_keeps_the_text_size(tab: Tab, browser_gateway) -> None:
    # The tab already shows CareChat, so the link changes only the fragment (no new page load).
    tab.page.goto(tab.base_url + "/")
    tab.page.evaluate("""() => {
        sessionStorage.setItem('carechat.conversation', JSON.stringify([{from: 'user', text: 'someone else said this'}]));
        sessionStorage.setItem('carechat.textSize', JSON.stringify('large'));
    }""")
    tab.open_link(mint_signin_token(CASE_REF, browser_gateway[1].settings, name=NAME))
    tab.page.wait_for_selector("#signed-in:not([hidden])")
    assert "someone else said this" not in tab.page.text_content("body")
    assert tab.page.evaluate("() => sessionStorage.getItem('carechat.conversation')") is None
    assert tab.page.evaluate("() => document.documentElement.classList.contains('text-large')")


def test_browser_used_or_bad_link_shows_the_kind_message_and_signs_nobody_in(tab: Tab, browser_gateway) -> None:
    settings = browser_gateway[1].settings
    token = mint_signin_token(CASE_REF, settings, name=NAME)
    first = Tab(browser_gateway[0], tab.base_url)
    try:
        first.open_link(token)
        first.page.wait_for_selector("#signed-in:not([hidden])")
    finally:
        first.close()
    for link in (token, "not-a-token"):  # used once already; garbage
        tab.open_link(link)
        notice = tab.page.wait_for_selector("#portal-signin-notice")
        assert notice.text_content() == SIGNIN_FAILED
        assert tab.page.text_content("#announcer").strip() == SIGNIN_FAILED  # said to screen readers too
        assert tab.page.url == tab.base_url + "/"
        assert tab.page.is_hidden("#signed-in")
        assert tab.session()["signed_in"] is False


def test_browser_page_without_a_link_is_untouched(tab: Tab) -> None:
    tab.page.goto(tab.base_url + "/#top")
    tab.page.wait_for_load_state("networkidle")
    assert tab.page.url.endswith("/#top")
    assert tab.page.query_selector("#portal-signin-notice") is None
    assert not any(PORTAL_SIGNIN_PATH in url for url in tab.requested)


def test_browser_bad_link_over_a_signed_in_tab_signs_out_and_says_so(tab: Tab, browser_gateway) -> None:
    tab.open_link(mint_signin_token(CASE_REF, browser_gateway[1].settings, name=NAME))
    tab.page.wait_for_selector("#signed-in:not([hidden])")
    # The sign-in answer comes late, so chat.js would draw the old session if it did not wait for it.
    tab.context.route(tab.base_url + PORTAL_SIGNIN_PATH, lambda route: (time.sleep(1.0), route.continue_()))
    tab.open_link("not-a-token")
    assert tab.page.wait_for_selector("#portal-signin-notice").text_content() == SIGNIN_FAILED
    tab.page.wait_for_load_state("networkidle")
    assert tab.page.is_hidden("#signed-in")  # chat.js drew the session as it is after the failure
    assert tab.session()["signed_in"] is False
