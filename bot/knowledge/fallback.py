"""When CareChat is unsure what was asked: offer, then search, then hand over to a person.

Three steps, never a confident guess:
1. ``offer``: the two likeliest topics from the NLU's intent ranking and named terms, as buttons.
2. ``None of these``: the best keyword matches among the cards (worked out at step 1, so the
   message text is never stored), as buttons.
3. ``None of these`` again: the right person to ask (:mod:`bot.knowledge.who_to_ask`).
The step reached is kept in a slot so a later "None of these" knows where it is.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.knowledge.cards import Library

OFFERED, SEARCHED = "offered", "searched"
NONE_OF_THESE = {"title": "None of these", "payload": "/none_of_these"}
#: Intents that never point at a topic card, however high they rank.
NOT_TOPICS = frozenset({
    "nlu_fallback", "greet", "goodbye", "thank", "out_of_scope", "get_help_now",
    "safeguarding_concern", "ask_real_person", "ask_are_you_a_bot", "insult", "none_of_these",
    "ask_next_review", "ask_advocate_contact", "ask_personal_adviser_contact", "ask_topic", "ask_what_you_can_do",
    "ask_privacy", "ask_follow_up",
})
ASK_AGAIN = "Sorry, I'm not sure what you mean. Did you mean one of these?"
SEARCH_INTRO = "OK. These might be closer to what you asked:"


@dataclass(frozen=True)
class Offer:
    """What to show now, and what to remember for the next step."""

    text: str
    card_ids: list[str]
    stage: str
    backup: list[str] = field(default_factory=list)


def likeliest_cards(library: Library, ranking: Iterable[dict], entities: Iterable[dict],
                    text: str, limit: int = 2) -> list[str]:
    """Up to ``limit`` card ids: named terms first, then topic intents by rank, then keyword search."""
    found: list[str] = [card.id for card in library.cards_named(entities)]
    for entry in ranking:
        intent = entry.get("name")
        if not intent or intent in NOT_TOPICS:
            continue
        card = library.card_for_intent(intent)
        if card is not None:
            found.append(card.id)
    found.extend(card.id for card in library.search(text, limit=limit + 2))
    return list(dict.fromkeys(found))[:limit]


def first_offer(library: Library, ranking: Iterable[dict], entities: Iterable[dict], text: str,
                searched: Iterable[str] = ()) -> Offer:
    """Step 1: the two likeliest topics, and the search results kept back for step 2.

    ``searched``: the NLU's card search, best first (:mod:`bot.knowledge.card_evidence`); without
    it, the keyword search over the cards' own words.
    """
    offered = likeliest_cards(library, list(ranking), list(entities), text)
    results = [cid for cid in searched if cid in library.cards] or [card.id for card in library.search(text, limit=5)]
    backup = [cid for cid in results if cid not in offered][:3]
    return Offer(ASK_AGAIN, offered, OFFERED, backup)


def buttons_for(library: Library, card_ids: Iterable[str]) -> list[dict]:
    """Topic buttons plus "None of these"."""
    buttons = [{"title": library.cards[cid].title, "payload": f'/ask_topic{{"topic": "{cid}"}}'}
               for cid in card_ids if cid in library.cards]
    return buttons + [NONE_OF_THESE]


def next_step(stage: str | None, backup: list[str]) -> str:
    """After "None of these": search results if there are any left to show, else a person."""
    if stage == OFFERED and backup:
        return SEARCHED
    return "handoff"
