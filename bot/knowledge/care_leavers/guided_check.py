"""The guided care-leaver check as the chat runs it: the questions, their buttons, which one to
ask next, and the answer, for the Rasa form ``care_leaver_check_form`` and the signed-in path.

Why its own module: the group rules live in :mod:`status` and nowhere else. This adapter only
turns button answers into :class:`GuidedAnswers` (and a case-store history into a short list
of the facts used), asks ``decide_from_answers`` which questions can still change the answer,
and hands the decision to :func:`explain`. So the form asks only what the decision needs, and
the chat can never disagree with the rules table in ``docs/care_leavers.md``.

Answers come only from button payloads (an entity named after the question, with one of a
fixed set of values); anything else, including typed text, is never kept. Standard library and
PyYAML only, like the rest of ``bot.knowledge``.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import product
from typing import Any

from bot.knowledge.care_leavers.entitlements import Entitlement, entitlements_for, load_entitlements
from bot.knowledge.care_leavers.explain import explain
from bot.knowledge.care_leavers.facts import Answer, CareEpisode, GuidedAnswers
from bot.knowledge.care_leavers.local_offer import LocalOffer, load_local_offers
from bot.knowledge.care_leavers.status import (
    LOOKED_AFTER_STATUSES,
    THIRTEEN_WEEKS,
    Decision,
    age_on,
    decide_from_answers,
    decide_from_episodes,
)
from bot.knowledge.councils import CouncilProfile

FORM = "care_leaver_check_form"
#: "What am I entitled to?", "am I a care leaver?": starts the check.
CHECK_INTENT = "ask_care_leaver_entitlement_check"
#: Button answers: /inform_check{"<question slot>": "<value>"}.
ANSWER_INTENT = "inform_check"
#: The "Stop" button (and typed "stop").
STOP_INTENT = "stop_check"
#: The card the check works out for the person asking (the NLU evaluation counts it as that card).
CHECK_CARD = "care_leaver"

AGE, AFTER_16, WEEKS, STILL_IN_CARE, EDUCATION = (
    "cl_age_band", "cl_in_care_after_16", "cl_thirteen_weeks", "cl_still_in_care", "cl_in_education")
#: The questions in the order they are asked; each is a slot and the entity its buttons set.
QUESTION_ORDER = (AGE, AFTER_16, WEEKS, STILL_IN_CARE, EDUCATION)
NOT_SURE = "not_sure"

#: Age band answers and an age inside each band. The rules draw lines only at 16, 18, 21 and 25
#: (status.age_band), so any age in a band gives the same decision; None tries every band.
AGE_BANDS: dict[str, int | None] = {
    "under_16": 15, "16_17": 16, "18_20": 18, "21_24": 21, "25_plus": 25, NOT_SURE: None}
#: Answer values for the yes / no / not sure questions.
ANSWERS: dict[str, Answer] = {"yes": Answer.YES, "no": Answer.NO, NOT_SURE: Answer.NOT_SURE}
#: Which GuidedAnswers field each yes / no question fills.
FIELDS = {AFTER_16: "in_care_after_16", WEEKS: "thirteen_weeks_since_14",
          STILL_IN_CARE: "still_in_care", EDUCATION: "in_education_or_training"}

STOP_BUTTON = {"title": "Stop", "payload": f"/{STOP_INTENT}"}
START_BUTTON = {"title": "Check what I can get", "payload": f"/{CHECK_INTENT}"}


@dataclass(frozen=True)
class Question:
    """One question of the check: its slot, its words, and its answers as (button title, value)."""

    slot: str
    text: str
    choices: tuple[tuple[str, str], ...]

    @property
    def values(self) -> frozenset[str]:
        return frozenset(value for _, value in self.choices)

    def buttons(self) -> list[dict[str, str]]:
        """One button per answer, then "Stop"; each payload names this question, so an old
        button tapped later cannot answer a different question."""
        return [{"title": title, "payload": f"/{ANSWER_INTENT}{json.dumps({self.slot: value})}"}
                for title, value in self.choices] + [STOP_BUTTON]


QUESTIONS: dict[str, Question] = {q.slot: q for q in (
    Question(AGE, "How old are you now?",
             (("Under 16", "under_16"), ("16 or 17", "16_17"), ("18 to 20", "18_20"),
              ("21 to 24", "21_24"), ("25 or over", "25_plus"), ("Not sure", NOT_SURE))),
    Question(AFTER_16, "Were you in care at any time on or after your 16th birthday?",
             (("Yes", "yes"), ("No", "no"), ("Not sure", NOT_SURE))),
    Question(WEEKS, "Since your 14th birthday, how long were you in care altogether? Add up all the "
                    "times, even with gaps in between. 13 weeks is about 3 months.",
             (("13 weeks or more", "yes"), ("Less than 13 weeks", "no"), ("Not sure", NOT_SURE))),
    Question(STILL_IN_CARE, "Are you still in care now?",
             (("Yes", "yes"), ("No, I've left", "no"), ("Not sure", NOT_SURE))),
    Question(EDUCATION, "Are you in education or training now? For example school, college, "
                        "university, an apprenticeship or a course.",
             (("Yes", "yes"), ("No", "no"), ("Not sure", NOT_SURE))),
)}

INTRO = ("I can work out what leaving care support you can get. I'll ask a few quick questions, one at "
         "a time. Tap an answer, or tap \"Stop\" to leave at any time.")
#: Said before the questions when a signed-in record cannot be used (never why in detail: no personal data).
RECORD_NOT_AVAILABLE = "I couldn't look at your record just now, so I'll ask you instead."
RECORD_HAS_NO_CARE = "Your record doesn't show your time in care, so I'll ask you instead."
RECORD_NOT_USABLE = ("Something in your record doesn't add up, so I'll ask you instead. Your personal "
                     "adviser or the leaving care team can check your record.")
ANSWERS_DONT_FIT = ("Some of those answers don't fit together, so I can't work it out. Someone still in "
                    "care at 16 or 17 was in care after their 16th birthday. You can try the check again, "
                    "or ask your personal adviser, social worker or the leaving care team.")


# ---- answers from the chat ---------------------------------------------------------------

def valid_answer(slot: str, value: Any) -> str | None:
    """The value if it is one of the question's own answers, else None (nothing else is kept)."""
    question = QUESTIONS.get(slot)
    return value if question is not None and isinstance(value, str) and value in question.values else None


