"""The safety reply never waits: with the action server frozen, a disclosure still gets the contacts.

The action server is stopped with SIGSTOP (a frozen process is the worst case: connections
are accepted and then nothing answers, so Rasa waits too) and always resumed with SIGCONT,
then checked healthy again, so tests after these still have the whole stack.
"""
from __future__ import annotations

import os
import signal
import time

import pytest

from bot.gateway.rasa_client import DEFAULT_TIMEOUT_SECONDS
from bot.ops.stack import is_healthy
from tests.e2e.conftest import GatewayClient

pytestmark = pytest.mark.e2e

DISCLOSURE = "i want to kill myself"
SAFETY_BUDGET_SECONDS = 2.0



@pytest.fixture()
def frozen_action_server(stack):
    """The action server (and anything it started) stopped with SIGSTOP for one test, then resumed."""
    service = next(s for s in stack.services if s.name == "action server")
    process = service.process
    assert process is not None and process.poll() is None, "the action server is not running"
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        yield service
    finally:
        os.killpg(process.pid, signal.SIGCONT)
        deadline = time.monotonic() + 60
        while not is_healthy(service.health_url):
            if time.monotonic() > deadline:
                pytest.fail(f"the action server did not recover after SIGCONT; see {service.log_path}")
            time.sleep(0.2)


def _post(gateway: GatewayClient, message: str, audience: str = "young_person") -> tuple[float, int, dict]:
    began = time.monotonic()
    status, body = gateway.request("POST", "/api/chat", {"message": message, "audience": audience})
    return time.monotonic() - began, status, body


def test_disclosure_gets_the_contacts_within_2_seconds_with_the_action_server_stopped(
    gateway: GatewayClient, frozen_action_server
):
    elapsed, status, body = _post(gateway, DISCLOSURE, audience="child")
    assert elapsed < SAFETY_BUDGET_SECONDS, f"safety reply took {elapsed:.2f} s"
    assert status == 200, body
    text = "\n".join(m.get("text", "") for m in body["messages"])
    assert "0800 1111" in text
    assert "999" in text
    assert "try again" not in text.lower()


def test_ordinary_message_with_the_action_server_stopped_opens_with_help_not_try_again(
    gateway: GatewayClient, frozen_action_server
):
    elapsed, status, body = _post(gateway, "what is an sgo")
    assert elapsed < DEFAULT_TIMEOUT_SECONDS + 3, f"took {elapsed:.2f} s"
    text = body.get("error") or "\n".join(m.get("text", "") for m in body.get("messages", []))
    assert "0800 1111" in text and "999" in text, (status, body)
    assert "try again" not in text.lower()


def test_the_stack_answers_normally_again_afterwards(gateway: GatewayClient):
    reply = gateway.say("what is an SGO")
    assert "guardian" in reply.lower()
    assert "Source:" in reply
