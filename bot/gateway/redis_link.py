"""One gateway's connection to the shared Redis, with short time limits and errors made plain.

Every call either answers within ``deadline`` seconds or raises
:class:`~bot.gateway.session_store.StoreUnavailable`, so a Redis that is down or frozen costs a
request a fraction of a second, never a hang: the gateway then answers a kind 503 (and a worrying
chat message still gets the safety reply, which never waits on Redis). One retry on a broken
connection lets the first request after a Redis restart through instead of failing it.

Keys never hold a secret as it is: a session id or sign-in ``jti`` is hashed into the key, so
whoever can list Redis's keys (or reads a backup) cannot turn one into a working cookie.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any, Awaitable, Callable, Optional, Sequence, TypeVar

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from bot.gateway.session_store import StoreUnavailable

logger = logging.getLogger(__name__)

#: Longest one Redis operation may take, retry included (Redis on the same network answers in about a millisecond).
DEFAULT_DEADLINE_SECONDS = 0.75
#: Connecting to Redis and each read or write on the socket.
SOCKET_TIMEOUT_SECONDS = 0.5
#: Every key CareChat writes starts with this, so it can share a Redis (and be found) safely.
KEY_PREFIX = "carechat:"

T = TypeVar("T")


def hashed_key(kind: str, secret: str) -> str:
    """``carechat:<kind>:<sha256 of secret>``: findable by the gateway that holds ``secret``, useless to a reader of Redis."""
    return f"{KEY_PREFIX}{kind}:{hashlib.sha256(secret.encode('utf-8')).hexdigest()}"


class RedisLink:
    """The client for one ``CARECHAT_SESSION_STORE_URL``, made on first use (inside the running loop)."""

    def __init__(self, url: str, deadline: float = DEFAULT_DEADLINE_SECONDS) -> None:
        self._url = url
        self._deadline = deadline
        self._client: Optional[Redis] = None
        self._scripts: dict[str, AsyncScript] = {}

    @property
    def client(self) -> Redis:
        if self._client is None:
            self._client = Redis.from_url(
                self._url,
                decode_responses=True,
                socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 1),
                retry_on_error=[RedisConnectionError],
            )
        return self._client

    async def script(self, lua: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """Run a Lua script atomically (loaded once per client; loaded again after a Redis restart)."""
        if lua not in self._scripts:
            self._scripts[lua] = self.client.register_script(lua)
        registered = self._scripts[lua]
        return await self.call(lambda client: registered(keys=keys, args=args, client=client))

    async def call(self, operation: Callable[[Redis], Awaitable[T]]) -> T:
        """Run ``operation`` with the client; any Redis failure or a missed deadline becomes StoreUnavailable."""
        try:
            return await asyncio.wait_for(operation(self.client), self._deadline)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            # The error's type only: its text can hold the host, and never a key or value.
            logger.warning("session store unavailable: %s", type(exc).__name__)
            raise StoreUnavailable(type(exc).__name__) from None

    async def close(self, *_: object) -> None:
        """Close the connections (an ``on_cleanup`` hook, hence the ignored app argument)."""
        if self._client is not None:
            client, self._client = self._client, None
            self._scripts.clear()
            await client.aclose()
