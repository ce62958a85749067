"""Server-side web sessions for the chat page.

The browser only ever holds a random cookie id. Everything that matters (the Rasa
sender id, who is signed in, the chosen audience) stays on the server, so a stolen or
guessed sender id is useless and a cookie cannot claim to be someone else. By default
sessions live in this process's memory (:class:`SessionStore`): one gateway, and a restart
starts fresh conversations. With ``CARECHAT_SESSION_STORE_URL`` they live in a Redis that
several gateways share (``bot.gateway.redis_sessions``); the gateway reaches either through
``bot.gateway.session_store``, which also saves every change a request makes.

The limits that protect the single Rasa process live here too: per session
(:func:`allow_message`), per client address (:class:`AddressLimiter`) and across everyone
(:class:`InFlightLimit`).
"""
from __future__ import annotations

import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable

from bot.knowledge.audiences import READERS
from bot.settings import DEFAULT_RATE_LIMIT_PER_SESSION

COOKIE_NAME = "carechat_session"
#: The cookie's name when served over TLS: browsers only accept a ``__Host-`` cookie that is
#: Secure, has Path=/ and no Domain, so no other host (a sibling subdomain) can set or overwrite it.
SECURE_COOKIE_NAME = "__Host-carechat_session"
DEFAULT_IDLE_SECONDS = 30 * 60
DEFAULT_MAX_SESSIONS = 10_000
DEFAULT_RATE_LIMIT = DEFAULT_RATE_LIMIT_PER_SESSION
DEFAULT_RATE_WINDOW_SECONDS = 60.0
#: How many client addresses the per-address limits remember at most (each holds at most
#: ``limit`` timestamps), so a flood from many addresses cannot grow memory without bound.
DEFAULT_MAX_ADDRESSES = 10_000

AUDIENCES = frozenset(READERS)

Clock = Callable[[], float]


def cookie_name(secure: bool) -> str:
    """The session cookie's name: ``__Host-`` prefixed when the site is served over TLS."""
    return SECURE_COOKIE_NAME if secure else COOKIE_NAME


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
    """In-memory sessions with an idle expiry and a size cap (so a flood of new sessions cannot exhaust memory).

    When the store is full, the least recently used *anonymous* session goes first: signed-in
    sessions are kept apart and only dropped when nothing but signed-in sessions is left, so a
    flood of new anonymous sessions can never sign anyone out.
    """

    def __init__(
        self,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        clock: Clock = time.monotonic,
    ) -> None:
        self._idle = idle_seconds
        self._max = max_sessions
        self._clock = clock
        # Each ordered oldest use first. Which one a session is in is corrected whenever it is
        # used (sign-in/out happen inside a request) and again before anything is evicted.
        self._anonymous: OrderedDict[str, Session] = OrderedDict()
        self._signed_in: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._anonymous) + len(self._signed_in)

    def _take(self, session_id: str) -> Session | None:
        session = self._anonymous.pop(session_id, None)
        return session if session is not None else self._signed_in.pop(session_id, None)

    def _put(self, session_id: str, session: Session) -> None:
        (self._signed_in if session.signed_in else self._anonymous)[session_id] = session

    def get(self, session_id: str | None) -> Session | None:
        """Return the live session for ``session_id`` and mark it used, or None if unknown or idle too long."""
        if not session_id:
            return None
        session = self._take(session_id)
        if session is None:
            return None
        now = self._clock()
        if now - session.last_seen > self._idle:
            return None
        session.last_seen = now
        self._put(session_id, session)
        return session

    def create(self) -> tuple[str, Session]:
        """Start a new anonymous session; returns the cookie id and the session."""
        self._make_room()
        session_id = new_session_id()
        session = Session(sender_id=new_sender_id(), last_seen=self._clock())
        self._put(session_id, session)
        return session_id, session

    def rotate(self, old_id: str, session: Session | None = None) -> str:
        """Give the session a fresh cookie id (on sign-in/out) so an id seen before cannot be reused.

        If ``old_id`` is already gone (evicted while its request was running), ``session`` (the
        request's own) is kept under the new id instead of failing the sign-in or sign-out.
        """
        found = self._take(old_id)
        if found is None:
            if session is None:
                raise KeyError("no such session")
            self._make_room()
            found = session
        new_id = new_session_id()
        self._put(new_id, found)
        return new_id

    def _drop_idle(self, sessions: OrderedDict[str, Session], now: float) -> None:
        while sessions:
            oldest_id, oldest = next(iter(sessions.items()))
            if now - oldest.last_seen <= self._idle:
                return
            del sessions[oldest_id]

    def _evict_one_anonymous(self) -> bool:
        """Drop the least recently used anonymous session; False if there is none."""
        while self._anonymous:
            oldest_id, oldest = self._anonymous.popitem(last=False)
            if oldest.signed_in:  # signed in without being used since: file it where it belongs
                self._signed_in[oldest_id] = oldest
                continue
            return True
        return False

    def _make_room(self) -> None:
        """Drop idle sessions, then, while full, anonymous ones before any signed-in one."""
        now = self._clock()
        self._drop_idle(self._anonymous, now)
        self._drop_idle(self._signed_in, now)
        while self and len(self) >= self._max:
            if not self._evict_one_anonymous():
                self._signed_in.popitem(last=False)


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


class AddressLimiter:
    """Sliding-window limit per client address, with a bounded, self-expiring table.

    An address whose last hit is older than the window has nothing left to count and is
    forgotten; past ``max_addresses`` the address unused for longest is forgotten first. Being
    forgotten only ever resets a count (the global in-flight limit still protects Rasa), so the
    table never grows without bound whatever the attacker's number of addresses.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float = DEFAULT_RATE_WINDOW_SECONDS,
        max_addresses: int = DEFAULT_MAX_ADDRESSES,
        clock: Clock = time.monotonic,
    ) -> None:
        self.limit = limit
        self._window = window_seconds
        self._max = max(1, max_addresses)
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()  # least recently hit first

    def __len__(self) -> int:
        return len(self._hits)

    def allow(self, key: str) -> bool:
        """Count one event for ``key`` and say whether it is within the limit (a refused one is not counted)."""
        now = self._clock()
        self._forget_quiet(now)
        hits = self._hits.get(key)
        if hits is None:
            while len(self._hits) >= self._max:
                self._hits.popitem(last=False)
            hits = self._hits[key] = deque()
        else:
            self._hits.move_to_end(key)
        while hits and now - hits[0] >= self._window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True

    def _forget_quiet(self, now: float) -> None:
        """Drop addresses with no hit inside the window (the oldest are at the front)."""
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and now - hits[-1] < self._window:
                return
            del self._hits[key]


class InFlightLimit:
    """How many chat turns are with Rasa right now, across all users, and whether one more may go."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def try_enter(self) -> bool:
        if self.count >= self.limit:
            return False
        self.count += 1
        return True

    def leave(self) -> None:
        self.count = max(0, self.count - 1)
