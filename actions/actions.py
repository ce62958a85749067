"""Custom actions. Each one reads what Rasa knows about the turn, asks ``bot.assistant``
for the reply and sends it; the behaviour itself is plain Python tested without Rasa."""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant import CareChat, Reply, audience_from, default_carechat
from bot.safeguarding.decision import Outcome, decide
from bot.safeguarding.lexicon import CHECK_IN, RISK

TOKEN_KEY = "carechat_token"
#: The card just shown (an id, never text): the subject of a follow-up such as "how long?".
LAST_CARD_SLOT = "last_card"
#: Slots the fallback steps keep (card ids and a step name; never message text).
STAGE_SLOT, BACKUP_SLOT = "fallback_stage", "fallback_backup"
#: "tier/category" of each safety reply or check-in, for the council's daily counts (no text).
OUTCOME_SLOT = "safeguarding_outcome"
#: Intents that always get the full safety reply, whatever NLU's safeguarding check said.
ALWAYS_RISK = ("get_help_now", "safety_not_ok")


def _metadata(tracker: Tracker) -> dict:
    """Metadata the gateway attached to the latest user message (audience, signed token)."""
    return tracker.latest_message.get("metadata") or {}


def _send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons or None)


def _personal_question(tracker: Tracker) -> tuple[str | None, str | None, list[dict], str]:
    """What a personal lookup needs: the token, the words (own or general?), entities, reader."""
    message = tracker.latest_message
    metadata = _metadata(tracker)
    return (metadata.get(TOKEN_KEY), message.get("text"), message.get("entities") or [],
            audience_from(metadata))


def follows_bot_turn(tracker: Tracker) -> bool:
    """True when the bot said something earlier in this session: the message may answer it."""
    seen_latest_user = False
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "user" and not seen_latest_user:
            seen_latest_user = True
        elif kind == "bot" and seen_latest_user:
            return True
        elif kind == "session_started":
            return False
    return False


def context_outcome(tracker: Tracker, turned_away: bool = False) -> Outcome | None:
    """A short, dark reply read with the turn before it: the check-in, or None.

    NLU judged the message alone; here the previous turn is known, so a lower classifier
    score is enough for the check-in ("i won't be there for it" after a question about a
    review next month).
    """
    message = tracker.latest_message
    score = message.get("safeguarding_score") or {}
    return decide(None, float(score.get("score") or 0.0), score.get("category") or "unspecified",
                  follows_bot_turn=follows_bot_turn(tracker), text=message.get("text") or "",
                  turned_away=turned_away)


def send_safety(dispatcher: CollectingDispatcher, carechat: CareChat, tier: str, category: str,
                audience: str) -> list[dict]:
    """The full safety reply or the check-in, recorded as tier/category (never text)."""
    _send(dispatcher, carechat.safety() if tier == RISK else carechat.check_in(audience))
    return [SlotSet(STAGE_SLOT, None), SlotSet(BACKUP_SLOT, None), SlotSet(OUTCOME_SLOT, f"{tier}/{category}")]


class CareChatAction(Action, metaclass=ABCMeta):
    """Base class so tests can inject a CareChat built on test data (abstract, so the
    action server does not register it)."""

    @abstractmethod
    def name(self) -> str:
        """The action's name in domain.yml."""

    def __init__(self, carechat: CareChat | None = None) -> None:
        self._carechat = carechat

    @property
    def carechat(self) -> CareChat:
        return self._carechat or default_carechat()

    def check_in_first(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                       turned_away: bool = False) -> list[dict] | None:
        """The check-in instead of this action's answer when the conversation says so, else None."""
        outcome = context_outcome(tracker, turned_away)
        if outcome is None:
            return None
        return send_safety(dispatcher, self.carechat, outcome.tier, outcome.category,
                           audience_from(_metadata(tracker)))


class ActionAnswerTopic(CareChatAction):
    """Answer a knowledge question from the content cards, written for the reader."""

    def name(self) -> str:
        return "action_answer_topic"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if (events := self.check_in_first(dispatcher, tracker)) is not None:
            return events
        message = tracker.latest_message
        intent = message.get("intent") or {}
        reply = self.carechat.answer_topic(
            intent.get("name"),
            message.get("entities") or [],
            audience_from(_metadata(tracker)),
            intent.get("confidence"),
            message.get("text"),
            tracker.get_slot(LAST_CARD_SLOT),
        )
        _send(dispatcher, reply)
        return [SlotSet(STAGE_SLOT, None), SlotSet(BACKUP_SLOT, None), SlotSet(LAST_CARD_SLOT, reply.card_id)]


class ActionFollowUp(CareChatAction):
    """A follow-up ("how long?", "can it be changed?") about the card just shown."""

    def name(self) -> str:
        return "action_follow_up"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if (events := self.check_in_first(dispatcher, tracker)) is not None:
            return events
        message = tracker.latest_message
        last_card = tracker.get_slot(LAST_CARD_SLOT)
        reply = self.carechat.follow_up(message.get("text"), message.get("entities") or [], last_card,
                                        audience_from(_metadata(tracker)))
        _send(dispatcher, reply)
        return [SlotSet(LAST_CARD_SLOT, reply.card_id or last_card)]


