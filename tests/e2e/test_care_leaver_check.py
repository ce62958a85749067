"""The guided care-leaver check end to end: gateway -> Rasa (form and rules) -> action server -> case store.

Button taps are sent as their payloads, as the chat page does.
"""
from __future__ import annotations

import json
import uuid

import pytest

from bot.knowledge.care_leavers import guided_check as g
from bot.personal.identity import mint_token
from tests.e2e.conftest import GatewayClient

pytestmark = pytest.mark.e2e

START = f"/{g.CHECK_INTENT}"
SAFETY_WORDS = ("999", "0800 1111", "116 123")


def tap(slot: str, value: str) -> str:
    return f"/{g.ANSWER_INTENT}{json.dumps({slot: value})}"


def test_a_signed_in_care_leaver_is_answered_from_the_record_through_the_gateway(gateway: GatewayClient,
                                                                                   case_store):
    status, _ = gateway.request("POST", "/api/demo/signin", {"case_ref": "DEMO-004"})
    assert status == 200
    reply = gateway.say("what am i entitled to")
    assert reply.startswith("I worked this out from your council record, without asking you questions.")
    assert "your date of birth (you are 19)" in reply
    assert '"former relevant"' in reply and "(Children Act 1989" in reply
    assert g.QUESTIONS[g.AGE].text not in reply


def test_signed_out_the_check_asks_only_what_it_needs_then_answers(gateway: GatewayClient):
    first = gateway.say(START)
    assert g.INTRO in first and g.QUESTIONS[g.AGE].text in first
    assert g.QUESTIONS[g.AFTER_16].text in gateway.say(tap(g.AGE, "18_20"))
    assert g.QUESTIONS[g.WEEKS].text in gateway.say(tap(g.AFTER_16, "yes"))
    assert g.QUESTIONS[g.EDUCATION].text in gateway.say(tap(g.WEEKS, "yes"))  # no "still in care" at 18+
    answer = gateway.say(tap(g.EDUCATION, "yes"))
    assert answer.startswith("From your answers: age 18 to 20;")
    assert '"former relevant"' in answer and "Higher Education Bursary" in answer
    assert "Demo" not in answer


def test_under_16_is_answered_kindly_after_one_question(gateway: GatewayClient):
    gateway.say(START)
    answer = gateway.say(tap(g.AGE, "under_16"))
    assert "You are not there yet, and that is fine." in answer


def test_not_sure_gives_the_range_and_who_can_confirm(rasa_rest):
    sender = f"e2e-{uuid.uuid4().hex}"
    rasa_rest(sender, START)
    rasa_rest(sender, tap(g.AGE, "16_17"))
    rasa_rest(sender, tap(g.AFTER_16, "yes"))
    rasa_rest(sender, tap(g.WEEKS, "not_sure"))
    answer = rasa_rest(sender, tap(g.STILL_IN_CARE, "yes"))
    assert "I can't tell your group for certain yet" in answer and "Care Advice Line" in answer


def test_stop_a_question_and_a_safety_message_each_leave_the_check(rasa_rest):
    stopper = f"e2e-{uuid.uuid4().hex}"
    rasa_rest(stopper, START)
    assert "we'll stop there" in rasa_rest(stopper, f"/{g.STOP_INTENT}")
    assert "Source:" in rasa_rest(stopper, "what happens at my review")

    asker = f"e2e-{uuid.uuid4().hex}"
    rasa_rest(asker, START)
    rasa_rest(asker, tap(g.AGE, "21_24"))
    reply = rasa_rest(asker, "what happens at my review")
    assert "Source:" in reply and g.QUESTIONS[g.AFTER_16].text not in reply
    assert "that check has finished" in rasa_rest(asker, tap(g.AFTER_16, "yes"))

    worried = f"e2e-{uuid.uuid4().hex}"
    rasa_rest(worried, START)
    rasa_rest(worried, tap(g.AGE, "16_17"))
    reply = rasa_rest(worried, "my stepdad hits me")
    assert all(words in reply for words in SAFETY_WORDS), reply
    assert g.QUESTIONS[g.AFTER_16].text not in reply


def test_a_typed_answer_is_asked_again_and_nothing_typed_is_kept(rasa_rest, stack_settings):
    sender = f"e2e-{uuid.uuid4().hex}"
    rasa_rest(sender, START)
    reply = rasa_rest(sender, "seventeen")  # typed, not tapped: the check cannot read it
    assert "please tap one of the answers" in reply and g.QUESTIONS[g.AGE].text in reply
    forged = rasa_rest(sender, f"/{g.ANSWER_INTENT}" + json.dumps({g.AGE: "my address is 4 Elm Road"}))
    assert g.QUESTIONS[g.AGE].text in forged
    assert g.QUESTIONS[g.AFTER_16].text in rasa_rest(sender, tap(g.AGE, "16_17"))


def test_a_forged_token_gets_the_questions_not_a_record(rasa_rest, stack_settings):
    import dataclasses

    forged = mint_token("DEMO-004", dataclasses.replace(stack_settings, token_secret="forged-" * 8))
    reply = rasa_rest(f"e2e-{uuid.uuid4().hex}", START, {"carechat_token": forged})
    assert g.QUESTIONS[g.AGE].text in reply and "Demo" not in reply and "council record" not in reply
