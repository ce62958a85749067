"""Rasa 3.6 NLU component: blend DIET's intent ranking with one from sentence meaning.

Why a pipeline component: the classifier (bot/engine/meaning.py) is trained from Rasa's own
training examples during `rasa train` and stored in the model archive; at prediction time it
rewrites the intent and the ranking before FallbackClassifier, so the fallback threshold, the
card routing and the evaluation all work on the blend, as before on DIET's ranking. Entities,
the card search and the safeguarding check are untouched.

config.yml, after DIETClassifier and before FallbackClassifier:
    - name: bot.engine.meaning_component.MeaningBlend
      encoder: build/encoder        # bot/engine/encoder_files.py puts it there (`make pipeline`)
      weight: 0.6

The encoder's files are read from disk, like the spaCy pipeline: the model archive holds only
the classifier. Without them (a broken install) the component logs one error and leaves DIET's
ranking as it is, so CareChat still answers. Never logs message text.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.engine.artefacts import read_artefact, write_artefact
from bot.engine.fingerprint import files_fingerprint
from bot.engine.meaning import DEFAULT_C, DEFAULT_WEIGHT, KEPT_INTENT, MeaningClassifier, blend
from bot.engine.sentence_encoder import SentenceEncoder
from bot.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

MODEL_FILE = "meaning_classifier.pkl"
ENCODER_KEY, WEIGHT_KEY, C_KEY, RANKING_KEY = "encoder", "weight", "c", "ranking_length"
#: Files outside Rasa's training data that shape this component: a change retrains it. The lock
#: pins the encoder's weights (by the wheel's hash), so they need not be hashed at every train.
EXTERNAL_INPUTS = (PROJECT_ROOT / "requirements" / "encoder.lock", Path(__file__).parent / "meaning.py",
                   Path(__file__).parent / "sentence_encoder.py", Path(__file__))


def _encoder_dir(config: Dict[Text, Any]) -> Path:
    path = Path(str(config[ENCODER_KEY]))
    return path if path.is_absolute() else PROJECT_ROOT / path


def load_encoder(config: Dict[Text, Any]) -> Optional[SentenceEncoder]:
    """The encoder named in the config, or None (with one error logged) if its files are missing."""
    folder = _encoder_dir(config)
    try:
        return SentenceEncoder(folder)
    except (OSError, KeyError, ValueError) as error:
        logger.error("sentence encoder not loaded from %s (%s); run `make pipeline`. DIET's ranking only",
                     folder, type(error).__name__)
        return None


def _training_pairs(training_data: TrainingData) -> tuple[list[str], list[str]]:
    """(texts, intents) of every typed example except the intent the blend leaves to DIET."""
    texts, intents = [], []
    for message in training_data.intent_examples:
        text, intent = message.get(TEXT) or "", message.get(INTENT)
        if text and intent and intent != KEPT_INTENT and not text.startswith("/"):
            texts.append(text)
            intents.append(str(intent))
    return texts, intents


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class MeaningBlend(GraphComponent, IntentClassifier):
    """Replaces DIET's intent and ranking with their blend with the meaning classifier's."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """None Rasa can check: it must come after DIETClassifier and before FallbackClassifier
        in config.yml (a test checks the order)."""
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {ENCODER_KEY: "build/encoder", WEIGHT_KEY: DEFAULT_WEIGHT, C_KEY: DEFAULT_C, RANKING_KEY: 10}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        return files_fingerprint(EXTERNAL_INPUTS)

    def __init__(self, config: Dict[Text, Any], model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None, classifier: Optional[MeaningClassifier] = None,
                 encoder: Optional[SentenceEncoder] = None) -> None:
        self.component_config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.classifier = classifier
        self.encoder = encoder

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "MeaningBlend":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Embed every example and fit the classifier; training fails loudly without the encoder."""
        config = {**self.get_default_config(), **self.component_config}
        self.encoder = self.encoder or SentenceEncoder(_encoder_dir(config))
        texts, intents = _training_pairs(training_data)
        started = time.perf_counter()
        embeddings = self.encoder.encode(texts)
        self.classifier = MeaningClassifier(float(config[C_KEY])).fit(embeddings, intents)
        logger.info("meaning classifier: %d examples, %d intents, %.1f s", len(texts),
                    len(self.classifier.intents), time.perf_counter() - started)
        write_artefact(self._model_storage, self._resource, MODEL_FILE, self.classifier)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "MeaningBlend":
        """The trained classifier and the encoder; without either, DIET's ranking passes through."""
        config = {**cls.get_default_config(), **config}
        classifier = read_artefact(model_storage, resource, MODEL_FILE,
                                   "meaning classifier missing from the model; DIET's ranking only")
        encoder = load_encoder(config) if classifier is not None else None
        return cls(config, model_storage, resource, classifier, encoder)

    def process(self, messages: List[Message]) -> List[Message]:
        """Blend each typed message's ranking (buttons carry their intent and are left alone).

        The typed messages are embedded in one call: `rasa test` and the evaluation pass many.
        """
        if self.classifier is None or self.encoder is None:
            return messages
        weight = float(self.component_config[WEIGHT_KEY])
        limit = int(self.component_config[RANKING_KEY])
        typed = [m for m in messages if (m.get(TEXT) or "") and not str(m.get(TEXT)).startswith("/")]
        if not typed:
            return messages
        embeddings = self.encoder.encode([str(m.get(TEXT)) for m in typed])
        for message, embedding in zip(typed, embeddings):
            diet = {str(r.get(INTENT_NAME_KEY)): float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
                    for r in message.get(INTENT_RANKING_KEY) or []}
            meaning = self.classifier.probabilities(embedding)
            ranking = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: round(score, 6)}
                       for name, score in blend(diet, meaning, weight)[:limit]]
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
