"""Which card answers a personal question in general, for anyone not signed in.

"When is my review?", "who is my advocate?" and "who is my PA?" are personal lookups for a
signed-in young person, but each also has a general answer (how reviews work, how to get an
advocate, what a personal adviser does). Both the assistant and the NLU evaluation need the
same answer to "which card?", so it lives here, in plain Python both environments import.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.cards import Card, Library
from bot.knowledge.choose_card import subject_entities
from bot.knowledge.whose_question import asks_about_own


@dataclass(frozen=True)
class PersonalTopic:
    """A personal intent's general cards (the first is its answer) and what signing in adds."""

    intent: str
    card_ids: tuple[str, ...]
    what_sign_in_adds: str
    #: Words that make a first-person question on the answer card ask for the record itself
    #: ("who is my PA", "when is my review"), not how things work ("what does my PA do").
    lookup_words: tuple[str, ...] = ()


#: "Who is my advocate", "how do I contact my PA", "my PA's number".
CONTACT_WORDS = ("who", "whos", "who's", "contact", "phone", "number", "email", "call", "ring", "reach", "name")

PERSONAL_TOPICS = {topic.intent: topic for topic in (
    PersonalTopic("ask_next_review", ("cic_review", "iro", "pathway_plan"), "your own next review date",
                  ("when", "date", "day")),
    PersonalTopic("ask_advocate_contact", ("advocate", "mind_of_my_own", "having_a_say"), "who your own advocate is",
                  CONTACT_WORDS),
    PersonalTopic("ask_personal_adviser_contact", ("personal_adviser", "pathway_plan", "care_leaver"),
                  "who your own personal adviser is", CONTACT_WORDS),
)}

_WORD = re.compile(r"[a-z']+")


def lookup_intent_for_card(card_id: str, text: str | None) -> str | None:
    """The personal intent when a message the classifier sent to a card asks for the asker's own
    record on that card's subject ("who is my personal adviser" on the personal adviser card);
    else None. Why: the card and the lookup are near neighbours for the classifier, and the
    words decide it more surely than a few points of confidence."""
    if not text or not asks_about_own(text):
        return None
    words = set(_WORD.findall(text.lower().replace("\u2019", "'")))
    for topic in PERSONAL_TOPICS.values():
        if topic.card_ids[0] == card_id and words & set(topic.lookup_words):
            return topic.intent
    return None


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
