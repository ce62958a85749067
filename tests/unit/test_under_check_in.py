"""The question under a check-in (bot.knowledge.under_check_in): answered only when it asked for a card."""
from __future__ import annotations

import pytest

from bot.knowledge.under_check_in import asked_intent, card_under_check_in


def check_in(intent, confidence=0.8, tier="check_in"):
    return {"tier": tier, "category": "unspecified", "source": "classifier", "rule": "",
            "asked": {"name": intent, "confidence": confidence}}


def card(library, scope, found, text):
    result = card_under_check_in(library, found, [], text, scope, None)
    return result.id if result is not None else None


def test_a_worried_question_about_family_time_still_gets_its_card(library, scope):
    text = "i dont want to go to contact with my dad anymore do i have to"
    assert card(library, scope, check_in("ask_family_time"), text) == "family_time"


def test_the_full_safety_reply_carries_nothing_else(library, scope):
    text = "i dont want to go to contact with my dad anymore he hits me"
    assert card(library, scope, check_in("ask_family_time", tier="risk"), text) is None


@pytest.mark.parametrize("intent", ["safeguarding_concern", "nlu_fallback", "out_of_scope", "greet"])
def test_no_answer_when_the_message_asked_no_topic(library, scope, intent):
    assert card(library, scope, check_in(intent), "i feel scared all the time") is None


def test_a_topic_intent_without_a_word_of_its_topic_is_not_answered(library, scope):
    assert card(library, scope, check_in("ask_family_time"), "i feel scared all the time") is None


@pytest.mark.parametrize("found", [None, {}, {"tier": "check_in"}, {"tier": "check_in", "asked": "x"},
                                   {"tier": "check_in", "asked": {"name": 3}},
                                   {"tier": "check_in", "asked": {"name": "ask_iro", "confidence": "high"}}])
def test_a_missing_or_malformed_record_means_no_answer(found):
    assert asked_intent(found) is None


def test_the_record_read_back():
    assert asked_intent(check_in("ask_iro", 0.71)) == ("ask_iro", 0.71)
