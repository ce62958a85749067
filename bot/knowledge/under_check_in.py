"""The question under a check-in: answered after it, when it asked for a card.

Why: the check-in ("I want to check you're OK. Are you safe right now?", with 999 and Childline)
is for a message that might be a risk. It also reaches children who asked an ordinary question
in words that sound worrying: "i just want to know im gonna stay somewhere for good n not keep
moving", "i dont want to go to contact with my dad anymore do i have to". They asked something
real, and a worried child needs the answer as much as anyone. So the check-in comes first, with
its two buttons, and the answer to what they asked follows it. A false alarm then costs one
kind sentence, not the answer.

Only the check-in: a clear risk gets the full safety reply and nothing else. Only a topic
question: when the message had no topic intent before the safeguarding check (DIET's own
"safeguarding concern", an unsure message, an off-topic one) nothing follows the check-in.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.knowledge.card_evidence import Evidence
from bot.knowledge.cards import Card, Library
from bot.knowledge.choose_card import route
from bot.knowledge.intents import ASK_TOPIC, WHAT_IS
from bot.knowledge.scope import TopicScope
from bot.safeguarding.lexicon import CHECK_IN

#: Key in the safeguarding parse data: the intent the message had before the check overrode it.
ASKED_KEY = "asked"


def asked_intent(safeguarding: Mapping | None) -> tuple[str, float] | None:
    """The (intent, confidence) a check-in interrupted, or None for the full reply or no record."""
    if not safeguarding or safeguarding.get("tier") != CHECK_IN:
        return None
    asked = safeguarding.get(ASKED_KEY)
    if not isinstance(asked, Mapping) or not isinstance(asked.get("name"), str):
        return None
    try:
        return asked["name"], float(asked.get("confidence") or 0.0)
    except (TypeError, ValueError):
        return None


def card_under_check_in(library: Library, safeguarding: Mapping | None, entities: Iterable[dict],
                        text: str | None, scope: TopicScope | None,
                        evidence: Evidence | None) -> Card | None:
    """The card to show after the check-in, routed as the topic question would have been, or None."""
    asked = asked_intent(safeguarding)
    if asked is None:
        return None
    intent, confidence = asked
    if intent not in (WHAT_IS, ASK_TOPIC) and library.card_for_intent(intent) is None:
        return None
    found = route(library, intent, list(entities), confidence, text, scope, evidence)
    return None if found.off_topic else found.card
