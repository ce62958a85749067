"""/healthz reports the gateway, Rasa and the action server, and answers 503 when one is down.

A load balancer reads only the status code: 200 keeps this gateway in rotation, 503 takes it
out while the Rasa server or action server behind it cannot answer.
"""
from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import app as gateway_app
from bot.gateway import create_app
from bot.settings import load_settings

SECRET = "healthz-test-secret-long-enough-for-hs256-0123456789"
NO_FLAGS = SimpleNamespace(check=lambda text: None)  # a safeguarding matcher that never flags


class FakeService:
    """Rasa's REST channel health route and rasa-sdk's /health, answering as the test says."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.status = 200
        self.hang = False
        self.release = asyncio.Event()

    async def health(self, request: web.Request) -> web.Response:
        if self.hang:
            await self.release.wait()
        return web.json_response({"status": "ok"}, status=self.status)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(self.path, self.health)
        return app


async def _serve(fake: FakeService) -> TestServer:
    server = TestServer(fake.app())
    await server.start_server()
    return server


async def dead_url() -> str:
    """A loopback address where nothing listens (a port grabbed, then let go)."""
    probe = TestServer(web.Application())
    await probe.start_server()
    url = str(probe.make_url("")).rstrip("/")
    await probe.close()
    return url


@pytest_asyncio.fixture
async def services() -> AsyncIterator[tuple[FakeService, FakeService, dict[str, str]]]:
    rasa, actions = FakeService("/webhooks/rest/"), FakeService("/health")
    rasa_server, action_server = await _serve(rasa), await _serve(actions)
    urls = {"RASA_URL": str(rasa_server.make_url("")).rstrip("/"),
            "ACTION_URL": str(action_server.make_url("")).rstrip("/")}
    try:
        yield rasa, actions, urls
    finally:
        rasa.release.set()
        actions.release.set()
        await rasa_server.close()
        await action_server.close()


async def gateway(urls: dict[str, str]) -> TestClient:
    settings = load_settings({**urls, "CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_COUNCIL": "calderdale"})
    client = TestClient(TestServer(create_app(settings, matcher=NO_FLAGS)))
    await client.start_server()
    return client


@pytest.mark.asyncio
async def test_all_up_is_200_with_every_service_ok(services) -> None:
    client = await gateway(services[2])
    try:
        response = await client.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"status": "ok", "services": {
            "gateway": {"status": "ok"}, "rasa": {"status": "ok"}, "action_server": {"status": "ok"}}}
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_rasa_down_is_503_and_names_rasa(services) -> None:
    client = await gateway({**services[2], "RASA_URL": await dead_url()})
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["status"] == "unavailable"
        assert body["services"] == {"gateway": {"status": "ok"},
                                    "rasa": {"status": "down", "reason": "unreachable"},
                                    "action_server": {"status": "ok"}}
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_action_server_down_is_503_and_names_it(services) -> None:
    client = await gateway({**services[2], "ACTION_URL": await dead_url()})
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["services"]["action_server"] == {"status": "down", "reason": "unreachable"}
        assert body["services"]["rasa"] == {"status": "ok"}
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_rasa_answering_an_error_is_down(services) -> None:
    rasa, _, urls = services
    rasa.status = 500
    client = await gateway(urls)
    try:
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["services"]["rasa"] == {"status": "down", "reason": "HTTP 500"}
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_a_frozen_service_is_down_within_the_quick_timeout(services) -> None:
    rasa, actions, urls = services
    rasa.hang = actions.hang = True
    assert gateway_app.HEALTH_TIMEOUT_SECONDS <= 1.0
    client = await gateway(urls)
    try:
        began = time.monotonic()
        response = await client.get("/healthz")
        elapsed = time.monotonic() - began
        assert response.status == 503
        body = await response.json()
        assert body["services"]["rasa"] == {"status": "down", "reason": "timeout"}
        assert body["services"]["action_server"] == {"status": "down", "reason": "timeout"}
        assert elapsed < gateway_app.HEALTH_TIMEOUT_SECONDS + 0.8  # both checked at once, not one after the other
    finally:
        await client.close()


@pytest.mark.asyncio
async def test_health_answer_gives_no_addresses(services) -> None:
    client = await gateway({**services[2], "RASA_URL": await dead_url()})
    try:
        text = await (await client.get("/healthz")).text()
        assert "127.0.0.1" not in text and "http" not in text
    finally:
        await client.close()
