""""Delete this chat": erase the conversation on screen from Rasa's tracker store, then start afresh.

The browser's copy is only in the tab; what matters is the server's: Rasa keeps every event of
the conversation (message text included) in the tracker store until the retention purge. This
deletes the session's current conversation (``session.sender_id``) at once, in a worker thread,
then gives the session a new conversation so nothing said before shapes the next answer. If the
database cannot be reached, the page is told kindly and the conversation is left as it was, so
pressing the button again later still deletes it.

app.py imports this module inside ``create_app``; its helpers are imported lazily here, so the
two modules do not import each other at load time.
"""
from __future__ import annotations

import asyncio
import logging
from typing import AsyncIterator

from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.gateway.api_errors import ApiError
from bot.gateway.sessions import start_new_conversation
from bot.ops.retention import check_tracker_url, erase, tracker_engine

logger = logging.getLogger(__name__)

DELETE_FAILED = "We couldn't delete this chat just now. Please try again in a moment."

TRACKER_ENGINE_KEY = web.AppKey("chat_erase_tracker_engine", Engine)


async def delete_chat_handler(request: web.Request) -> web.Response:
    """``POST /api/chat/delete`` (no body): erase this session's conversation, then start a new one."""
    from bot.gateway.app import SESSION_KEY, _session_state

    session = request.get(SESSION_KEY)
    if session is not None:
        try:
            deleted = await asyncio.to_thread(erase, request.app[TRACKER_ENGINE_KEY], session.sender_id)
        except (SQLAlchemyError, OSError) as error:
            logger.error("chat delete failed (%s)", type(error).__name__)
            raise ApiError(503, DELETE_FAILED) from None
        start_new_conversation(session)
        logger.info("chat deleted: %d event(s)", deleted)
    return web.json_response({"deleted": True, **_session_state(request)})


async def _tracker_context(app: web.Application) -> AsyncIterator[None]:
    """One engine (connection pool) for the tracker store, for the life of the app."""
    from bot.gateway.app import SETTINGS_KEY

    app[TRACKER_ENGINE_KEY] = tracker_engine(app[SETTINGS_KEY].tracker_url)
    try:
        yield
    finally:
        await asyncio.to_thread(app[TRACKER_ENGINE_KEY].dispose)


def add_erase_routes(app: web.Application) -> None:
    """Add ``POST /api/chat/delete``; raises ConfigurationError for an unsupported TRACKER_STORE_URL."""
    from bot.gateway.app import SETTINGS_KEY

    check_tracker_url(app[SETTINGS_KEY].tracker_url)
    app.cleanup_ctx.append(_tracker_context)
    app.router.add_post("/api/chat/delete", delete_chat_handler)
