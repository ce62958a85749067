"""Which card answers a personal question in general, for anyone not signed in.

"When is my review?", "who is my advocate?" and "who is my PA?" are personal lookups for a
signed-in young person, but each also has a general answer (how reviews work, how to get an
advocate, what a personal adviser does). Both the assistant and the NLU evaluation need the
same answer to "which card?", so it lives here, in plain Python both environments import.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.cards import Card, Library
from bot.knowledge.choose_card import subject_entities


@dataclass(frozen=True)
class PersonalTopic:
    """A personal intent's general cards (the first is its answer) and what signing in adds."""

    intent: str
    card_ids: tuple[str, ...]
    what_sign_in_adds: str


PERSONAL_TOPICS = {topic.intent: topic for topic in (
    PersonalTopic("ask_next_review", ("cic_review", "iro", "pathway_plan"), "your own next review date"),
    PersonalTopic("ask_advocate_contact", ("advocate", "mind_of_my_own", "having_a_say"), "who your own advocate is"),
    PersonalTopic("ask_personal_adviser_contact", ("personal_adviser", "pathway_plan", "care_leaver"),
                  "who your own personal adviser is"),
)}


def other_topic_named(library: Library, topic: PersonalTopic, entities: Iterable[dict]) -> Card | None:
    """A card the message names when it names none of this topic's cards ("the children in care
    council meeting" on the review intent); "contact my advocate" names both, so it is None."""
    named = library.cards_named(subject_entities(list(entities)))
    if named and not any(card.id in topic.card_ids for card in named):
        return named[0]
    return None


def general_card(library: Library, intent: str, entities: Iterable[dict]) -> Card | None:
    """The card someone not signed in gets for a personal intent, or None for other intents."""
    topic = PERSONAL_TOPICS.get(intent)
    if topic is None:
        return None
    return other_topic_named(library, topic, entities) or library.cards.get(topic.card_ids[0])
