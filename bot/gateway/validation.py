"""Reading and checking what the browser posts, before anything reaches Rasa."""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.gateway import api_errors
from bot.gateway.api_errors import ApiError
from bot.gateway.sessions import AUDIENCES

MAX_MESSAGE_CHARS = 1000
#: Whole request body cap; generous enough for 1000 characters written as JSON escapes.
MAX_BODY_BYTES = 16 * 1024
#: A turn id the page chose: url-safe random characters. One per message, the same on every resend.
TURN_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
#: More resends than a page makes in its retry window are refused as malformed.
MAX_ATTEMPT = 50


@dataclass(frozen=True)
class ChatInput:
    """A checked chat message, the optional audience, and which turn (and which try at it) this is.

    ``turn_id`` identifies one message the person sent, across every resend of it, so that a
    message resent after a fault is handled once (``bot.engine.turn_replay``). A page that sends
    none (an older page) gets a fresh one per request: it is then never resent.
    """

    message: str
    audience: str | None
    turn_id: str = ""
    attempt: int = 1

    @property
    def is_resend(self) -> bool:
        return self.attempt > 1


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """Return the request body as a JSON object or raise a kind :class:`ApiError`.

    Requiring ``application/json`` also means a cross-site form cannot post here
    without a CORS preflight, which this server never grants.
    """
    if request.content_type != "application/json":
        raise ApiError(400, api_errors.NOT_JSON)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise ApiError(413, api_errors.TOO_LONG) from exc
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, api_errors.TOO_LONG)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, api_errors.NOT_JSON) from exc
    if not isinstance(data, dict):
        raise ApiError(400, api_errors.NOT_JSON)
    return data


def parse_chat(data: dict[str, Any]) -> ChatInput:
    """Check the message and audience fields of a chat request."""
    message = data.get("message")
    if message is not None and not isinstance(message, str):
        raise ApiError(400, api_errors.NOT_JSON)
    text = (message or "").strip()
    if not text:
        raise ApiError(400, api_errors.EMPTY_MESSAGE)
    if len(text) > MAX_MESSAGE_CHARS:
        raise ApiError(413, api_errors.TOO_LONG)
    audience = data.get("audience")
    if audience in (None, ""):
        audience = None
    elif audience not in AUDIENCES:
        raise ApiError(400, api_errors.BAD_AUDIENCE)
    return ChatInput(message=text, audience=audience, turn_id=_turn_id(data.get("turn_id")),
                     attempt=_attempt(data.get("attempt")))


def _turn_id(value: Any) -> str:
    """The page's turn id if well formed; a new random one if there is none."""
    if value in (None, ""):
        return secrets.token_urlsafe(16)
    if not isinstance(value, str) or not TURN_ID_PATTERN.fullmatch(value):
        raise ApiError(400, api_errors.NOT_JSON)
    return value


def _attempt(value: Any) -> int:
    """Which send of this turn (1 = first); a bool or anything outside 1..MAX_ATTEMPT is malformed."""
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPT:
        raise ApiError(400, api_errors.NOT_JSON)
    return value
