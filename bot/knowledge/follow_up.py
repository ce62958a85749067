"""Follow-ups: "how long?", "can that be changed?", "and adoption?" after a card was shown.

A follow-up has no subject of its own; its subject is the card just shown (kept in the
``last_card`` slot, a card id and never message text). For a legal order the structured
facts (``content/order_facts.yml``) answer the common follow-ups directly, one fact at a
time, which is also what the buttons under an order's answer ask for. Plain Python, shared
by the action server and the NLU evaluation.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.cards import Card, Library
from bot.knowledge.choose_card import subject_entities


@dataclass(frozen=True)
class Aspect:
    """One thing people ask about an order, answered by one field of its facts."""

    key: str            # the field in content/order_facts.yml
    button: str         # the button a reader taps under an order's answer
    words: tuple[str, ...]  # whole words or phrases that ask about it


#: Checked in order: the first aspect whose words appear wins ("how long until it ends" is how_long).
ASPECTS: tuple[Aspect, ...] = (
    Aspect("how_long", "How long it lasts", ("how long", "last", "lasts", "until", "till", "til", "forever",
                                             "for ever", "permanent", "expire", "expires", "age", "18")),
    Aspect("how_it_ends", "How it ends", ("end", "ends", "ended", "stop", "stopped", "changed", "change",
                                          "undo", "cancel", "revoke", "revoked", "discharge", "discharged",
                                          "appeal", "challenge", "overturn", "go home", "get back", "take back",
                                          "me back", "back home")),
    # Not "brother" or "sister" alone: "what about for my brother?" asks the same again for him.
    Aspect("family_time", "Seeing family", ("see", "seeing", "visit", "visits", "contact", "family time",
                                            "mum", "mam", "dad", "nan", "gran", "family", "parents")),
    Aspect("parental_responsibility", "Who decides", ("decide", "decides", "decisions", "decision", "in charge",
                                                      "rights", "say", "parental responsibility", "pr")),
    Aspect("support", "Support", ("support", "money", "allowance", "pay", "paid", "help", "helps")),
    Aspect("reviews", "Reviews", ("review", "reviews", "iro", "meetings")),
    Aspect("looked_after", "Is it care?", ("in care", "looked after", "count", "counts", "care leaver")),
)
ASPECT_BY_KEY = {aspect.key: aspect for aspect in ASPECTS}
#: With no card shown yet, the card that answers an aspect on its own ("can I still see my mum?").
CARD_FOR_ASPECT = {"family_time": "family_time", "reviews": "cic_review",
                   "parental_responsibility": "parental_responsibility", "looked_after": "looked_after"}
#: The buttons under an order's answer: the four things people most often ask next.
ORDER_BUTTONS = ("how_long", "how_it_ends", "family_time", "support")

_WORD = re.compile(r"[a-z0-9]+")

#: The "Tell me more" button's aspect: the whole card after its short answer (bot.knowledge.bites).
MORE = "more"
#: A follow-up that asks for the rest of the answer just shown, as whole words or phrases.
MORE_WORDS = ("tell me more", "more", "more info", "more information", "more detail", "more details",
              "the rest", "everything", "all about", "in detail", "full answer", "go on", "explain")


#: "and adoption?", "what about an SGO?": the same question about another thing.
_ANOTHER = re.compile(r"^\s*(and|what about|how about|wot about|wat about|wht about)\b", re.IGNORECASE)
MAX_ANOTHER_WORDS = 6


def asks_about_another(text: str | None) -> bool:
    """A short message that asks the same again about another thing ("and adoption?")."""
    return bool(text) and bool(_ANOTHER.match(text)) and len(_WORD.findall(text.lower())) <= MAX_ANOTHER_WORDS


def detect_aspect(text: str | None) -> Aspect | None:
    """Which order fact a follow-up asks about, from its words; None when it names none."""
    words = " " + " ".join(_WORD.findall((text or "").lower())) + " "
    for aspect in ASPECTS:
        if any(f" {phrase} " in words for phrase in aspect.words):
            return aspect
    return None


def asks_for_more(entities: Iterable[dict], text: str | None) -> bool:
    """The "Tell me more" button, or a follow-up asking for the rest ("tell me more", "go on").

    Checked after the order facts' aspects, so "tell me more about how it ends" is how_it_ends.
    """
    if any(e.get("entity") == "aspect" and e.get("value") == MORE for e in entities):
        return True
    words = " " + " ".join(_WORD.findall((text or "").lower())) + " "
    return detect_aspect(text) is None and any(f" {phrase} " in words for phrase in MORE_WORDS)


def subject_card(library: Library, entities: Iterable[dict], last_card: str | None) -> Card | None:
    """What a follow-up is about: a button's topic, else a card the message names, else the last card."""
    entities = list(entities)
    named = library.cards_named([e for e in entities if e.get("entity") == "topic"]) or \
        library.cards_named(subject_entities(entities))
    if named:
        return named[0]
    return library.cards.get(last_card) if isinstance(last_card, str) else None


def follow_up_card(library: Library, entities: Iterable[dict], last_card: str | None,
                   text: str | None) -> Card | None:
    """The card a follow-up is answered from: its subject, or with none, the card for its aspect."""
    card = subject_card(library, entities, last_card)
    if card is not None:
        return card
    aspect = aspect_from(entities, text)
    return library.cards.get(CARD_FOR_ASPECT.get(aspect.key, "")) if aspect is not None else None


def aspect_from(entities: Iterable[dict], text: str | None) -> Aspect | None:
    """A button's ``aspect`` entity, else the aspect the words ask about."""
    for entity in entities:
        if entity.get("entity") == "aspect" and entity.get("value") in ASPECT_BY_KEY:
            return ASPECT_BY_KEY[entity["value"]]
    return detect_aspect(text)
