"""The one session-store interface the gateway uses, and the in-memory store behind it.

Handlers change a :class:`~bot.gateway.sessions.Session` in place (``sign_in``, the audience, a
new conversation); the gateway's session middleware then writes what changed back with
:meth:`SessionBackend.save`, or gives the session a new id with :meth:`SessionBackend.rotate`.
No handler calls either itself, so a change can never be left unsaved. In memory both are nearly
free (the session is the stored object); with Redis (``bot.gateway.redis_sessions``) they are
what makes the change visible to every gateway.
"""
from __future__ import annotations

import time
from typing import Iterable, Optional, Protocol

from bot.gateway.sessions import (
    DEFAULT_RATE_WINDOW_SECONDS,
    Clock,
    Session,
    SessionStore,
    allow_message,
)

#: What a store keeps of a session besides its rate-limit timestamps (which only
#: :meth:`SessionBackend.allow_message` touches) and its last use (which the store itself tracks).
SAVED_FIELDS = ("sender_id", "case_ref", "display_name", "audience")

Snapshot = dict[str, Optional[str]]


class StoreUnavailable(Exception):
    """The shared session store cannot be reached or refused the operation: the gateway answers a kind 503.

    The message is only the underlying error's type name, never a key, id or value.
    """


class SessionBackend(Protocol):
    """What the gateway needs from a session store; every method may raise :class:`StoreUnavailable`."""

    async def get(self, session_id: Optional[str]) -> Optional[Session]:
        """The live session for ``session_id`` (marked used, idle time restarted), or None."""
        ...

    async def create(self) -> tuple[str, Session]:
        """Store a new anonymous session; its cookie id and the session."""
        ...

    async def save(self, session_id: str, session: Session, changed: Iterable[str]) -> None:
        """Write the ``changed`` fields (names from :data:`SAVED_FIELDS`); never brings back an id that is gone."""
        ...

    async def rotate(self, old_id: Optional[str], session: Session) -> str:
        """Keep ``session`` under a fresh id and kill ``old_id`` at once (sign-in and sign-out); the new id.

        If ``old_id`` is None or already gone, ``session`` is stored under the new id all the same.
        """
        ...

    async def allow_message(self, session_id: str, session: Session, limit: int) -> bool:
        """Count one chat message against the session's sliding-window limit; False if over it (not counted)."""
        ...


def snapshot(session: Optional[Session]) -> Snapshot:
    """The saved fields as they are now, to tell later what a request changed."""
    if session is None:
        return {}
    return {name: getattr(session, name) for name in SAVED_FIELDS}


def changed_fields(before: Snapshot, session: Session) -> list[str]:
    """Names of the saved fields that differ from ``before``."""
    return [name for name in SAVED_FIELDS if before.get(name) != getattr(session, name)]


class MemorySessions:
    """:class:`SessionBackend` over this process's :class:`SessionStore` (idle expiry and a size cap there).

    Sessions are the stored objects, so ``save`` has nothing to write. ``clock`` times the
    per-session rate limit (the gateway's clock; the store keeps its own for idle expiry).
    """

    def __init__(self, store: SessionStore, clock: Clock = time.monotonic,
                 window_seconds: float = DEFAULT_RATE_WINDOW_SECONDS) -> None:
        self.store = store
        self._clock = clock
        self._window = window_seconds

    def __len__(self) -> int:
        return len(self.store)

    async def get(self, session_id: Optional[str]) -> Optional[Session]:
        return self.store.get(session_id)

    async def create(self) -> tuple[str, Session]:
        return self.store.create()

    async def save(self, session_id: str, session: Session, changed: Iterable[str]) -> None:
        return None  # the session is the stored object

    async def rotate(self, old_id: Optional[str], session: Session) -> str:
        return self.store.rotate(old_id or "", session)

    async def allow_message(self, session_id: str, session: Session, limit: int) -> bool:
        return allow_message(session, clock=self._clock, limit=limit, window_seconds=self._window)
