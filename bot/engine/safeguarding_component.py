"""Rasa 3.6 NLU component: the safeguarding check, run on every message.

Why a pipeline component: it runs inside NLU, after DIETClassifier and FallbackClassifier,
so whatever the conversation was doing (a fallback, a lookup, a form), a message that might
signal harm leaves NLU as `safeguarding_concern` with confidence 1.0 and the rules answer it:
the full safety reply for a clear risk, a gentle check-in for a possible one
(bot/safeguarding/decision.py). Three nets, each able to catch what the others miss:
the reviewable lexicon (content/safeguarding/lexicon.yml), the trained safeguarding
classifier (bot/engine/safeguarding_classifier.py, trained here during `rasa train`), and
DIET's own `safeguarding_concern` prediction.

config.yml, after FallbackClassifier:
    - name: bot.engine.safeguarding_component.SafeguardingCheck
      classifier_threshold: 0.6

Adds to the parse data of every message `safeguarding_score` = {"score", "category"} (so the
action server can read a short reply with the turn before it), and, when it fires,
`safeguarding` = {"tier", "category", "source", "rule", "asked"}, where "asked" is the intent the
message had before the override (so a check-in can still answer an ordinary question,
bot/knowledge/under_check_in.py). Never logs or stores any text.
"""
from __future__ import annotations

import logging
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
from bot.engine.safeguarding_classifier import (
    NONE,
    TRAINING_DIR,
    Example,
    SafeguardingClassifier,
    read_training_dir,
)
from bot.knowledge.under_check_in import ASKED_KEY
from bot.safeguarding.decision import UNSPECIFIED, decide
from bot.safeguarding.lexicon import LEXICON_PATH
from bot.safeguarding.matcher import SafeguardingMatcher, default_matcher

logger = logging.getLogger(__name__)

SAFEGUARDING_KEY = "safeguarding"
SCORE_KEY = "safeguarding_score"
INTENT_KEY = "intent_name"
THRESHOLD_KEY = "classifier_threshold"
DEFAULT_INTENT = "safeguarding_concern"
MODEL_FILE = "safeguarding_classifier.pkl"
#: Files outside Rasa's training data that shape this component: a change retrains it.
EXTERNAL_INPUTS = (TRAINING_DIR, LEXICON_PATH, Path(__file__).parent / "safeguarding_classifier.py", Path(__file__))


def _external_fingerprint() -> str:
    return files_fingerprint(EXTERNAL_INPUTS)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class SafeguardingCheck(GraphComponent, IntentClassifier):
    """Overrides the predicted intent with `safeguarding_concern` when harm might be signalled."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """None that Rasa can check: in the training graph classifiers do not feed each other.

        It must still come after DIETClassifier and FallbackClassifier in config.yml, so that
        at prediction time it sees (and may override) their intent; a test checks the order.
        """
        return []

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Threshold for trusting DIET's own safeguarding intent, and the intent we set."""
        return {THRESHOLD_KEY: 0.6, INTENT_KEY: DEFAULT_INTENT}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """The training examples and lexicon live in content/, outside Rasa's data."""
        return _external_fingerprint()

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: Optional[ModelStorage] = None,
        resource: Optional[Resource] = None,
        classifier: Optional[SafeguardingClassifier] = None,
        matcher: Optional[SafeguardingMatcher] = None,
    ) -> None:
        self.component_config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.classifier = classifier
        self.matcher = matcher or default_matcher()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafeguardingCheck":
        """An untrained component (the lexicon is built once, not per message)."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the classifier: crisis and look-alike examples, every other NLU example as "none"."""
        name = self.component_config[INTENT_KEY]
        examples = read_training_dir()
        for message in training_data.intent_examples:
            text = message.get(TEXT)
            if text and not text.startswith("/"):
                label = UNSPECIFIED if message.get(INTENT) == name else NONE
                examples.append(Example(text, label))
        self.classifier = SafeguardingClassifier().fit(examples)
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Store the fitted classifier in the model archive."""
        write_artefact(self._model_storage, self._resource, MODEL_FILE, self.classifier)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "SafeguardingCheck":
        """Load the fitted classifier; without one the lexicon and DIET still guard every message."""
        classifier = read_artefact(model_storage, resource, MODEL_FILE,
                                   "safeguarding classifier missing from the model; lexicon and DIET only")
        return cls(config, model_storage, resource, classifier)

    def _intent_hit(self, message: Message) -> bool:
        """DIET's own safeguarding prediction, even if FallbackClassifier put nlu_fallback first."""
        name = self.component_config[INTENT_KEY]
        threshold = float(self.component_config[THRESHOLD_KEY])
        candidates = [message.get(INTENT) or {}] + list(message.get(INTENT_RANKING_KEY) or [])
        return any(
            c.get(INTENT_NAME_KEY) == name and (c.get(PREDICTED_CONFIDENCE_KEY) or 0.0) >= threshold
            for c in candidates
        )

    def process(self, messages: List[Message]) -> List[Message]:
        """Set the safeguarding intent (confidence 1.0, first in the ranking) where needed."""
        name = self.component_config[INTENT_KEY]
        for message in messages:
            text = message.get(TEXT) or ""
            if not text or text.startswith("/"):
                continue  # buttons carry intents, not words
            score, category = self.classifier.score(text) if self.classifier else (None, UNSPECIFIED)
            if score is not None:
                message.set(SCORE_KEY, {"score": round(score, 4), "category": category}, add_to_output=True)
            outcome = decide(self.matcher.check(text), score, category, self._intent_hit(message))
            if outcome is None:
                continue
            asked = message.get(INTENT) or {}
            intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [
                r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) != name
            ]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(intent)] + ranking, add_to_output=True)
            found = outcome.as_parse_data()
            if asked.get(INTENT_NAME_KEY):
                found[ASKED_KEY] = {"name": asked[INTENT_NAME_KEY],
                                    "confidence": round(float(asked.get(PREDICTED_CONFIDENCE_KEY) or 0.0), 4)}
            message.set(SAFEGUARDING_KEY, found, add_to_output=True)
            logger.info("safeguarding check fired: tier=%s rule=%s source=%s",
                        outcome.tier, outcome.rule, outcome.source)
        return messages
