"""The widget's embed page and the session kept in a header, without a browser (the browser tests are
in test_embed_widget_browser.py): who may frame what, and a session that needs no third-party cookie."""
from __future__ import annotations

import gzip
import re
from urllib.parse import urlencode
from typing import Any, AsyncIterator

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import create_app
from bot.gateway.app import STATIC_DIR, render_page
from bot.gateway.embed import SESSION_HEADER, normalise_origin, parse_embed_origins
from bot.gateway.portal import PORTAL_SIGNIN_PATH, SIGNIN_FAILED
from bot.gateway.security import CONTENT_SECURITY_POLICY, content_security_policy, runner_options
from bot.gateway.sessions import COOKIE_NAME, SECURE_COOKIE_NAME
from bot.personal.identity import verify_token
from bot.personal.portal_signin import mint_signin_token
from bot.settings import ConfigurationError, Settings, load_settings
from tests.unit.gateway_fakes import FakeRasa, NoSignal

SECRET = "embed-unit-test-secret-that-is-long-enough-0123456789"
COUNCIL = "https://www.anytown.gov.uk"
PORTAL = "https://portal.anytown.gov.uk:8443"


def make_settings(rasa_url: str = "http://127.0.0.1:9", origins: str = f"{COUNCIL} {PORTAL}", **extra: str) -> Settings:
    env = {"RASA_URL": rasa_url, "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_DEMO_MODE": "false",
           "CARECHAT_COUNCIL": "calderdale", "CARECHAT_EMBED_ORIGINS": origins,
           "CARECHAT_RATE_LIMIT_PER_ADDRESS": "100000"}
    env.update(extra)
    return load_settings(env)


async def start(settings: Settings) -> TestClient:
    server = TestServer(create_app(settings, matcher=NoSignal()))
    await server.start_server(**runner_options())
    client = TestClient(server)
    await client.start_server()
    return client



@pytest_asyncio.fixture
async def client(fake_rasa: tuple[FakeRasa, str]) -> AsyncIterator[TestClient]:
    opened = await start(make_settings(fake_rasa[1]))
    try:
        yield opened
    finally:
        await opened.close()


def embed_url(origin: str) -> str:
    return "/embed?" + urlencode({"origin": origin})


def assert_cannot_be_framed(response: Any) -> None:
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"


# ---------------------------------------------------------------- the embed page's headers

@pytest.mark.parametrize("origin", [COUNCIL, PORTAL])
async def test_the_embed_page_may_be_framed_by_the_configured_origin_that_asked_and_no_other(client, origin) -> None:
    response = await client.get(embed_url(origin), allow_redirects=False)
    assert response.status == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy == content_security_policy(origin)
    assert re.findall(r"frame-ancestors ([^;]*);", policy) == [origin]  # only the one that asked, not every council
    # The rest of the policy is exactly the full page's, as strict as ever.
    assert policy.replace(f"frame-ancestors {origin}", "frame-ancestors 'none'") == CONTENT_SECURITY_POLICY
    assert "X-Frame-Options" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in response.headers


async def test_the_configured_origin_is_matched_the_way_browsers_write_it(fake_rasa) -> None:
    opened = await start(make_settings(fake_rasa[1], origins="HTTPS://WWW.Anytown.GOV.uk/ http://localhost:8080"))
    try:
        for asked in ("https://www.anytown.gov.uk", "https://www.anytown.gov.uk:443", "https://WWW.anytown.gov.uk/"):
            response = await opened.get(embed_url(asked), allow_redirects=False)
            assert response.status == 200, asked
            assert "frame-ancestors https://www.anytown.gov.uk;" in response.headers["Content-Security-Policy"]
        response = await opened.get(embed_url("http://localhost:8080"), allow_redirects=False)
        assert "frame-ancestors http://localhost:8080;" in response.headers["Content-Security-Policy"]
    finally:
        await opened.close()


