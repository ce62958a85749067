"""Portal sign-in tokens: one short-lived, single-use token from the council's portal, and nothing else, signs in."""
from __future__ import annotations

import dataclasses
import time
from urllib.parse import urlsplit

import jwt
import pytest

from bot.ops import portal_link
from bot.personal.identity import TokenRejected, mint_token, verify_token
from bot.personal.portal_signin import (
    LEEWAY_SECONDS,
    REQUIRED_CLAIMS,
    InMemoryUsedSignins,
    PortalSignin,
    SigninRejected,
    mint_signin_token,
    redeem,
)
from bot.settings import DEVELOPMENT_TOKEN_SECRET, load_settings

SECRET = "portal-unit-test-secret-0123456789-abcdefghij"
SETTINGS = load_settings({"CARECHAT_TOKEN_SECRET": SECRET, "CARECHAT_DEMO_MODE": "false"})
CASE_REF = "CASE-0042"
NOW = 1_900_000_000


def signed(claims: dict, secret: str = SECRET, algorithm: str = "HS256") -> str:
    """A token built by hand with PyJWT, the way a portal (or an attacker) would."""
    return jwt.encode(claims, secret, algorithm=algorithm)


def good_claims(**changes: object) -> dict:
    claims = {"sub": CASE_REF, "iss": SETTINGS.portal_issuer, "aud": SETTINGS.portal_audience,
              "iat": NOW, "exp": NOW + 60, "jti": "one-time-id-1"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def refused(token: object, used: InMemoryUsedSignins | None = None, now: float = NOW, settings=SETTINGS) -> str:
    with pytest.raises(SigninRejected) as rejected:
        redeem(token, settings, used if used is not None else InMemoryUsedSignins(), now=now)
    return rejected.value.reason


# --- what a portal makes ------------------------------------------------------------------------
def test_minted_token_round_trips_with_name():
    token = mint_signin_token(CASE_REF, SETTINGS, name="Sam", now=NOW)
    assert redeem(token, SETTINGS, InMemoryUsedSignins(), now=NOW + 5) == PortalSignin(CASE_REF, "Sam")


def test_minted_token_without_name_has_no_display_name():
    token = mint_signin_token(CASE_REF, SETTINGS, now=NOW)
    assert redeem(token, SETTINGS, InMemoryUsedSignins(), now=NOW).display_name is None


def test_minted_token_carries_exactly_the_documented_claims():
    token = mint_signin_token(CASE_REF, SETTINGS, name="Sam", ttl_seconds=45, now=NOW)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=SETTINGS.portal_audience,
                        options={"verify_exp": False, "verify_iat": False})
    assert set(claims) == {"sub", "iss", "aud", "iat", "exp", "jti", "name"}
    assert (claims["sub"], claims["iss"], claims["iat"], claims["exp"]) == (CASE_REF, SETTINGS.portal_issuer,
                                                                             NOW, NOW + 45)
    other = jwt.decode(mint_signin_token(CASE_REF, SETTINGS, now=NOW), SECRET, algorithms=["HS256"],
                       audience=SETTINGS.portal_audience, options={"verify_exp": False, "verify_iat": False})
    assert len(claims["jti"]) >= 16 and other["jti"] != claims["jti"]


def test_a_hand_signed_token_like_the_docs_show_is_accepted():
    # What docs/portal-signin.md tells a council's developers to do, with any JWT library.
    assert redeem(signed(good_claims(name="Jo")), SETTINGS, InMemoryUsedSignins(), now=NOW).case_ref == CASE_REF


# --- single use -------------------------------------------------------------------------------
def test_a_token_works_once_only():
    used = InMemoryUsedSignins()
    token = mint_signin_token(CASE_REF, SETTINGS, now=NOW)
    redeem(token, SETTINGS, used, now=NOW)
    assert refused(token, used, now=NOW + 1) == "replayed"


def test_two_links_for_the_same_person_each_work_once():
    used = InMemoryUsedSignins()
    for _ in range(2):
        assert redeem(mint_signin_token(CASE_REF, SETTINGS, now=NOW), SETTINGS, used, now=NOW).case_ref == CASE_REF


def test_a_refused_token_is_not_used_up():
    # Refused as not yet valid, it was not recorded: once its time comes it still works (once).
    used = InMemoryUsedSignins()
    early = signed(good_claims(iat=NOW + 100, exp=NOW + 160))
    assert refused(early, used, now=NOW) == "not_yet_valid"
    assert redeem(early, SETTINGS, used, now=NOW + 100).case_ref == CASE_REF
    assert refused(early, used, now=NOW + 101) == "replayed"


