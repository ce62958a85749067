"""A session store that fails at any step (reading, counting, saving, rotating) or freezes: the person
gets a kind 503, a worrying message the safety reply within 2 seconds, and never a stack trace or a
silent sign-out. Failures are injected into the in-memory store, and a frozen "Redis" is a socket
that never answers, so no Redis is needed."""
from __future__ import annotations

import asyncio
import contextlib
import time
from types import SimpleNamespace
from typing import Any, AsyncIterator, Iterable, Optional

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import api_errors, create_app
from bot.gateway.redis_link import RedisLink
from bot.gateway.redis_sessions import RedisSessions
from bot.gateway.redis_signins import RedisUsedSignins
from bot.gateway.security import runner_options
from bot.gateway.session_store import MemorySessions, StoreUnavailable
from bot.gateway.sessions import COOKIE_NAME, Session, SessionStore
from bot.settings import Settings, load_settings
from tests.unit.gateway_fakes import FakeRasa

SECRET = "store-failure-test-secret-that-is-long-enough-0123456789"
PEOPLE = [{"case_ref": "FAKE-1", "display_name": "Pretend Pat", "situation": "test person"}]
DISCLOSURE = "i want to kill myself"
DOWN = {"error": api_errors.STORE_DOWN}


class StubMatcher:
    def check(self, text: str) -> Any:
        return SimpleNamespace(tier="risk") if text == DISCLOSURE else None


class FailingSessions(MemorySessions):
    """The in-memory store, except that the operations named in ``failing`` raise StoreUnavailable."""

    def __init__(self) -> None:
        super().__init__(SessionStore())
        self.failing: set[str] = set()

    def _check(self, operation: str) -> None:
        if operation in self.failing:
            raise StoreUnavailable("ConnectionError")

    async def get(self, session_id: Optional[str]) -> Optional[Session]:
        self._check("get")
        return await super().get(session_id)

    async def create(self) -> tuple[str, Session]:
        self._check("create")
        return await super().create()

    async def save(self, session_id: str, session: Session, changed: Iterable[str]) -> None:
        self._check("save")
        await super().save(session_id, session, changed)

    async def rotate(self, old_id: Optional[str], session: Session) -> str:
        self._check("rotate")
        return await super().rotate(old_id, session)

    async def allow_message(self, session_id: str, session: Session, limit: int) -> bool:
        self._check("allow_message")
        return await super().allow_message(session_id, session, limit)



def settings_for(rasa_url: str) -> Settings:
    return load_settings({"RASA_URL": rasa_url, "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_DEMO_MODE": "true",
                          "CARECHAT_COUNCIL": "calderdale"})


@contextlib.asynccontextmanager
async def running(rasa_url: str, **kwargs: Any) -> AsyncIterator[TestClient]:
    app = create_app(settings_for(rasa_url), demo_people=PEOPLE, matcher=StubMatcher(), **kwargs)
    server = TestServer(app)
    await server.start_server(**runner_options())
    client = TestClient(server)
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def safety_body() -> dict:
    from bot.knowledge.safety_reply import safety_reply

    return {"messages": [{"text": safety_reply("calderdale")}], "fallback": True}


