"""The general card for a personal question, shared by the assistant and the NLU evaluation."""
from __future__ import annotations

import pytest

from bot.knowledge.personal_topics import PERSONAL_TOPICS, general_card


def test_each_personal_intent_has_a_general_card_that_exists(library):
    for topic in PERSONAL_TOPICS.values():
        assert all(card_id in library.cards for card_id in topic.card_ids), topic.intent
        assert general_card(library, topic.intent, []).id == topic.card_ids[0]


def test_naming_another_topic_wins_but_naming_this_one_too_does_not(library):
    council = [{"entity": "term", "value": "children in care council"}]
    assert general_card(library, "ask_next_review", council).id == "children_in_care_council"
    both = [{"entity": "term", "value": "contact"}, {"entity": "term", "value": "advocate"}]
    assert general_card(library, "ask_advocate_contact", both).id == "advocate"


def test_other_intents_have_no_general_card(library):
    assert general_card(library, "ask_what_is", []) is None


@pytest.mark.parametrize("card_id, text, intent", [
    ("personal_adviser", "who is my personal adviser", "ask_personal_adviser_contact"),
    ("personal_adviser", "how do i contact my pa", "ask_personal_adviser_contact"),
    ("advocate", "whos my advocate", "ask_advocate_contact"),
    ("cic_review", "when is my next review", "ask_next_review"),
    ("personal_adviser", "what does my personal adviser do", None),   # how it works
    ("personal_adviser", "who gets a personal adviser", None),         # not their own
    ("cic_review", "what happens at my review", None),
    ("pathway_plan", "who writes my pathway plan", None),             # not a lookup card
    ("personal_adviser", None, None),
])
def test_lookup_intent_for_card(card_id, text, intent):
    from bot.knowledge.personal_topics import lookup_intent_for_card

    assert lookup_intent_for_card(card_id, text) == intent
