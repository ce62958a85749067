"""One-time sign-in tokens from the council's young-person portal.

CareChat does not know who a young person is; the council's portal does (the young person
already signed in there). When they open CareChat from the portal, the portal hands over a
very short-lived, single-use HS256 JWT naming their case reference. The gateway redeems it
once (:func:`redeem`) and from then on the web session, not the token, says who is signed in.

These tokens are deliberately unlike identity tokens (``bot.personal.identity``): a signed JWS
with the portal's own issuer and audience, checked here only. An identity token (a JWE) never
decodes as one, and a sign-in token never decrypts as an identity token, so neither can stand
in for the other. Pure Python: no web framework, so the CLI and tests use it directly.
"""
from __future__ import annotations

import heapq
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Any, Protocol

import jwt

from bot.settings import Settings

ALGORITHM = "HS256"
#: Clock difference tolerated between the council's portal and CareChat, in seconds.
LEEWAY_SECONDS = 15
DEFAULT_TTL_SECONDS = 60
REQUIRED_CLAIMS = ("sub", "iat", "exp", "jti", "iss", "aud")
#: Generous bounds; anything longer is not a token a portal would send.
MAX_TOKEN_CHARS = 4096
MAX_CASE_REF_CHARS = 64  # the case store's column
MAX_JTI_CHARS = 200
MAX_NAME_CHARS = 40
#: How many redeemed sign-ins one gateway remembers at once (each only until its token expires).
DEFAULT_MAX_REMEMBERED = 100_000


class SigninRejected(Exception):
    """The sign-in token cannot be used; ``reason`` is a short word for tests and counts, never shown or logged with the token.

    Reasons: ``missing``, ``malformed``, ``bad_signature``, ``wrong_audience``, ``wrong_issuer``,
    ``expired``, ``not_yet_valid``, ``too_long_lived``, ``replayed`` (already used, or its use
    could not be recorded, so single use could not be guaranteed).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PortalSignin:
    """Who the portal vouched for, and the first name to greet them with (None if it sent none)."""

    case_ref: str
    display_name: str | None


class UsedSignins(Protocol):
    """Remembers redeemed sign-in tokens (by ``jti``) until they expire.

    One gateway uses :class:`InMemoryUsedSignins`; several gateways behind a load balancer share
    one record in Redis (``bot.gateway.redis_signins``, ``SET NX PX``, awaited: :class:`SharedUsedSignins`).
    """

    def claim(self, jti: str, expires_at: float, now: float) -> bool:
        """Record ``jti`` as used until ``expires_at``; False if it was already used or cannot be recorded.

        Must be atomic: two gateways redeeming the same token at once must not both get True.
        """
        ...


class SharedUsedSignins(Protocol):
    """:class:`UsedSignins` whose record lives elsewhere (``bot.gateway.redis_signins``): ``claim`` is awaited.

    It may raise when the record cannot be reached; the caller then refuses the sign-in without
    calling the token used (it was not).
    """

    async def claim(self, jti: str, expires_at: float, now: float) -> bool: ...


class AwaitableUsedSignins:
    """A local :class:`UsedSignins` behind the awaited interface, so the gateway has one way to claim."""

    def __init__(self, used: UsedSignins) -> None:
        self.used = used

    async def claim(self, jti: str, expires_at: float, now: float) -> bool:
        return self.used.claim(jti, expires_at, now)


class InMemoryUsedSignins:
    """Redeemed ``jti`` values in memory, each forgotten once its token could no longer be accepted.

    Bounded: when ``max_remembered`` unexpired sign-ins are held, new ones are refused rather
    than forgetting a live one (forgetting would let that token be replayed). At the default
    bound that takes over 300 sign-ins a second, every second, for five minutes.
    """

    def __init__(self, max_remembered: int = DEFAULT_MAX_REMEMBERED) -> None:
        self._max = max_remembered
        self._until: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []  # a heap, soonest expiry first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._until)

    def claim(self, jti: str, expires_at: float, now: float) -> bool:
        with self._lock:
            self._forget_expired(now)
            if jti in self._until or len(self._until) >= self._max:
                return False
            self._until[jti] = expires_at
            heapq.heappush(self._by_expiry, (expires_at, jti))
            return True

    def _forget_expired(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            _, jti = heapq.heappop(self._by_expiry)
            self._until.pop(jti, None)


def signing_secret(settings: Settings) -> str:
    """The HS256 key a portal signs with: today CARECHAT_TOKEN_SECRET (the gateway already holds it)."""
    return settings.token_secret


def mint_signin_token(
    case_ref: str,
    settings: Settings,
    name: str | None = None,
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> str:
    """What a council portal does: a single-use sign-in token for ``case_ref`` (also for tests and the CLI)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": case_ref,
        "iss": settings.portal_issuer,
        "aud": settings.portal_audience,
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": secrets.token_urlsafe(16),
    }
    if name is not None:
        claims["name"] = name
    return jwt.encode(claims, signing_secret(settings), algorithm=ALGORITHM)


