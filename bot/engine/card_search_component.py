"""Rasa 3.6 NLU component: rank the cards for every message with the lexical card search.

Why a pipeline component: the index is built from Rasa's own training examples during
`rasa train` (each card intent's examples, plus every card's title and aliases, and the
out-of-scope examples as one more "card", ``out_of_scope``), stored in the
model archive, and its ranking reaches the action server and the evaluation in the parse data,
next to DIET's intent ranking, as ``card_search`` = [{"card": id, "score": s}, ...] (top 8).
It never changes the intent: what to do with the ranking is decided in plain Python
(:mod:`bot.knowledge.card_evidence`, used by :func:`bot.knowledge.choose_card.route`).

config.yml, after FallbackClassifier:
    - name: bot.engine.card_search_component.CardSearch
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.engine.artefacts import read_artefact, write_artefact
from bot.engine.fingerprint import files_fingerprint
from bot.engine.card_search import CardSearchIndex
from bot.knowledge.card_evidence import CARD_SEARCH_KEY
from bot.knowledge.intents import OUT_OF_SCOPE
from bot.knowledge.card_loader import load_library
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

MODEL_FILE = "card_search.pkl"
LIMIT = 8
#: Files outside Rasa's training data that shape the index: a change retrains it. This module
#: too: without it Rasa's cache kept serving an index built by the old ``card_examples``.
EXTERNAL_INPUTS = (PROJECT_ROOT / "content" / "cards", Path(__file__).parent / "card_search.py", Path(__file__),
                   PROJECT_ROOT / "bot" / "knowledge" / "intents.py")


def _external_fingerprint() -> str:
    return files_fingerprint(EXTERNAL_INPUTS)


def card_examples(training_data: TrainingData, library) -> list[tuple[str, str]]:
    """(card id, text) for every example of a card's intent, and every card's title and aliases;
    and the out-of-scope examples under ``OUT_OF_SCOPE``, so that a message closest to an everyday
    question ("how do i move my contacts to a new phone") is ranked as that, not as a card."""
    examples = []
    for message in training_data.intent_examples:
        intent = str(message.get(INTENT) or "")
        card = library.card_for_intent(intent)
        label = card.id if card is not None else OUT_OF_SCOPE if intent == OUT_OF_SCOPE else None
        text = message.get(TEXT) or ""
        if label is not None and text and not text.startswith("/"):
            examples.append((label, text))
    for card in library.cards.values():
        examples += [(card.id, name) for name in (card.title, *card.aliases)]
    return examples


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class CardSearch(GraphComponent):
    """Adds ``card_search`` to the parse data; never changes the intent or the entities."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Card titles and aliases live in content/cards, outside Rasa's data."""
        return _external_fingerprint()

    def __init__(self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None, index: Optional[CardSearchIndex] = None) -> None:
        self.component_config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.index = index

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CardSearch":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Index the card intents' examples with the cards' titles and aliases."""
        self.index = CardSearchIndex().fit(card_examples(training_data, load_library()))
        write_artefact(self._model_storage, self._resource, MODEL_FILE, self.index)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "CardSearch":
        """Load the index; without one every message still has DIET's ranking."""
        index = read_artefact(model_storage, resource, MODEL_FILE,
                              "card search index missing from the model; DIET's ranking only")
        return cls(config, model_storage, resource, index)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if self.index is None or not text or text.startswith("/"):
                continue  # buttons carry their topic
            ranking = [{"card": card, "score": score} for card, score in self.index.rank(text, LIMIT)]
            message.set(CARD_SEARCH_KEY, ranking, add_to_output=True)
        return messages
