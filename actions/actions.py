"""Custom actions. Each one reads what Rasa knows about the turn, asks ``bot.assistant``
for the reply and sends it; the behaviour itself is plain Python tested without Rasa."""
from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from bot.assistant import CareChat, Reply, audience_from, default_carechat
from bot.knowledge.card_evidence import Evidence
from bot.knowledge.care_leavers import guided_check
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
#: True when the care-leaver check answered from the signed-in record (rules then skip the form).
FROM_RECORD_SLOT = "cl_from_record"


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
            _metadata(tracker).get(TOKEN_KEY),
            Evidence.from_parse_data(message),
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
    the full reply. After a check-in, a topic question it interrupted is answered too
    (bot.knowledge.under_check_in).
    """

    def name(self) -> str:
        return "action_safety_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        message = tracker.latest_message
        found = message.get("safeguarding") or {}
        intent = (message.get("intent") or {}).get("name")
        tier = RISK if intent in ALWAYS_RISK else found.get("tier", RISK)
        category = found.get("category") or (intent if intent in ALWAYS_RISK else "unspecified")
        audience = audience_from(_metadata(tracker))
        events = send_safety(dispatcher, self.carechat, CHECK_IN if tier == CHECK_IN else RISK, category, audience)
        if tier != CHECK_IN:
            return events
        answer = self.carechat.answer_under_check_in(found, message.get("entities") or [], audience,
                                                     message.get("text"), Evidence.from_parse_data(message))
        if answer is None:
            return events
        _send(dispatcher, answer)
        return events + [SlotSet(LAST_CARD_SLOT, answer.card_id)]


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
            Evidence.from_parse_data(message),
            _metadata(tracker).get(TOKEN_KEY),
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


# ---- the guided care-leaver check (issue 18) ---------------------------------------------

def _clear_check() -> list[dict]:
    """Empty every answer of the check, so a new check never starts from old answers."""
    return [SlotSet(slot, None) for slot in guided_check.QUESTION_ORDER]


class ActionStartCareLeaverCheck(CareChatAction):
    """The check's first step: answer a signed-in care leaver from the record, or introduce the
    questions. ``cl_from_record`` tells the rules which (True: done; False: the form starts)."""

    def name(self) -> str:
        return "action_start_care_leaver_check"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        reply, from_record = self.carechat.start_care_leaver_check(_metadata(tracker).get(TOKEN_KEY))
        _send(dispatcher, reply)
        return [SlotSet(STAGE_SLOT, None), SlotSet(BACKUP_SLOT, None), *_clear_check(),
                SlotSet(FROM_RECORD_SLOT, from_record)]


class AskCheckQuestion(CareChatAction, metaclass=ABCMeta):
    """Asks one question of the check, with its answers and "Stop" as buttons (the form runs
    ``action_ask_<slot>``; the words live in bot.knowledge.care_leavers.guided_check)."""

    slot: str

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        _send(dispatcher, self.carechat.check_question(self.slot))
        return []


class ActionAskAgeBand(AskCheckQuestion):
    slot = guided_check.AGE

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class ActionAskInCareAfter16(AskCheckQuestion):
    slot = guided_check.AFTER_16

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class ActionAskThirteenWeeks(AskCheckQuestion):
    slot = guided_check.WEEKS

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class ActionAskStillInCare(AskCheckQuestion):
    slot = guided_check.STILL_IN_CARE

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class ActionAskInEducation(AskCheckQuestion):
    slot = guided_check.EDUCATION

    def name(self) -> str:
        return f"action_ask_{self.slot}"


class ValidateCareLeaverCheckForm(FormValidationAction):
    """Fills the check's slots from button answers only, and asks only what the decision needs.

    Why custom extraction (``extract_<slot>``) rather than ``from_entity``: a hand-typed payload
    could carry any text as an entity value, and a predefined mapping would store it before
    validation. Here a value is kept only if it is one of the question's own answers, for the
    question being asked. ``required_slots`` asks ``decide_from_answers`` (through guided_check)
    which questions can still change the answer, so someone under 16 or 25 and over is answered
    straight after the age question, and "how long since 14" is skipped when it cannot matter.
    """

    def name(self) -> str:
        return f"validate_{guided_check.FORM}"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return guided_check.required_questions(tracker.slots)

    def _extract(self, slot: str, tracker: Tracker) -> dict[str, Any]:
        message = tracker.latest_message or {}
        value = guided_check.answer_from_message(slot, tracker.get_slot(REQUESTED_SLOT),
                                                 (message.get("intent") or {}).get("name"),
                                                 message.get("entities") or [])
        return {slot: value} if value is not None else {}

    def _validate(self, slot: str, value: Any) -> dict[str, Any]:
        return {slot: guided_check.valid_answer(slot, value)}

    async def extract_cl_age_band(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        return self._extract(guided_check.AGE, tracker)

    async def extract_cl_in_care_after_16(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> dict[str, Any]:
        return self._extract(guided_check.AFTER_16, tracker)

    async def extract_cl_thirteen_weeks(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        return self._extract(guided_check.WEEKS, tracker)

    async def extract_cl_still_in_care(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> dict[str, Any]:
        return self._extract(guided_check.STILL_IN_CARE, tracker)

    async def extract_cl_in_education(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        return self._extract(guided_check.EDUCATION, tracker)

    def validate_cl_age_band(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        return self._validate(guided_check.AGE, value)

    def validate_cl_in_care_after_16(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        return self._validate(guided_check.AFTER_16, value)

    def validate_cl_thirteen_weeks(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        return self._validate(guided_check.WEEKS, value)

    def validate_cl_still_in_care(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        return self._validate(guided_check.STILL_IN_CARE, value)

    def validate_cl_in_education(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return self._validate(guided_check.EDUCATION, value)


class ActionCareLeaverCheckAnswer(CareChatAction):
    """The form is done: the group, what it brings and the local offer, from the button answers.
    The answers are then emptied: the check keeps them no longer than it needs them."""

    def name(self) -> str:
        return "action_care_leaver_check_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        slots = {slot: tracker.get_slot(slot) for slot in guided_check.QUESTION_ORDER}
        _send(dispatcher, self.carechat.care_leaver_check_answer(slots))
        return [*_clear_check(), SlotSet(LAST_CARD_SLOT, guided_check.CHECK_CARD)]