def _decode(token: object, settings: Settings) -> dict[str, Any]:
    """Signature, algorithm, issuer, audience and required claims; times are checked by the caller."""
    if not token or not isinstance(token, str):
        raise SigninRejected("missing")
    if len(token) > MAX_TOKEN_CHARS:
        raise SigninRejected("malformed")
    try:
        return jwt.decode(
            token,
            signing_secret(settings),
            algorithms=[ALGORITHM],  # never "none", never another family
            audience=settings.portal_audience,
            issuer=settings.portal_issuer,
            options={
                "require": list(REQUIRED_CLAIMS),
                # Checked below against the caller's clock, with our leeway.
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidAudienceError as exc:
        raise SigninRejected("wrong_audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise SigninRejected("wrong_issuer") from exc
    except jwt.InvalidSignatureError as exc:
        raise SigninRejected("bad_signature") from exc
    except jwt.PyJWTError as exc:
        raise SigninRejected("malformed") from exc


def _is_time(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: object, limit: int) -> str | None:
    """``value`` as a non-empty single-line string no longer than ``limit``, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > limit:
        return None
    if any(unicodedata.category(ch)[0] == "C" for ch in text):  # control, format, unassigned characters
        return None
    return text


def _check_times(claims: dict[str, Any], settings: Settings, now: float) -> tuple[float, float]:
    issued, expires = claims["iat"], claims["exp"]
    if not _is_time(issued) or not _is_time(expires) or expires <= issued:
        raise SigninRejected("malformed")
    if expires - issued > settings.portal_max_ttl_seconds:
        raise SigninRejected("too_long_lived")
    if issued > now + LEEWAY_SECONDS:
        raise SigninRejected("not_yet_valid")
    not_before = claims.get("nbf")
    if not_before is not None and (not _is_time(not_before) or not_before > now + LEEWAY_SECONDS):
        raise SigninRejected("not_yet_valid")
    if now >= expires + LEEWAY_SECONDS:
        raise SigninRejected("expired")
    return issued, expires


@dataclass(frozen=True)
class CheckedSignin:
    """A token that passed every check but single use: who it names, and its ``jti`` to claim until ``use_until``."""

    signin: PortalSignin
    jti: str
    use_until: float
    now: float


def check_signin(token: object, settings: Settings, now: float | None = None) -> CheckedSignin:
    """Every check of a portal sign-in token except using it up; raises :class:`SigninRejected` saying why not."""
    current = time.time() if now is None else now
    claims = _decode(token, settings)
    case_ref = _text(claims.get("sub"), MAX_CASE_REF_CHARS)
    jti = _text(claims.get("jti"), MAX_JTI_CHARS)
    if case_ref is None or jti is None:
        raise SigninRejected("malformed")
    _, expires = _check_times(claims, settings, current)
    # A name that is not a short plain first name is dropped, not trusted: the sign-in still works.
    display_name = _text(claims.get("name"), MAX_NAME_CHARS)
    # Kept until the token could no longer be accepted anyway, so a second use is always refused.
    return CheckedSignin(PortalSignin(case_ref=case_ref, display_name=display_name), jti,
                         expires + LEEWAY_SECONDS, current)


def redeem(token: object, settings: Settings, used: UsedSignins, now: float | None = None) -> PortalSignin:
    """Check a portal sign-in token and use it up; raises :class:`SigninRejected` saying why not.

    The ``jti`` is recorded only once every other check has passed, and kept until the token
    could no longer be accepted anyway, so a second use of the same token is always refused.
    """
    checked = check_signin(token, settings, now)
    if not used.claim(checked.jti, checked.use_until, checked.now):
        raise SigninRejected("replayed")
    return checked.signin


async def redeem_shared(token: object, settings: Settings, used: SharedUsedSignins,
                        now: float | None = None) -> PortalSignin:
    """:func:`redeem` with an awaited record of used sign-ins (shared by several gateways)."""
    checked = check_signin(token, settings, now)
    if not await used.claim(checked.jti, checked.use_until, checked.now):
        raise SigninRejected("replayed")
    return checked.signin
