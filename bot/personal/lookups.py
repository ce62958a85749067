"""Replies to a signed-in young person's personal questions: "when is my review?",
"who is my advocate?" and "who is my personal adviser?".

Plain functions over the case store, no Rasa imports, so the action server stays a thin
adapter and these can be tested directly. The caller has already verified the sign-in
token; ``case_ref`` comes from that token, never from chat text. Replies are written for
a young person: short sentences, everyday words. If the store cannot be reached we say
so kindly and log only the error's class name (no case refs, no names, no SQL).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, selectinload

from bot.knowledge import helplines
from bot.personal.casestore.models import CHILD_IN_CARE_REVIEW_KINDS, Review, Worker, YoungPerson
from bot.personal.dates import friendly_date
from bot.personal.review_dates import INITIAL, SECOND, ReviewTimetable, estimate_next_review

log = logging.getLogger(__name__)

IRO_EXPLAINED = "your IRO (Independent Reviewing Officer), the person who chairs your review"
WHAT_AN_ADVOCATE_DOES = (
    "An advocate is on your side. They help you say what you think and make sure people listen."
)
WHAT_A_PERSONAL_ADVISER_DOES = (
    "A personal adviser helps you get ready to leave care and supports you after you leave, "
    "for example with your pathway plan, money, housing, and school, college or work. "
    "Some councils call them a leaving care worker."
)
#: National advocacy helpline (from reference/helplines.md; check wording against Coram Voice's page).
NATIONAL_ADVOCACY_HELPLINE = (
    f"You can also call Always Heard, run by Coram Voice, on {helplines.ALWAYS_HEARD}. It is free advocacy help "
    "for children in care and care leavers. Lines are open Monday to Friday 9.30am to 6pm, "
    "and Saturday 10am to 4pm."
)

BOOKED, ESTIMATED, CARE_LEAVER = "booked", "estimated", "care_leaver"
NOT_FOUND, INCOMPLETE, STORE_UNAVAILABLE = "not_found", "incomplete", "store_unavailable"
ASSIGNED, NONE_ASSIGNED = "assigned", "none_assigned"

_KIND_WORDS = {INITIAL: "first review", SECOND: "second review"}


@dataclass(frozen=True)
class LookupReply:
    """What to say, and a short outcome word the action server can branch or count on."""

    text: str
    outcome: str


@dataclass(frozen=True)
class AdvocacyInfo:
    """A council's own advocacy route, from its profile; ``how_to_ask`` is None when its documents say nothing."""

    council_name: str
    how_to_ask: str | None
    source: str | None


SessionFactory = Callable[[], Session]


def _load_person(session: Session, case_ref: str) -> YoungPerson | None:
    query = (
        select(YoungPerson)
        .where(YoungPerson.case_ref == case_ref)
        .options(
            selectinload(YoungPerson.reviews).selectinload(Review.chair),
            selectinload(YoungPerson.social_worker),
            selectinload(YoungPerson.iro),
            selectinload(YoungPerson.personal_adviser),
            selectinload(YoungPerson.advocate),
        )
    )
    return session.scalars(query).one_or_none()


def _unavailable(exc: Exception, about: str) -> LookupReply:
    log.warning("case store unavailable (%s)", type(exc).__name__)
    return LookupReply(
        text=(
            "Sorry, I can't look at the records right now. Please try again a bit later. "
            f"In the meantime, your social worker or {IRO_EXPLAINED}, can tell you {about}."
        ),
        outcome=STORE_UNAVAILABLE,
    )


def _with_person(session_factory: SessionFactory, case_ref: str, about: str,
                 build: Callable[[YoungPerson | None], LookupReply]) -> LookupReply:
    """Run ``build`` on the stored person inside a session; turn database failures into a kind reply."""
    try:
        with session_factory() as session:
            return build(_load_person(session, case_ref))
    except (DBAPIError, PoolTimeoutError) as exc:  # OperationalError and friends: down, no file, not migrated
        return _unavailable(exc, about)


def _named(role: str, worker: Worker | None) -> str:
    return f"{role}, {worker.name}" if worker is not None else role


def _ask_sw_or_iro(person: YoungPerson | None, what: str) -> str:
    """'Ask your social worker (Name) or your IRO ...' with names when we have them."""
    sw = person.social_worker if person else None
    iro = person.iro if person else None
    text = f"You can ask {_named('your social worker', sw)}. Or ask {IRO_EXPLAINED}."
    if iro is not None:
        text += f" Your IRO is {iro.name}."
    return f"{text} {what}"


