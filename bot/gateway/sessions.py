"""Server-side web sessions for the chat page.

The browser only ever holds a random cookie id. Everything that matters (the Rasa
sender id, who is signed in, the chosen audience) stays on the server, so a stolen or
guessed sender id is useless and a cookie cannot claim to be someone else. Sessions live
in memory: one gateway process per machine is the supported setup, and a restart simply
starts fresh conversations.
"""
from __future__ import annotations

import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable

from bot.knowledge.audiences import READERS

COOKIE_NAME = "carechat_session"
DEFAULT_IDLE_SECONDS = 30 * 60
DEFAULT_MAX_SESSIONS = 10_000
DEFAULT_RATE_LIMIT = 30
DEFAULT_RATE_WINDOW_SECONDS = 60.0

AUDIENCES = frozenset(READERS)

Clock = Callable[[], float]


def new_session_id() -> str:
    """A cookie value nobody can guess."""
    return secrets.token_urlsafe(32)


def new_sender_id() -> str:
    """The id Rasa sees; deliberately unrelated to the cookie so logs or trackers never reveal it."""
    return secrets.token_urlsafe(16)


@dataclass
class Session:
    """What the gateway remembers about one browser tab's conversation."""

    sender_id: str
    last_seen: float
    case_ref: str | None = None
    display_name: str | None = None
    audience: str | None = None
    recent_messages: deque[float] = field(default_factory=deque)

    @property
    def signed_in(self) -> bool:
        return self.case_ref is not None


class SessionStore:
    """In-memory sessions with an idle expiry and a size cap (so a flood of cookie-less requests cannot exhaust memory)."""

    def __init__(
        self,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        clock: Clock = time.monotonic,
    ) -> None:
        self._idle = idle_seconds
        self._max = max_sessions
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str | None) -> Session | None:
        """Return the live session for ``session_id`` and mark it used, or None if unknown or idle too long."""
        if not session_id:
            return None
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self._clock()
        if now - session.last_seen > self._idle:
            del self._sessions[session_id]
            return None
        session.last_seen = now
        self._sessions.move_to_end(session_id)
        return session

    def create(self) -> tuple[str, Session]:
        """Start a new anonymous session; returns the cookie id and the session."""
        self._purge()
        session_id = new_session_id()
        self._sessions[session_id] = Session(sender_id=new_sender_id(), last_seen=self._clock())
        return session_id, self._sessions[session_id]

    def rotate(self, old_id: str) -> str:
        """Give the session a fresh cookie id (on sign-in/out) so an id seen before cannot be reused."""
        session = self._sessions.pop(old_id)
        new_id = new_session_id()
        self._sessions[new_id] = session
        return new_id

    def _purge(self) -> None:
        """Drop idle sessions, then the least recently used ones while over the cap."""
        now = self._clock()
        while self._sessions:
            oldest_id, oldest = next(iter(self._sessions.items()))
            if now - oldest.last_seen > self._idle or len(self._sessions) >= self._max:
                del self._sessions[oldest_id]
            else:
                break


def sign_in(session: Session, case_ref: str, display_name: str) -> None:
    """Attach a verified person to the session; a different person gets a fresh conversation."""
    if session.case_ref is not None and session.case_ref != case_ref:
        session.sender_id = new_sender_id()
    session.case_ref = case_ref
    session.display_name = display_name


def start_new_conversation(session: Session) -> None:
    """"Start again": Rasa sees a new sender, so nothing said before shapes the next answer."""
    session.sender_id = new_sender_id()


def sign_out(session: Session) -> None:
    """Forget the person and start a new Rasa conversation, so the next user of a shared device sees nothing."""
    session.case_ref = None
    session.display_name = None
    session.audience = None
    start_new_conversation(session)


def allow_message(
    session: Session,
    clock: Clock = time.monotonic,
    limit: int = DEFAULT_RATE_LIMIT,
    window_seconds: float = DEFAULT_RATE_WINDOW_SECONDS,
) -> bool:
    """Sliding-window rate limit per session; protects the single Rasa process from one noisy tab."""
    now = clock()
    recent = session.recent_messages
    while recent and now - recent[0] >= window_seconds:
        recent.popleft()
    if len(recent) >= limit:
        return False
    recent.append(now)
    return True
