"""The knowledge library: what a card is, finding one, and rendering it for a reader and council.

Each card explains one topic three ways (child, young person, parent/carer), keeps national
law apart from what one council's documents say, and names its sources. Everything the bot
says about a topic comes through :meth:`Library.render`, so every answer carries a source
line and never passes one council's practice off as the law everywhere.

Loading lives in :mod:`bot.knowledge.card_loader`, checking in :mod:`bot.knowledge.card_checks`
and word matching in :mod:`bot.knowledge.terms`. Standard library only: no Rasa imports.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.knowledge.audiences import version_for
from bot.knowledge.councils import CouncilProfile
from bot.knowledge.terms import closest_alias, keyword_search, normalise_term, term_patterns
from bot.settings import DEFAULT_COUNCIL

#: Professionals get the parent/carer version: it explains the legal terms.
KINDS = ("order", "topic", "definition", "promise", "glossary")
NATIONAL = "national"


#: Who to ask when the council's documents are silent, by audience.
ASK_WHO = {
    "child": "Your social worker or your IRO (the person who runs your review meetings) can tell you.",
    "young_person": "Your social worker, leaving care worker or IRO (Independent Reviewing Officer) can tell you.",
    "parent": "Ask the child's social worker, or the council's children's services, how this works locally.",
}

class ContentError(Exception):
    """The content on disk is not safe to serve; the message lists the problems."""


class UnknownCard(KeyError):
    """No card has this id."""


class UnknownCouncil(KeyError):
    """No council profile has this id (a configuration mistake: fail loudly, never guess a council)."""


@dataclass(frozen=True)
class KeyFact:
    """One checkable fact on a card, national or tied to one council's document."""

    text: str
    scope: str
    source: str


@dataclass(frozen=True)
class LocalText:
    """What one council's documents add to a card, in the three reader versions."""

    council: str
    versions: dict[str, str]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    """A document or Act a card cites; ``council`` is None for national law and guidance."""

    id: str
    title: str
    council: str | None
    detail: str | None

    @property
    def label(self) -> str:
        """How the source appears in an answer's source line."""
        return f"{self.title}, {self.detail}" if self.detail else self.title


@dataclass(frozen=True)
class Card:
    """One topic. Build with :func:`bot.knowledge.card_loader.load_library`; see docs/content-guide.md for the schema."""

    id: str
    title: str
    kind: str
    aliases: tuple[str, ...]
    intents: tuple[str, ...]
    versions: dict[str, str]
    key_facts: tuple[KeyFact, ...]
    sources: tuple[str, ...]
    related: tuple[str, ...]
    local: dict[str, LocalText]
    silent_note_topic: str | None = None


@dataclass(frozen=True)
class Answer:
    """A rendered card: the text to say, where it came from, and where to go next."""

    text: str
    source_line: str
    related: list[tuple[str, str]]
    card_id: str = ""
    audience: str = ""
    council_id: str = ""
    council_silent: bool = False


def normalise_audience(audience: str | None) -> str:
    """The card version for any audience value (:func:`bot.knowledge.audiences.version_for`)."""
    return version_for(audience)


