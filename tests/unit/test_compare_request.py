"""A comparison asked in words, whatever intent the classifier filed it under."""
from __future__ import annotations

import pytest

from bot.knowledge.comparisons import load_order_facts
from bot.knowledge.compare_request import asks_to_compare, comparison_pair


@pytest.fixture(scope="module")
def orders():
    return frozenset(load_order_facts())


def terms(*values: str) -> list[dict]:
    return [{"entity": "term", "value": v} for v in values]


@pytest.mark.parametrize("text", [
    "care order versus placement order", "sgo vs adoption", "is adoption more permanent than special guardianship",
    "supervision order or care order whats the difference", "is a CAO the same as an SGO",
    "what is an SGO and how is it different from adoption", "which is better, sgo or adoption",
])
def test_comparing_words_with_two_cards_ask_to_compare(text):
    assert asks_to_compare(text, ["a", "b"])


@pytest.mark.parametrize("text, ids", [
    ("can my nan or my aunt come to my review", ["a", "b"]),      # "or" alone does not compare
    ("sgo vs adoption", ["a"]),                                   # one card
    ("sgo vs adoption", ["a", "a"]),                              # the same card twice
    ("adoption, special guardianship or long term fostering, whats the difference", ["a", "b", "c"]),
    ("", ["a", "b"]), (None, ["a", "b"]),
])
def test_no_comparison(text, ids):
    assert not asks_to_compare(text, ids)


def test_a_topic_intent_naming_two_orders_to_compare_is_a_comparison(library, orders):
    pair = comparison_pair(library, "ask_placement_order", terms("care order", "placement order"),
                           "care order versus placement order", orders)
    assert pair == ("care_order", "placement_order")
    assert comparison_pair(library, "nlu_fallback", terms("ico", "care order"),
                           "what's the difference between an ico and a full care order", orders) == \
        ("interim_care_order", "care_order")


def test_no_comparison_for_cards_without_order_facts_buttons_or_other_flows(library, orders):
    text = "whats the difference between an advocate and an iro"
    assert comparison_pair(library, "ask_advocate", terms("advocate", "iro"), text, orders) is None
    assert comparison_pair(library, "ask_options", terms("long term fostering", "adoption"),
                           "long term fostering compared to adoption", orders) == ("long_term_fostering", "adoption_order")
    both = terms("sgo", "adoption")
    assert comparison_pair(library, "out_of_scope", both, "sgo vs adoption", orders) is None
    assert comparison_pair(library, "ask_what_is", both + [{"entity": "topic", "value": "adoption_order"}],
                           "sgo vs adoption", orders) is None
    assert comparison_pair(library, "ask_what_is", both, "sgo vs adoption", orders) == \
        ("special_guardianship_order", "adoption_order")