def test_a_used_token_stays_refused_until_it_would_be_refused_as_expired_anyway():
    used = InMemoryUsedSignins()
    token = signed(good_claims())
    redeem(token, SETTINGS, used, now=NOW)
    assert refused(token, used, now=NOW + 60 + LEEWAY_SECONDS - 1) == "replayed"
    assert refused(token, used, now=NOW + 60 + LEEWAY_SECONDS) == "expired"
    # Forgotten once it could no longer be accepted (the next sign-in tidies up).
    assert used.claim("another", expires_at=NOW + 1000, now=NOW + 60 + LEEWAY_SECONDS)
    assert len(used) == 1


# --- time ---------------------------------------------------------------------------------------
def test_expired_token_is_refused_after_the_leeway():
    token = signed(good_claims())
    assert redeem(token, SETTINGS, InMemoryUsedSignins(), now=NOW + 60 + LEEWAY_SECONDS - 1).case_ref == CASE_REF
    assert refused(token, now=NOW + 60 + LEEWAY_SECONDS) == "expired"
    assert refused(signed(good_claims(iat=1_000_000, exp=1_000_060))) == "expired"


def test_token_from_the_future_is_refused():
    assert refused(signed(good_claims(iat=NOW + LEEWAY_SECONDS + 1, exp=NOW + 100))) == "not_yet_valid"
    assert refused(signed(good_claims(nbf=NOW + LEEWAY_SECONDS + 1))) == "not_yet_valid"


def test_lifetime_longer_than_allowed_is_refused():
    limit = SETTINGS.portal_max_ttl_seconds
    assert refused(signed(good_claims(exp=NOW + limit + 1))) == "too_long_lived"
    assert refused(signed(good_claims(iat=NOW - 10_000, exp=NOW + 60))) == "too_long_lived"
    assert redeem(signed(good_claims(exp=NOW + limit)), SETTINGS, InMemoryUsedSignins(), now=NOW)


def test_the_limit_comes_from_settings():
    strict = dataclasses.replace(SETTINGS, portal_max_ttl_seconds=30)
    assert refused(mint_signin_token(CASE_REF, strict, now=NOW), settings=strict) == "too_long_lived"


@pytest.mark.parametrize("iat,exp", [(NOW, NOW), (NOW, NOW - 1), ("now", NOW + 60), (NOW, "later"), (True, NOW + 60)])
def test_nonsense_times_are_refused(iat, exp):
    assert refused(signed(good_claims(iat=iat, exp=exp))) == "malformed"


# --- who made it, and for whom -------------------------------------------------------------------
def test_token_for_another_audience_is_refused():
    assert refused(signed(good_claims(aud="some-other-service"))) == "wrong_audience"
    assert refused(signed(good_claims(aud=SETTINGS.token_audience))) == "wrong_audience"


def test_token_from_another_issuer_is_refused():
    assert refused(signed(good_claims(iss="someone-else"))) == "wrong_issuer"
    assert refused(signed(good_claims(iss=SETTINGS.token_issuer))) == "wrong_issuer"


def test_token_signed_with_another_secret_is_refused():
    assert refused(signed(good_claims(), secret="a-different-secret-" * 3)) == "bad_signature"


def test_unsigned_alg_none_token_is_refused():
    assert refused(jwt.encode(good_claims(), key=None, algorithm="none")) == "malformed"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_another_hmac_algorithm_is_refused_even_with_our_secret():
    assert refused(signed(good_claims(), algorithm="HS512")) == "malformed"


def test_identity_token_never_works_as_a_signin_token():
    identity = mint_token(CASE_REF, SETTINGS)
    assert refused(identity) == "malformed"
    # Even a settings mix-up that made the names line up would not make an encrypted token readable here.
    same_names = dataclasses.replace(SETTINGS, token_issuer=SETTINGS.portal_issuer,
                                     token_audience=SETTINGS.portal_audience)
    assert refused(mint_token(CASE_REF, same_names)) == "malformed"


def test_signin_token_never_works_as_an_identity_token():
    portal = mint_signin_token(CASE_REF, SETTINGS)
    with pytest.raises(TokenRejected):
        verify_token(portal, SETTINGS)
    same_names = dataclasses.replace(SETTINGS, portal_issuer=SETTINGS.token_issuer,
                                     portal_audience=SETTINGS.token_audience)
    with pytest.raises(TokenRejected):
        verify_token(mint_signin_token(CASE_REF, same_names, ttl_seconds=60), SETTINGS)


# --- shape ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_each_required_claim_is_required(claim):
    assert refused(signed(good_claims(**{claim: None}))) == "malformed"


@pytest.mark.parametrize("changes", [
    {"sub": ""}, {"sub": "   "}, {"sub": 42}, {"sub": "X" * 65}, {"sub": "CASE\n1"},
    {"jti": ""}, {"jti": 7}, {"jti": "j" * 201},
])
def test_bad_subject_or_token_id_is_refused(changes):
    assert refused(signed(good_claims(**changes))) == "malformed"


@pytest.mark.parametrize("token", [None, "", 42, ["a"]])
def test_missing_token_is_refused(token):
    assert refused(token) == "missing"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "a.b.c.d.e", "x" * 5000])
