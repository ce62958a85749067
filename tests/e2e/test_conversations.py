"""End to end through the running stack: gateway -> Rasa -> action server -> case store."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import date, timedelta

import pytest

from bot.personal.dates import friendly_date
from bot.personal.identity import mint_token
from tests.e2e.conftest import GatewayClient

pytestmark = pytest.mark.e2e

SIGN_IN_WORDS = "signed in"


def booked_review_date(case_store, case_ref: str) -> date:
    """The young person's next booked review, read from the store the stack uses."""
    from sqlalchemy import select

    from bot.personal.casestore.models import Review, YoungPerson

    with case_store() as session:
        person = session.scalars(select(YoungPerson).where(YoungPerson.case_ref == case_ref)).one()
        booked = [r.booked_date for r in person.reviews if r.booked_date and r.held_date is None]
    assert booked, f"{case_ref} has no booked review in the demo data"
    return min(booked)


def test_page_is_served(gateway: GatewayClient):
    import urllib.request

    with urllib.request.urlopen(gateway.base_url + "/", timeout=10) as response:
        assert response.status == 200
        assert "CareChat" in response.read().decode()


def test_gateway_answers_what_is_an_sgo(gateway: GatewayClient):
    reply = gateway.say("what is an SGO")
    assert "guardian" in reply.lower()
    assert "Source:" in reply


def test_gateway_answers_what_is_an_sgo_for_a_child_in_text_speak(gateway: GatewayClient):
    reply = gateway.say("wot is a sgo", audience="child")
    assert "guardian" in reply.lower()
    assert "Source:" in reply


def test_gateway_answers_what_happens_at_a_review(gateway: GatewayClient):
    reply = gateway.say("what happens at my review")
    assert "IRO" in reply
    assert "Source:" in reply


def test_greeting_and_out_of_scope_through_rasa_rest(rasa_rest):
    sender = f"e2e-{uuid.uuid4().hex}"
    assert "CareChat" in rasa_rest(sender, "hello")
    reply = rasa_rest(sender, "who won the football last night")
    assert "can't help with that" in reply
    assert "Source:" not in reply


def test_signed_in_demo_person_gets_their_stored_review_date(gateway: GatewayClient, case_store):
    status, _ = gateway.request("POST", "/api/demo/signin", {"case_ref": "DEMO-001"})
    assert status == 200
    reply = gateway.say("when is my next review")
    today = date.today()
    assert friendly_date(booked_review_date(case_store, "DEMO-001"), today) in reply


def test_not_signed_in_gets_no_personal_data(gateway: GatewayClient):
    reply = gateway.say("when is my next review")
    assert SIGN_IN_WORDS in reply
    assert "Demo" not in reply


def test_valid_token_through_rasa_rest(rasa_rest, stack_settings, case_store):
    token = mint_token("DEMO-001", stack_settings)
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "when is my next review", {"carechat_token": token})
    assert friendly_date(booked_review_date(case_store, "DEMO-001"), date.today()) in reply


def test_forged_token_through_rasa_rest_reveals_nothing(rasa_rest, stack_settings, case_store):
    forged = mint_token("DEMO-001", dataclasses.replace(stack_settings, token_secret="forged-" * 8))
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "when is my next review", {"carechat_token": forged})
    assert SIGN_IN_WORDS in reply
    assert friendly_date(booked_review_date(case_store, "DEMO-001"), date.today()) not in reply
    assert "Demo" not in reply


def test_no_token_through_rasa_rest_reveals_nothing(rasa_rest):
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "when is my next review")
    assert SIGN_IN_WORDS in reply
    assert "Demo" not in reply


def test_expired_token_through_rasa_rest_reveals_nothing(rasa_rest, stack_settings):
    old = mint_token("DEMO-001", stack_settings, ttl_seconds=1, now=1_000_000)
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "when is my next review", {"carechat_token": old})
    assert SIGN_IN_WORDS in reply


def test_advocate_contact_for_signed_in_person(rasa_rest, stack_settings):
    token = mint_token("DEMO-001", stack_settings)
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "how do i contact my advocate", {"carechat_token": token})
    assert "Demo Ash" in reply


def test_no_advocate_assigned_gets_the_national_helpline(rasa_rest, stack_settings):
    token = mint_token("DEMO-005", stack_settings)
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "who is my advocate", {"carechat_token": token})
    assert "0808 800 5792" in reply


def test_care_leaver_hears_about_pathway_plan_reviews(rasa_rest, stack_settings):
    token = mint_token("DEMO-004", stack_settings)
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "when is my next review", {"carechat_token": token})
    assert "pathway plan" in reply.lower()


def test_estimated_review_says_it_is_an_estimate(rasa_rest, stack_settings):
    token = mint_token("DEMO-002", stack_settings)
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "when is my next review", {"carechat_token": token})
    assert "estimate" in reply.lower()


# Both lookups for demo people in different situations, through the whole stack.
SITUATIONS = {
    # case ref: (what the review reply must say, what the advocate reply must say)
    "DEMO-001": ("booked for", "Demo Ash"),
    "DEMO-002": ("only an estimate", "0808 800 5792"),
    "DEMO-004": ("pathway plan", "Demo Pat"),
    "DEMO-005": ("only an estimate", "0808 800 5792"),
    "DEMO-006": ("details are missing", "0808 800 5792"),
}


@pytest.mark.parametrize("case_ref", sorted(SITUATIONS))
def test_both_lookups_for_each_situation(rasa_rest, stack_settings, case_ref):
    review_words, advocate_words = SITUATIONS[case_ref]
    token = mint_token(case_ref, stack_settings)
    sender = f"e2e-{uuid.uuid4().hex}"
    assert review_words in rasa_rest(sender, "when is my next review", {"carechat_token": token})
    assert advocate_words in rasa_rest(sender, "who is my advocate", {"carechat_token": token})


