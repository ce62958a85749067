"""Delete conversations past the retention period while the gateway runs, not only at start-up.

A stack that stays up for months would otherwise keep every conversation until the next
restart. The gateway is the one long-running process of ours, so it purges: shortly after
start, then every ``CARECHAT_PURGE_INTERVAL_SECONDS``, in a worker thread (the database work
never holds the event loop). Only counts and error types are logged. A failed run (database
down, locked) is logged and tried again at the next interval; shutdown waits for a run in
progress, then stops.

Several gateways on one PostgreSQL tracker store may all purge: deleting rows another gateway
already deleted simply deletes nothing.
"""
from __future__ import annotations

import asyncio
import logging
import math
from typing import AsyncIterator, Callable

from aiohttp import web
from sqlalchemy import Engine

from bot.ops.retention import PurgeResult, check_tracker_url, purge_older_than, tracker_engine
from bot.settings import ConfigurationError, Settings

logger = logging.getLogger(__name__)

#: The first purge waits this long (or the interval, if shorter), so start-up is not slowed.
FIRST_RUN_DELAY_SECONDS = 5.0
#: How long shutdown waits for a purge in progress before giving up on it.
STOP_WAIT_SECONDS = 30.0

RETENTION_TASK_KEY = web.AppKey("retention_task", asyncio.Task)


async def purge_once(engine: Engine, settings: Settings) -> PurgeResult | None:
    """One purge in a worker thread; None (logged by error type) when it failed."""
    try:
        result = await asyncio.to_thread(purge_older_than, engine, settings.retention_days)
    except Exception as error:  # noqa: BLE001 - any failure: say what kind, try again next time
        logger.error("scheduled purge failed (%s); next try in %g s", type(error).__name__,
                     settings.purge_interval_seconds)
        return None
    logger.info("scheduled purge: %d conversation(s), %d event(s) older than %g days deleted",
                result.conversations, result.events, settings.retention_days)
    return result


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds``; True as soon as ``stop`` is set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        return False
    return True


async def _run(engine: Engine, settings: Settings, stop: asyncio.Event) -> None:
    delay = min(FIRST_RUN_DELAY_SECONDS, settings.purge_interval_seconds)
    while not await _stopped_within(stop, delay):
        await purge_once(engine, settings)
        delay = settings.purge_interval_seconds


def _schedule(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def retention_ctx(app: web.Application) -> AsyncIterator[None]:
        engine = tracker_engine(settings.tracker_url)
        stop = asyncio.Event()
        task = asyncio.create_task(_run(engine, settings, stop), name="carechat-retention")
        app[RETENTION_TASK_KEY] = task
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, STOP_WAIT_SECONDS)
            except asyncio.TimeoutError:
                logger.warning("scheduled purge still running at shutdown; left to finish on its own")
            await asyncio.to_thread(engine.dispose)

    return retention_ctx


def add_retention_schedule(app: web.Application, settings: Settings) -> None:
    """Purge conversations older than ``settings.retention_days`` every ``settings.purge_interval_seconds``.

    Raises :class:`ConfigurationError` at once for an unsupported ``TRACKER_STORE_URL`` or a
    retention period or interval that is not above zero, so the gateway refuses to start
    rather than keep conversations for ever.
    """
    check_tracker_url(settings.tracker_url)
    if not (settings.retention_days > 0 and math.isfinite(settings.retention_days)):
        raise ConfigurationError("CARECHAT_RETENTION_DAYS must be a number of days above 0.")
    if not (settings.purge_interval_seconds > 0 and math.isfinite(settings.purge_interval_seconds)):
        raise ConfigurationError("CARECHAT_PURGE_INTERVAL_SECONDS must be a number of seconds above 0.")
    app.cleanup_ctx.append(_schedule(settings))
