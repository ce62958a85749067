"""The gateway end to end against a fake Rasa server that records what it received."""
from __future__ import annotations

import asyncio
import functools
import logging
import time
from types import SimpleNamespace
from typing import Any, AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import api_errors, create_app
from bot.gateway import app as gateway_app
from bot.gateway.app import SAFETY_DEADLINE_SECONDS, STATIC_DIR
from bot.knowledge.about_carechat import retention_phrase
from bot.gateway.rasa_client import DEFAULT_TIMEOUT_SECONDS
from bot.gateway.security import CONTENT_SECURITY_POLICY, runner_options
from bot.gateway.sessions import COOKIE_NAME
from bot.personal.identity import verify_token
from bot.settings import ConfigurationError, Settings, load_settings

SECRET = "unit-test-secret-that-is-long-enough-for-hs256-0123456789"
PEOPLE = [
    {"case_ref": "FAKE-1", "display_name": "Pretend Pat", "situation": "test person one"},
    {"case_ref": "FAKE-2", "display_name": "Pretend Sam", "situation": "test person two"},
]


class FakeRasa:
    """A stand-in Rasa REST channel: records bodies, replies with what the test sets."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.reply: Any = [{"recipient_id": "x", "text": "hello"}]
        self.status = 200
        self.delay = 0.0
        self.hang = False  # True: never answer until the test ends (a frozen Rasa or action server)
        self.release = asyncio.Event()

    async def webhook(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        if self.hang:
            await self.release.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response(self.reply, status=self.status)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self.webhook)
        return app


def make_settings(rasa_url: str, demo_mode: bool = True, secret: str = SECRET) -> Settings:
    return load_settings(
        {
            "RASA_URL": rasa_url,
            "CARECHAT_TOKEN_SECRET": secret,
            "CARECHAT_DEMO_MODE": "true" if demo_mode else "false",
            "CARECHAT_COUNCIL": "calderdale",
        }
    )


@pytest_asyncio.fixture
async def fake_rasa() -> AsyncIterator[tuple[FakeRasa, str]]:
    fake = FakeRasa()
    server = TestServer(fake.app())
    await server.start_server()
    try:
        yield fake, str(server.make_url("")).rstrip("/")
    finally:
        fake.release.set()
        await server.close()


async def start_client(settings: Settings, demo_people: list[dict] | None = None, **kwargs: Any) -> TestClient:
    """Run the gateway the way main() does, with our access logger instead of aiohttp's."""
    app = create_app(settings, demo_people=PEOPLE if demo_people is None else demo_people, **kwargs)
    server = TestServer(app)
    await server.start_server(**runner_options())
    client = TestClient(server)
    await client.start_server()
    return client


@pytest_asyncio.fixture
async def demo_client(fake_rasa: tuple[FakeRasa, str]) -> AsyncIterator[TestClient]:
    client = await start_client(make_settings(fake_rasa[1], demo_mode=True))
    try:
        yield client
    finally:
        await client.close()


@pytest_asyncio.fixture
async def live_client(fake_rasa: tuple[FakeRasa, str]) -> AsyncIterator[TestClient]:
    client = await start_client(make_settings(fake_rasa[1], demo_mode=False))
    try:
        yield client
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_first_post_sets_httponly_strict_session_cookie(demo_client: TestClient) -> None:
    page = await demo_client.get("/")
    assert page.status == 200
    assert "text/html" in page.headers["Content-Type"]
    assert "Set-Cookie" not in page.headers  # a page view starts no session (see test_gateway_limits.py)
    response = await demo_client.post("/api/chat", json={"message": "hi"})
    assert response.status == 200
    cookie_header = response.headers["Set-Cookie"]
    assert cookie_header.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie_header
    assert "SameSite=Strict" in cookie_header
    value = response.cookies[COOKIE_NAME].value
    assert len(value) >= 40  # token_urlsafe(32) is 43 characters


@pytest.mark.asyncio
async def test_cookie_is_reused_not_reissued(demo_client: TestClient) -> None:
    first = await demo_client.post("/api/restart")
    assert "Set-Cookie" in first.headers
    again = await demo_client.get("/api/session")
    assert "Set-Cookie" not in again.headers
    chat = await demo_client.post("/api/chat", json={"message": "hi"})
    assert chat.status == 200 and "Set-Cookie" not in chat.headers


