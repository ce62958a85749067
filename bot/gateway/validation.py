"""Reading and checking what the browser posts, before anything reaches Rasa."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.gateway import api_errors
from bot.gateway.api_errors import ApiError
from bot.gateway.sessions import AUDIENCES

MAX_MESSAGE_CHARS = 1000
#: Whole request body cap; generous enough for 1000 characters written as JSON escapes.
MAX_BODY_BYTES = 16 * 1024


@dataclass(frozen=True)
class ChatInput:
    """A checked chat message and the optional audience the page sent with it."""

    message: str
    audience: str | None


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
    return ChatInput(message=text, audience=audience)
