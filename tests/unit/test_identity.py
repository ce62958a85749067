"""Identity tokens: only a valid, current token for this audience names a young person."""
import dataclasses

import jwt
import pytest

from bot.personal.identity import mint_token, verify_token, TokenRejected
from bot.settings import load_settings

SETTINGS = load_settings({"CARECHAT_TOKEN_SECRET": "s" * 40, "CARECHAT_DEMO_MODE": "false"})


def test_round_trip_returns_the_case_ref():
    assert verify_token(mint_token("DEMO-001", SETTINGS), SETTINGS).case_ref == "DEMO-001"


@pytest.mark.parametrize("token", [None, "", "not-a-jwt", 42])
def test_missing_or_malformed_tokens_are_rejected(token):
    with pytest.raises(TokenRejected):
        verify_token(token, SETTINGS)


def test_forged_signature_is_rejected():
    forged = mint_token("DEMO-001", dataclasses.replace(SETTINGS, token_secret="x" * 40))
    with pytest.raises(TokenRejected) as rejected:
        verify_token(forged, SETTINGS)
    assert rejected.value.reason == "bad_signature"


def test_expired_token_is_rejected():
    old = mint_token("DEMO-001", SETTINGS, ttl_seconds=60, now=1_000_000)
    with pytest.raises(TokenRejected) as rejected:
        verify_token(old, SETTINGS)
    assert rejected.value.reason == "expired"


def test_wrong_audience_is_rejected():
    other = mint_token("DEMO-001", dataclasses.replace(SETTINGS, token_audience="another-service"))
    with pytest.raises(TokenRejected) as rejected:
        verify_token(other, SETTINGS)
    assert rejected.value.reason == "wrong_audience"


def test_wrong_issuer_is_rejected():
    other = mint_token("DEMO-001", dataclasses.replace(SETTINGS, token_issuer="someone-else"))
    with pytest.raises(TokenRejected) as rejected:
        verify_token(other, SETTINGS)
    assert rejected.value.reason == "wrong_issuer"


def test_unsigned_alg_none_token_is_rejected():
    unsigned = jwt.encode({"sub": "DEMO-001", "iss": SETTINGS.token_issuer, "aud": SETTINGS.token_audience,
                           "exp": 9_999_999_999}, key=None, algorithm="none")
    with pytest.raises(TokenRejected):
        verify_token(unsigned, SETTINGS)


def test_token_without_subject_is_rejected():
    claims = {"iss": SETTINGS.token_issuer, "aud": SETTINGS.token_audience, "exp": 9_999_999_999}
    token = jwt.encode(claims, SETTINGS.token_secret, algorithm="HS256")
    with pytest.raises(TokenRejected):
        verify_token(token, SETTINGS)
