"""Answers in bites: the short answer a card leads with, and when a card comes whole."""
from __future__ import annotations

import pytest

from bot.knowledge.bites import (LEAD_SOURCES, MAX_LEAD_WORDS, MIN_LEAD_WORDS, lead_of, lead_source_line,
                                 sentences, word_count, worth_a_bite)


def test_sentences_split_at_stops_before_a_capital_only():
    text = "An SGO lasts until 18. It is made under s14A of the Act (s14C(1)). e.g. not here.  Next one?"
    assert sentences(text) == ["An SGO lasts until 18.", "It is made under s14A of the Act (s14C(1)). e.g. not here.",
                               "Next one?"]
    assert sentences("   ") == []


def test_the_lead_takes_whole_sentences_until_it_has_enough():
    short = "One two three four five six seven eight nine ten."  # 10 words
    text = " ".join([short] * 5)
    lead = lead_of(text)
    assert lead == " ".join([short] * 3)  # 30 words reaches MIN_LEAD_WORDS
    assert word_count(lead) >= MIN_LEAD_WORDS


def test_the_lead_never_passes_the_maximum_unless_one_sentence_is_that_long():
    long = " ".join(["word"] * (MAX_LEAD_WORDS + 5)) + "."
    assert lead_of(long + " Second sentence here.") == long
    first = " ".join(["a"] * 20) + "."
    second = "B " + " ".join(["b"] * (MAX_LEAD_WORDS - 10)) + "."
    assert lead_of(f"{first} {second}") == first


def test_a_list_item_ends_the_lead():
    assert lead_of("There are a few choices. One. Going home. Two. Family.") == "There are a few choices."


def test_short_answers_and_the_glossary_come_whole():
    assert not worth_a_bite("topic", "word " * 60)
    assert worth_a_bite("topic", "word " * 200)
    assert not worth_a_bite("glossary", "word " * 400)


def test_the_lead_source_line_names_the_first_sources_and_says_when_there_are_more():
    assert lead_source_line([]) == ""
    assert lead_source_line(["Children Act 1989"]) == "Source: Children Act 1989"
    titles = ["A Act", "B Regulations", "C Guidance", "D Order"]
    line = lead_source_line(titles)
    assert line.startswith("Source: A Act; B Regulations") and "C Guidance" not in line
    assert f"{len(titles) - LEAD_SOURCES} more" in line


@pytest.mark.parametrize("version", ["child", "young_person", "parent"])
def test_every_cards_lead_is_short_and_starts_its_version(library, version):
    for card in library.cards.values():
        text = card.versions[version]
        lead = lead_of(text)
        assert lead and " ".join(text.split()).startswith(lead), card.id
        assert word_count(lead) <= MAX_LEAD_WORDS or len(sentences(lead)) == 1, card.id


def test_childrens_short_answers_stay_short(library):
    """Children's versions: a few short sentences before any button."""
    longest = max(word_count(lead_of(card.versions["child"])) for card in library.cards.values())
    assert longest <= 50
