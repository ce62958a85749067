"""Weighing DIET, the card search and named terms (bot.knowledge.card_evidence, choose_card.route)."""
from __future__ import annotations

import pytest

from bot.knowledge.card_evidence import AGREED_SCORE, BACKSTOP_SCORE, CARD_SEARCH_KEY, Evidence, best_card, card_scores
from bot.knowledge.choose_card import OFF_TOPIC_PLAUSIBLE, WEAK_SEARCH, route


def term(value: str) -> dict:
    return {"entity": "term", "value": value}


def evidence(ranking: dict[str, float], search: dict[str, float]) -> Evidence:
    return Evidence.from_parse_data({
        "intent_ranking": [{"name": name, "confidence": c} for name, c in ranking.items()],
        CARD_SEARCH_KEY: [{"card": card, "score": s} for card, s in search.items()],
    })


def card_of(found) -> str | None:
    return found.card.id if found.card is not None else None


def test_parse_data_without_the_keys_gives_empty_evidence():
    assert Evidence.from_parse_data({}) == Evidence()
    assert Evidence.from_parse_data({"intent_ranking": None, CARD_SEARCH_KEY: ["junk"]}) == Evidence()


def test_scores_add_diet_search_and_the_named_bonus(library):
    ev = evidence({"ask_family_finding": 0.5, "ask_adoption_order": 0.2, "greet": 0.3},
                  {"family_finding": 0.4, "adoption_order": 0.1})
    scores = card_scores(library, ev, [library.cards["adoption_order"]])
    assert scores["family_finding"] == pytest.approx(0.9)
    assert scores["adoption_order"] == pytest.approx(0.2 + 0.1 + 0.2)
    assert "greet" not in scores


def test_a_named_term_that_is_only_context_does_not_take_the_answer(library):
    """"How do they find a family for a child who is going to be adopted": family finding."""
    ev = evidence({"ask_family_finding": 0.97}, {"family_finding": 0.45, "adoption_order": 0.3})
    found = route(library, "ask_family_finding", [term("adopted")], 0.97, None, None, ev)
    assert card_of(found) == "family_finding"


def test_the_sources_together_can_overrule_the_top_intent(library):
    """DIET unsure between two cards; the search and the named term agree on the second."""
    ev = evidence({"ask_adoption_order": 0.49, "ask_placement_order": 0.32},
                  {"placement_order": 0.5, "adoption_order": 0.35})
    found = route(library, "ask_adoption_order", [term("placement order")], 0.49, None, None, ev)
    assert card_of(found) == "placement_order"


def test_best_card_keeps_the_intents_card_on_a_tie(library):
    ev = evidence({"ask_iro": 0.5, "ask_review_meeting": 0.5}, {})
    assert best_card(library, ev, [], library.cards["iro"]).id == "iro"


def test_the_backstop_answers_a_misspelt_name_the_classifier_could_not_place(library):
    ev = evidence({"nlu_fallback": 0.45, "ask_residential_care": 0.32}, {"residential_care": BACKSTOP_SCORE + 0.1})
    assert card_of(route(library, "nlu_fallback", [], 0.45, "residenshal care", None, ev)) == "residential_care"
    assert card_of(route(library, "ask_what_is", [], 0.8, "whats residenshal care", None, ev)) == "residential_care"


def test_the_backstop_answers_when_diet_and_the_search_agree(library):
    """Neither sure alone (DIET under the fallback threshold, the search under BACKSTOP_SCORE)."""
    text = "how do i join the youth group for kids in care that tells the council what to change"
    agree = evidence({"nlu_fallback": 0.45, "ask_children_in_care_council": AGREED_SCORE - 0.25},
                     {"children_in_care_council": 0.26, "advocate": 0.2})
    assert card_of(route(library, "nlu_fallback", [], 0.45, text, None, agree)) == "children_in_care_council"
    disagree = evidence({"nlu_fallback": 0.45, "ask_advocate": 0.35}, {"children_in_care_council": 0.3})
    assert route(library, "nlu_fallback", [], 0.45, text, None, disagree).card is None
    weak = evidence({"nlu_fallback": 0.45, "ask_children_in_care_council": 0.2}, {"children_in_care_council": 0.3})
    assert route(library, "nlu_fallback", [], 0.45, text, None, weak).card is None