@pytest.mark.asyncio
async def test_healthz_names_every_service(demo_client: TestClient) -> None:
    # The fake Rasa has no health route and no action server runs: per service detail in test_healthz.py.
    response = await demo_client.get("/healthz")
    body = await response.json()
    assert set(body["services"]) == {"gateway", "rasa", "action_server"}
    assert body["services"]["gateway"] == {"status": "ok"}


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["/", "/healthz", "/static/chat.js", "/api/session", "/no-such-page"])
async def test_security_headers_on_every_response(demo_client: TestClient, path: str) -> None:
    response = await demo_client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "aiohttp" not in response.headers.get("Server", "")


@pytest.mark.asyncio
async def test_static_files_served(demo_client: TestClient) -> None:
    for name, kind in [("chat.js", "javascript"), ("chat.css", "text/css")]:
        response = await demo_client.get(f"/static/{name}")
        assert response.status == 200
        assert kind in response.headers["Content-Type"]


@pytest.mark.asyncio
async def test_the_pages_turn_id_goes_to_rasa_unchanged_on_every_resend(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    turn = "pageTurn0123456789abcdef"
    for attempt in (1, 2):
        response = await demo_client.post("/api/chat", json={"message": "hi", "turn_id": turn, "attempt": attempt})
        assert response.status == 200
    assert [body["metadata"]["turn_id"] for body in fake.received] == [turn, turn]


@pytest.mark.asyncio
async def test_livez_answers_without_asking_rasa_or_the_action_server(demo_client: TestClient) -> None:
    response = await demo_client.get("/livez")
    assert response.status == 200 and await response.json() == {"status": "ok"}


@pytest.mark.asyncio
async def test_chat_forwards_to_rasa_without_token_when_signed_out(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    response = await demo_client.post("/api/chat", json={"message": "  what is a review?  ", "audience": "parent"})
    assert response.status == 200
    assert await response.json() == {"messages": [{"text": "hello"}]}
    (body,) = fake.received
    assert body["message"] == "what is a review?"
    assert body["metadata"] == {"audience": "parent", "turn_id": body["metadata"]["turn_id"]}
    assert len(body["metadata"]["turn_id"]) >= 16  # the page sent none: the gateway made one
    assert "carechat_token" not in body["metadata"]
    cookie = demo_client.session.cookie_jar.filter_cookies(demo_client.make_url("/"))[COOKIE_NAME].value
    assert body["sender"] and body["sender"] != cookie


@pytest.mark.asyncio
async def test_sender_id_stable_within_session(demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, _ = fake_rasa
    await demo_client.post("/api/chat", json={"message": "one"})
    await demo_client.post("/api/chat", json={"message": "two"})
    assert fake.received[0]["sender"] == fake.received[1]["sender"]


@pytest.mark.asyncio
async def test_audience_remembered_for_later_messages(demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, _ = fake_rasa
    await demo_client.post("/api/chat", json={"message": "one", "audience": "child"})
    await demo_client.post("/api/chat", json={"message": "two"})
    assert fake.received[1]["metadata"]["audience"] == "child"
    state = await (await demo_client.get("/api/session")).json()
    assert state["audience"] == "child"


@pytest.mark.asyncio
async def test_signed_in_metadata_carries_verifiable_token(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = fake_rasa
    signin = await demo_client.post("/api/demo/signin", json={"case_ref": "FAKE-2"})
    assert signin.status == 200
    assert await signin.json() == {
        "signed_in": True,
        "display_name": "Pretend Sam",
        "demo_mode": True,
        "audience": None,
    }
    await demo_client.post("/api/chat", json={"message": "when is my review"})
    await demo_client.post("/api/chat", json={"message": "and again"})
    tokens = [body["metadata"]["carechat_token"] for body in fake.received]
    identity = verify_token(tokens[0], make_settings(url))
    assert identity.case_ref == "FAKE-2"
    assert verify_token(tokens[1], make_settings(url)).case_ref == "FAKE-2"


@pytest.mark.asyncio
async def test_signin_rotates_cookie(demo_client: TestClient) -> None:
    first = await demo_client.post("/api/restart")  # the first POST starts the session
    before = first.cookies[COOKIE_NAME].value
    signin = await demo_client.post("/api/demo/signin", json={"case_ref": "FAKE-1"})
    after = signin.cookies[COOKIE_NAME].value
    assert after != before
    # The old id no longer opens the signed-in session.
    async with aiohttp.ClientSession(cookies={COOKIE_NAME: before}) as other:
        async with other.get(demo_client.make_url("/api/session")) as response:
            assert (await response.json())["signed_in"] is False


@pytest.mark.asyncio
async def test_signout_drops_token_and_starts_new_conversation(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    await demo_client.post("/api/demo/signin", json={"case_ref": "FAKE-1"})
    await demo_client.post("/api/chat", json={"message": "hi"})
    out = await demo_client.post("/api/signout")
    assert out.status == 200
    assert (await out.json())["signed_in"] is False
    await demo_client.post("/api/chat", json={"message": "hi again"})
    assert "carechat_token" in fake.received[0]["metadata"]
    assert "carechat_token" not in fake.received[1]["metadata"]
    assert fake.received[0]["sender"] != fake.received[1]["sender"]


@pytest.mark.asyncio
async def test_signin_rejects_unknown_case_ref(demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, _ = fake_rasa
    for body in ({"case_ref": "REAL-123"}, {"case_ref": 7}, {}):
        response = await demo_client.post("/api/demo/signin", json=body)
        assert response.status == 400
        assert await response.json() == {"error": api_errors.UNKNOWN_DEMO_PERSON}
    await demo_client.post("/api/chat", json={"message": "hi"})
    assert "carechat_token" not in fake.received[0]["metadata"]


@pytest.mark.asyncio
async def test_demo_people_lists_only_display_fields(fake_rasa: tuple[FakeRasa, str]) -> None:
    people = [dict(PEOPLE[0], date_of_birth="2010-01-01")]
    client = await start_client(make_settings(fake_rasa[1]), demo_people=people)
    try:
        response = await client.get("/api/demo/people")
        assert await response.json() == {"people": [PEOPLE[0]]}
    finally:
        await client.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("method,path", [("GET", "/api/demo/people"), ("POST", "/api/demo/signin")])
async def test_demo_routes_404_outside_demo_mode(live_client: TestClient, method: str, path: str) -> None:
    response = await live_client.request(method, path, json={"case_ref": "FAKE-1"})
    assert response.status == 404
    assert "error" in await response.json()


@pytest.mark.asyncio
async def test_session_info_outside_demo_mode(live_client: TestClient) -> None:
    state = await (await live_client.get("/api/session")).json()
    assert state == {"signed_in": False, "display_name": None, "demo_mode": False, "audience": None}


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "kwargs,status,message",
    [
        ({"json": {"message": ""}}, 400, api_errors.EMPTY_MESSAGE),
        ({"json": {"message": "   \n "}}, 400, api_errors.EMPTY_MESSAGE),
        ({"json": {}}, 400, api_errors.EMPTY_MESSAGE),
        ({"data": "not json at all", "headers": {"Content-Type": "application/json"}}, 400, api_errors.NOT_JSON),
        ({"data": "message=hi", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 400, api_errors.NOT_JSON),
        ({"json": ["a", "list"]}, 400, api_errors.NOT_JSON),
        ({"json": {"message": 42}}, 400, api_errors.NOT_JSON),
        ({"json": {"message": "x" * 1001}}, 413, api_errors.TOO_LONG),
        ({"data": "{" + "x" * 100_000, "headers": {"Content-Type": "application/json"}}, 413, api_errors.TOO_LONG),
        ({"json": {"message": "hi", "audience": "admin"}}, 400, api_errors.BAD_AUDIENCE),
    ],
)
async def test_validation_errors_are_kind_json_and_never_reach_rasa(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str], kwargs: dict, status: int, message: str
) -> None:
    fake, _ = fake_rasa
    response = await demo_client.post("/api/chat", **kwargs)
    assert response.status == status
    assert await response.json() == {"error": message}
    assert fake.received == []


@pytest.mark.asyncio
async def test_exactly_1000_characters_is_accepted(demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]) -> None:
    response = await demo_client.post("/api/chat", json={"message": "y" * 1000})
    assert response.status == 200
    assert len(fake_rasa[0].received) == 1


@pytest.mark.asyncio
async def test_rate_limit_per_session(fake_rasa: tuple[FakeRasa, str]) -> None:
    settings = make_settings(fake_rasa[1])
    client = await start_client(settings, rate_limit=3)
    other = await start_client(settings, rate_limit=3)
    try:
        statuses = [(await client.post("/api/chat", json={"message": "hi"})).status for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = await client.post("/api/chat", json={"message": "hi"})
        assert (await limited.json()) == {"error": api_errors.RATE_LIMITED}
        assert (await other.post("/api/chat", json={"message": "hi"})).status == 200
    finally:
        await client.close()
        await other.close()


@functools.lru_cache(maxsize=None)
def safety_contacts(council: str) -> tuple[str, ...]:
    """The safety reply's contact lines (everything after its opening line); built once."""
    from bot.knowledge.safety_reply import safety_reply

    return tuple(safety_reply(council).splitlines()[1:])


def assert_sorry_then_safety(text: str, sorry: str, council: str = "calderdale") -> None:
    """A kind sorry line first, then the safety reply's contacts for the configured council."""
    assert text.startswith(sorry + "\n")
    for number in ("999", "0800 1111", "116 123", "0808 800 5000"):
        assert number in text
    contacts = safety_contacts(council)
    assert contacts and all(line in text for line in contacts)
    assert "glad you told me" not in text  # the opening answers a worrying message, not a failure


@pytest.mark.asyncio
async def test_rasa_down_gives_502_with_kind_message() -> None:
    client = await start_client(make_settings(await dead_rasa_url()))
    try:
        response = await client.post("/api/chat", json={"message": "hello"})
        assert response.status == 502
        assert_sorry_then_safety((await response.json())["error"], api_errors.SORRY_CANT_ANSWER)
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_rasa_timeout_gives_502(fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, url = fake_rasa
    fake.delay = 1.0
    client = await start_client(
        make_settings(url),
        http_client_factory=lambda: aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.2)),
    )
    try:
        response = await client.post("/api/chat", json={"message": "hello"})
        assert response.status == 502
        assert_sorry_then_safety((await response.json())["error"], api_errors.SORRY_CANT_ANSWER)
    finally:
        await client.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("status,reply", [(500, {"oops": 1}), (200, {"not": "a list"})])
async def test_rasa_error_reply_gives_502(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str], status: int, reply: Any
) -> None:
    fake, _ = fake_rasa
    fake.status, fake.reply = status, reply
    response = await demo_client.post("/api/chat", json={"message": "hello"})
    assert response.status == 502
    assert_sorry_then_safety((await response.json())["error"], api_errors.SORRY_CANT_ANSWER)


@pytest.mark.asyncio
@pytest.mark.parametrize("reply", [[], [{"recipient_id": "x"}], [{"recipient_id": "x", "text": ""}], [{"custom": {"a": 1}}]])
async def test_rasa_silence_gets_sorry_and_safety_contacts(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str], reply: Any
) -> None:
    fake, _ = fake_rasa
    fake.reply = reply
    response = await demo_client.post("/api/chat", json={"message": "hello", "audience": "child"})
    assert response.status == 200
    body = await response.json()
    assert body["fallback"] is True
    (message,) = body["messages"]
    assert_sorry_then_safety(message["text"], api_errors.SORRY_NO_ANSWER)


@pytest.mark.asyncio
async def test_safety_text_is_built_once_per_council_and_audience(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.knowledge.safety_reply

    calls: list[tuple] = []
    real = bot.knowledge.safety_reply.safety_contacts
    monkeypatch.setattr(bot.knowledge.safety_reply, "safety_contacts", lambda *a: calls.append(a) or real(*a))
    fake, _ = fake_rasa
    fake.reply = []
    for _ in range(3):
        await demo_client.post("/api/chat", json={"message": "hello", "audience": "parent"})
    assert calls == [("calderdale",)]


@pytest.mark.asyncio
async def test_fixed_contacts_when_safety_reply_breaks(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.knowledge.safety_reply

    def broken(*_args: Any) -> str:
        raise RuntimeError("content missing")

    monkeypatch.setattr(bot.knowledge.safety_reply, "safety_contacts", broken)
    fake, _ = fake_rasa
    fake.reply = []
    body = await (await demo_client.post("/api/chat", json={"message": "hello"})).json()
    text = body["messages"][0]["text"]
    assert text == api_errors.SORRY_NO_ANSWER + "\n" + api_errors.RASA_DOWN
    assert "999" in text and "0800 1111" in text


# ---- the safety reply never waits (safeguarding issue) -------------------------------

DISCLOSURE = "i want to kill myself"
CHECK_IN_TEXT = "things are a bit much lately"  # flagged only by the stub matcher below


class StubMatcher:
    """Stands in for the safeguarding lexicon: one text per tier (the shipped rules may have no check-in)."""

    def __init__(self, tiers: dict[str, str]) -> None:
        self.tiers = tiers
        self.checked = 0

    def check(self, text: str) -> Any:
        self.checked += 1
        tier = self.tiers.get(text)
        return None if tier is None else SimpleNamespace(category="stub", rule="stub.rule", tier=tier)


class BrokenMatcher:
    def check(self, text: str) -> Any:
        raise RuntimeError("lexicon bug")


async def dead_rasa_url() -> str:
    """A loopback address where nothing listens (a port grabbed, then let go)."""
    probe = TestServer(web.Application())
    await probe.start_server()
    url = str(probe.make_url("")).rstrip("/")
    await probe.close()
    return url


async def timed_post(client: TestClient, body: dict) -> tuple[float, int, dict]:
    began = time.monotonic()
    response = await client.post("/api/chat", json=body)
    payload = await response.json()
    return time.monotonic() - began, response.status, payload


def check_in_buttons() -> list[dict[str, str]]:
    from bot.knowledge.safety_reply import CHECK_IN_BUTTONS

    return [{"title": title, "payload": payload} for title, payload in CHECK_IN_BUTTONS]


def test_deadlines() -> None:
    assert SAFETY_DEADLINE_SECONDS == 1.5
    assert DEFAULT_TIMEOUT_SECONDS == 8.0
    assert "try again" not in api_errors.SORRY_CANT_ANSWER.lower()


@pytest.mark.asyncio
async def test_disclosure_with_frozen_rasa_gets_safety_reply_within_2_seconds(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str], caplog: pytest.LogCaptureFixture
) -> None:
    from bot.knowledge.safety_reply import safety_reply

    fake, _ = fake_rasa
    fake.hang = True
    caplog.set_level(logging.DEBUG)
    elapsed, status, body = await timed_post(demo_client, {"message": DISCLOSURE, "audience": "child"})
    assert elapsed < 2.0
    assert status == 200
    assert body == {"messages": [{"text": safety_reply("calderdale")}], "fallback": True}
    text = body["messages"][0]["text"]
    for number in ("999", "0800 1111", "116 123"):
        assert number in text
    assert "try again" not in text.lower()
    assert len(fake.received) == 1  # Rasa was still told (its tracker keeps the conversation)
    assert "kill" not in caplog.text


@pytest.mark.asyncio
async def test_disclosure_with_rasa_down_gets_safety_reply_at_once(fake_rasa: tuple[FakeRasa, str]) -> None:
    from bot.knowledge.safety_reply import safety_reply

    client = await start_client(make_settings(await dead_rasa_url()))
    try:
        elapsed, status, body = await timed_post(client, {"message": DISCLOSURE})
        assert elapsed < SAFETY_DEADLINE_SECONDS
        assert status == 200
        assert body == {"messages": [{"text": safety_reply("calderdale")}], "fallback": True}
    finally:
        await client.close()


@pytest.mark.asyncio
@pytest.mark.parametrize("status,reply", [(500, {"oops": 1}), (200, []), (200, [{"recipient_id": "x", "text": ""}])])
async def test_disclosure_with_rasa_failing_or_silent_gets_safety_reply(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str], status: int, reply: Any
) -> None:
    from bot.knowledge.safety_reply import safety_reply

    fake, _ = fake_rasa
    fake.status, fake.reply = status, reply
    elapsed, code, body = await timed_post(demo_client, {"message": DISCLOSURE, "audience": "parent"})
    assert code == 200
    assert body == {"messages": [{"text": safety_reply("calderdale")}], "fallback": True}


@pytest.mark.asyncio
async def test_long_disclosure_is_checked_too(demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, _ = fake_rasa
    fake.hang = True
    message = "sorry this is long. " * 20 + DISCLOSURE  # over INLINE_CHECK_MAX_CHARS: checked in a thread
    assert len(message) > gateway_app.INLINE_CHECK_MAX_CHARS
    elapsed, status, body = await timed_post(demo_client, {"message": message})
    assert elapsed < 2.0 and status == 200 and body["fallback"] is True
    assert "0800 1111" in body["messages"][0]["text"]


@pytest.mark.asyncio
@pytest.mark.parametrize("payload", sorted(gateway_app.SAFETY_PAYLOADS))
async def test_help_now_and_not_safe_buttons_never_wait(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str], payload: str
) -> None:
    from bot.knowledge.safety_reply import safety_reply

    fake, _ = fake_rasa
    fake.hang = True
    elapsed, status, body = await timed_post(demo_client, {"message": payload})
    assert elapsed < 2.0
    assert status == 200
    assert body == {"messages": [{"text": safety_reply("calderdale")}], "fallback": True}


@pytest.mark.asyncio
@pytest.mark.parametrize("audience", ["child", "young_person", "parent", None])
async def test_check_in_with_frozen_rasa_gets_check_in_and_its_buttons(
    fake_rasa: tuple[FakeRasa, str], audience: str | None
) -> None:
    from bot.knowledge.safety_reply import check_in

    fake, url = fake_rasa
    fake.hang = True
    client = await start_client(make_settings(url), matcher=StubMatcher({CHECK_IN_TEXT: "check_in"}))
    try:
        body_in = {"message": CHECK_IN_TEXT} if audience is None else {"message": CHECK_IN_TEXT, "audience": audience}
        elapsed, status, body = await timed_post(client, body_in)
        assert elapsed < 2.0
        assert status == 200
        assert body == {
            "messages": [{"text": check_in("calderdale", audience), "buttons": check_in_buttons()}],
            "fallback": True,
        }
        assert len(body["messages"][0]["buttons"]) == 2
        assert "0800 1111" in body["messages"][0]["text"] or audience == "parent"
        assert "999" in body["messages"][0]["text"]
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_flagged_message_gets_rasas_reply_unchanged_when_rasa_is_quick(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    fake.reply = [
        {"recipient_id": "x", "text": "Rasa's own safety reply"},
        {"recipient_id": "x", "text": "Are you safe?", "buttons": [{"title": "I'm safe", "payload": "/safety_ok"}]},
    ]
    elapsed, status, body = await timed_post(demo_client, {"message": DISCLOSURE})
    assert status == 200
    assert body == {
        "messages": [
            {"text": "Rasa's own safety reply"},
            {"text": "Are you safe?", "buttons": [{"title": "I'm safe", "payload": "/safety_ok"}]},
        ]
    }
    assert fake.received[0]["message"] == DISCLOSURE


@pytest.mark.asyncio
async def test_flagged_message_waits_for_rasa_up_to_the_deadline(
    fake_rasa: tuple[FakeRasa, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway_app, "SAFETY_DEADLINE_SECONDS", 0.5)
    fake, url = fake_rasa
    fake.delay = 0.2
    client = await start_client(make_settings(url), matcher=StubMatcher({"worrying": "risk"}))
    try:
        _, status, body = await timed_post(client, {"message": "worrying"})
        assert status == 200 and body == {"messages": [{"text": "hello"}]}
        fake.delay = 1.0
        elapsed, status, body = await timed_post(client, {"message": "worrying"})
        assert elapsed < 1.0 and status == 200 and body["fallback"] is True
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_ordinary_message_is_not_cut_short_by_the_safety_deadline(
    fake_rasa: tuple[FakeRasa, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gateway_app, "SAFETY_DEADLINE_SECONDS", 0.1)
    fake, url = fake_rasa
    fake.delay = 0.3
    matcher = StubMatcher({})
    client = await start_client(make_settings(url), matcher=matcher)
    try:
        _, status, body = await timed_post(client, {"message": "what is a review"})
        assert status == 200 and body == {"messages": [{"text": "hello"}]}
        assert matcher.checked == 1
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_ordinary_message_with_rasa_down_opens_with_help_not_try_again() -> None:
    client = await start_client(make_settings(await dead_rasa_url()))
    try:
        response = await client.post("/api/chat", json={"message": "what is a review", "audience": "child"})
        assert response.status == 502
        text = (await response.json())["error"]
        assert "try again" not in text.lower()
        assert text.startswith(api_errors.SORRY_CANT_ANSWER)
        assert "0800 1111" in text
        # The most urgent contacts come first: 999, then Childline, then Samaritans.
        assert text.index("999") < text.index("0800 1111") < text.index("116 123") < text.index("0808 800 5000")
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_fixed_contacts_when_safety_reply_cannot_be_built(
    fake_rasa: tuple[FakeRasa, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.knowledge.safety_reply

    def broken(*_args: Any) -> str:
        raise RuntimeError("content missing")

    monkeypatch.setattr(bot.knowledge.safety_reply, "safety_reply", broken)
    monkeypatch.setattr(bot.knowledge.safety_reply, "check_in", broken)
    fake, url = fake_rasa
    fake.hang = True
    client = await start_client(make_settings(url), matcher=StubMatcher({DISCLOSURE: "risk", CHECK_IN_TEXT: "check_in"}))
    try:
        for message in (DISCLOSURE, CHECK_IN_TEXT):
            elapsed, status, body = await timed_post(client, {"message": message})
            assert elapsed < 2.0 and status == 200
            assert body == {"messages": [{"text": api_errors.RASA_DOWN}], "fallback": True}
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_safety_replies_are_built_at_start_up_not_per_message(
    fake_rasa: tuple[FakeRasa, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.knowledge.safety_reply

    calls: list[tuple] = []
    real = bot.knowledge.safety_reply.safety_reply
    monkeypatch.setattr(bot.knowledge.safety_reply, "safety_reply", lambda *a: calls.append(a) or real(*a))
    fake, url = fake_rasa
    fake.status = 500
    client = await start_client(make_settings(url))
    try:
        built = len(calls)
        assert built >= 1
        for _ in range(3):
            body = await (await client.post("/api/chat", json={"message": DISCLOSURE, "audience": "child"})).json()
            assert body["fallback"] is True
        assert len(calls) == built
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_rate_limited_disclosure_still_gets_the_safety_reply(fake_rasa: tuple[FakeRasa, str]) -> None:
    from bot.knowledge.safety_reply import safety_reply

    fake, url = fake_rasa
    client = await start_client(make_settings(url), rate_limit=1)
    try:
        assert (await client.post("/api/chat", json={"message": "hi"})).status == 200
        elapsed, status, body = await timed_post(client, {"message": DISCLOSURE, "audience": "child"})
        assert elapsed < 2.0 and status == 200
        assert body == {"messages": [{"text": safety_reply("calderdale")}], "fallback": True}
        assert len(fake.received) == 1  # not forwarded: the limit still protects Rasa
        limited = await client.post("/api/chat", json={"message": "hi"})
        assert limited.status == 429
        assert await limited.json() == {"error": api_errors.RATE_LIMITED}
    finally:
        await client.close()

@pytest.mark.asyncio
async def test_a_broken_matcher_never_stops_the_message(fake_rasa: tuple[FakeRasa, str]) -> None:
    client = await start_client(make_settings(fake_rasa[1]), matcher=BrokenMatcher())
    try:
        _, status, body = await timed_post(client, {"message": "hello"})
        assert status == 200 and body == {"messages": [{"text": "hello"}]}
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_only_text_buttons_custom_pass_through(demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, _ = fake_rasa
    fake.reply = [
        {
            "recipient_id": "abc",
            "text": "Pick one\nSource: somewhere",
            "buttons": [{"title": "Reviews", "payload": "/ask_reviews", "type": "postback"}],
            "image": "http://example.org/x.png",
        },
        {"recipient_id": "abc", "custom": {"kind": "handoff"}},
        {"recipient_id": "abc", "attachment": "x"},
    ]
    response = await demo_client.post("/api/chat", json={"message": "hi"})
    assert await response.json() == {
        "messages": [
            {"text": "Pick one\nSource: somewhere", "buttons": [{"title": "Reviews", "payload": "/ask_reviews"}]},
            {"custom": {"kind": "handoff"}},
        ]
    }


@pytest.mark.asyncio
async def test_api_responses_not_cached(demo_client: TestClient) -> None:
    response = await demo_client.get("/api/session")
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.asyncio
async def test_logs_hold_no_message_text_token_case_ref_or_name(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str], caplog: pytest.LogCaptureFixture
) -> None:
    fake, _ = fake_rasa
    caplog.set_level(logging.DEBUG)
    await demo_client.post("/api/demo/signin", json={"case_ref": "FAKE-2"})
    secret_text = "my foster carer hurt me zebra-marker"
    await demo_client.post("/api/chat", json={"message": secret_text})
    await demo_client.post("/api/chat", json={"message": "x" * 1001 + "zebra-marker"})
    fake.status = 500
    await demo_client.post("/api/chat", json={"message": secret_text})  # flagged: the gateway's own safety reply
    await demo_client.post("/api/chat", json={"message": "what is a zebra-marker"})  # not flagged: 502
    await demo_client.get("/static/zebra-marker-in-path")
    token = fake.received[0]["metadata"]["carechat_token"]
    text = caplog.text
    assert "POST /api/chat 502" in text  # the access log is there, with real statuses...
    assert "GET /static 404" in text
    for forbidden in ("zebra-marker", "foster carer", token, "FAKE-2", "Pretend Sam", fake.received[0]["sender"]):
        assert forbidden not in text  # ...but nothing personal is


def test_refuses_dev_secret_outside_demo_mode() -> None:
    settings = load_settings({"CARECHAT_DEMO_MODE": "false"})
    with pytest.raises(ConfigurationError):
        create_app(settings)


def test_dev_secret_allowed_in_demo_mode() -> None:
    settings = load_settings({"CARECHAT_DEMO_MODE": "true"})
    assert isinstance(create_app(settings), web.Application)


# ---- the chat page itself ------------------------------------------------------------


@pytest.mark.asyncio
async def test_page_states_how_long_conversations_are_kept(fake_rasa: tuple[FakeRasa, str]) -> None:
    settings = load_settings({"RASA_URL": fake_rasa[1], "CARECHAT_TOKEN_SECRET": SECRET,
                              "CARECHAT_DEMO_MODE": "false", "CARECHAT_RETENTION_DAYS": "14"})
    client = await start_client(settings)
    try:
        response = await client.get("/")
        page = await response.text()
        assert response.headers["Cache-Control"] == "no-cache"
        assert "We keep what you write for 14 days" in page
        assert "{{" not in page
        assert "computer program" in page and "No person reads this chat" in page
    finally:
        await client.close()


@pytest.mark.parametrize("days,phrase", [(30, "30 days"), (1, "1 day"), (0.5, "1 day"), (2.2, "3 days")])
def test_retention_phrase(days: float, phrase: str) -> None:
    assert retention_phrase(days) == phrase


def test_page_loads_nothing_from_anywhere_else_and_has_no_inline_code() -> None:
    import re

    html = (STATIC_DIR / "index.html").read_text()
    css = (STATIC_DIR / "chat.css").read_text()
    js = (STATIC_DIR / "chat.js").read_text()
    for match in re.finditer(r"<(script|link)\b[^>]*>", html):
        ref = re.search(r"(?:src|href)=\"([^\"]+)\"", match.group(0))
        assert ref and ref.group(1).startswith("/static/"), match.group(0)
    assert re.findall(r"<script\b[^>]*>([^<]+)</script>", html) == []  # no inline script
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    assert not re.search(r"\sstyle=", html)  # no inline styles
    # The only address elsewhere is the quick exit's destination (followed only when pressed).
    assert re.findall(r"https?://[^\s\"'<>]+", html) == ["https://www.bbc.co.uk/weather"]
    assert "url(" not in css and "@import" not in css
    assert re.findall(r"fetch\(\"([^\"]+)\"", js) and all(
        url.startswith("/api/") for url in re.findall(r"fetch\(\"([^\"]+)\"", js))


def test_script_never_turns_text_into_html() -> None:
    import re

    code = re.sub(r"^\s*//.*$", "", (STATIC_DIR / "chat.js").read_text(), flags=re.M)  # comments may name them
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in code
    # Nothing is kept beyond the tab session.
    assert "localStorage" not in code and "document.cookie" not in code


def test_page_has_the_controls_every_screen_needs() -> None:
    html = (STATIC_DIR / "index.html").read_text()
    for needle in ('id="help-now"', 'id="quick-exit"', 'id="start-again"', 'aria-live="polite"',
                   '<label for="message">', '<label for="who">', 'id="signout"', 'lang="en-GB"'):
        assert needle in html


@pytest.mark.asyncio
async def test_restart_starts_new_conversation_but_stays_signed_in(
    demo_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    await demo_client.post("/api/demo/signin", json={"case_ref": "FAKE-1"})
    await demo_client.post("/api/chat", json={"message": "one", "audience": "parent"})
    restart = await demo_client.post("/api/restart")
    assert restart.status == 200
    assert (await restart.json())["signed_in"] is True
    await demo_client.post("/api/chat", json={"message": "two"})
    assert fake.received[0]["sender"] != fake.received[1]["sender"]
    assert "carechat_token" in fake.received[1]["metadata"]
    assert fake.received[1]["metadata"]["audience"] == "parent"


@pytest.mark.asyncio
async def test_signout_works_outside_demo_mode_for_quick_exit(
    live_client: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    await live_client.post("/api/chat", json={"message": "one", "audience": "child"})
    # navigator.sendBeacon posts with no JSON body.
    out = await live_client.post("/api/signout", data=b"", headers={"Content-Type": "text/plain"})
    assert out.status == 200
    assert await out.json() == {"signed_in": False, "display_name": None, "demo_mode": False, "audience": None}
    await live_client.post("/api/chat", json={"message": "two"})
    assert fake.received[0]["sender"] != fake.received[1]["sender"]
    assert fake.received[1]["metadata"]["audience"] is None