async def test_a_store_that_cannot_be_read_is_a_kind_503_and_signs_nobody_out(
    fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = fake_rasa
    store = FailingSessions()
    async with running(url, session_store=store) as client:
        await client.post("/api/demo/signin", json={"case_ref": "FAKE-1"})
        store.failing = {"get"}
        for method, path in (("GET", "/api/session"), ("POST", "/api/chat"), ("POST", "/api/signout")):
            response = await client.request(method, path, json={"message": "hi"})
            assert response.status == 503 and await response.json() == DOWN
            assert "Set-Cookie" not in response.headers
        response = await client.post("/api/chat", json={"message": DISCLOSURE})
        assert response.status == 200 and await response.json() == await safety_body()
        assert fake.received == []
        store.failing = set()
        assert (await (await client.get("/api/session")).json())["signed_in"] is True


async def test_a_new_visitor_gets_a_kind_503_when_no_session_can_be_started(fake_rasa: tuple[FakeRasa, str]) -> None:
    store = FailingSessions()
    store.failing = {"create"}
    async with running(fake_rasa[1], session_store=store) as client:
        response = await client.post("/api/restart")
        assert response.status == 503 and await response.json() == DOWN
        worrying = await client.post("/api/chat", json={"message": DISCLOSURE, "audience": "child"})
        assert worrying.status == 200 and await worrying.json() == await safety_body()
        assert len(store) == 0


async def test_when_the_message_count_fails_a_worrying_message_still_gets_the_safety_reply(
    fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = fake_rasa
    store = FailingSessions()
    async with running(url, session_store=store) as client:
        assert (await client.post("/api/chat", json={"message": "hi"})).status == 200
        store.failing = {"allow_message"}
        plain = await client.post("/api/chat", json={"message": "hi again"})
        assert plain.status == 503 and await plain.json() == DOWN
        worrying = await client.post("/api/chat", json={"message": DISCLOSURE})
        assert worrying.status == 200 and await worrying.json() == await safety_body()
        assert len(fake.received) == 1


async def test_an_answer_is_never_lost_because_the_session_could_not_be_saved(fake_rasa: tuple[FakeRasa, str]) -> None:
    fake, url = fake_rasa
    store = FailingSessions()
    async with running(url, session_store=store) as client:
        await client.post("/api/restart")
        store.failing = {"save"}
        response = await client.post("/api/chat", json={"message": "hi", "audience": "parent"})
        assert response.status == 200 and await response.json() == {"messages": [{"text": "hello"}]}
        assert len(fake.received) == 1
        restart = await client.post("/api/restart")  # anything else that cannot be saved says so
        assert restart.status == 503 and await restart.json() == DOWN


async def test_a_sign_in_or_out_that_cannot_be_saved_is_a_kind_503_with_no_new_cookie(
    fake_rasa: tuple[FakeRasa, str]
) -> None:
    store = FailingSessions()
    async with running(fake_rasa[1], session_store=store) as client:
        await client.post("/api/demo/signin", json={"case_ref": "FAKE-1"})
        store.failing = {"rotate"}
        for path in ("/api/signout", "/api/demo/signin"):
            response = await client.post(path, json={"case_ref": "FAKE-1"})
            assert response.status == 503 and await response.json() == DOWN
            assert "Set-Cookie" not in response.headers
        store.failing = set()  # (in memory the handler's change is already in place; Redis keeps the old state)
        signout = await client.post("/api/signout")
        assert COOKIE_NAME in signout.cookies and (await signout.json())["signed_in"] is False


# ---- a frozen Redis: a socket that accepts and never answers ---------------------------------------


@pytest_asyncio.fixture
async def frozen_redis_url() -> AsyncIterator[str]:
    held: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_frozen_redis_costs_a_fraction_of_a_second_never_a_hang(frozen_redis_url: str) -> None:
    link = RedisLink(frozen_redis_url)
    try:
        for attempt in (RedisSessions(link).get("a" * 43),
                        RedisUsedSignins(link).claim("jti", time.time() + 60, time.time())):
            began = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await attempt
            assert time.monotonic() - began < 1.5
    finally:
        await link.close()


async def test_with_a_frozen_redis_a_worrying_message_gets_the_safety_reply_within_two_seconds(
    fake_rasa: tuple[FakeRasa, str], frozen_redis_url: str
) -> None:
    fake, url = fake_rasa
    settings = load_settings({"RASA_URL": url, "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_DEMO_MODE": "true",
                              "CARECHAT_COUNCIL": "calderdale", "CARECHAT_SESSION_STORE_URL": frozen_redis_url})
    app = create_app(settings, matcher=StubMatcher())
    client = TestClient(TestServer(app), cookie_jar=aiohttp.DummyCookieJar())
    await client.start_server()
    try:
        began = time.monotonic()
        response = await client.post("/api/chat", json={"message": DISCLOSURE},
                                     headers={"Cookie": f"{COOKIE_NAME}={'b' * 43}"})
        assert time.monotonic() - began < 2.0
        assert response.status == 200 and await response.json() == await safety_body()
        plain = await client.post("/api/chat", json={"message": "hi"})
        assert plain.status == 503 and await plain.json() == DOWN
        assert fake.received == []
    finally:
        await client.close()