@dataclass
class Library:
    """All cards, council profiles and sources, with lookup and rendering."""

    cards: dict[str, Card]
    councils: dict[str, CouncilProfile]
    sources: dict[str, Source]
    load_problems: list[str] = field(default_factory=list)
    default_council: str = DEFAULT_COUNCIL

    def __post_init__(self) -> None:
        self._by_intent: dict[str, str] = {}
        self._by_alias: dict[str, str] = {}
        for card in self.cards.values():
            for intent in card.intents:
                self._by_intent.setdefault(intent, card.id)
            for term in (*card.aliases, card.title, card.id.replace("_", " ")):
                key = normalise_term(term)
                if key:
                    self._by_alias.setdefault(key, card.id)

    # ---- lookup -------------------------------------------------------------------------
    def card(self, card_id: str) -> Card:
        """The card with this id, or :class:`UnknownCard`."""
        try:
            return self.cards[card_id]
        except KeyError:
            raise UnknownCard(card_id) from None

    def card_for_intent(self, intent: str) -> Card | None:
        """The card that answers a Rasa intent, if any."""
        card_id = self._by_intent.get(intent)
        return self.cards[card_id] if card_id else None

    def cards_named(self, entities: Iterable[dict]) -> list[Card]:
        """Cards a message's entities name, in order: button topics first, then terms."""
        entities = list(entities)

        def named(kind: str) -> list[str]:
            return [e["value"] for e in entities
                    if e.get("entity") == kind and isinstance(e.get("value"), str)]

        topics = [self.cards.get(value) for value in named("topic")]
        terms = [self.card_for_term(value) for value in named("term")]
        unique: dict[str, Card] = {}
        for card in topics + terms:
            if card is not None:
                unique.setdefault(card.id, card)
        return list(unique.values())

    def card_for_term(self, text: str) -> Card | None:
        """Find the card a word or phrase refers to (:func:`bot.knowledge.terms.closest_alias`)."""
        alias = closest_alias(text, self._by_alias)
        return self.cards[self._by_alias[alias]] if alias else None

    def term_patterns(self) -> list[dict[str, Any]]:
        """spaCy EntityRuler patterns for every card alias (:func:`bot.knowledge.terms.term_patterns`)."""
        return term_patterns(self.cards.values())

    def search(self, text: str, limit: int = 3) -> list[Card]:
        """Suggest cards by keyword overlap, for when the NLU is unsure what was asked."""
        return [self.cards[card_id] for card_id in keyword_search(self.cards, text, limit)]

    # ---- rendering ------------------------------------------------------------------------
    def council(self, council_id: str) -> CouncilProfile:
        """The council profile, or :class:`UnknownCouncil`."""
        try:
            return self.councils[council_id]
        except KeyError:
            raise UnknownCouncil(council_id) from None

    def render(self, card_id: str, audience: str, council_id: str) -> Answer:
        """The card's text for this reader and council, with its source line and related topics.

        National text first; then the council's own local text. Where other councils have
        local text for this card but this council's documents say nothing, the answer says
        so and names who to ask, instead of borrowing another council's practice.
        """
        card = self.card(card_id)
        profile = self.council(council_id)
        who = normalise_audience(audience)
        parts = [card.versions.get(who, "").strip()]
        source_ids = [s for s in card.sources if self.is_national(s)]
        silent = False
        local = card.local.get(profile.id)
        if local is not None:
            parts.append(local.versions.get(who, "").strip())
            source_ids.extend(local.sources)
        elif card.local:
            silent = True
            parts.append(self.silent_sentence(card, who, profile))
        labels = self.source_labels(source_ids)
        related = [(rid, self.cards[rid].title) for rid in card.related if rid in self.cards]
        return Answer(
            text="\n\n".join(p for p in parts if p),
            source_line="Source: " + "; ".join(labels) if labels else "",
            related=related,
            card_id=card.id,
            audience=who,
            council_id=profile.id,
            council_silent=silent,
        )

    def silent_sentence(self, card: Card, audience: str, profile: CouncilProfile) -> str:
        """'Your council's documents don't say ...' plus who to ask, for one reader."""
        topic = card.silent_note_topic or card.title.lower()
        who = normalise_audience(audience)
        if who == "child":
            opening = f"{profile.place}'s papers don't say anything about {topic}."
        elif who == "parent":
            opening = f"The {profile.name} documents we use don't say anything about {topic}."
        else:
            opening = f"{profile.place}'s documents don't say anything about {topic}."
        return f"{opening} {ASK_WHO[who]}"

    def source_labels(self, source_ids: list[str]) -> list[str]:
        """One label per document, with the parts cited: "Children Act 1989, s14A-14G, s91"."""
        details: dict[str, list[str]] = {}
        for source_id in source_ids:
            source = self.sources.get(source_id)
            title = source.title if source else source_id
            parts = details.setdefault(title, [])
            if source and source.detail and source.detail not in parts:
                parts.append(source.detail)
        return [", ".join([title, *parts]) for title, parts in details.items()]

    def source_titles(self, source_ids: list[str]) -> list[str]:
        """Each document's title once, without the sections cited: the short answer's source line."""
        return list(dict.fromkeys(self.sources[s].title if s in self.sources else s for s in source_ids))

    def is_national(self, source_id: str) -> bool:
        """National law or guidance (true in all of England), not one council's document."""
        source = self.sources.get(source_id)
        return source is None or source.council is None
