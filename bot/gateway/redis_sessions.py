"""Web sessions in a Redis that several gateways share: any gateway serves any browser, and a
gateway restart signs nobody out.

One Redis hash per session, under a hashed key (``bot.gateway.redis_link.hashed_key``), holding
the saved fields and ``recent``, the rate-limit timestamps (a JSON list of wall-clock seconds, so
every gateway counts the same messages). Idle expiry is the key's TTL, restarted on every use.
There is no size cap as in memory: Redis's ``maxmemory`` bounds it (docs/sessions.md).

What must not race between gateways is each one Lua script, so it happens in one step: a save
writes only the fields that changed and only while the id is alive (an id rotated away is never
brought back by a request still running on it); rotation deletes the old key as it writes the
new one; and a message is counted and checked against the limit at once.
"""
from __future__ import annotations

import time
from typing import Iterable, Optional

from bot.gateway.redis_link import RedisLink, hashed_key
from bot.gateway.session_store import SAVED_FIELDS
from bot.gateway.sessions import (
    AUDIENCES,
    DEFAULT_IDLE_SECONDS,
    DEFAULT_RATE_WINDOW_SECONDS,
    Clock,
    Session,
    allow_message,
    new_sender_id,
    new_session_id,
)

_GET = """
local fields = redis.call('HGETALL', KEYS[1])
if #fields > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return fields
"""

_CREATE = """
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""

# ARGV: ttl, how many fields to set, their name/value pairs, then the names to delete.
_SAVE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[2])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 3, 2 + 2 * n)) end
if #ARGV > 2 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 3 + 2 * n)) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""

# KEYS: the new key, then the old one if any. ARGV: ttl, then the session's name/value pairs.
_ROTATE = """
local recent = false
if #KEYS > 1 then
  recent = redis.call('HGET', KEYS[2], 'recent')
  redis.call('DEL', KEYS[2])
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if recent then redis.call('HSET', KEYS[1], 'recent', recent) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""

# ARGV: now, window, limit. 1 allowed (and counted), 0 over the limit, -1 no such session.
_ALLOW = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local kept = {}
local raw = redis.call('HGET', KEYS[1], 'recent')
if raw then
  for _, t in ipairs(cjson.decode(raw)) do
    if now - t < window then kept[#kept + 1] = t end
  end
end
local allowed = 0
if #kept < tonumber(ARGV[3]) then
  kept[#kept + 1] = now
  allowed = 1
end
redis.call('HSET', KEYS[1], 'recent', cjson.encode(kept))
return allowed
"""

SESSION_KIND = "session"


def session_key(session_id: str) -> str:
    """Where one session lives in Redis (the id itself is never stored)."""
    return hashed_key(SESSION_KIND, session_id)


def _pairs(session: Session) -> list[str]:
    """The session's saved fields that have a value, as Redis ``HSET`` arguments."""
    pairs: list[str] = []
    for name in SAVED_FIELDS:
        value = getattr(session, name)
        if value is not None:
            pairs += [name, value]
    return pairs


class RedisSessions:
    """:class:`~bot.gateway.session_store.SessionBackend` in a shared Redis.

    ``clock`` is wall-clock time (not ``time.monotonic``, which means nothing on another machine):
    it stamps the rate-limit window every gateway reads.
    """

    def __init__(
        self,
        link: RedisLink,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        clock: Clock = time.time,
        window_seconds: float = DEFAULT_RATE_WINDOW_SECONDS,
    ) -> None:
        self.link = link
        self._ttl_ms = max(1, int(idle_seconds * 1000))
        self._clock = clock
        self._window = window_seconds

    def _from_fields(self, flat: list[str]) -> Optional[Session]:
        fields = dict(zip(flat[::2], flat[1::2]))
        sender_id = fields.get("sender_id")
        if not sender_id:
            return None  # not a session this code wrote: treat as unknown
        audience = fields.get("audience")
        return Session(
            sender_id=sender_id,
            last_seen=self._clock(),
            case_ref=fields.get("case_ref") or None,
            display_name=fields.get("display_name") or None,
            audience=audience if audience in AUDIENCES else None,
        )

    async def get(self, session_id: Optional[str]) -> Optional[Session]:
        if not session_id:
            return None
        flat = await self.link.script(_GET, [session_key(session_id)], [self._ttl_ms])
        return self._from_fields(flat) if flat else None

    async def create(self) -> tuple[str, Session]:
        session_id = new_session_id()
        session = Session(sender_id=new_sender_id(), last_seen=self._clock())
        await self.link.script(_CREATE, [session_key(session_id)], [self._ttl_ms, *_pairs(session)])
        return session_id, session

    async def save(self, session_id: str, session: Session, changed: Iterable[str]) -> None:
        names = [name for name in changed if name in SAVED_FIELDS]
        if not names:
            return
        to_set = [name for name in names if getattr(session, name) is not None]
        to_delete = [name for name in names if getattr(session, name) is None]
        pairs = [part for name in to_set for part in (name, getattr(session, name))]
        # Returns 0 when the id has gone meanwhile (rotated or idle): then nothing is written.
        await self.link.script(_SAVE, [session_key(session_id)], [self._ttl_ms, len(to_set), *pairs, *to_delete])

    async def rotate(self, old_id: Optional[str], session: Session) -> str:
        new_id = new_session_id()
        keys = [session_key(new_id)] + ([session_key(old_id)] if old_id else [])
        await self.link.script(_ROTATE, keys, [self._ttl_ms, *_pairs(session)])
        return new_id

    async def allow_message(self, session_id: str, session: Session, limit: int) -> bool:
        now = self._clock()
        allowed = await self.link.script(_ALLOW, [session_key(session_id)], [repr(now), self._window, limit])
        if allowed == -1:  # the id went while this request ran (rotated by another): count it here
            return allow_message(session, clock=lambda: now, limit=limit, window_seconds=self._window)
        return allowed == 1