def answer_from_message(slot: str, requested_slot: str | None, intent: str | None,
                        entities: Iterable[Mapping[str, Any]]) -> str | None:
    """The answer a message gives to ``slot``: only a button for the question being asked."""
    if slot != requested_slot or intent != ANSWER_INTENT:
        return None
    for entity in entities:
        if entity.get("entity") == slot and (value := valid_answer(slot, entity.get("value"))) is not None:
            return value
    return None


def answers_from_slots(slots: Mapping[str, Any]) -> GuidedAnswers:
    """The form's slots as the rules' facts; a question not asked (or not sure) is "not sure"."""
    age = AGE_BANDS.get(valid_answer(AGE, slots.get(AGE)) or NOT_SURE)
    fields = {field: ANSWERS[valid_answer(slot, slots.get(slot)) or NOT_SURE] for slot, field in FIELDS.items()}
    return GuidedAnswers(age=age, **fields)


# ---- which questions the decision needs --------------------------------------------------

@lru_cache(maxsize=1)
def _catalogue() -> tuple[Entitlement, ...]:
    return load_entitlements()


@lru_cache(maxsize=1)
def _offers() -> dict[str, LocalOffer]:
    return load_local_offers()


@lru_cache(maxsize=4096)
def _result(age: int | None, answers: tuple[Answer, ...]) -> tuple | None:
    """What the young person would be told for one set of answers: the possible outcomes and the
    entitlement lines. None for answers the rules refuse as contradictory."""
    try:
        decision = decide_from_answers(GuidedAnswers(age=age, **dict(zip(FIELDS.values(), answers))))
    except ValueError:
        return None
    lines = tuple(e.id for e in entitlements_for(decision, _catalogue()))
    return frozenset((o.group, o.reason, o.band) for o in decision.outcomes), lines


def _possible(slots: Mapping[str, Any], slot: str) -> tuple[Answer, ...]:
    """A question's answer as far as we know it: the one given, or any of the three if not asked yet."""
    value = valid_answer(slot, slots.get(slot))
    return (ANSWERS[value],) if value is not None else tuple(ANSWERS.values())


def can_change_answer(slot: str, slots: Mapping[str, Any]) -> bool:
    """True if the answer to ``slot`` (yes, no or not sure) could change what the person is told,
    for some answers to the questions still open. The age question always can.

    An answer the rules refuse as contradictory (still in care at 17, not in care after 16) is
    not a possibility, so a question whose only other answer is a contradiction is not asked.
    """
    if slot == AGE:
        return True
    band = valid_answer(AGE, slots.get(AGE))
    age = AGE_BANDS[band] if band is not None else None
    others = [s for s in FIELDS if s != slot]
    for combo in product(*(_possible(slots, s) for s in others)):
        fixed = dict(zip(others, combo))
        results = {_result(age, tuple({**fixed, slot: answer}[s] for s in FIELDS)) for answer in ANSWERS.values()}
        results.discard(None)
        if len(results) > 1:
            return True
    return False


def required_questions(slots: Mapping[str, Any]) -> list[str]:
    """The form's required slots for now: the questions answered so far, and those still able to
    change the answer. Someone under 16 or 25 or over is answered straight after the age question."""
    return [slot for slot in QUESTION_ORDER
            if valid_answer(slot, slots.get(slot)) is not None or can_change_answer(slot, slots)]