# ---------------------------------------------------------------- next review

def _care_leaver_reply(person: YoungPerson, today: date) -> LookupReply:
    parts = [
        "You have left care, so you don't have children in care reviews any more.",
        "Instead you have a pathway plan. It is your plan for what comes next, like where you live, "
        "money, and school, college or work.",
        "Your pathway plan is looked at again at a review, at least every 6 months.",
    ]
    booked = sorted(r.booked_date for r in person.reviews
                    if r.kind == "pathway_plan" and r.held_date is None
                    and r.booked_date is not None and r.booked_date >= today)
    if booked:
        parts.append(f"Your next pathway plan review is on {friendly_date(booked[0], today)}.")
    pa = person.personal_adviser
    if pa is not None:
        parts.append(f"Your personal adviser is {pa.name}. Some councils call this a leaving care worker. "
                     "They can answer questions about your plan.")
    else:
        parts.append("Your personal adviser can answer questions about your plan. Some councils call them "
                     "a leaving care worker. If you don't know who yours is, the council can tell you.")
    return LookupReply(" ".join(parts), CARE_LEAVER)


def _booked_reply(person: YoungPerson, review: Review, today: date) -> LookupReply:
    assert review.booked_date is not None
    when = friendly_date(review.booked_date, today)
    text = f"Your next review is booked for {when}." if review.booked_date != today \
        else f"Your next review is today, {when}."
    chair = review.chair or person.iro
    if chair is not None:
        text += f" {IRO_EXPLAINED[0].upper()}{IRO_EXPLAINED[1:]}, is {chair.name}."
    else:
        text += " Your IRO (Independent Reviewing Officer) will chair it."
    text += " Your review is your meeting. You can say what you think about your plan."
    return LookupReply(text, BOOKED)


def _estimate_reply(person: YoungPerson, timetable: ReviewTimetable, council_name: str, today: date) -> LookupReply:
    assert person.looked_after_since is not None
    held = [r.held_date for r in person.reviews if r.kind in CHILD_IN_CARE_REVIEW_KINDS and r.held_date]
    estimate = estimate_next_review(person.looked_after_since, held, timetable, today)
    which = _KIND_WORDS.get(estimate.kind, "next review")
    when = friendly_date(estimate.due_date, today)
    if estimate.overdue:
        opening = (f"There is no date booked for your next review on our system. By the usual timetable "
                   f"in {council_name}, your {which} should have happened by {when}. "
                   "It may be booked already and just not written down here yet.")
        ask = "They can check it for you."
    else:
        opening = (f"There is no date booked for your next review yet. By the usual timetable in "
                   f"{council_name}, your {which} should happen by {when}. "
                   "This is only an estimate, not a booked date.")
        ask = "They can tell you the real date."
    return LookupReply(f"{opening} {_ask_sw_or_iro(person, ask)}", ESTIMATED)


def next_review_reply(session_factory: SessionFactory, case_ref: str, timetable: ReviewTimetable,
                      council_name: str, today: date) -> LookupReply:
    """Tell a signed-in young person when their next review is (booked, or estimated from ``timetable``)."""

    def build(person: YoungPerson | None) -> LookupReply:
        if person is None:
            return LookupReply(
                "Sorry, I couldn't find your record, so I can't see your review date. "
                + _ask_sw_or_iro(None, "They can tell you when it is."), NOT_FOUND)
        if person.care_leaver:
            return _care_leaver_reply(person, today)
        booked = sorted((r for r in person.reviews
                         if r.kind in CHILD_IN_CARE_REVIEW_KINDS and r.held_date is None
                         and r.booked_date is not None and r.booked_date >= today),
                        key=lambda r: r.booked_date or today)
        if booked:
            return _booked_reply(person, booked[0], today)
        if person.looked_after_since is None:
            return LookupReply(
                "Sorry, some details are missing from your record, so I can't work out your next review. "
                "That is not your fault. " + _ask_sw_or_iro(person, "They can tell you when it is."), INCOMPLETE)
        return _estimate_reply(person, timetable, council_name, today)

    return _with_person(session_factory, case_ref, "when your review is", build)


