"""Session store, rate limits and Rasa reply cleaning, without a server."""
from __future__ import annotations

import pytest

from bot.gateway.rasa_client import RasaUnavailable, clean_messages, webhook_url
from bot.gateway.sessions import (
    COOKIE_NAME,
    AddressLimiter,
    InFlightLimit,
    SessionStore,
    allow_message,
    cookie_name,
    sign_in,
    sign_out,
    start_new_conversation,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_new_sessions_have_unrelated_random_ids() -> None:
    store = SessionStore()
    id_a, a = store.create()
    id_b, b = store.create()
    assert id_a != id_b and a.sender_id != b.sender_id
    assert a.sender_id not in id_a
    assert store.get(id_a) is a


def test_unknown_or_missing_id_gives_none() -> None:
    store = SessionStore()
    assert store.get(None) is None
    assert store.get("made-up") is None


def test_idle_session_expires_but_active_one_stays() -> None:
    clock = FakeClock()
    store = SessionStore(idle_seconds=60, clock=clock)
    idle_id, _ = store.create()
    active_id, active = store.create()
    for _ in range(3):
        clock.now += 40
        assert store.get(active_id) is active
    assert store.get(idle_id) is None


def test_store_is_capped_dropping_least_recently_used() -> None:
    store = SessionStore(max_sessions=2)
    first, _ = store.create()
    second, _ = store.create()
    store.get(first)  # first is now the most recently used
    store.create()
    assert len(store) == 2
    assert store.get(second) is None
    assert store.get(first) is not None


def test_rotate_moves_session_to_new_id() -> None:
    store = SessionStore()
    old, session = store.create()
    new = store.rotate(old)
    assert new != old
    assert store.get(old) is None
    assert store.get(new) is session


def test_sign_in_as_someone_else_starts_new_conversation() -> None:
    _, session = SessionStore().create()
    original = session.sender_id
    sign_in(session, "A", "Person A")
    assert session.sender_id == original and session.signed_in
    sign_in(session, "B", "Person B")
    assert session.sender_id != original and session.case_ref == "B"


def test_sign_out_forgets_person_and_conversation() -> None:
    _, session = SessionStore().create()
    sign_in(session, "A", "Person A")
    before = session.sender_id
    session.audience = "child"
    sign_out(session)
    assert not session.signed_in and session.display_name is None
    assert session.sender_id != before
    assert session.audience is None  # the next person on a shared device chooses again


def test_start_new_conversation_keeps_person_and_audience() -> None:
    _, session = SessionStore().create()
    sign_in(session, "A", "Person A")
    session.audience = "parent"
    before = session.sender_id
    start_new_conversation(session)
    assert session.sender_id != before
    assert session.case_ref == "A" and session.audience == "parent"


def test_rate_limit_sliding_window() -> None:
    clock = FakeClock()
    _, session = SessionStore(clock=clock).create()
    assert [allow_message(session, clock, limit=3, window_seconds=60) for _ in range(4)] == [True, True, True, False]
    clock.now += 59
    assert allow_message(session, clock, limit=3, window_seconds=60) is False
    clock.now += 1
    assert allow_message(session, clock, limit=3, window_seconds=60) is True


def test_webhook_url_handles_trailing_slash() -> None:
    assert webhook_url("http://rasa:5005/") == "http://rasa:5005/webhooks/rest/webhook"
    assert webhook_url("http://rasa:5005") == "http://rasa:5005/webhooks/rest/webhook"


def test_clean_messages_drops_bad_buttons_and_unknown_keys() -> None:
    raw = [
        {"text": "hi", "buttons": [{"title": "ok", "payload": "/ok"}, {"title": 3}, "junk"], "image": "x"},
        {"buttons": [{"title": "only"}]},
        "not a dict",
        {"text": None, "custom": {"a": 1}},
    ]
    assert clean_messages(raw) == [
        {"text": "hi", "buttons": [{"title": "ok", "payload": "/ok"}]},
        {"custom": {"a": 1}},
    ]


def test_clean_messages_rejects_non_list() -> None:
    with pytest.raises(RasaUnavailable):
        clean_messages({"text": "hi"})


# ---- a full store signs nobody out ----------------------------------------------------


def test_full_store_drops_anonymous_sessions_before_signed_in_ones() -> None:
    store = SessionStore(max_sessions=3)
    signed_id, signed = store.create()
    sign_in(signed, "A", "Person A")
    signed_id = store.rotate(signed_id)  # what sign-in does: files it as signed in
    for _ in range(50):  # a flood of new anonymous sessions
        store.create()
    assert len(store) == 3
    assert store.get(signed_id) is signed and signed.signed_in


def test_signed_in_without_rotating_is_still_kept() -> None:
    """Even a session signed in without a new id (so filed as anonymous) is never evicted for an anonymous one."""
    store = SessionStore(max_sessions=2)
    signed_id, signed = store.create()
    sign_in(signed, "A", "Person A")
    for _ in range(10):
        store.create()
    assert store.get(signed_id) is signed


def test_least_recently_used_signed_in_goes_only_when_nothing_else_is_left() -> None:
    store = SessionStore(max_sessions=2)
    ids = []
    for ref in ("A", "B"):
        session_id, session = store.create()
        sign_in(session, ref, f"Person {ref}")
        ids.append(store.rotate(session_id))
    store.get(ids[0])  # A used more recently than B
    store.create()
    assert len(store) == 2
    assert store.get(ids[1]) is None and store.get(ids[0]) is not None


def test_idle_signed_in_session_still_expires() -> None:
    clock = FakeClock()
    store = SessionStore(idle_seconds=60, clock=clock)
    session_id, session = store.create()
    sign_in(session, "A", "Person A")
    session_id = store.rotate(session_id)
    clock.now += 61
    assert store.get(session_id) is None


def test_rotate_keeps_a_session_evicted_while_its_request_ran() -> None:
    store = SessionStore(max_sessions=1)
    old_id, session = store.create()
    store.create()  # evicts it
    with pytest.raises(KeyError):
        store.rotate(old_id)
    new_id = store.rotate(old_id, session)
    assert store.get(new_id) is session and len(store) == 1


def test_secure_cookie_name_has_host_prefix() -> None:
    assert cookie_name(True) == "__Host-carechat_session"
    assert cookie_name(False) == COOKIE_NAME == "carechat_session"


# ---- per-address limit and in-flight count ---------------------------------------------


def test_address_limiter_is_a_sliding_window_per_key() -> None:
    clock = FakeClock()
    limiter = AddressLimiter(2, window_seconds=60, clock=clock)
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    assert limiter.allow("b") is True  # another address has its own count
    clock.now += 30
    assert limiter.allow("a") is False
    clock.now += 30
    assert limiter.allow("a") is True


def test_refused_hits_do_not_extend_the_wait() -> None:
    clock = FakeClock()
    limiter = AddressLimiter(1, window_seconds=60, clock=clock)
    assert limiter.allow("a") is True
    for _ in range(5):
        clock.now += 10
        assert limiter.allow("a") is False
    clock.now += 10
    assert limiter.allow("a") is True


def test_address_table_is_bounded_under_a_flood_of_addresses() -> None:
    clock = FakeClock()
    limiter = AddressLimiter(5, window_seconds=60, max_addresses=100, clock=clock)
    for n in range(10_000):
        limiter.allow(f"addr-{n}")
    assert len(limiter) == 100


def test_quiet_addresses_are_forgotten_after_the_window() -> None:
    clock = FakeClock()
    limiter = AddressLimiter(5, window_seconds=60, clock=clock)
    for n in range(50):
        limiter.allow(f"addr-{n}")
    clock.now += 61
    limiter.allow("late")
    assert len(limiter) == 1


def test_in_flight_limit_counts_turns_and_frees_them() -> None:
    gate = InFlightLimit(2)
    assert gate.try_enter() and gate.try_enter()
    assert gate.try_enter() is False
    gate.leave()
    assert gate.try_enter() is True
