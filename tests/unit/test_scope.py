"""The scope check: a topic card only for a message about that topic (bot.knowledge.scope)."""
from __future__ import annotations

import pytest

from bot.knowledge.scope import build_scope, content_words, load_scope, load_training_examples


def test_content_words_drop_function_words_numbers_and_text_speak():
    assert content_words("wot r u doin 2 my sisters") == {"doin", "sister"}
    assert content_words("How does it work?") == {"work"}
    assert content_words("") == set()


def test_a_word_the_off_topic_examples_use_more_is_not_evidence(library):
    examples = {
        "ask_school_help": ["help with school", "who helps at school", "homework club for kids in care"],
        "ask_family_time": ["can i see my mum", "more time with my dad"],
        "out_of_scope": ["do my homework", "maths homework please", "whats the weather"],
    }
    scope = build_scope(examples, library)
    assert "school" in scope.evidence_words["ask_school_help"]
    assert "homework" not in scope.evidence_words["ask_school_help"]   # 1 in 5 care texts+, 2 in 3 off-topic
    assert "mum" in scope.evidence_words["ask_family_time"]
    assert "weather" not in scope.care_words


def test_a_message_needs_evidence_and_no_more_foreign_words(library):
    examples = {
        "ask_family_time": ["can i see my mum", "can i phone my mum", "more time with my dad"],
        "out_of_scope": ["whats on my phone", "new phone please", "phone games"],
    }
    scope = build_scope(examples, library)
    assert scope.supports("ask_family_time", "can i see my mum")
    assert not scope.supports("ask_family_time", "how many legs does a spider have")   # no evidence
    assert not scope.supports("ask_family_time", "my mum's new phone case and charger")  # 1 evidence, 3 foreign
    # "phone" is the topic's own word, so it is not foreign to family time.
    assert scope.supports("ask_family_time", "can i phone my mum")


def test_intents_without_a_card_are_never_turned_away(scope):
    assert scope.supports("greet", "how many legs does a spider have")
    assert scope.supports("ask_what_is", "how many legs does a spider have")


@pytest.mark.parametrize("intent, text", [
    ("ask_having_a_say", "how many legs does a spider have"),
    ("ask_staying_put", "solve 3x plus 5 equals 20"),
    ("ask_care_leaver_support", "how do i get to level 10 in minecraft"),
    ("ask_school_help", "can you find me some nike hoodies"),
    ("ask_glossary", "how do u spell necessary"),
])
def test_off_topic_messages_the_classifier_misread_are_turned_away(scope, intent, text):
    assert not scope.supports(intent, text)


@pytest.mark.parametrize("intent, text", [
    ("ask_family_time", "can i see my mum more than once a month"),
    ("ask_school_help", "im behind at school can i get help"),
    ("ask_care_leaver_support", "im 19 and left care last year what am i entitled to"),
    ("ask_having_a_say", "how can i make the adults hear my side"),
    ("ask_complaint", "who do i moan to about my social worker"),
    ("ask_siblings", "will i be split up from my little brother"),
])
def test_care_questions_in_new_words_are_kept(scope, intent, text):
    assert scope.supports(intent, text), (scope.evidence(intent, text), scope.foreign(text, intent))


def test_almost_every_training_example_passes_its_own_topic(scope):
    """A check that turned away the examples it learned from would be a broken check."""
    examples = load_training_examples()
    turned_away = [(intent, text) for intent in scope.evidence_words for text in examples.get(intent, [])
                   if not scope.supports(intent, text)]
    total = sum(len(examples.get(intent, [])) for intent in scope.evidence_words)
    assert total > 300
    assert len(turned_away) <= total * 0.01, turned_away


def test_a_care_term_our_off_topic_examples_use_is_an_everyday_term(library):
    examples = {"out_of_scope": ["how do i make a complaint to amazon", "teach my dog to stay put"]}
    scope = build_scope(examples, library)
    assert scope.everyday_term("make a complaint") and scope.everyday_term("Stay put")
    assert not scope.everyday_term("coram voice") and not scope.everyday_term("")
    assert not scope.everyday_term("complaints procedure")
