"""What CareChat says, as plain Python: the actions are thin adapters over this class.

It joins the pieces a turn needs (the knowledge library, the council profile, the case
store and identity) so the same behaviour is tested without Rasa and served by Rasa.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Callable, Iterable

from bot.knowledge.about_carechat import EXAMPLE_TOPICS
from bot.knowledge.audiences import DEFAULT_READER, reader_from
from bot.knowledge.comparisons import ATTRIBUTES, compare_text, load_order_facts
from bot.knowledge.compare_request import comparison_pair
from bot.knowledge.card_evidence import Evidence
from bot.knowledge.card_loader import load_library
from bot.knowledge.cards import Answer, Library
from bot.knowledge.care_leavers import guided_check
from bot.knowledge.bites import lead_of, lead_source_line, worth_a_bite
from bot.knowledge.follow_up import (ASPECT_BY_KEY, MORE, ORDER_BUTTONS, Aspect, asks_about_another, asks_for_more,
                                     aspect_from, follow_up_card)
from bot.knowledge.fallback import SEARCH_INTRO, SEARCHED, Offer, buttons_for, first_offer, next_step
from bot.knowledge.personal_topics import lookup_intent_for_card
from bot.knowledge.who_to_ask import handoff_reply
from bot.knowledge.choose_card import COMPARE, FALLBACK, OUT_OF_SCOPE, answer_card, route, subject_entities
from bot.knowledge.scope import TopicScope, load_scope
from bot.knowledge.under_check_in import card_under_check_in
from bot.personal.identity import TokenRejected, verify_token
from bot.settings import Settings, load_settings

log = logging.getLogger(__name__)

DEFAULT_AUDIENCE = DEFAULT_READER

#: Added to the general answer when someone asks about their own records without signing in.
SIGN_IN_OFFER = (
    "You're not signed in, so I haven't looked at any records. If you sign in on your "
    "council's young person's page and ask again, I can tell you {what}. Your social worker "
    "or your IRO (Independent Reviewing Officer) can tell you too."
)

HOW_IT_WORKS = "Here is how it works in general:"

#: The button under a card's short answer that shows the rest of it.
TELL_ME_MORE = "Tell me more"
#: Before the answer that follows a check-in (bot.knowledge.under_check_in).
UNDER_CHECK_IN_INTRO = "About what you asked:"

WHICH_TWO = (
    "Which two orders would you like me to compare? For example: \"SGO vs care order\" or "
    "\"what's the difference between a CAO and an SGO\"."
)

OUT_OF_SCOPE_TEXT = (
    "Sorry, I can't help with that one. I can help with being in care, leaving care and family "
    "arrangements: things like what an order means, family time, reviews, and what support care "
    "leavers get."
)
#: Added when the classifier guessed a topic for a message the scope check turned away.
MAYBE_YOU_MEANT = "If you were asking about {title}, tap it below."
#: The example topics offered after the out-of-scope reply: the same three as "what can you do".
OUT_OF_SCOPE_EXAMPLES = EXAMPLE_TOPICS

WHICH_TOPIC = (
    "I'm not sure which thing you mean. Could you tell me its name? For example: "
    "\"what is an SGO?\" or \"what is a care order?\""
)


@dataclass(frozen=True)
class Reply:
    """One bot message: text, optional quick-reply buttons (title, payload), and the card it shows
    (kept in the ``last_card`` slot so a follow-up such as "how long?" knows its subject)."""

    text: str
    buttons: list[dict] = field(default_factory=list)
    card_id: str | None = None


def topic_button(card_id: str, title: str) -> dict:
    """A quick reply that asks for a card by id, bypassing NLU."""
    return {"title": title, "payload": f'/ask_topic{{"topic": "{card_id}"}}'}


def aspect_button(card_id: str, aspect: Aspect) -> dict:
    """A quick reply that asks one follow-up about an order ("How long it lasts"), bypassing NLU."""
    return {"title": aspect.button,
            "payload": f'/ask_follow_up{{"aspect": "{aspect.key}", "topic": "{card_id}"}}'}


def more_button(card_id: str, title: str) -> dict:
    """A quick reply for the rest of a card after its short answer ("Tell me more"), bypassing NLU."""
    return {"title": title, "payload": f'/ask_follow_up{{"aspect": "{MORE}", "topic": "{card_id}"}}'}


def audience_from(metadata: dict | None) -> str:
    """The reader the page said it is talking to; unknown values get the young-person version."""
    value = (metadata or {}).get("audience")
    return reader_from(value)


class CareChat:
    """Answers for one deployment (one council, one case store)."""

    def __init__(self, settings: Settings, library: Library, session_factory=None,
                 today: Callable[[], date] = date.today, order_facts: dict | None = None) -> None:
        self.settings = settings
        self.library = library
        self.order_facts = load_order_facts() if order_facts is None else order_facts
        self._session_factory = session_factory
        self._today = today
        self._scope: TopicScope | None = None

    @property
    def scope(self) -> TopicScope:
        """Evidence words per topic (:mod:`bot.knowledge.scope`), built on first use from data/nlu."""
        if self._scope is None:
            self._scope = load_scope(self.library)
        return self._scope

    @property
    def council(self):
        return self.library.councils[self.settings.council]

    def session_factory(self):
        """The case store is opened on first personal lookup, so knowledge turns never wait for it."""
        if self._session_factory is None:
            from bot.personal.casestore.db import session_factory

            self._session_factory = session_factory(self.settings.case_store_url)
        return self._session_factory

    # --- safety net -------------------------------------------------------------------
    def safety(self) -> Reply:
        """The fixed safety reply with this council's contacts."""
        from bot.knowledge.safety_reply import safety_reply_for

        return Reply(safety_reply_for(self.council))

    def check_in(self, audience: str = DEFAULT_AUDIENCE) -> Reply:
        """The gentle check-in for a message that might be a risk, with its two answers."""
        from bot.knowledge.safety_reply import check_in_buttons, check_in_for

        return Reply(check_in_for(self.council, audience), check_in_buttons())

    def answer_under_check_in(self, safeguarding: dict | None, entities: Iterable[dict], audience: str,
                              text: str | None, evidence: Evidence | None = None) -> Reply | None:
        """After a check-in, the short answer to the topic question it interrupted, else None
        (:mod:`bot.knowledge.under_check_in`: a worried child still gets what they asked)."""
        card = card_under_check_in(self.library, safeguarding, entities, text, self.scope if text else None,
                                   evidence)
        if card is None:
            return None
        reply = self.render_card(card.id, audience)
        return Reply(f"{UNDER_CHECK_IN_INTRO}\n\n{reply.text}", reply.buttons, reply.card_id)

    def handoff(self, audience: str) -> Reply:
        """"I want a real person": the right people for this reader."""
        return Reply(handoff_reply(audience, self.council))

    def fallback_offer(self, ranking: Iterable[dict], entities: Iterable[dict], text: str,
                       audience: str = DEFAULT_AUDIENCE, last_card: str | None = None,
                       evidence: Evidence | None = None, token: str | None = None) -> tuple[Reply, Offer]:
        """Unsure what was asked: the two likeliest topics (the Offer says what to remember).

        Unless it names two orders to compare, names exactly one thing, or the card search is sure
        (``evidence``): then the comparison, or that card's answer as any topic question gets it
        ("who is my advocate", the classifier torn between the card and the lookup, is the lookup
        for a signed-in person: ``token``).
        """
        ranking = list(ranking)
        entities = list(entities)
        pair = comparison_pair(self.library, FALLBACK, entities, text, self.order_facts)
        if pair is not None:  # unsure, but it names two orders and asks how they differ
            return self._compare_ids(*pair), Offer("", [], "")
        another = self._another_order(last_card, entities, text)
        if another is not None:  # unsure of so short a message, but it follows an order's answer
            return another, Offer("", [], "")
        named = answer_card(self.library, FALLBACK, entities, None, text, self.scope if text else None, evidence)
        if named is not None:  # unsure what was asked, but it names one thing or the search is sure
            return self._answer_card(named.id, text, entities, audience, token, last_card), Offer("", [], "")
        offer = first_offer(self.library, ranking, entities, text,
                            [card_id for card_id, _ in evidence.search] if evidence is not None else ())
        if not offer.card_ids:
            return self.handoff_after_fallback(audience), offer
        return Reply(offer.text, buttons_for(self.library, offer.card_ids)), offer

    def none_of_these(self, stage: str | None, backup: list[str], audience: str) -> tuple[Reply, str]:
        """After "None of these": the kept-back search results, else a person. Returns the new stage."""
        step = next_step(stage, [cid for cid in backup if cid in self.library.cards])
        if step == SEARCHED:
            return Reply(SEARCH_INTRO, buttons_for(self.library, backup)), SEARCHED
        return self.handoff_after_fallback(audience), "handoff"

    def handoff_after_fallback(self, audience: str) -> Reply:
        return Reply("Sorry, I couldn't find the answer to that. " + handoff_reply(audience, self.council))

    def out_of_scope(self, entities: Iterable[dict], audience: str, suggestion: str | None = None,
                     text: str | None = None) -> Reply:
        """Kindly say what CareChat is for, unless the message names one of our topics after all.

        ``suggestion``: a card the classifier guessed for an off-topic message, offered first
        as a button, so a real question the scope check turned away is one tap from its answer.
        """
        found = route(self.library, OUT_OF_SCOPE, list(entities), None, text, self.scope if text else None)
        if found.card is not None:
            return self.render_card(found.card.id, audience)
        if found.suggestion is not None and suggestion is None:
            suggestion = found.suggestion.id
        examples = [(cid, title) for cid, title in OUT_OF_SCOPE_EXAMPLES if cid != suggestion]
        text = OUT_OF_SCOPE_TEXT
        if suggestion in self.library.cards:
            title = self.library.cards[suggestion].title
            examples = [(suggestion, title)] + examples[:2]
            text += " " + MAYBE_YOU_MEANT.format(title=title[:1].lower() + title[1:])
        return Reply(text, [topic_button(cid, title) for cid, title in examples])

    # --- about CareChat itself -------------------------------------------------------
    def what_i_can_do(self) -> Reply:
        """What CareChat helps with and what it cannot do, with example topics to tap."""
        from bot.knowledge.about_carechat import what_i_can_do

        return Reply(what_i_can_do(self.council.name),
                     [topic_button(cid, title) for cid, title in EXAMPLE_TOPICS if cid in self.library.cards])

    def privacy(self) -> Reply:
        """Who sees the chat and how long it is kept, from the same setting the purge uses."""
        from bot.knowledge.about_carechat import privacy_answer

        return Reply(privacy_answer(self.settings.retention_days))

    # --- knowledge -------------------------------------------------------------------
    def answer_topic(self, intent: str | None, entities: Iterable[dict], audience: str,
                     confidence: float | None = None, text: str | None = None,
                     last_card: str | None = None, token: str | None = None,
                     evidence: Evidence | None = None) -> Reply:
        """Find the card the user asked about (:func:`bot.knowledge.choose_card.route`) and render it;
        or, if it names two orders and asks how they differ, compare them (whatever the intent).

        With the message ``text``, a topic intent needs a word of its topic (:mod:`bot.knowledge.scope`);
        without one the message gets the out-of-scope reply instead of a confident wrong card. A short
        "and adoption?" just after another order's answer (``last_card``) compares the two. "Who is
        my personal adviser" on the personal adviser card is the personal lookup (``token``).
        ``evidence``: DIET's whole ranking and the card search, which weigh the card (:mod:`bot.knowledge.card_evidence`).
        """
        entities = list(entities)
        pair = comparison_pair(self.library, intent, entities, text, self.order_facts)
        if pair is not None:  # "care order versus placement order", whatever DIET filed it under
            return self._compare_ids(*pair)
        another = self._another_order(last_card, entities, text)
        if another is not None:
            return another
        found = route(self.library, intent, entities, confidence, text, self.scope if text else None, evidence)
        if found.off_topic:
            return self.out_of_scope(entities, audience, found.suggestion.id if found.suggestion else None)
        if found.card is None:
            return Reply(WHICH_TOPIC)
        return self._answer_card(found.card.id, text, entities, audience, token, last_card)

    def _answer_card(self, card_id: str, text: str | None, entities: list[dict], audience: str,
                     token: str | None, last_card: str | None) -> Reply:
        """A card chosen for a message: the asker's own record if they ask for it on that card's
        subject ("who is my PA"), a comparison for "and adoption?" after another order, else the card."""
        lookup = lookup_intent_for_card(card_id, text)
        if lookup is not None:
            return self._personal_answers()[lookup](token, text, entities, audience)
        return self._and_another(last_card, card_id, text) or self.render_card(card_id, audience)

    def _another_order(self, last_card: str | None, entities: list[dict], text: str | None) -> Reply | None:
        """"and adoption?" just after another order's answer, whatever the classifier made of it.

        So short a message gives DIET little to go on: a retrain can move it to the fallback or
        off topic, and "adoption" alone is also an everyday word. After an order's answer, a
        short "and X?" that names one other order is the comparison.
        """
        if not asks_about_another(text) or last_card not in self.order_facts:
            return None
        named = self.library.cards_named(subject_entities(entities))
        return self._and_another(last_card, named[0].id, text) if len(named) == 1 else None

    def _and_another(self, last_card: str | None, card_id: str, text: str | None) -> Reply | None:
        """"and adoption?" just after a care order's answer: the two side by side, else None."""
        if (last_card in self.order_facts and card_id in self.order_facts and card_id != last_card
                and asks_about_another(text)):
            return self._compare_ids(last_card, card_id)
        return None

    def render_card(self, card_id: str, audience: str) -> Reply:
        """A card's short answer first (:mod:`bot.knowledge.bites`), the rest one tap away.

        The lead is the opening sentences of the national version, with its sources; then buttons:
        for an order, the follow-ups people ask most (how long, how it ends, ...) and "All about";
        for the care-leaver card, the guided check first ("Check what I can get"); for any other
        card, "Tell me more" and two related topics. A short card, or the glossary, comes whole.
        """
        card = self.library.card(card_id)
        answer = self.library.render(card_id, audience, self.settings.council)
        if not worth_a_bite(card.kind, answer.text):
            return self._whole(answer)
        lead = lead_of(card.versions[answer.audience])
        sources = lead_source_line(self.library.source_titles([s for s in card.sources if self.library.is_national(s)]))
        text = f"{lead}\n\n{sources}" if sources else lead
        related = [topic_button(cid, title) for cid, title in answer.related]
        if card_id in self.order_facts:
            more = more_button(card_id, f"All about {self.order_facts[card_id].short}")
            buttons = [aspect_button(card_id, ASPECT_BY_KEY[key]) for key in ORDER_BUTTONS] + [more]
        elif card_id == guided_check.CHECK_CARD:
            buttons = [dict(guided_check.START_BUTTON), more_button(card_id, TELL_ME_MORE)] + related[:1]
        else:
            buttons = [more_button(card_id, TELL_ME_MORE)] + related[:2]
        return Reply(text, buttons, card_id)

    def full_card(self, card_id: str, audience: str) -> Reply:
        """A card whole, written for this reader and council, with its full source line; then
        buttons: for an order, the follow-ups and one related topic; for the care-leaver card, the
        guided check first and two related topics; for any other card, three related topics."""
        return self._whole(self.library.render(card_id, audience, self.settings.council))

    def _whole(self, answer: Answer) -> Reply:
        """:meth:`full_card` from a card already rendered (the short-answer check renders it first)."""
        card_id = answer.card_id
        text = answer.text if not answer.source_line else f"{answer.text}\n\n{answer.source_line}"
        related = [topic_button(cid, title) for cid, title in answer.related]
        if card_id in self.order_facts:
            buttons = [aspect_button(card_id, ASPECT_BY_KEY[key]) for key in ORDER_BUTTONS] + related[:1]
        elif card_id == guided_check.CHECK_CARD:
            buttons = [dict(guided_check.START_BUTTON)] + related[:2]
        else:
            buttons = related[:3]
        return Reply(text, buttons, card_id)

    def follow_up(self, text: str | None, entities: Iterable[dict], last_card: str | None,
                  audience: str = DEFAULT_AUDIENCE) -> Reply:
        """A follow-up with no subject of its own is about the card just shown.

        For an order and a recognised question (how long, how it ends, seeing family, ...) the
        one fact from the order facts, with its source and buttons for the other follow-ups;
        otherwise the subject card again; with no subject at all, a question back.
        """
        entities = list(entities)
        card = follow_up_card(self.library, entities, last_card, text)
        if card is None:
            return Reply(WHICH_TOPIC)
        if asks_for_more(entities, text):
            return self.full_card(card.id, audience)
        aspect = aspect_from(entities, text)
        facts = self.order_facts.get(card.id)
        if aspect is None or facts is None:
            again = self.full_card(card.id, audience) if card.id == last_card else self.render_card(card.id, audience)
            return self._and_another(last_card, card.id, text) or again
        heading = dict(ATTRIBUTES)[aspect.key]
        sources = "; ".join(self.library.source_labels(list(facts.sources)))
        others = [aspect_button(card.id, ASPECT_BY_KEY[key]) for key in ORDER_BUTTONS if key != aspect.key]
        return Reply(f"{card.title}. {heading}: {facts.values[aspect.key]}\n\nSource: {sources}",
                     others + [more_button(card.id, f"All about {facts.short}")],
                     card.id)

    def compare_orders(self, entities: Iterable[dict], audience: str = DEFAULT_AUDIENCE,
                       last_card: str | None = None) -> Reply:
        """Compare the first two different orders named; with one named, compare it with the order
        just shown ("and adoption?" after an SGO answer), else explain that one."""
        entities = list(entities)
        ids = [card.id for card in self.library.cards_named(subject_entities(entities))]
        if len(ids) == 1 and last_card in self.order_facts and last_card != ids[0]:
            ids = [last_card, ids[0]]
        if len(ids) < 2:
            card = answer_card(self.library, COMPARE, entities)
            return self.render_card(card.id, audience) if card is not None else Reply(WHICH_TWO)
        return self._compare_ids(ids[0], ids[1])

    def _compare_ids(self, first_id: str, second_id: str) -> Reply:
        """Two cards side by side from the order facts, or which orders can be compared."""
        ids = [first_id, second_id]
        buttons = [topic_button(cid, self.library.cards[cid].title) for cid in ids[:2]]
        unknown = [cid for cid in ids[:2] if cid not in self.order_facts]
        if unknown:
            names = ", ".join(sorted(facts.short for facts in self.order_facts.values()))
            return Reply(f"I can't compare {self.library.cards[unknown[0]].title.lower()} side by side yet. "
                         f"I can compare these: {names}.", buttons)
        first, second = (self.order_facts[cid] for cid in ids[:2])
        text = compare_text(first, second, self.library.cards[first.card_id].title,
                            self.library.cards[second.card_id].title)
        sources = self.library.source_labels(list(dict.fromkeys(first.sources + second.sources)))
        return Reply(f"{text}\n\nSource: {'; '.join(sources)}", buttons)

    # --- personal lookups ------------------------------------------------------------
    def _verified_case_ref(self, token: str | None) -> str | None:
        try:
            return verify_token(token, self.settings).case_ref
        except TokenRejected as rejected:
            log.info("personal lookup refused: token %s", rejected.reason)
            return None

    def next_review(self, token: str | None, text: str | None = None, entities: Iterable[dict] = (),
                    audience: str = DEFAULT_AUDIENCE) -> Reply:
        """The asker's next review date, or how reviews work when the question is general."""
        return self._own_or_general("ask_next_review", self._review_lookup, token, text, entities, audience)

    def advocate(self, token: str | None, text: str | None = None, entities: Iterable[dict] = (),
                 audience: str = DEFAULT_AUDIENCE) -> Reply:
        """The asker's advocate, or how anyone gets one when the question is general."""
        return self._own_or_general("ask_advocate_contact", self._advocate_lookup, token, text, entities, audience)

    def personal_adviser(self, token: str | None, text: str | None = None, entities: Iterable[dict] = (),
                         audience: str = DEFAULT_AUDIENCE) -> Reply:
        """The asker's personal adviser, or what a personal adviser is when the question is general."""
        return self._own_or_general("ask_personal_adviser_contact", self._adviser_lookup, token, text, entities,
                                    audience)

    def _personal_answers(self) -> dict[str, Callable[..., Reply]]:
        """Each personal intent's answer (the lookup, or the general card when that fits better)."""
        return {"ask_next_review": self.next_review, "ask_advocate_contact": self.advocate,
                "ask_personal_adviser_contact": self.personal_adviser}

    def _own_or_general(self, intent: str, lookup: Callable[[str], Reply], token: str | None, text: str | None,
                        entities: Iterable[dict], audience: str) -> Reply:
        """General before personal: the general card for anyone, the lookup for the signed-in asker.

        - a message naming another topic and not this one ("the children in care council
          meeting") gets that card; "contact my advocate" names both, so it stays a lookup;
        - a general question gets the card, plus the asker's own answer when signed in;
        - a question about their own records gets the lookup when signed in, else the card
          and an offer to sign in (no records are looked at).
        """
        from bot.knowledge.personal_topics import PERSONAL_TOPICS, other_topic_named
        from bot.knowledge.whose_question import asks_about_own

        topic = PERSONAL_TOPICS[intent]
        other = other_topic_named(self.library, topic, entities)
        if other is not None:
            return self.render_card(other.id, audience)
        case_ref = self._verified_case_ref(token)
        own = asks_about_own(text)
        if own and case_ref is not None:
            return lookup(case_ref)
        general = self.render_card(topic.card_ids[0], audience)
        if case_ref is not None:
            return Reply(f"{general.text}\n\nFor you: {lookup(case_ref).text}", general.buttons)
        offer = SIGN_IN_OFFER.format(what=topic.what_sign_in_adds)
        if own:  # they asked for their own: say first why there is no answer, then how it works
            return Reply(f"{offer}\n\n{HOW_IT_WORKS}\n\n{general.text}", general.buttons)
        return Reply(f"{general.text}\n\n{offer}", general.buttons)

    # --- the guided care-leaver check (issue 18) -------------------------------------
    def start_care_leaver_check(self, token: str | None) -> tuple[Reply, bool]:
        """The check's first step: for a signed-in young person with a care history, the answer
        from their record (no questions); for anyone else, the introduction to the questions.

        Returns the reply and True when it answered from the record. Why the record first: the
        council already knows the dates, and a young person should not be asked what it knows.
        A record that cannot be used (store down, no care episodes, episodes the rules refuse)
        falls back to the questions, saying so but not why in detail. Nothing personal is logged.
        """
        case_ref = self._verified_case_ref(token)
        if case_ref is None:
            return self.check_question_intro(), False
        from sqlalchemy.exc import DBAPIError
        from sqlalchemy.exc import TimeoutError as PoolTimeoutError

        from bot.personal.care_history import care_history

        try:
            history = care_history(self.session_factory(), case_ref)
        except (DBAPIError, PoolTimeoutError) as exc:
            log.warning("care leaver check: case store unavailable (%s)", type(exc).__name__)
            return self.check_question_intro(guided_check.RECORD_NOT_AVAILABLE), False
        if history is None:
            return self.check_question_intro(guided_check.RECORD_NOT_AVAILABLE), False
        if not history.episodes:
            return self.check_question_intro(guided_check.RECORD_HAS_NO_CARE), False
        try:
            text = guided_check.record_answer(history.date_of_birth, history.episodes, self._today(),
                                              self.settings.council, councils=self.library.councils)
        except ValueError:
            log.warning("care leaver check: the care history could not be used")
            return self.check_question_intro(guided_check.RECORD_NOT_USABLE), False
        return Reply(text, self._check_buttons()), True

    @staticmethod
    def check_question_intro(first: str | None = None) -> Reply:
        """What the check says before its first question (why it asks first, when signed in)."""
        return Reply(f"{first} {guided_check.INTRO}" if first else guided_check.INTRO)

    @staticmethod
    def check_question(slot: str) -> Reply:
        """One question of the check, with its answers and "Stop" as buttons."""
        question = guided_check.QUESTIONS[slot]
        return Reply(question.text, question.buttons())

    def care_leaver_check_answer(self, slots: dict) -> Reply:
        """The guided check's answer from the form's slots (button answers only)."""
        text = guided_check.check_answer(slots, self.settings.council, councils=self.library.councils)
        buttons = [] if guided_check.is_certain(slots) else [{"title": "Check again", "payload":
                                                               guided_check.START_BUTTON["payload"]}]
        return Reply(text, buttons + self._check_buttons())

    def _check_buttons(self) -> list[dict]:
        """After the check's answer: the general care-leaver card and how to complain."""
        return [topic_button(cid, self.library.cards[cid].title) for cid in (guided_check.CHECK_CARD, "complaints")
                if cid in self.library.cards]

    def _review_lookup(self, case_ref: str) -> Reply:
        from bot.personal.lookups import next_review_reply
        from bot.personal.review_dates import ReviewTimetable

        council = self.council
        timetable = ReviewTimetable(**council.review_timetable.as_kwargs())
        reply = next_review_reply(self.session_factory(), case_ref, timetable, council.name, self._today())
        return Reply(reply.text)

    def _advocate_lookup(self, case_ref: str) -> Reply:
        from bot.personal.lookups import AdvocacyInfo, advocate_reply

        council = self.council
        advocacy = AdvocacyInfo(council.name, council.advocacy.how_to_ask, council.advocacy.source)
        reply = advocate_reply(self.session_factory(), case_ref, advocacy, self._today())
        return Reply(reply.text)

    def _adviser_lookup(self, case_ref: str) -> Reply:
        from bot.personal.lookups import personal_adviser_reply

        return Reply(personal_adviser_reply(self.session_factory(), case_ref).text)


@lru_cache(maxsize=1)
def default_carechat() -> CareChat:
    """The process-wide instance the action server uses (content is loaded once)."""
    return CareChat(load_settings(), load_library())
