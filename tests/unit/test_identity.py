"""Identity tokens: only a current, encrypted token of ours for this audience names a young person,
and nobody who reads a stored token (Rasa's tracker store) can read the case reference in it."""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import time

import jwt
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.personal.identity import (
    HKDF_INFO,
    HKDF_SALT,
    TokenRejected,
    mint_token,
    read_case_ref,
    verify_token,
)
from bot.personal.portal_signin import mint_signin_token
from bot.settings import load_settings

SETTINGS = load_settings({"CARECHAT_TOKEN_SECRET": "s" * 40, "CARECHAT_DEMO_MODE": "false"})
CASE_REF = "DEMO-001"


# --- forging tokens by hand, the way an attacker (or another implementation) would ---------------
def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def derived_key(secret: str) -> bytes:
    """The documented key: HKDF-SHA256 of the secret with the module's fixed salt and info."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO).derive(secret.encode())


def forge(claims: object, header: dict | None = None, secret: str = SETTINGS.token_secret,
          key: bytes | None = None) -> str:
    """A compact JWE built with plain AES-GCM: any header, any claims, our real key unless told otherwise."""
    protected = b64(json.dumps(header or {"alg": "dir", "enc": "A256GCM"}).encode())
    iv = os.urandom(12)
    sealed = AESGCM(key or derived_key(secret)).encrypt(iv, json.dumps(claims).encode(), protected.encode("ascii"))
    return ".".join([protected, "", b64(iv), b64(sealed[:-16]), b64(sealed[-16:])])


def claims(**changes: object) -> dict:
    now = int(time.time())
    base = {"sub": CASE_REF, "iss": SETTINGS.token_issuer, "aud": SETTINGS.token_audience,
            "iat": now, "exp": now + 300}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def reason(token: object) -> str:
    with pytest.raises(TokenRejected) as rejected:
        verify_token(token, SETTINGS)
    return rejected.value.reason


# --- the happy path ---------------------------------------------------------------------------
def test_round_trip_returns_the_case_ref():
    identity = verify_token(mint_token(CASE_REF, SETTINGS), SETTINGS)
    assert identity.case_ref == CASE_REF
    assert identity.expires_at > time.time()


def test_token_is_a_compact_jwe_with_dir_and_a256gcm():
    parts = mint_token(CASE_REF, SETTINGS).split(".")
    assert len(parts) == 5 and parts[1] == ""
    assert json.loads(unb64(parts[0])) == {"alg": "dir", "enc": "A256GCM"}


def test_key_is_hkdf_sha256_of_the_secret():
    # Decrypting with an independently derived key proves the documented scheme, byte for byte.
    header, _, iv, ciphertext, tag = mint_token(CASE_REF, SETTINGS).split(".")
    plain = AESGCM(derived_key(SETTINGS.token_secret)).decrypt(unb64(iv), unb64(ciphertext) + unb64(tag),
                                                               header.encode())
    assert json.loads(plain)["sub"] == CASE_REF
    assert derived_key(SETTINGS.token_secret) != SETTINGS.token_secret.encode()[:32]


def test_a_hand_built_token_with_our_key_is_accepted():
    # The forging helper below is only meaningful if a correct forgery would pass.
    assert verify_token(forge(claims()), SETTINGS).case_ref == CASE_REF


# --- nobody reading the tracker store can read the case reference -----------------------------
def test_case_ref_is_not_readable_in_the_token_or_any_decoded_part():
    case_ref = "CASE-REF-7H3X"
    token = mint_token(case_ref, SETTINGS)
    assert case_ref not in token
    for part in token.split("."):
        assert case_ref.encode() not in unb64(part)


def test_two_tokens_for_the_same_person_and_second_differ():
    first = mint_token(CASE_REF, SETTINGS, now=1_900_000_000)
    second = mint_token(CASE_REF, SETTINGS, now=1_900_000_000)
    assert first != second  # a fresh random IV each time
    assert first.split(".")[3] != second.split(".")[3]


# --- attacks and bad input ----------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, ""])
def test_missing_token_is_rejected(token):
    assert reason(token) == "missing"


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c.d.e", "....", "x" * 5000, "eyJ9.e30.e30.e30.e30"])
def test_malformed_tokens_are_rejected(token):
    assert reason(token) == "malformed"


def test_non_string_token_is_rejected():
    assert reason(42) == "missing"
    assert reason({"sub": CASE_REF}) == "missing"


def test_forged_signature_is_rejected():
    # Made under another secret: it does not decrypt and authenticate with ours.
    forged = mint_token(CASE_REF, dataclasses.replace(SETTINGS, token_secret="x" * 40))
    assert reason(forged) == "bad_signature"


def test_token_under_the_raw_secret_instead_of_the_derived_key_does_not_decrypt():
    assert reason(forge(claims(), key=SETTINGS.token_secret.encode()[:32])) == "bad_signature"


def test_tampered_ciphertext_or_tag_does_not_authenticate():
    header, key, iv, ciphertext, tag = mint_token(CASE_REF, SETTINGS).split(".")
    flipped = bytearray(unb64(ciphertext))
    flipped[0] ^= 1
    assert reason(".".join([header, key, iv, b64(bytes(flipped)), tag])) == "bad_signature"
    bad_tag = bytearray(unb64(tag))
    bad_tag[-1] ^= 1
    assert reason(".".join([header, key, iv, ciphertext, b64(bytes(bad_tag))])) == "bad_signature"


def test_rewritten_header_does_not_authenticate():
    # Same algorithms, different bytes: the header is authenticated (it is GCM's additional data).
    header, key, iv, ciphertext, tag = mint_token(CASE_REF, SETTINGS).split(".")
    respelled = b64(json.dumps({"enc": "A256GCM", "alg": "dir"}).encode())
    assert respelled != header
    assert reason(".".join([respelled, key, iv, ciphertext, tag])) == "bad_signature"


def test_expired_token_is_rejected():
    old = mint_token(CASE_REF, SETTINGS, ttl_seconds=60, now=1_000_000)
    assert reason(old) == "expired"


def test_wrong_audience_is_rejected():
    other = mint_token(CASE_REF, dataclasses.replace(SETTINGS, token_audience="another-service"))
    assert reason(other) == "wrong_audience"
    assert reason(forge(claims(aud=[SETTINGS.token_audience, "x"]))) == "wrong_audience"


def test_wrong_issuer_is_rejected():
    other = mint_token(CASE_REF, dataclasses.replace(SETTINGS, token_issuer="someone-else"))
    assert reason(other) == "wrong_issuer"


def test_unsigned_alg_none_token_is_rejected():
    unsigned = jwt.encode(claims(), key=None, algorithm="none")
    assert reason(unsigned) == "malformed"


def test_old_style_signed_jwt_with_the_right_secret_is_rejected():
    # A plain JWS leaves the case reference readable: even correctly signed, it is not accepted.
    signed = jwt.encode(claims(), SETTINGS.token_secret, algorithm="HS256")
    assert reason(signed) == "malformed"


def test_portal_signin_token_is_not_an_identity_token():
    portal = mint_signin_token(CASE_REF, SETTINGS)
    assert reason(portal) == "malformed"
    assert read_case_ref(portal, SETTINGS) is None


@pytest.mark.parametrize("header", [
    {"alg": "none", "enc": "A256GCM"},
    {"alg": "dir", "enc": "A128GCM"},
    {"alg": "A256KW", "enc": "A256GCM"},
    {"alg": "dir", "enc": "A256CBC-HS512"},
    {"alg": "dir", "enc": "A256GCM", "zip": "DEF"},
    {"alg": "dir", "enc": "A256GCM", "kid": "other"},
    {"alg": "dir"},
])
def test_any_other_header_is_refused_even_with_our_key(header):
    # Each of these is sealed with our real key, so only the header check can refuse it.
    assert reason(forge(claims(), header=header)) == "malformed"


def test_wrapped_key_part_is_refused_for_dir():
    header, _, iv, ciphertext, tag = mint_token(CASE_REF, SETTINGS).split(".")
    assert reason(".".join([header, b64(b"k" * 40), iv, ciphertext, tag])) == "malformed"


@pytest.mark.parametrize("bad_claims", [
    claims(sub=None),
    claims(sub=""),
    claims(sub=7),
    claims(exp=None),
    claims(exp="tomorrow"),
    claims(iat=None),
    ["not", "an", "object"],
])
def test_token_with_missing_or_wrong_claims_is_rejected(bad_claims):
    assert reason(forge(bad_claims)) == "malformed"


# --- reading the case reference of an old token (erasure) -----------------------------------------
def test_read_case_ref_ignores_expiry():
    old = mint_token(CASE_REF, SETTINGS, ttl_seconds=60, now=1_000_000)
    assert read_case_ref(old, SETTINGS) == CASE_REF
    assert read_case_ref(mint_token(CASE_REF, SETTINGS), SETTINGS) == CASE_REF


@pytest.mark.parametrize("token", [
    None, "", 42, "garbage", "a.b.c.d.e",
    mint_token(CASE_REF, dataclasses.replace(SETTINGS, token_secret="x" * 40)),
    mint_token(CASE_REF, dataclasses.replace(SETTINGS, token_issuer="someone-else")),
    mint_token(CASE_REF, dataclasses.replace(SETTINGS, token_audience="another-service")),
    jwt.encode(claims(), SETTINGS.token_secret, algorithm="HS256"),
    forge(claims(sub="")),
    forge(claims(), header={"alg": "dir", "enc": "A256GCM", "zip": "DEF"}),
])
def test_read_case_ref_names_nobody_for_anything_else_and_never_raises(token):
    assert read_case_ref(token, SETTINGS) is None
