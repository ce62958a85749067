"""Used portal sign-in links, remembered in the shared Redis so a link works once across every gateway.

``SET key NX PX`` is one atomic step: of two gateways redeeming the same token at the same moment,
exactly one gets it. The key lives exactly as long as the token could still be accepted, then
Redis forgets it by itself. If Redis cannot be reached the claim raises
:class:`~bot.gateway.session_store.StoreUnavailable` (a kind 503, the link not used up), never
"already used", which would wrongly sign a signed-in person out.
"""
from __future__ import annotations

import math

from bot.gateway.redis_link import RedisLink, hashed_key

SIGNIN_KIND = "signin"


class RedisUsedSignins:
    """:class:`bot.personal.portal_signin.SharedUsedSignins` in Redis."""

    def __init__(self, link: RedisLink) -> None:
        self.link = link

    async def claim(self, jti: str, expires_at: float, now: float) -> bool:
        lifetime_ms = max(1, math.ceil((expires_at - now) * 1000))
        key = hashed_key(SIGNIN_KIND, jti)
        claimed = await self.link.call(lambda client: client.set(key, "1", nx=True, px=lifetime_ms))
        return bool(claimed)
