"""Rasa's REST channel, except that a failed turn says so and nothing of the message is logged.

Why not Rasa 3.6's own ``rest`` channel (rasa/core/channels/rest.py): when handling a message
raises (the tracker store went away mid-turn, say), it logs the exception *with the message
text* and answers 200 with whatever replies were collected before the failure. The person sees
an answer, but the turn was never saved: the fault tests found exactly that when PostgreSQL
restarted under load (2 of 150 turns). Here a failed turn answers 500 and logs only the
exception's type: the gateway then sends the same turn again (same ``turn_id``), and Rasa
handles it whole, or replays it if it was saved after all (``bot.engine.turn_replay``).

Same name (``rest``) and paths (``/webhooks/rest/webhook``, ``/webhooks/rest/``) as Rasa's, so
the gateway does not change; credentials.yml names this class instead of ``rest``.
"""
from __future__ import annotations

import inspect
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
#: What a failed turn answers: no detail, so nothing of the message or the error leaks.
FAILED_TURN = {"error": "the turn could not be completed; send it again"}


async def handle_turn(on_new_message: OnNewMessage, sender_id: str, text: Optional[str],
                      input_channel: Optional[str], metadata: Optional[dict]) -> tuple[int, Any]:
    """Run one turn; (200, the replies) when it completed, (500, FAILED_TURN) when it did not."""
    collector = CollectingOutputChannel()
    try:
        await on_new_message(UserMessage(text, collector, sender_id, input_channel=input_channel, metadata=metadata))
    except CancelledError:
        # The caller went away (it will resend the turn if it still wants it); end quietly.
        logger.warning("a turn was cancelled before it finished")
        raise
    except Exception as exc:  # noqa: BLE001 - any failure: the turn was not completed
        logger.error("a turn failed and was not completed: %s", type(exc).__name__)
        return 500, FAILED_TURN
    return 200, collector.messages


class TurnSafeRestInput(RestInput):
    """The ``rest`` channel with :func:`handle_turn` (no streaming: the gateway never asks for it)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", inspect.getmodule(self).__name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            status, body = await handle_turn(on_new_message, await self._extract_sender(request),
                                             self._extract_message(request), self._extract_input_channel(request),
                                             self.get_metadata(request))
            return response.json(body, status=status)

        return webhook
