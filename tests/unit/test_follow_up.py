"""Follow-ups: which fact a subject-less question asks about, and what its subject is."""
from __future__ import annotations

import pytest

from bot.knowledge.follow_up import ASPECTS, detect_aspect, follow_up_card, subject_card


@pytest.mark.parametrize("text, key", [
    ("how long?", "how_long"), ("does it last forever", "how_long"), ("till what age", "how_long"),
    ("can it be changed?", "how_it_ends"), ("can my mum get me back", "how_it_ends"),
    ("can i still see my dad", "family_time"), ("who decides that?", "parental_responsibility"),
    ("is there any money for it", "support"), ("do i still have reviews", "reviews"),
    ("am i still in care then", "looked_after"),
])
def test_detect_aspect(text, key):
    assert detect_aspect(text).key == key


@pytest.mark.parametrize("text", ["tell me more", "what about for my brother?", "", None, "blast", "stopwatch"])
def test_no_aspect_when_the_words_name_none(text):
    assert detect_aspect(text) is None


def test_every_aspect_is_an_order_fact():
    from bot.knowledge.comparisons import ATTRIBUTES
    assert {a.key for a in ASPECTS} == {key for key, _ in ATTRIBUTES}


def test_subject_is_a_named_card_before_the_last_card(library):
    named = [{"entity": "term", "value": "care order"}]
    assert subject_card(library, named, "special_guardianship_order").id == "care_order"
    assert subject_card(library, [], "special_guardianship_order").id == "special_guardianship_order"
    assert subject_card(library, [], None) is None
    assert subject_card(library, [], "no_such_card") is None


def test_with_no_subject_the_aspect_may_name_a_card(library):
    assert follow_up_card(library, [], None, "can i still see my nan").id == "family_time"
    assert follow_up_card(library, [], None, "how long does it last") is None


@pytest.mark.parametrize("text, expected", [
    ("and adoption?", True), ("What about an SGO", True), ("wat about section 20", True),
    ("and what happens to my brother when he turns eighteen and leaves", False),
    ("adoption?", False), ("sandwiches and adoption", False), ("", False), (None, False),
])
def test_asks_about_another(text, expected):
    from bot.knowledge.follow_up import asks_about_another
    assert asks_about_another(text) is expected
