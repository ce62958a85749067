"""Forwarding one chat message to Rasa's REST channel and cleaning what comes back.

Only the gateway talks to Rasa. What Rasa returns is filtered to the few keys the page
renders (text, buttons, custom), so nothing internal (recipient ids, attachments the page
cannot show safely) ever reaches the browser.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

REST_WEBHOOK_PATH = "/webhooks/rest/webhook"
#: How long an ordinary message may wait for Rasa. A message the gateway's own safeguarding
#: check flags waits far less (``bot.gateway.app.SAFETY_DEADLINE_SECONDS``).
DEFAULT_TIMEOUT_SECONDS = 8.0


#: Statuses after which the same turn may be sent again: the load balancer found no replica
#: (502/503), or the replica failed mid-turn (500) and saved nothing. Rasa hands a resent turn
#: it already handled its recorded replies (``bot.engine.turn_replay``), so a resend is never a
#: second turn.
RESENDABLE_STATUSES = frozenset({500, 502, 503})
#: Waits between resends of one turn to Rasa; the page's own resends come on top.
RESEND_DELAYS_SECONDS = (0.2, 0.5, 1.0)


class RasaUnavailable(Exception):
    """Rasa could not be reached, timed out or answered with something unusable.

    ``resendable`` says whether sending the same turn again could help now (a refused or
    dropped connection, a replica that failed); a timeout is not: the turn may still be running.
    """

    def __init__(self, reason: str, resendable: bool = False) -> None:
        super().__init__(reason)
        self.resendable = resendable


def webhook_url(rasa_url: str) -> str:
    """The REST channel address for a Rasa base URL (with or without a trailing slash)."""
    return rasa_url.rstrip("/") + REST_WEBHOOK_PATH


def default_client() -> aiohttp.ClientSession:
    """An HTTP client with a total timeout, so a stuck Rasa cannot hold the page forever."""
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=DEFAULT_TIMEOUT_SECONDS))


def _clean_buttons(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        return []
    buttons = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("title"), str) and isinstance(item.get("payload"), str):
            buttons.append({"title": item["title"], "payload": item["payload"]})
    return buttons


def clean_messages(raw: Any) -> list[dict[str, Any]]:
    """Keep only text, buttons (title, payload) and custom from Rasa's reply list."""
    if not isinstance(raw, list):
        raise RasaUnavailable("reply is not a list")
    cleaned: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        message: dict[str, Any] = {}
        if isinstance(item.get("text"), str):
            message["text"] = item["text"]
        buttons = _clean_buttons(item.get("buttons"))
        if buttons:
            message["buttons"] = buttons
        if "custom" in item and item["custom"] is not None:
            message["custom"] = item["custom"]
        if message:
            cleaned.append(message)
    return cleaned


async def send_to_rasa(
    client: aiohttp.ClientSession,
    rasa_url: str,
    sender_id: str,
    text: str,
    metadata: dict[str, Any],
) -> list[dict[str, Any]]:
    """POST one message to Rasa and return the cleaned replies, or raise :class:`RasaUnavailable`."""
    body = {"sender": sender_id, "message": text, "metadata": metadata}
    try:
        async with client.post(webhook_url(rasa_url), json=body) as response:
            if response.status != 200:
                logger.warning("rasa answered status %s", response.status)
                raise RasaUnavailable(f"status {response.status}", response.status in RESENDABLE_STATUSES)
            payload = await response.json(content_type=None)
    except asyncio.TimeoutError as exc:
        logger.warning("rasa unavailable: %s", type(exc).__name__)
        raise RasaUnavailable(type(exc).__name__) from exc
    except (aiohttp.ClientError, ValueError) as exc:
        # Only the exception type: its text could echo the request.
        logger.warning("rasa unavailable: %s", type(exc).__name__)
        raise RasaUnavailable(type(exc).__name__, isinstance(exc, aiohttp.ClientError)) from exc
    return clean_messages(payload)


async def send_turn(
    client: aiohttp.ClientSession,
    rasa_url: str,
    sender_id: str,
    text: str,
    metadata: dict[str, Any],
    delays: tuple[float, ...] = RESEND_DELAYS_SECONDS,
) -> list[dict[str, Any]]:
    """:func:`send_to_rasa`, sending the same turn again after a resendable failure.

    ``metadata`` must carry the turn's ``turn_id``: that is what makes a resend safe.
    """
    for delay in (*delays, None):
        try:
            return await send_to_rasa(client, rasa_url, sender_id, text, metadata)
        except RasaUnavailable as exc:
            if delay is None or not exc.resendable:
                raise
            logger.info("sending a turn to rasa again after %.1f s", delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