# ---------------------------------------------------------------- advocate

def _contact_lines(phone: str | None, email: str | None, availability: str | None) -> list[str]:
    lines = []
    if phone:
        lines.append(f"Phone: {phone}.")
    if email:
        lines.append(f"Email: {email}.")
    if availability:
        lines.append(f"When you can reach them: {availability}.")
    return lines


def _who_helps(person: YoungPerson | None) -> str:
    """Care leavers have no social worker or IRO: their personal adviser helps instead."""
    if person is not None and person.care_leaver:
        pa = person.personal_adviser
        return f"your personal adviser, {pa.name}," if pa is not None else "your personal adviser"
    return f"your social worker or {IRO_EXPLAINED},"


def _council_advocacy_line(advocacy: AdvocacyInfo | None, person: YoungPerson | None) -> str:
    helper = _who_helps(person)
    helper = helper[0].upper() + helper[1:]
    if advocacy is None:
        return f"I don't have details of your council's advocacy service. {helper} can help you get an advocate."
    if advocacy.how_to_ask is None:
        return (f"{advocacy.council_name}'s documents don't say how to ask for an advocate. "
                f"{helper} can help you get one.")
    line = f"In {advocacy.council_name}: {advocacy.how_to_ask}"
    if advocacy.source:
        line += f" (Source: {advocacy.source}.)"
    return line


def advocate_reply(session_factory: SessionFactory, case_ref: str, advocacy: AdvocacyInfo | None,
                   today: date) -> LookupReply:
    """Tell a signed-in young person who their advocate is, or how to get one.

    ``today`` is accepted for symmetry with :func:`next_review_reply` and future use
    (e.g. advocate absences); the reply does not depend on it yet.
    """
    del today

    def build(person: YoungPerson | None) -> LookupReply:
        if person is None:
            return LookupReply(
                "Sorry, I couldn't find your record, so I can't see if you have an advocate. "
                f"{WHAT_AN_ADVOCATE_DOES} {_council_advocacy_line(advocacy, None)} {NATIONAL_ADVOCACY_HELPLINE}",
                NOT_FOUND)
        advocate = person.advocate
        if advocate is not None:
            parts = [f"Your advocate is {advocate.name}, from {advocate.organisation}.", WHAT_AN_ADVOCATE_DOES,
                     *_contact_lines(advocate.phone, advocate.email, advocate.availability)]
            return LookupReply(" ".join(parts), ASSIGNED)
        parts = ["You don't have an advocate on your record right now. You can ask for one.",
                 WHAT_AN_ADVOCATE_DOES, _council_advocacy_line(advocacy, person), NATIONAL_ADVOCACY_HELPLINE]
        return LookupReply(" ".join(parts), NONE_ASSIGNED)

    return _with_person(session_factory, case_ref, "how to get an advocate", build)


# ---------------------------------------------------------------- personal adviser

def personal_adviser_reply(session_factory: SessionFactory, case_ref: str) -> LookupReply:
    """Tell a signed-in young person who their personal adviser is, or who can tell them."""

    def build(person: YoungPerson | None) -> LookupReply:
        if person is None:
            return LookupReply(
                "Sorry, I couldn't find your record, so I can't see who your personal adviser is. "
                f"{WHAT_A_PERSONAL_ADVISER_DOES} Your council's leaving care team can tell you who yours is.",
                NOT_FOUND)
        pa = person.personal_adviser
        if pa is not None:
            parts = [f"Your personal adviser is {pa.name}.", WHAT_A_PERSONAL_ADVISER_DOES,
                     *_contact_lines(pa.phone, pa.email, pa.availability)]
            return LookupReply(" ".join(parts), ASSIGNED)
        if person.care_leaver:
            parts = ["You don't have a personal adviser on your record right now.", WHAT_A_PERSONAL_ADVISER_DOES,
                     "Your council's leaving care team can tell you who yours is, or help you get one."]
        else:
            parts = ["You don't have a personal adviser on your record yet. Young people in care usually get "
                     "one when they start getting ready to leave care, often from about 16.",
                     WHAT_A_PERSONAL_ADVISER_DOES, _ask_sw_or_iro(person, "They can tell you more.")]
        return LookupReply(" ".join(parts), NONE_ASSIGNED)

    return _with_person(session_factory, case_ref, "who your personal adviser is", build)
