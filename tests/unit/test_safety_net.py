"""The safety reply, handing over to a person, and the fallback steps (plain Python, no Rasa)."""
from __future__ import annotations

import re

import pytest

from bot.knowledge.fallback import OFFERED, SEARCHED, first_offer, likeliest_cards, next_step
from bot.knowledge.who_to_ask import handoff_reply, people_to_ask
from bot.knowledge.safety_reply import safety_reply, safety_reply_for

COUNCILS = ("north_yorkshire", "calderdale", "north_somerset", "durham")
ALLOWED_NUMBERS = {"999", "08001111", "116123", "08088005000", "08088005792", "08000232033",
                   "08088010366", "01609780780"}


def numbers_in(text: str) -> set[str]:
    return {re.sub(r"\s", "", m) for m in re.findall(r"\b\d[\d ]{1,12}\d\b", text)}


@pytest.mark.parametrize("council", COUNCILS)
def test_safety_reply_has_every_national_line_and_is_honest_about_being_a_program(council):
    text = safety_reply(council)
    for needed in ("999", "0800 1111", "Childline", "116 123", "Samaritans", "social worker",
                   "0808 800 5000", "NSPCC", "computer program", "No person is watching",
                   "can't call for help myself"):
        assert needed in text, needed
    assert numbers_in(text) <= ALLOWED_NUMBERS


@pytest.mark.parametrize("council", ("calderdale", "north_somerset", "durham"))
def test_councils_without_numbers_say_so_and_invent_none(council, library):
    profile = library.councils[council]
    text = safety_reply_for(profile)
    assert f"{profile.place}'s documents don't give an out-of-hours number" in text
    assert "documents don't give a number" in text
    assert "01609" not in text


def test_north_yorkshire_gives_its_own_number_for_adults_but_no_invented_out_of_hours(library):
    text = safety_reply_for(library.councils["north_yorkshire"])
    assert "01609 780 780" in text and "Customer Service Centre" in text
    assert "North Yorkshire's documents don't give an out-of-hours number" in text


def test_a_configured_out_of_hours_team_is_used(library):
    from dataclasses import replace

    from bot.knowledge.councils import Contact

    profile = replace(library.councils["durham"],
                      out_of_hours=Contact("out_of_hours", "Emergency Duty Team", "0000", "any time", None, "x"))
    assert "Emergency Duty Team on 0000 (any time)" in safety_reply_for(profile)


def test_unknown_council_falls_back_to_the_default():
    assert "North Yorkshire" in safety_reply("nowhere")


@pytest.mark.parametrize("audience, must, must_not", [
    ("child", ["social worker", "IRO (Independent Reviewing Officer)", "0808 800 5792", "0800 1111"],
     ["Family Rights Group"]),
    ("young_person", ["personal adviser", "0808 800 5792", "0800 023 2033"], ["Family Rights Group"]),
    ("parent", ["social worker", "0808 801 0366", "Family Rights Group", "01609 780 780"], ["Childline"]),
    ("professional", ["0808 801 0366"], []),
])
def test_handoff_names_the_right_people(audience, must, must_not, library):
    text = handoff_reply(audience, library.councils["north_yorkshire"])
    assert "can't pass this chat to a person" in text and "999" in text
    for phrase in must:
        assert phrase in text, phrase
    for phrase in must_not:
        assert phrase not in text, phrase
    assert numbers_in(text) <= ALLOWED_NUMBERS


def test_parent_handoff_for_a_council_without_numbers_says_where_to_look(library):
    lines = people_to_ask("parent", library.councils["calderdale"])
    assert any("doesn't give a phone number" in line or "don't give a phone number" in line for line in lines)


def test_likeliest_cards_prefers_named_terms_then_ranked_topic_intents(library):
    ranking = [{"name": "nlu_fallback"}, {"name": "greet"}, {"name": "ask_review_meeting"},
               {"name": "ask_family_time"}]
    ids = likeliest_cards(library, ranking, [{"entity": "term", "value": "sgo"}], "umm sgo")
    assert ids == ["special_guardianship_order", "cic_review"]


def test_likeliest_cards_fills_from_search_when_intents_give_nothing(library):
    ids = likeliest_cards(library, [{"name": "greet"}], [], "my advocate")
    assert ids and ids[0] == "advocate"


def test_first_offer_keeps_the_card_search_results_for_the_next_step(library):
    offer = first_offer(library, [{"name": "ask_review_meeting"}], [], "something vague",
                        ["cic_review", "iro", "advocate", "having_a_say", "complaints"])
    assert offer.card_ids[0] == "cic_review"
    assert offer.backup == [cid for cid in ["iro", "advocate", "having_a_say", "complaints"]
                            if cid not in offer.card_ids][:3]


def test_first_offer_keeps_different_search_results_for_the_next_step(library):
    offer = first_offer(library, [{"name": "ask_review_meeting"}, {"name": "ask_family_time"}], [],
                        "review family time care plan")
    assert offer.stage == OFFERED and len(offer.card_ids) == 2
    assert not set(offer.backup) & set(offer.card_ids)


def test_next_step_goes_search_then_person():
    assert next_step(OFFERED, ["care_order"]) == SEARCHED
    assert next_step(OFFERED, []) == "handoff"
    assert next_step(SEARCHED, []) == "handoff"
    assert next_step(None, ["care_order"]) == "handoff"
