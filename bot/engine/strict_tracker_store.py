"""A tracker store failure fails the turn, instead of Rasa's "fail-safe" in-memory fallback.

Why: Rasa 3.6 wraps every tracker store in ``FailSafeTrackerStore``. When the database cannot be
read it hands the turn an *empty* conversation; when it cannot be written it logs the error
(whose text can carry the SQL and its parameters) and keeps the conversation in that one
process's memory. With several replicas that means a person's turn answered as if the chat had
just begun, or answered and never saved where the other replicas look: the fault tests saw it
when PostgreSQL restarted under load (2 of 149 turns answered but not recorded). Here a failure
is raised, so the turn fails whole (``bot.engine.rest_channel`` answers 500) and the gateway
sends it again, and only the error's type is logged.

``install()`` is applied by ``bot.engine.rasa_server`` (engine environment).
"""
from __future__ import annotations

import logging
from typing import Callable

logger = logging.getLogger(__name__)


def install() -> Callable[[], None]:
    """Make ``FailSafeTrackerStore`` pass errors on; returns a function that undoes it."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    originals = {name: getattr(FailSafeTrackerStore, name)
                 for name in ("retrieve", "retrieve_full_tracker", "save")}

    def _passing_on(name: str):
        async def call(self, *args, **kwargs):
            try:
                return await getattr(self._tracker_store, name)(*args, **kwargs)
            except Exception as exc:
                logger.error("the tracker store failed (%s); the turn fails and will be sent again",
                             type(exc).__name__)
                raise
        call.__name__ = name
        return call

    for name in originals:
        setattr(FailSafeTrackerStore, name, _passing_on(name))

    def undo() -> None:
        for name, method in originals.items():
            setattr(FailSafeTrackerStore, name, method)

    return undo