def test_reference_not_in_store_reveals_nothing(rasa_rest, stack_settings):
    token = mint_token("NOT-A-REAL-REF", stack_settings)
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "when is my next review", {"carechat_token": token})
    assert "couldn't find your record" in reply
    assert "Demo" not in reply


def test_sgo_vs_care_order_through_the_gateway(gateway: GatewayClient):
    reply = gateway.say("whats the difference between an sgo and a care order")
    assert "side by side" in reply
    assert "Source:" in reply


SAFETY_WORDS = ("999", "0800 1111", "116 123")


@pytest.mark.parametrize("message", [
    "my stepdad hits me",
    "what is an sgo also my stepdad hits me",
    "i wanna kms",
    "help now",
])
def test_crisis_messages_get_the_safety_reply(rasa_rest, message):
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", message)
    assert all(words in reply for words in SAFETY_WORDS), reply


def test_safety_reply_mid_conversation_and_after_a_fallback(rasa_rest):
    sender = f"e2e-{uuid.uuid4().hex}"
    rasa_rest(sender, "what happens at my review")
    rasa_rest(sender, "qwzx blorp")
    reply = rasa_rest(sender, "i dont feel safe at home he hurts me")
    assert all(words in reply for words in SAFETY_WORDS), reply


def test_ordinary_question_that_shares_words_is_answered_normally(gateway: GatewayClient):
    reply = gateway.say("what is an emergency protection order")
    assert "0800 1111" not in reply
    assert "Source:" in reply


CHECK_IN_WORDS = ("Are you safe right now?", "999", "0800 1111")


def test_minimised_overdose_is_never_answered_as_ordinary(gateway: GatewayClient):
    reply = gateway.say("took a few extra tablets lol its nothing")
    assert all(words in reply for words in CHECK_IN_WORDS) or all(w in reply for w in SAFETY_WORDS), reply


def test_indirect_disclosure_gets_the_check_in_and_i_am_fine_carries_on(gateway: GatewayClient):
    reply = gateway.say("i get scared when my mum shouts on contact days")
    assert all(words in reply for words in CHECK_IN_WORDS), reply
    reply = gateway.say("no im fine honestly")
    assert "glad you're safe" in reply and "0800 1111" not in reply
    reply = gateway.say("what happens at my review")
    assert "IRO" in reply and "Source:" in reply


def test_not_safe_after_a_check_in_gets_the_full_reply(gateway: GatewayClient):
    reply = gateway.say("nobody would even notice if i wasnt here")
    assert "Are you safe right now?" in reply or all(words in reply for words in SAFETY_WORDS), reply
    reply = gateway.say("/safety_not_ok")
    assert all(words in reply for words in SAFETY_WORDS), reply


def test_short_dark_reply_to_an_ordinary_answer_is_checked(gateway: GatewayClient):
    assert "IRO" in gateway.say("when do reviews happen")
    reply = gateway.say("wont be around for the next one anyway")
    assert "Are you safe right now?" in reply or all(w in reply for w in SAFETY_WORDS), reply


def test_safety_outcomes_are_counted_by_day_without_text(gateway: GatewayClient, stack_settings):
    from bot.ops.safety_report import count_outcomes, render_csv

    url = f"sqlite:///{stack_settings.tracker_db_path}"

    def risk_suicide() -> int:
        rows = count_outcomes(url).rows
        return sum(r.count for r in rows if (r.tier, r.category) == ("risk", "suicide"))

    before = risk_suicide()
    reply = gateway.say("i want to kill myself")
    assert all(words in reply for words in SAFETY_WORDS)
    assert risk_suicide() == before + 1
    assert "kill" not in render_csv(count_outcomes(url))


def test_general_questions_get_the_general_answer_not_a_sign_in_wall(gateway: GatewayClient):
    """General before personal: how anyone finds an advocate is not a personal lookup."""
    advocate = gateway.say("how does anyone find an advocate")
    assert "advocate" in advocate.lower()
    assert not advocate.startswith("You're not signed in")
    council = gateway.say("when is the next children in care council meeting")
    assert "children in care council" in council.lower()
    assert not council.startswith("You're not signed in")


def test_questions_about_carechat_itself_get_honest_answers(gateway: GatewayClient, stack_settings):
    from bot.knowledge.about_carechat import retention_phrase

    privacy = gateway.say("can my social worker see what i write here")
    assert retention_phrase(stack_settings.retention_days) in privacy
    assert "No one reads the chat" in privacy
    can_do = gateway.say("what can you help me with")
    assert "If you're signed in" in can_do


def test_personal_adviser_for_a_signed_in_care_leaver(rasa_rest, stack_settings):
    token = mint_token("DEMO-004", stack_settings)
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", "who is my personal adviser", {"carechat_token": token})
    assert "Demo Pat" in reply
    signed_out = rasa_rest(f"e2e-{uuid.uuid4().hex}", "who is my personal adviser")
    assert "Demo Pat" not in signed_out and SIGN_IN_WORDS in signed_out


def test_a_follow_up_is_about_the_card_just_shown(gateway: GatewayClient):
    first = gateway.say("what is an sgo")
    assert "special guardian" in first.lower()
    follow = gateway.say("how long does it last")
    assert follow.startswith("Special guardianship order. How long it lasts:")


def test_and_another_order_after_an_order_compares_them(gateway: GatewayClient):
    gateway.say("whats a care order")
    compared = gateway.say("and adoption?")
    assert compared.startswith("Care order and Adoption order, side by side:")
