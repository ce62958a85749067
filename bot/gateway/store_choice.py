"""Where one gateway keeps web sessions and used portal sign-ins, from ``CARECHAT_SESSION_STORE_URL``.

Empty: this process's memory, the one-gateway setup (a restart signs everyone out). A Redis URL:
the Redis every gateway behind the load balancer shares. A URL that cannot work stops the
gateway at start with one kind line (``bot.settings.session_store_problem``), before anyone
is served by a gateway that would lose their session.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Optional, Union

from bot.gateway.session_store import MemorySessions, SessionBackend
from bot.gateway.sessions import Clock, SessionStore
from bot.settings import ConfigurationError, Settings, session_store_problem

if TYPE_CHECKING:  # redis is imported only when a Redis URL is configured
    from bot.gateway.redis_link import RedisLink
    from bot.personal.portal_signin import SharedUsedSignins

#: What ``create_app`` accepts as its session store: the in-memory store or any backend.
StoreChoice = Union[SessionStore, SessionBackend, None]


def redis_link(settings: Settings) -> Optional[RedisLink]:
    """The shared Redis named by the settings, or None for memory; ConfigurationError for a URL that cannot work."""
    problem = session_store_problem(settings)
    if problem is not None:
        raise ConfigurationError(problem)
    if not settings.session_store_url:
        return None
    from bot.gateway.redis_link import RedisLink

    return RedisLink(settings.session_store_url)


def session_backend(chosen: StoreChoice, link: Optional[RedisLink], clock: Clock = time.monotonic) -> SessionBackend:
    """The store the gateway talks to: ``chosen`` (an in-memory store is wrapped), else Redis or memory."""
    if isinstance(chosen, SessionStore):
        return MemorySessions(chosen, clock=clock)
    if chosen is not None:
        return chosen
    if link is not None:
        from bot.gateway.redis_sessions import RedisSessions

        return RedisSessions(link)
    return MemorySessions(SessionStore(clock=clock), clock=clock)


def shared_used_signins(link: Optional[RedisLink]) -> Optional[SharedUsedSignins]:
    """The Redis record of used sign-ins, or None (the portal route then keeps its own in memory)."""
    if link is None:
        return None
    from bot.gateway.redis_signins import RedisUsedSignins

    return RedisUsedSignins(link)