def test_garbage_is_refused(token):
    assert refused(token) == "malformed"


@pytest.mark.parametrize("name", ["", "   ", "A" * 41, "Sam\u202eevil", "Sam\nJo", 42])
def test_a_name_that_is_not_a_plain_short_name_is_dropped_not_trusted(name):
    signin = redeem(signed(good_claims(name=name)), SETTINGS, InMemoryUsedSignins(), now=NOW)
    assert signin == PortalSignin(CASE_REF, None)


# --- the record of used sign-ins ------------------------------------------------------------------
def test_used_signins_forget_only_expired_entries():
    used = InMemoryUsedSignins()
    assert used.claim("a", expires_at=100, now=0)
    assert used.claim("b", expires_at=200, now=0)
    assert not used.claim("a", expires_at=100, now=99)
    assert used.claim("c", expires_at=300, now=150)  # "a" is forgotten here
    assert len(used) == 2
    assert used.claim("a", expires_at=400, now=150)


def test_used_signins_are_bounded_and_refuse_rather_than_forget_a_live_one():
    used = InMemoryUsedSignins(max_remembered=2)
    assert used.claim("a", expires_at=100, now=0)
    assert used.claim("b", expires_at=100, now=0)
    assert not used.claim("c", expires_at=100, now=1)  # full: "a" and "b" are still live
    assert not used.claim("a", expires_at=100, now=1)  # and "a" is still refused
    assert used.claim("c", expires_at=200, now=100)  # room again once they expire


def test_redeem_refuses_when_the_record_is_full():
    used = InMemoryUsedSignins(max_remembered=1)
    redeem(mint_signin_token(CASE_REF, SETTINGS, now=NOW), SETTINGS, used, now=NOW)
    assert refused(mint_signin_token(CASE_REF, SETTINGS, now=NOW), used) == "replayed"


# --- the test link command --------------------------------------------------------------------------
DEMO_ENV = {"CARECHAT_DEMO_MODE": "true", "GATEWAY_PORT": "8181"}


def test_cli_prints_a_link_whose_fragment_signs_in_once(capsys):
    assert portal_link.main(["DEMO-001", "--name", "Sam", "--base-url", "https://chat.example.org/carechat/"],
                            env=DEMO_ENV) == 0
    link = capsys.readouterr().out.strip()
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path, parts.query) == ("https", "chat.example.org", "/carechat/", "")
    assert parts.fragment.startswith("signin=")
    demo = load_settings(DEMO_ENV)
    used = InMemoryUsedSignins()
    assert redeem(parts.fragment[len("signin="):], demo, used) == PortalSignin("DEMO-001", "Sam")
    with pytest.raises(SigninRejected):
        redeem(parts.fragment[len("signin="):], demo, used)


def test_cli_defaults_to_this_machines_gateway(capsys):
    assert portal_link.main(["DEMO-001"], env=DEMO_ENV) == 0
    assert capsys.readouterr().out.startswith("http://127.0.0.1:8181/#signin=")


@pytest.mark.parametrize("env", [
    {"CARECHAT_DEMO_MODE": "false"},
    {"CARECHAT_DEMO_MODE": "false", "CARECHAT_TOKEN_SECRET": DEVELOPMENT_TOKEN_SECRET},
    {"CARECHAT_DEMO_MODE": "false", "CARECHAT_TOKEN_SECRET": "short"},
])
def test_cli_refuses_outside_demo_mode_with_an_unsafe_secret(capsys, env):
    assert portal_link.main(["CASE-1"], env=env) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert "CARECHAT_TOKEN_SECRET" in out.err


def test_cli_works_outside_demo_mode_with_a_safe_secret(capsys):
    env = {"CARECHAT_DEMO_MODE": "false", "CARECHAT_TOKEN_SECRET": SECRET}
    assert portal_link.main(["CASE-1", "--base-url", "https://chat.example.org"], env=env) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith("https://chat.example.org/#signin=")
    assert redeem(link.split("#signin=", 1)[1], SETTINGS, InMemoryUsedSignins()).case_ref == "CASE-1"


@pytest.mark.parametrize("argv", [["CASE-1", "--ttl", "0"], ["CASE-1", "--ttl", "301"], ["  "],
                                  ["CASE-1", "--base-url", "javascript:alert(1)"], ["CASE-1", "--base-url", "chat.example"]])
def test_cli_refuses_bad_arguments_with_one_line(capsys, argv):
    assert portal_link.main(argv, env=DEMO_ENV) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("portal_link: ") and out.err.count("\n") == 1


def test_time_module_is_used_when_no_clock_is_given():
    token = mint_signin_token(CASE_REF, SETTINGS)
    assert redeem(token, SETTINGS, InMemoryUsedSignins()).case_ref == CASE_REF
    assert abs(jwt.decode(token, options={"verify_signature": False})["iat"] - time.time()) < 5
