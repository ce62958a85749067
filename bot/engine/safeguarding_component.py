"""Rasa 3.6 NLU component: the safeguarding check, run on every message.

Why a pipeline component: it runs inside NLU, after DIETClassifier and FallbackClassifier,
so whatever the conversation was doing (a form, a lookup, a fallback), a message that
signals harm leaves NLU as `safeguarding_concern` with confidence 1.0 and the rules answer
it with the fixed safety reply. Two nets: the lexicon (bot/engine/safeguarding.py) and the
trained classifier's own `safeguarding_concern` prediction above a threshold.

config.yml, after FallbackClassifier:
    - name: bot.engine.safeguarding_component.SafeguardingCheck
      classifier_threshold: 0.6

Adds to the parse data: safeguarding = {"category", "rule", "source"} where source is
"lexicon", "classifier" or "both". Logs only the rule id and source, never the text.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import SPACY_DOCS
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.engine.safeguarding import SafeguardingHit, SafeguardingLexicon, build_nlp

logger = logging.getLogger(__name__)

SAFEGUARDING_KEY = "safeguarding"
INTENT_KEY = "intent_name"
THRESHOLD_KEY = "classifier_threshold"
DEFAULT_INTENT = "safeguarding_concern"
CLASSIFIER_RULE = "classifier"
CLASSIFIER_CATEGORY = "unspecified"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class SafeguardingCheck(GraphComponent, IntentClassifier):
    """Overrides the predicted intent with `safeguarding_concern` when harm is signalled."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """An intent classifier must run first: we may override its prediction."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Threshold for trusting the classifier alone, and the intent we set."""
        return {THRESHOLD_KEY: 0.6, INTENT_KEY: DEFAULT_INTENT}

    def __init__(self, config: Dict[Text, Any], lexicon: Optional[SafeguardingLexicon] = None) -> None:
        self.component_config = {**self.get_default_config(), **config}
        self.lexicon = lexicon or SafeguardingLexicon(build_nlp())

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafeguardingCheck":
        """Build the lexicon once per loaded model (not per message)."""
        return cls(config)

    def _lexicon_hit(self, message: Message) -> Optional[SafeguardingHit]:
        text = message.get(TEXT)
        if not text:
            return None
        doc = message.get(SPACY_DOCS[TEXT])
        if doc is None:
            return self.lexicon.check_text(text)
        return self.lexicon.check(doc)

    def _classifier_hit(self, message: Message) -> bool:
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
            hit = self._lexicon_hit(message)
            by_classifier = self._classifier_hit(message)
            if hit is None and not by_classifier:
                continue
            source = "both" if hit and by_classifier else ("lexicon" if hit else "classifier")
            intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
            ranking = [
                r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) != name
            ]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [dict(intent)] + ranking, add_to_output=True)
            message.set(
                SAFEGUARDING_KEY,
                {
                    "category": hit.category if hit else CLASSIFIER_CATEGORY,
                    "rule": hit.rule if hit else CLASSIFIER_RULE,
                    "source": source,
                },
                add_to_output=True,
            )
            logger.info("safeguarding check fired: rule=%s source=%s",
                        hit.rule if hit else CLASSIFIER_RULE, source)
        return messages
