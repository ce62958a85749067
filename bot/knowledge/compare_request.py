"""Is a message asking to compare two things, whatever intent the classifier gave it?

"Long term fostering compared to adoption", "care order versus placement order", "is adoption
more permanent than special guardianship": DIET often files these under one of the two topics
or under the permanence options, and the reader got one card instead of the comparison they
asked for. Two different cards named plus a word that compares is the comparison. Standard
library only: the actions and the evaluation both use it.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

from bot.knowledge.choose_card import subject_entities
from bot.knowledge.intents import FALLBACK, WHAT_IS

if TYPE_CHECKING:
    from bot.knowledge.cards import Library

#: Words that ask for a comparison. Not "or" on its own: "can my nan or my aunt come to my review".
_COMPARING = re.compile(
    r"\b(vs|versus|v|compare|compared|comparing|comparison|difference|differences|different|differ|differs"
    r"|same as|same thing as|better than|worse than|(?:more|less) \w+ than|which is better|which one is better)\b",
    re.IGNORECASE)


def asks_to_compare(text: str | None, named_card_ids: Sequence[str]) -> bool:
    """Exactly two different cards named, and a word that compares them. Three or more ("adoption,
    special guardianship or long-term fostering, what's the difference") ask for the options."""
    return bool(text) and len(set(named_card_ids)) == 2 and bool(_COMPARING.search(text))


def comparison_pair(library: "Library", intent: str | None, entities: Iterable[dict],
                    text: str | None, comparable: Collection[str]) -> tuple[str, str] | None:
    """The two cards to compare instead of answering one, for a message answered through the card
    routing (a what-is, an unsure message or a topic intent), else None. Only orders the facts table
    can put side by side (``comparable``); for anything else one card explains more than "I can't
    compare those". A button never compares."""
    entities = list(entities)
    if intent not in (WHAT_IS, FALLBACK) and (not intent or library.card_for_intent(intent) is None):
        return None
    if any(e.get("entity") == "topic" for e in entities):
        return None
    ids = list(dict.fromkeys(card.id for card in library.cards_named(subject_entities(entities))))
    if not asks_to_compare(text, ids) or not all(card_id in comparable for card_id in ids):
        return None
    return ids[0], ids[1]
