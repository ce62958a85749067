"""Signed identity tokens: the only way a message can say whose record may be read.

The gateway (or, in production, the council's young-person portal) mints a short-lived
HS256 JWT carrying the young person's case reference. The action server verifies it on
every personal lookup; chat text never decides whose record is read.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from bot.settings import Settings

ALGORITHM = "HS256"


class TokenRejected(Exception):
    """The token cannot be trusted; ``reason`` is a short machine-readable word, never logged with the token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who the verified token says the young person is."""

    case_ref: str
    expires_at: int


def mint_token(case_ref: str, settings: Settings, ttl_seconds: int | None = None, now: float | None = None) -> str:
    """Sign a token for ``case_ref`` that the action server will accept until it expires."""
    issued = int(now if now is not None else time.time())
    ttl = settings.token_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims = {
        "sub": case_ref,
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "iat": issued,
        "exp": issued + ttl,
    }
    return jwt.encode(claims, settings.token_secret, algorithm=ALGORITHM)


def verify_token(token: str | None, settings: Settings) -> Identity:
    """Return the identity in ``token`` or raise :class:`TokenRejected` saying why."""
    if not token or not isinstance(token, str):
        raise TokenRejected("missing")
    try:
        claims = jwt.decode(
            token,
            settings.token_secret,
            algorithms=[ALGORITHM],
            audience=settings.token_audience,
            issuer=settings.token_issuer,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenRejected("expired") from exc
    except jwt.InvalidAudienceError as exc:
        raise TokenRejected("wrong_audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise TokenRejected("wrong_issuer") from exc
    except jwt.InvalidSignatureError as exc:
        raise TokenRejected("bad_signature") from exc
    except jwt.PyJWTError as exc:
        raise TokenRejected("malformed") from exc
    case_ref = claims.get("sub")
    if not isinstance(case_ref, str) or not case_ref.strip():
        raise TokenRejected("malformed")
    return Identity(case_ref=case_ref, expires_at=int(claims["exp"]))
