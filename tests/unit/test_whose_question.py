"""Own records or general question: the first-person test behind "general before personal"."""
from __future__ import annotations

import pytest

from bot.knowledge.whose_question import asks_about_own


@pytest.mark.parametrize("text", [
    "when is my next review", "wen is ma review", "im wondering when my review is",
    "I've got a review coming up, when is it?", "who is MY advocate", "when's our review",
    "can you tell me when the review is", "I\u2019m not sure when it is",
])
def test_first_person_questions_are_about_their_own_records(text):
    assert asks_about_own(text)


@pytest.mark.parametrize("text", [
    "how soon does a child have their first review", "how does anyone find an advocate",
    "when is the next children in care council meeting", "what is a review",
    "how often are reviews for children in care",
])
def test_general_questions_are_not(text):
    assert not asks_about_own(text)


def test_no_text_keeps_the_personal_reading():
    assert asks_about_own(None)
    assert asks_about_own("")


def test_words_are_matched_whole_not_inside_other_words():
    assert not asks_about_own("mime artists and myopia")
