"""Answers about CareChat itself must match what the system does."""
from __future__ import annotations

import pytest

from bot.knowledge.about_carechat import privacy_answer, retention_phrase, what_i_can_do
from bot.knowledge.helplines import CHILDLINE, EMERGENCY


@pytest.mark.parametrize("days, words", [(30, "30 days"), (1, "1 day"), (0.5, "1 day"), (7.2, "8 days")])
def test_retention_in_words(days, words):
    assert retention_phrase(days) == words


def test_privacy_answer_states_the_configured_retention():
    assert "kept on the council's system for 30 days" in privacy_answer(30)
    assert "for 2 days" in privacy_answer(2)
    assert "30 days" not in privacy_answer(2)


def test_privacy_answer_is_honest_about_people_and_calls():
    text = privacy_answer(30)
    assert "No one reads the chat while you're using it" in text
    assert "can't call or message anyone" in text
    assert EMERGENCY in text and CHILDLINE in text


def test_what_i_can_do_names_the_council_and_the_limits():
    text = what_i_can_do("Example Council")
    assert "Example Council's promise" in text
    assert "can't see your files" in text
    assert "IRO (Independent Reviewing Officer)" in text