@pytest.mark.parametrize("asked", [
    "https://elsewhere.example",              # not configured
    "http://www.anytown.gov.uk",              # the council's host over plain http: another origin
    "https://www.anytown.gov.uk:444",         # another port: another origin
    "https://evil.www.anytown.gov.uk",        # a subdomain is another origin
    "https://www.anytown.gov.uk.evil.example",
    "null",                                   # a sandboxed or file:// page
    "",
    f"{COUNCIL} {PORTAL}",                    # trying to smuggle a second source into the policy
    f"{COUNCIL}; script-src *",
    "*",
])
async def test_any_other_origin_gets_the_full_page_which_nobody_can_frame(client, asked) -> None:
    response = await client.get(embed_url(asked), allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"
    assert_cannot_be_framed(response)


async def test_without_the_origin_parameter_nothing_can_frame_it(client) -> None:
    response = await client.get("/embed", allow_redirects=False)
    assert response.status == 303
    assert_cannot_be_framed(response)


async def test_with_no_origins_configured_the_widget_cannot_be_framed_anywhere(fake_rasa) -> None:
    opened = await start(make_settings(fake_rasa[1], origins=""))
    try:
        response = await opened.get(embed_url(COUNCIL), allow_redirects=False)
        assert response.status == 303
        assert_cannot_be_framed(response)
        followed = await opened.get(embed_url(COUNCIL))
        assert followed.status == 200 and "Hello, I'm CareChat" in await followed.text()  # the full page still works
        assert_cannot_be_framed(followed)
    finally:
        await opened.close()


@pytest.mark.parametrize("method, path", [
    ("GET", "/"),
    ("GET", f"/?origin={COUNCIL}"),
    ("GET", "/static/chat.js"),
    ("GET", "/static/widget.js"),
    ("GET", "/static/embed.js"),
    ("GET", "/api/session"),
    ("GET", "/no-such-page"),
    ("GET", f"/embed/?origin={COUNCIL}"),
    ("POST", embed_url(COUNCIL)),
])
async def test_every_other_response_still_cannot_be_framed(client, method, path) -> None:
    response = await client.request(method, path, allow_redirects=False)
    assert_cannot_be_framed(response)


async def test_the_embed_page_is_the_chat_page_with_embed_js_in_front(client) -> None:
    from bot.gateway.app import SETTINGS_KEY

    text = await (await client.get(embed_url(PORTAL))).text()
    full = render_page(client.server.app[SETTINGS_KEY])
    assert f'<html lang="en-GB" class="embed" data-embed-origin="{PORTAL}">' in text
    scripts = re.findall(r"<script[^>]*>", text)
    assert scripts == ['<script src="/static/embed.js" defer>', '<script src="/static/portal-signin.js" defer>',
                       '<script src="/static/chat.js" defer>']  # embed.js first: it must wrap fetch before chat.js
    # Nothing else differs from the full page (so everything the page does, it does here too).
    cleaned = text.replace(' class="embed" data-embed-origin="' + PORTAL + '"', "").replace(
        '<script src="/static/embed.js" defer></script>\n  ', "")
    assert cleaned == full


# ---------------------------------------------------------------- bad configuration stops start-up

@pytest.mark.parametrize("bad", [
    "https://www.anytown.gov.uk/children-in-care",  # a page, not an origin
    "https://*.anytown.gov.uk",                      # wildcards are refused
    "www.anytown.gov.uk",                            # no scheme
    "http://www.anytown.gov.uk",                     # plain http off this machine
    "https://www.anytown.gov.uk?x=1",
    "https://user@www.anytown.gov.uk",
    "https://www.anytown.gov.uk;script-src",
    "ftp://www.anytown.gov.uk",
    "'self'",
    "null",
])
def test_a_bad_embed_origin_stops_the_gateway_with_a_clear_message(bad) -> None:
    with pytest.raises(ConfigurationError, match="CARECHAT_EMBED_ORIGINS"):
        create_app(make_settings(origins=bad), matcher=NoSignal())


def test_origins_are_normalised_like_a_browsers_origin() -> None:
    assert normalise_origin("HTTPS://Www.Anytown.Gov.UK:443/") == "https://www.anytown.gov.uk"
    assert normalise_origin("https://portal.anytown.gov.uk:8443") == "https://portal.anytown.gov.uk:8443"
    assert normalise_origin("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert normalise_origin("http://[::1]:8000") == "http://[::1]:8000"
    assert parse_embed_origins(["https://a.gov.uk", "https://a.gov.uk/"]) == frozenset({"https://a.gov.uk"})


# ---------------------------------------------------------------- the session in a header

def no_cookie_set(response: Any) -> bool:
    return "Set-Cookie" not in response.headers


async def embedded(client: TestClient, method: str, path: str, session_id: str = "", **kwargs: Any) -> Any:
    """A request as the embed page's script makes it: the header, same-origin, no cookie sent."""
    client.session.cookie_jar.clear()
    headers = {SESSION_HEADER: session_id, "Sec-Fetch-Site": "same-origin", **kwargs.pop("headers", {})}
    return await client.request(method, path, headers=headers, **kwargs)


async def test_a_header_session_starts_on_a_post_comes_back_in_the_header_and_sets_no_cookie(client, fake_rasa) -> None:
    fake, _ = fake_rasa
    first = await embedded(client, "POST", "/api/chat", json={"message": "hello"})
    assert first.status == 200
    issued = first.headers[SESSION_HEADER]
    assert len(issued) >= 32 and no_cookie_set(first)
    again = await embedded(client, "POST", "/api/chat", issued, json={"message": "and again"})
    assert again.status == 200 and no_cookie_set(again)
    assert SESSION_HEADER not in again.headers  # unchanged id: nothing to send back
    assert fake.received[0]["sender"] == fake.received[1]["sender"]  # the same conversation
    assert again.headers["Cache-Control"] == "no-store"


async def test_a_get_with_the_header_starts_nothing(client) -> None:
    response = await embedded(client, "GET", "/api/session")
    assert response.status == 200 and (await response.json())["signed_in"] is False
    assert SESSION_HEADER not in response.headers and no_cookie_set(response)


async def test_garbage_or_unknown_ids_are_never_looked_up_or_echoed(client, fake_rasa) -> None:
    fake, _ = fake_rasa
    for sent in ("not-an-id", "x" * 500, "a" * 43):
        response = await embedded(client, "POST", "/api/chat", sent, json={"message": "hi"})
        assert response.status == 200
        assert response.headers[SESSION_HEADER] != sent  # a fresh session, never the one asked for
    assert len({m["sender"] for m in fake.received}) == 3


async def test_the_cookie_and_the_header_never_mix(client, fake_rasa) -> None:
    from bot.gateway.app import SETTINGS_KEY

    fake, _ = fake_rasa
    token = mint_signin_token("COOKIE-1", client.server.app[SETTINGS_KEY], name="Sam")
    full_page = await client.post(PORTAL_SIGNIN_PATH, json={"token": token})  # the full page: cookie, no header
    assert full_page.status == 200 and SESSION_HEADER not in full_page.headers
    cookie = full_page.cookies[COOKIE_NAME]
    assert cookie["samesite"] == "Strict" and cookie["httponly"]  # the full page's cookie, as it always was
    # That browser's signed-in cookie sent along with the header: the header's session, never the cookie's.
    headers = {SESSION_HEADER: "", "Cookie": f"{COOKIE_NAME}={cookie.value}"}
    state = await client.get("/api/session", headers=headers)
    assert (await state.json())["signed_in"] is False
    response = await client.post("/api/chat", json={"message": "hi"}, headers=headers)
    assert "carechat_token" not in fake.received[-1]["metadata"]
    assert no_cookie_set(response) and SESSION_HEADER in response.headers
    # The cookie's session is untouched by all that.
    await client.post("/api/chat", json={"message": "hi"}, headers={"Cookie": f"{COOKIE_NAME}={cookie.value}"})
    assert "carechat_token" in fake.received[-1]["metadata"]


async def test_over_tls_the_header_session_still_sets_no_cookie(fake_rasa) -> None:
    opened = await start(make_settings(fake_rasa[1], CARECHAT_SECURE_COOKIES="true"))
    try:
        response = await embedded(opened, "POST", "/api/chat", json={"message": "hi"})
        assert response.status == 200 and no_cookie_set(response) and SESSION_HEADER in response.headers
        full_page = await opened.post("/api/chat", json={"message": "hi"})
        assert SECURE_COOKIE_NAME in full_page.cookies  # the full page keeps its __Host- cookie
    finally:
        await opened.close()


async def test_portal_signin_in_the_widget_rotates_the_header_id(client, fake_rasa) -> None:
    fake, _ = fake_rasa
    from bot.gateway.app import SETTINGS_KEY

    settings = client.server.app[SETTINGS_KEY]
    first = await embedded(client, "POST", "/api/chat", json={"message": "hi"})
    old_id = first.headers[SESSION_HEADER]
    token = mint_signin_token("EMBED-1", settings, name="Sam")
    signed = await embedded(client, "POST", PORTAL_SIGNIN_PATH, old_id, json={"token": token})
    assert signed.status == 200 and (await signed.json())["display_name"] == "Sam"
    new_id = signed.headers[SESSION_HEADER]
    assert new_id != old_id and no_cookie_set(signed)
    await embedded(client, "POST", "/api/chat", new_id, json={"message": "when is my review"})
    assert verify_token(fake.received[-1]["metadata"]["carechat_token"], settings).case_ref == "EMBED-1"
    stale = await embedded(client, "GET", "/api/session", old_id)
    assert (await stale.json())["signed_in"] is False  # the id seen before signing in is worthless
    out = await embedded(client, "POST", "/api/signout", new_id)
    assert out.headers[SESSION_HEADER] not in (new_id, old_id)
    assert (await (await embedded(client, "GET", "/api/session", new_id)).json())["signed_in"] is False


async def test_another_site_cannot_post_with_the_header(client, fake_rasa) -> None:
    fake, _ = fake_rasa
    first = await embedded(client, "POST", "/api/chat", json={"message": "hi"})
    session_id = first.headers[SESSION_HEADER]
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                    {"Origin": COUNCIL, "Sec-Fetch-Site": ""}):
        refused = await embedded(client, "POST", "/api/signout", session_id, headers=headers)
        assert refused.status == 403, headers
        assert SESSION_HEADER not in refused.headers
    # Still the same conversation: nothing the refused requests did stuck.
    await embedded(client, "POST", "/api/chat", session_id, json={"message": "still me"})
    assert fake.received[-1]["sender"] == fake.received[0]["sender"]


# ---------------------------------------------------------------- the scripts themselves

WIDGET = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
EMBED = (STATIC_DIR / "embed.js").read_text(encoding="utf-8")


def code_only(source: str) -> str:
    """The script without its comments (whole-line ones and `  // ...` after code), which name what it must not do."""
    lines = (re.sub(r"\s//\s.*$", "", line) for line in source.splitlines() if not line.strip().startswith("//"))
    return "\n".join(lines)


@pytest.mark.parametrize("name, code", [("widget.js", code_only(WIDGET)), ("embed.js", code_only(EMBED))])
def test_the_scripts_use_no_html_sinks_no_style_attributes_and_no_council_storage(name, code) -> None:
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setAttribute(\"style\"", "setAttribute('style'", "cssText", "localStorage", "document.cookie"):
        assert sink not in code, (name, sink)
    # Every postMessage names its exact target origin, never "*".
    targets = re.findall(r"postMessage\([^;]*?,\s*([A-Za-z_.]+)\)", code)
    assert targets and set(targets) <= {"GATEWAY", "PARENT"}, targets
    assert "'*'" not in code and '"*"' not in code
    # Messages are taken only from the expected window and origin.
    assert "event.origin" in code and "event.source" in code


def test_a_failed_signin_in_the_widget_says_the_same_kind_words_as_the_full_page() -> None:
    assert SIGNIN_FAILED in EMBED.replace('" +\n    "', "")


def test_the_embed_script_talks_only_to_carechats_own_api() -> None:
    urls = re.findall(r"[fF]etch\(\"([^\"]+)\"", EMBED)
    assert set(urls) == {"/api/signout", "/api/portal/signin", "/api/session"}
    assert "http://" not in code_only(EMBED) and "https://" not in code_only(EMBED)


def test_the_widget_loads_nothing_from_anywhere_else() -> None:
    urls = set(re.findall(r"https?://[^\s\"')]+", code_only(WIDGET)))
    assert urls == {"https://www.bbc.co.uk/weather"}  # where quick exit goes: a link, never loaded by the widget
    assert "import(" not in WIDGET and "createElement(\"script\")" not in WIDGET and "createElement(\"link\")" not in WIDGET


def test_the_widget_is_small() -> None:
    raw = WIDGET.encode("utf-8")
    assert len(gzip.compress(raw, 9)) < 10 * 1024
