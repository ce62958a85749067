"""The lexical card search (bot.engine.card_search) and its Rasa component."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.engine.card_search import CardSearchIndex
from bot.engine.card_search_component import CardSearch, card_examples
from bot.knowledge.card_evidence import CARD_SEARCH_KEY
from bot.knowledge.intents import OUT_OF_SCOPE
from bot.knowledge.card_loader import load_library

EXAMPLES = [
    ("residential_care", "what is it like living in a children's home"),
    ("residential_care", "residential care"),
    ("residential_care", "do kids in a childrens home have staff at night"),
    ("iro", "who runs my review meetings"),
    ("iro", "the independent reviewing officer"),
    ("iro", "who chairs my looked after review"),
]


@pytest.fixture(scope="module")
def index() -> CardSearchIndex:
    return CardSearchIndex().fit(EXAMPLES)


def test_a_misspelt_name_still_finds_its_card(index):
    ranking = index.rank("residenshal care")
    assert ranking[0][0] == "residential_care"
    assert ranking[0][1] > ranking[1][1]


def test_a_description_finds_the_card_whose_examples_it_resembles(index):
    assert index.rank("the person that runs the meetings about me")[0][0] == "iro"


def test_scores_are_similarities_and_empty_text_ranks_nothing(index):
    assert all(0.0 <= score <= 1.0 for _, score in index.rank("children's home staff"))
    assert index.rank("   ") == []
    with pytest.raises(ValueError):
        CardSearchIndex().fit([("iro", "  ")])


def test_the_component_indexes_card_intents_and_every_cards_names():
    library = load_library()
    data = TrainingData([Message.build("who runs my review", "ask_iro"), Message.build("hello", "greet"),
                         Message.build("my phone contacts vanished", "out_of_scope")])
    examples = card_examples(data, library)
    assert ("iro", "who runs my review") in examples
    assert not any(text == "hello" for _, text in examples)
    assert (OUT_OF_SCOPE, "my phone contacts vanished") in examples  # ranked as off topic, never a card
    assert {card for card, _ in examples} == set(library.cards) | {OUT_OF_SCOPE}


def test_the_component_adds_the_ranking_and_leaves_the_intent_alone(index):
    component = CardSearch({}, index=index)
    message = Message.build("residenshal care")
    message.set("intent", {"name": "nlu_fallback", "confidence": 0.45}, add_to_output=True)
    button = Message.build("/ask_topic{\"topic\": \"iro\"}")
    component.process([message, button])
    assert message.get(CARD_SEARCH_KEY)[0]["card"] == "residential_care"
    assert message.get("intent")["name"] == "nlu_fallback"
    assert "card_search" in message.as_dict(only_output_properties=True)
    assert button.get(CARD_SEARCH_KEY) is None


def test_a_change_to_the_components_own_code_retrains_them():
    """Rasa caches a component by its fingerprint: the module that builds the index must be in it."""
    from pathlib import Path

    from bot.engine import card_search_component, safeguarding_component

    assert Path(card_search_component.__file__) in card_search_component.EXTERNAL_INPUTS
    assert Path(safeguarding_component.__file__) in safeguarding_component.EXTERNAL_INPUTS
