"""One message, one turn: the page's turn id and attempt are checked, and the gateway sends a turn
to Rasa again, with the same turn id, only after a failure where that is safe and useful."""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.gateway.api_errors import ApiError
from bot.gateway.rasa_client import RasaUnavailable, send_turn
from bot.gateway.validation import parse_chat

TURN = "t" * 22


# --- what the page sends ------------------------------------------------------------------
def test_turn_id_and_attempt_are_taken_from_the_page() -> None:
    chat = parse_chat({"message": "hi", "turn_id": TURN, "attempt": 3})
    assert (chat.turn_id, chat.attempt, chat.is_resend) == (TURN, 3, True)


def test_a_page_without_turn_ids_gets_a_fresh_one_per_message() -> None:
    first, second = parse_chat({"message": "hi"}), parse_chat({"message": "hi"})
    assert first.turn_id != second.turn_id and len(first.turn_id) >= 16
    assert (first.attempt, first.is_resend) == (1, False)


@pytest.mark.parametrize("field, value", [
    ("turn_id", "short"), ("turn_id", "x" * 65), ("turn_id", "has spaces in it ok?"), ("turn_id", 12345),
    ("attempt", 0), ("attempt", 51), ("attempt", "2"), ("attempt", True), ("attempt", 1.5),
])
def test_malformed_turn_fields_are_refused_kindly(field: str, value: Any) -> None:
    with pytest.raises(ApiError) as refused:
        parse_chat({"message": "hi", "turn_id": TURN, field: value})
    assert refused.value.status == 400


# --- resending to Rasa --------------------------------------------------------------------
class FlakyRasa:
    """Answers with each status in ``script`` in turn (200 = a reply), recording every body."""

    def __init__(self, script: list[int | str]) -> None:
        self.script = list(script)
        self.bodies: list[dict] = []

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        self.bodies.append(await request.json())
        step = self.script.pop(0) if self.script else 200
        if step == "drop":
            assert request.transport is not None
            request.transport.close()  # the replica died mid-turn
            return web.Response()
        if step == "slow":
            await asyncio.sleep(1.0)
        if step in (200, "slow"):
            return web.json_response([{"text": "answer"}])
        return web.json_response({"error": "x"}, status=int(step))


async def _send(script: list[int | str], timeout: float = 5.0) -> tuple[list[dict] | Exception, FlakyRasa]:
    rasa = FlakyRasa(script)
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", rasa.webhook)
    async with TestServer(app) as server:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as client:
            try:
                result: list[dict] | Exception = await send_turn(
                    client, str(server.make_url("")), "sender", "hi", {"turn_id": TURN}, delays=(0.01, 0.01, 0.01))
            except RasaUnavailable as exc:
                result = exc
    return result, rasa


@pytest.mark.parametrize("failure", [500, 502, 503, "drop"])
def test_a_failed_turn_is_sent_again_with_the_same_turn_id(failure) -> None:
    result, rasa = asyncio.run(_send([failure, failure]))
    assert result == [{"text": "answer"}]
    assert len(rasa.bodies) == 3
    assert {body["metadata"]["turn_id"] for body in rasa.bodies} == {TURN}


def test_resends_stop_after_the_last_delay() -> None:
    result, rasa = asyncio.run(_send([503] * 10))
    assert isinstance(result, RasaUnavailable) and len(rasa.bodies) == 4


@pytest.mark.parametrize("status", [400, 404, 413])
def test_a_refusal_is_not_sent_again(status: int) -> None:
    result, rasa = asyncio.run(_send([status]))
    assert isinstance(result, RasaUnavailable) and not result.resendable and len(rasa.bodies) == 1


def test_a_timeout_is_not_sent_again_because_the_turn_may_still_be_running() -> None:
    result, rasa = asyncio.run(_send(["slow"], timeout=0.3))
    assert isinstance(result, RasaUnavailable) and len(rasa.bodies) == 1