class ActionNextReview(CareChatAction):
    """The signed-in young person's next review date, from the case store."""

    def name(self) -> str:
        return "action_next_review"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        _send(dispatcher, self.carechat.next_review(*_personal_question(tracker)))
        return []


class ActionAdvocateContact(CareChatAction):
    """The signed-in young person's advocate, or how to get one."""

    def name(self) -> str:
        return "action_advocate_contact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        _send(dispatcher, self.carechat.advocate(*_personal_question(tracker)))
        return []


class ActionPersonalAdviserContact(CareChatAction):
    """The signed-in care leaver's personal adviser, or what a personal adviser is."""

    def name(self) -> str:
        return "action_personal_adviser_contact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        _send(dispatcher, self.carechat.personal_adviser(*_personal_question(tracker)))
        return []


class ActionWhatICanDo(CareChatAction):
    """What CareChat can help with (and cannot do)."""

    def name(self) -> str:
        return "action_what_i_can_do"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if (events := self.check_in_first(dispatcher, tracker)) is not None:
            return events
        _send(dispatcher, self.carechat.what_i_can_do())
        return []


class ActionPrivacy(CareChatAction):
    """Who sees the chat, how long it is kept, whether CareChat tells anyone."""

    def name(self) -> str:
        return "action_privacy"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if (events := self.check_in_first(dispatcher, tracker)) is not None:
            return events
        _send(dispatcher, self.carechat.privacy())
        return []


class ActionCompareOrders(CareChatAction):
    """Compare two legal orders side by side."""

    def name(self) -> str:
        return "action_compare_orders"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        reply = self.carechat.compare_orders(tracker.latest_message.get("entities") or [],
                                             audience_from(_metadata(tracker)), tracker.get_slot(LAST_CARD_SLOT))
        _send(dispatcher, reply)
        return [SlotSet(LAST_CARD_SLOT, reply.card_id)] if reply.card_id else []


class ActionSafetyReply(CareChatAction):
    """The safety reply or the check-in, with this council's contacts. Rules run it in any state.

    The tier comes from NLU's safeguarding check; "help now" and "I'm not safe" always get
    the full reply.
    """

    def name(self) -> str:
        return "action_safety_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        message = tracker.latest_message
        found = message.get("safeguarding") or {}
        intent = (message.get("intent") or {}).get("name")
        tier = RISK if intent in ALWAYS_RISK else found.get("tier", RISK)
        category = found.get("category") or (intent if intent in ALWAYS_RISK else "unspecified")
        return send_safety(dispatcher, self.carechat, CHECK_IN if tier == CHECK_IN else RISK, category,
                           audience_from(_metadata(tracker)))


class ActionHandoff(CareChatAction):
    """"I want to talk to a real person": the right person for who is asking."""

    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        _send(dispatcher, self.carechat.handoff(audience_from(_metadata(tracker))))
        return [SlotSet(STAGE_SLOT, None), SlotSet(BACKUP_SLOT, None)]


class ActionFallbackOffer(CareChatAction):
    """Low confidence: offer the two likeliest topics instead of guessing."""

    def name(self) -> str:
        return "action_fallback_offer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if (events := self.check_in_first(dispatcher, tracker, turned_away=True)) is not None:
            return events
        message = tracker.latest_message
        reply, offer = self.carechat.fallback_offer(
            message.get("intent_ranking") or [],
            message.get("entities") or [],
            message.get("text") or "",
            audience_from(_metadata(tracker)),
            tracker.get_slot(LAST_CARD_SLOT),
        )
        _send(dispatcher, reply)
        stage = offer.stage if offer.card_ids else None
        return [SlotSet(STAGE_SLOT, stage), SlotSet(BACKUP_SLOT, offer.backup if stage else None),
                SlotSet(LAST_CARD_SLOT, reply.card_id)]


class ActionNoneOfThese(CareChatAction):
    """"None of these": show the kept-back matches, then hand over to a person."""

    def name(self) -> str:
        return "action_none_of_these"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        reply, stage = self.carechat.none_of_these(
            tracker.get_slot(STAGE_SLOT),
            list(tracker.get_slot(BACKUP_SLOT) or []),
            audience_from(_metadata(tracker)),
        )
        _send(dispatcher, reply)
        if stage == "handoff":
            return [SlotSet(STAGE_SLOT, None), SlotSet(BACKUP_SLOT, None)]
        return [SlotSet(STAGE_SLOT, stage), SlotSet(BACKUP_SLOT, None)]


class ActionOutOfScope(CareChatAction):
    """Out of scope: say kindly what CareChat helps with (or answer, if a care term was named)."""

    def name(self) -> str:
        return "action_out_of_scope"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if (events := self.check_in_first(dispatcher, tracker, turned_away=True)) is not None:
            return events
        message = tracker.latest_message
        _send(dispatcher, self.carechat.out_of_scope(message.get("entities") or [], audience_from(_metadata(tracker)),
                                                     text=message.get("text")))
        return [SlotSet(STAGE_SLOT, None), SlotSet(BACKUP_SLOT, None)]