def next_question(slots: Mapping[str, Any]) -> str | None:
    """The next question to ask, or None when the check has what it needs."""
    return next((s for s in required_questions(slots) if valid_answer(s, slots.get(s)) is None), None)


# ---- the answer -----------------------------------------------------------------------------

_SAID = {
    AFTER_16: {"yes": "in care on or after your 16th birthday", "no": "not in care after your 16th birthday"},
    WEEKS: {"yes": "in care 13 weeks or more since you turned 14", "no": "in care less than 13 weeks since you turned 14"},
    STILL_IN_CARE: {"yes": "still in care", "no": "left care"},
    EDUCATION: {"yes": "in education or training", "no": "not in education or training"},
}


def answers_summary(slots: Mapping[str, Any]) -> str:
    """One line saying what the answer rests on, so a wrong tap is easy to spot."""
    said = []
    for slot, question in QUESTIONS.items():
        value = valid_answer(slot, slots.get(slot))
        if value is None:
            continue
        if slot == AGE:
            title = dict((v, t) for t, v in question.choices)[value]
            said.append("age not sure" if value == NOT_SURE else f"age {title.lower()}")
        elif value == NOT_SURE:
            said.append(f"not sure if {_SAID[slot]['yes']}")
        else:
            said.append(_SAID[slot][value])
    return "From your answers: " + "; ".join(said) + "." if said else ""


def check_answer(slots: Mapping[str, Any], council_id: str | None,
                 councils: dict[str, CouncilProfile] | None = None) -> str:
    """The guided check's answer: what it rests on, then the group and what it brings (explain)."""
    try:
        decision = decide_from_answers(answers_from_slots(slots))
    except ValueError:
        return ANSWERS_DONT_FIT
    body = explain(decision, council_id, offers=_offers(), councils=councils, catalogue=_catalogue())
    summary = answers_summary(slots)
    return f"{summary}\n\n{body}" if summary else body


def is_certain(slots: Mapping[str, Any]) -> bool:
    """True when the answers settle one group (else the person is pointed to who can confirm)."""
    try:
        return decide_from_answers(answers_from_slots(slots)).is_certain
    except ValueError:
        return False


# ---- a signed-in care leaver: the answer from the record ------------------------------------

#: Legal status codes in everyday words, for "which facts I used".
STATUS_WORDS = {
    "s20": "accommodated by agreement (section 20)",
    "s31": "care order (section 31)",
    "s38": "interim care order (section 38)",
    "epo": "emergency protection order",
    "placement_order": "placement order",
    "remand": "remanded to council accommodation",
    "sgo": "special guardianship order",
    "adoption": "adoption order",
    "cao": "child arrangements order",
    "police_protection": "police protection",
    "short_breaks": "short breaks",
}


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def facts_used(date_of_birth: date, episodes: Sequence[CareEpisode], decision: Decision, today: date) -> str:
    """Which facts from the council's record the answer used, in plain words, so the young person
    can see what it rests on and ask for a mistake to be put right."""
    lines = ["I worked this out from your council record, without asking you questions. I used:",
             f"- your date of birth (you are {age_on(date_of_birth, today)})"]
    lines.append("- your time in care and under orders:" if len(episodes) > 1 else "- your time in care:")
    for e in episodes:
        words = STATUS_WORDS.get(e.legal_status.lower(), e.legal_status)
        until = f"until {_day(e.end)}" if e.end is not None else "and still going"
        lines.append(f"  - from {_day(e.start)} {until}: {words}")
    if decision.days_looked_after_since_14 is not None:
        weeks = decision.days_looked_after_since_14 // 7
        line = THIRTEEN_WEEKS.days // 7
        lines.append(f"- that adds up to {weeks} week{'s' if weeks != 1 else ''} in care since your 14th "
                     f"birthday ({line} weeks is the line)")
    if any(e.legal_status.lower() not in LOOKED_AFTER_STATUSES for e in episodes):
        lines.append("- time under a special guardianship, adoption or similar order is not time in care, "
                     "so it is not counted")
    lines.append("Your record doesn't say if you are in education or training, so help that depends on "
                 "it starts with \"If\".")
    lines.append("If any of this looks wrong, ask your personal adviser or the leaving care team to check your record.")
    return "\n".join(lines)


def record_answer(date_of_birth: date, episodes: Sequence[CareEpisode], today: date, council_id: str | None,
                  councils: dict[str, CouncilProfile] | None = None) -> str:
    """The check's answer for a signed-in young person, from their date of birth and care episodes.

    Raises ValueError when the record cannot be used (the rules refuse bad episodes); the caller
    then asks the questions instead.
    """
    decision = decide_from_episodes(date_of_birth, episodes, today)
    body = explain(decision, council_id, offers=_offers(), councils=councils, catalogue=_catalogue())
    return f"{facts_used(date_of_birth, episodes, decision, today)}\n\n{body}"
