"""Start the real stack once per test session, on test ports, with its own case store."""
from __future__ import annotations

import http.cookiejar
import json
import os
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from bot.settings import Settings, load_settings
from bot.ops.stack import Stack
from bot.ops.training import ensure_model

TEST_SECRET = "e2e-test-secret-" + "x" * 32


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory) -> Settings:
    var_dir = tmp_path_factory.mktemp("carechat-var")
    base = int(os.environ.get("CARECHAT_TEST_PORT_BASE", "17000"))
    return load_settings({
        "GATEWAY_PORT": str(base + 80),
        "RASA_PORT": str(base + 5),
        "ACTION_PORT": str(base + 55),
        "CARECHAT_VAR_DIR": str(var_dir),
        "CASE_STORE_URL": f"sqlite:///{var_dir / 'casestore.sqlite'}",
        "CARECHAT_TOKEN_SECRET": TEST_SECRET,
        "CARECHAT_DEMO_MODE": "true",
        "CARECHAT_COUNCIL": "north_yorkshire",
        # Every test request comes from 127.0.0.1: the per-address limits would refuse them.
        "CARECHAT_RATE_LIMIT_PER_ADDRESS": "100000",
    })


@pytest.fixture(scope="session")
def case_store(stack_settings):
    """The demo people, loaded into the test stack's own case store."""
    from bot.personal.casestore.db import session_factory
    from bot.personal.casestore.demo import load_demo
    from bot.personal.casestore.migrate import upgrade_to_head

    upgrade_to_head(stack_settings.case_store_url)
    factory = session_factory(stack_settings.case_store_url)
    load_demo(factory, date.today())
    return factory


@pytest.fixture(scope="session")
def stack(stack_settings, case_store):
    # CARECHAT_TEST_MODEL pins an already trained model (while training data is being edited).
    pinned = os.environ.get("CARECHAT_TEST_MODEL")
    running = Stack(stack_settings, Path(pinned) if pinned else ensure_model())
    running.start(timeout=300, say=lambda line: None)
    yield running
    running.stop()


class GatewayClient:
    """A browser stand-in: keeps the session cookie and talks JSON to the gateway."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with self.opener.open(req, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def say(self, text: str, audience: str = "young_person") -> str:
        status, body = self.request("POST", "/api/chat", {"message": text, "audience": audience})
        assert status == 200, body
        return "\n".join(m.get("text", "") for m in body["messages"])


@pytest.fixture()
def gateway(stack, stack_settings) -> GatewayClient:
    return GatewayClient(f"http://127.0.0.1:{stack_settings.gateway_port}")


@pytest.fixture()
def rasa_rest(stack, stack_settings):
    """Send one message straight to Rasa's REST channel; returns the joined reply text."""
    url = f"{stack_settings.rasa_url}/webhooks/rest/webhook"

    def send(sender: str, text: str, metadata: dict | None = None) -> str:
        payload = {"sender": sender, "message": text}
        if metadata is not None:
            payload["metadata"] = metadata
        req = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as response:
            return "\n".join(m.get("text", "") for m in json.loads(response.read()))

    return send
