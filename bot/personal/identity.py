"""Encrypted identity tokens: the only way a message can say whose record may be read.

The gateway mints a short-lived token naming the signed-in young person's case reference and
puts it in the metadata of each message; the action server checks it on every personal lookup,
so chat text never decides whose record is read.

Rasa keeps that metadata in its tracker store. A signed (JWS) token would leave the case
reference readable there to anyone who can read the database, so the token is a **JWE**
(compact form, ``alg=dir``, ``enc=A256GCM``): the claims are encrypted *and* authenticated
with a key derived from ``CARECHAT_TOKEN_SECRET`` by HKDF-SHA256. Only the gateway and the
action server, which share that secret, can mint or read one.
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwe, jwk
from jwcrypto.common import base64url_encode

from bot.settings import Settings

KEY_ALGORITHM = "dir"
CONTENT_ENCRYPTION = "A256GCM"
#: The whole protected header, exactly: anything else (a JWS, ``alg=none``, another ``enc``,
#: compression, ``crit``, key-fetching headers) is refused before any decryption is tried.
PROTECTED_HEADER = {"alg": KEY_ALGORITHM, "enc": CONTENT_ENCRYPTION}

#: HKDF inputs: fixed, and named for this one use, so the derived key is never the key of
#: anything else made from the same secret (the portal's sign-in tokens use the raw secret).
HKDF_SALT = b"CareChat identity tokens: salt v1"
HKDF_INFO = b"CareChat identity tokens: A256GCM content key v1"
KEY_BYTES = 32

#: A 96-bit GCM nonce and 128-bit tag, as A256GCM requires.
IV_BYTES = 12
TAG_BYTES = 16
#: Far longer than any token we mint (~250 characters); longer input is refused unread.
MAX_TOKEN_CHARS = 4096


class TokenRejected(Exception):
    """The token cannot be trusted; ``reason`` is a short machine-readable word, never logged with the token.

    Reasons: ``missing``, ``malformed``, ``bad_signature`` (does not decrypt and authenticate
    with our key), ``expired``, ``wrong_audience``, ``wrong_issuer``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who the verified token says the young person is."""

    case_ref: str
    expires_at: int


@functools.lru_cache(maxsize=8)
def _content_key(secret: str) -> jwk.JWK:
    """The A256GCM key for ``secret``: HKDF-SHA256 with a fixed salt and info (cached: it never changes)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=HKDF_SALT, info=HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return jwk.JWK(kty="oct", k=base64url_encode(derived))


def mint_token(case_ref: str, settings: Settings, ttl_seconds: int | None = None, now: float | None = None) -> str:
    """An encrypted token for ``case_ref`` that the action server will accept until it expires."""
    issued = int(now if now is not None else time.time())
    ttl = settings.token_ttl_seconds if ttl_seconds is None else ttl_seconds
    claims = {
        "sub": case_ref,
        "iss": settings.token_issuer,
        "aud": settings.token_audience,
        "iat": issued,
        "exp": issued + ttl,
    }
    token = jwe.JWE(
        json.dumps(claims, separators=(",", ":")).encode("utf-8"),
        protected=json.dumps(PROTECTED_HEADER),
    )
    token.add_recipient(_content_key(settings.token_secret))
    return token.serialize(compact=True)


_B64URL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _b64url(part: str) -> bytes:
    """Strict base64url (no padding, no other characters), as JWE compact form requires."""
    if "=" in part or any(c not in _B64URL_CHARS for c in part):
        raise TokenRejected("malformed")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenRejected("malformed") from exc


def _check_shape(token: str) -> None:
    """Refuse, before decrypting, anything that is not our exact kind of compact JWE."""
    if len(token) > MAX_TOKEN_CHARS:
        raise TokenRejected("malformed")
    parts = token.split(".")
    if len(parts) != 5:  # a JWS (signed-only, or alg=none) has 3 parts
        raise TokenRejected("malformed")
    header_part, encrypted_key, iv, ciphertext, tag = parts
    try:
        header = json.loads(_b64url(header_part).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenRejected("malformed") from exc
    if header != PROTECTED_HEADER:
        raise TokenRejected("malformed")
    if encrypted_key != "":  # alg=dir carries no wrapped key
        raise TokenRejected("malformed")
    if len(_b64url(iv)) != IV_BYTES or len(_b64url(tag)) != TAG_BYTES or not ciphertext:
        raise TokenRejected("malformed")
    _b64url(ciphertext)


def _decrypt_claims(token: object, settings: Settings) -> dict[str, Any]:
    """The authenticated claims of ``token``; raises :class:`TokenRejected` (missing, malformed, bad_signature)."""
    if not token or not isinstance(token, str):
        raise TokenRejected("missing")
    _check_shape(token)
    parsed = jwe.JWE(algs=[KEY_ALGORITHM, CONTENT_ENCRYPTION])
    try:
        parsed.deserialize(token, _content_key(settings.token_secret))
    except Exception as exc:  # noqa: BLE001 - any jwcrypto failure on a well-formed token means it does not authenticate
        raise TokenRejected("bad_signature") from exc
    try:
        claims = json.loads(parsed.payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenRejected("malformed") from exc
    if not isinstance(claims, dict):
        raise TokenRejected("malformed")
    return claims


def _is_time(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_claims(claims: dict[str, Any], settings: Settings, *, now: float | None) -> str:
    """The case reference, once issuer, audience and (unless ``now`` is None) expiry are right."""
    case_ref = claims.get("sub")
    if not isinstance(case_ref, str) or not case_ref.strip():
        raise TokenRejected("malformed")
    if not _is_time(claims.get("exp")) or not _is_time(claims.get("iat")):
        raise TokenRejected("malformed")
    if claims.get("iss") != settings.token_issuer:
        raise TokenRejected("wrong_issuer")
    if claims.get("aud") != settings.token_audience:
        raise TokenRejected("wrong_audience")
    if now is not None and now >= claims["exp"]:
        raise TokenRejected("expired")
    return case_ref


def verify_token(token: str | None, settings: Settings) -> Identity:
    """Return the identity in ``token`` or raise :class:`TokenRejected` saying why."""
    claims = _decrypt_claims(token, settings)
    case_ref = _check_claims(claims, settings, now=time.time())
    return Identity(case_ref=case_ref, expires_at=int(claims["exp"]))


def read_case_ref(token: object, settings: Settings) -> str | None:
    """The case reference in a token we minted, even an expired one; None for anything else.

    Erasing a person's old conversations means finding the ones that carried their tokens,
    long after those expired. Issuer and audience still have to be ours. Never raises.
    """
    try:
        return _check_claims(_decrypt_claims(token, settings), settings, now=None)
    except Exception:  # noqa: BLE001 - a token we cannot read simply names nobody
        return None
