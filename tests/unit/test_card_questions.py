"""The generated card-question training data: in step with its TSVs, every card reachable."""
from __future__ import annotations

from bot.knowledge.card_loader import load_library
from bot.knowledge.scope import load_training_examples
from bot.ops.card_questions import OUTPUT, card_intent, expected_text, read_questions, render

#: The understanding issue asks for at least 40 training examples per card.
MIN_EXAMPLES_PER_CARD = 40


def test_generated_file_matches_the_tsvs():
    assert OUTPUT.read_text(encoding="utf-8") == expected_text(), "run: python -m bot.ops.card_questions"


def test_every_card_has_an_intent_of_its_own_with_enough_examples():
    library = load_library()
    examples = load_training_examples()
    for card in library.cards.values():
        assert card.intents, f"{card.id} has no intent"
        count = sum(len(examples.get(intent, [])) for intent in card.intents)
        assert count >= MIN_EXAMPLES_PER_CARD, f"{card.id}: {count} examples"


def test_a_card_without_a_topic_intent_gets_ask_card_id():
    assert card_intent("section_20", ()) == "ask_section_20"
    assert card_intent("cic_review", ("ask_review_meeting",)) == "ask_review_meeting"


def test_unknown_card_in_a_tsv_is_refused(tmp_path):
    (tmp_path / "w.tsv").write_text("no_such_card\tteen\twhat is this\n", encoding="utf-8")
    try:
        render(read_questions(tmp_path), {"section_20": ("ask_section_20",)})
    except ValueError as error:
        assert "no_such_card" in str(error)
    else:
        raise AssertionError("an unknown card was accepted")


def test_duplicates_and_hand_written_examples_are_left_out(tmp_path):
    (tmp_path / "a.tsv").write_text("section_20\tteen\tWhat is S20\nsection_20\tchild\twhat is s20\n"
                                    "section_20\tparent\tcan i take my child home\nbad line\n", encoding="utf-8")
    questions = read_questions(tmp_path, already={"can i take my child home"})
    assert questions == {"section_20": ["What is S20"]}