def test_the_backstop_stays_silent_when_the_search_is_unsure(library):
    ev = evidence({"nlu_fallback": 0.45}, {"residential_care": BACKSTOP_SCORE - 0.01})
    assert route(library, "nlu_fallback", [], 0.45, "something vague", None, ev).card is None


def test_the_backstop_needs_a_word_of_the_cards_topic(library, scope):
    """Generic wording ("whats the difference between...") can score high for a card; no care word, no card."""
    ev = evidence({"nlu_fallback": 0.45}, {"looked_after": BACKSTOP_SCORE + 0.08})
    text = "whats the difference between a crocodile and an alligator"
    assert route(library, "nlu_fallback", [], 0.45, text, scope, ev).card is None
    assert card_of(route(library, "nlu_fallback", [], 0.45, "does looked after mean in care", scope, ev)) == \
        "looked_after"


def test_an_unsure_topic_intent_the_search_barely_matches_is_turned_away_with_its_card_offered(library, scope):
    text = "any special offers on carers trainers this weekend"
    weak = evidence({"ask_carer_support": 0.84, "out_of_scope": 0.1}, {"carer_support": WEAK_SEARCH - 0.05})
    found = route(library, "ask_carer_support", [], 0.84, text, scope, weak)
    assert found.card is None and found.off_topic and found.suggestion.id == "carer_support"
    sure = evidence({"ask_carer_support": 0.95}, {"carer_support": WEAK_SEARCH - 0.05})
    assert card_of(route(library, "ask_carer_support", [], 0.95, text, scope, sure)) == "carer_support"
    matched = evidence({"ask_carer_support": 0.84}, {"carer_support": WEAK_SEARCH + 0.05})
    assert card_of(route(library, "ask_carer_support", [], 0.84, text, scope, matched)) == "carer_support"


def test_a_long_story_the_search_barely_matches_keeps_its_card_when_off_topic_is_implausible(library, scope):
    text = ("My son has been in foster care for eight months. I signed a form at the start because things "
            "were bad at home, but I've got a new flat now. Can I just take him back home?")
    ranking = {"ask_placement_with_parents": 0.56, "ask_section_20": 0.11}
    story = evidence(ranking, {"section_20": 0.22, "placement_with_parents": 0.2})
    found = route(library, "ask_placement_with_parents", [], 0.56, text, scope, story)
    assert not found.off_topic and card_of(found) == "placement_with_parents"
    doubted = evidence({**ranking, "out_of_scope": OFF_TOPIC_PLAUSIBLE}, {"placement_with_parents": 0.2})
    assert route(library, "ask_placement_with_parents", [], 0.56, text, scope, doubted).off_topic


def test_a_message_classed_out_of_scope_never_gets_a_card_from_the_search(library):
    ev = evidence({"out_of_scope": 0.9}, {"care_order": 0.9})
    found = route(library, "out_of_scope", [], 0.9, "order a pizza", None, ev)
    assert found.card is None


def test_a_comparison_of_two_named_orders_is_left_to_the_comparison(library):
    ev = evidence({"compare_orders": 0.8}, {"adoption_order": 0.9})
    found = route(library, "compare_orders", [term("sgo"), term("adoption")], 0.8, None, None, ev)
    assert found.card is None


def test_without_evidence_the_old_rules_hold(library):
    """Callers with only the top intent (and the earlier tests in test_routing.py) are unchanged."""
    assert route(library, "nlu_fallback", [], 0.45, "residenshal care").card is None
    assert card_of(route(library, "ask_family_finding", [term("adopted")], 0.97)) == "adoption_order"


def test_off_topic_examples_ranked_first_back_no_card(library):
    """"what does ngl mean": nearer the everyday questions than the glossary, so no backstop answer."""
    from bot.knowledge.intents import OUT_OF_SCOPE as OFF_TOPIC

    ev = evidence({"ask_what_is": 0.64}, {OFF_TOPIC: 0.62, "glossary": BACKSTOP_SCORE + 0.1})
    assert ev.search_best(library) is None
    assert OFF_TOPIC not in card_scores(library, ev, [])
    assert route(library, "ask_what_is", [], 0.64, "what does ngl mean", None, ev).card is None
    second = evidence({"ask_what_is": 0.64}, {"glossary": BACKSTOP_SCORE + 0.1, OFF_TOPIC: 0.2})
    assert second.search_best(library).id == "glossary"
