"""Weighing the evidence for which card a message asks about: DIET, the card search and named terms.

Why: each source fails differently. DIET's intent is right for most wording it was trained
on but overconfident or unsure on descriptions; the lexical card search
(:mod:`bot.engine.card_search`, in the parse data as ``card_search``) finds the card whose
example questions are closest, misspellings included; a named term is an exact dictionary
match but often names the context, not the subject ("how do they find a family for a child
who is going to be *adopted*" asks about family finding). Adding them up, a card wins when the
sources together point at it. The weights were chosen on the held-out sets (docs/evaluation.md):

    score(card) = DIET probability of the card's intent(s)
                  + SEARCH_WEIGHT * card search score
                  + NAMED_BONUS if a term in the message names the card

Standard library only: the actions and the evaluation both use it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.knowledge.cards import Card, Library
from bot.knowledge.intents import FALLBACK, OUT_OF_SCOPE, SAFEGUARDING

#: The parse-data key the engine's card search writes (bot.engine.card_search_component).
CARD_SEARCH_KEY = "card_search"
SEARCH_WEIGHT = 1.0
NAMED_BONUS = 0.2
#: The search also ranks the out-of-scope examples, as a pseudo-card named ``OUT_OF_SCOPE``: when they
#: are the closest, the search backs no card ("what does ngl mean" is nearer everyday questions than
#: the glossary).
#: The card search alone answers a message DIET could not place only from this score up.
#: Before the search ranked the off-topic examples, 0.3 cost 7-11 points of out of scope on the
#: held-out sets and 0.4 was chosen; with them (2026-11-30, seven sets) 0.35 answered more card
#: questions on four sets and answered no more off-topic messages (docs/evaluation.md).
BACKSTOP_SCORE = 0.35
#: ... or from this much evidence, DIET and the search agreeing. Chosen on the held-out sets with
#: the out-of-scope writer's examples in training: 0.6 answered 12 more card questions over the six
#: sets with no out-of-scope message answered; 0.5 began to answer out-of-scope messages.
AGREED_SCORE = 0.6


@dataclass(frozen=True)
class Evidence:
    """What the NLU said about one message beyond its top intent."""

    intent_ranking: tuple[tuple[str, float], ...] = ()
    search: tuple[tuple[str, float], ...] = ()

    @classmethod
    def from_parse_data(cls, data: Mapping) -> "Evidence":
        """From Rasa's parse data (``tracker.latest_message``); missing keys give no evidence."""
        ranking = tuple((str(r.get("name")), float(r.get("confidence") or 0.0))
                        for r in data.get("intent_ranking") or () if isinstance(r, Mapping))
        search = tuple((str(r.get("card")), float(r.get("score") or 0.0))
                       for r in data.get(CARD_SEARCH_KEY) or () if isinstance(r, Mapping))
        return cls(ranking, search)

    def likeliest_intent(self) -> tuple[str, float] | None:
        """The first intent of DIET's ranking that is a real guess (not the fallback or the
        safeguarding override), with its confidence; None without a ranking."""
        return next(((name, confidence) for name, confidence in self.intent_ranking
                     if name not in (FALLBACK, SAFEGUARDING)), None)

    def confidence_of(self, intent: str) -> float:
        """The ranking's confidence in one intent (0 if it is not in the ranking)."""
        return next((confidence for name, confidence in self.intent_ranking if name == intent), 0.0)

    def search_score(self, card_id: str) -> float:
        """The card search's score for a card (0 if it is not in the ranking)."""
        return next((score for card, score in self.search if card == card_id), 0.0)

    def search_best(self, library: Library) -> Card | None:
        """The card search's first card (none when the off-topic examples rank first), if it is
        sure enough on its own (``BACKSTOP_SCORE``) or it also has the most evidence of all, DIET's
        probability and its own score adding up to ``AGREED_SCORE`` (DIET below the fallback
        threshold, but pointing the same way)."""
        if not self.search or self.search[0][0] not in library.cards:
            return None
        card_id, score = self.search[0]
        if score >= BACKSTOP_SCORE:
            return library.cards[card_id]
        scores = card_scores(library, self, [])
        if max(scores, key=scores.get) == card_id and scores[card_id] >= AGREED_SCORE:
            return library.cards[card_id]
        return None


def card_scores(library: Library, evidence: Evidence, named: Iterable[Card]) -> Counter:
    """Each card's summed evidence (the module docstring's formula)."""
    scores: Counter = Counter()
    for intent, confidence in evidence.intent_ranking:
        card = library.card_for_intent(intent)
        if card is not None:
            scores[card.id] += confidence
    for card_id, score in evidence.search:
        if card_id in library.cards:
            scores[card_id] += SEARCH_WEIGHT * score
    for card in named:
        scores[card.id] += NAMED_BONUS
    return scores


def best_card(library: Library, evidence: Evidence, named: Iterable[Card], fallback: Card) -> Card:
    """The card with the most evidence; ``fallback`` (the intent's card) if nothing scores higher."""
    scores = card_scores(library, evidence, named)
    if not scores:
        return fallback
    winner = max(scores, key=lambda card_id: (scores[card_id], card_id == fallback.id))
    return library.cards[winner] if scores[winner] > scores.get(fallback.id, 0.0) else fallback
