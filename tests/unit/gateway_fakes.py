"""Stand-ins the gateway tests share: a safeguarding check that flags nothing, and a Rasa
REST channel that records what the gateway forwards and always answers the same."""
from __future__ import annotations

from typing import Any

from aiohttp import web


class NoSignal:
    """A safeguarding check that flags nothing (the safety path is tested in test_gateway_app.py)."""

    def check(self, text: str) -> None:
        return None


class FakeRasa:
    """Records what the gateway forwards (sender, message, metadata) so a test can see whether a
    token went with a message; answers every message with ``reply``."""

    def __init__(self, reply: str = "hello") -> None:
        self.reply = reply
        self.received: list[dict[str, Any]] = []

    async def webhook(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        return web.json_response([{"recipient_id": "x", "text": self.reply}])
