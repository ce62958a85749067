"""The safety reply: fixed, calm, short, written for a child, with real numbers only.

National numbers come from ``shared/reference/helplines.md``; the council's own numbers only
from its profile (its own documents). Where a council's documents give no out-of-hours number
the reply says so instead of guessing one. The gateway also uses this text when the assistant
cannot answer at all, so nobody in danger meets silence.
"""
from __future__ import annotations

from functools import lru_cache

from bot.knowledge import helplines
from bot.knowledge.audiences import ADULT_READERS
from bot.knowledge.councils import Contact, CouncilProfile
from bot.settings import DEFAULT_COUNCIL

OPENING = "It sounds like things might be hard right now. I'm glad you told me."
NOBODY_WATCHING = (
    "I'm a computer program. No person is watching this chat, and I can't call for help myself."
)
DANGER_NOW = helplines.DANGER_NOW
CHILDLINE = helplines.CHILDLINE_LINE
SAMARITANS = helplines.SAMARITANS_LINE
SOCIAL_WORKER = "Talk to your social worker, or another adult you trust, as soon as you can."


def _contact_line(contact: Contact) -> str:
    parts = [contact.label]
    if contact.phone:
        parts.append(f"on {contact.phone}")
    line = " ".join(parts)
    return f"{line} ({contact.hours})" if contact.hours else line


def out_of_hours_line(profile: CouncilProfile) -> str:
    """The council's out-of-hours team, or plainly that its documents give no number."""
    if profile.out_of_hours is not None:
        return f"Out of hours, {profile.name}'s emergency team: {_contact_line(profile.out_of_hours)}."
    return (f"{profile.place}'s documents don't give an out-of-hours number for children's social care, "
            "so out of hours use 999 or Childline.")


def adult_line(profile: CouncilProfile) -> str:
    """For an adult worried about a child: the council's children's services, then the NSPCC."""
    services = profile.children_services
    if services is not None:
        council = f"call {profile.name}'s {_contact_line(services)}"
    else:
        council = (f"contact {profile.name}'s children's services (its documents don't give a number; "
                   "it is on the council's website)")
    return f"If you are an adult worried about a child, {council}, or {helplines.NSPCC_LINE}."


def safety_lines(profile: CouncilProfile) -> list[str]:
    """The contact lines, most urgent first."""
    return [DANGER_NOW, CHILDLINE, SAMARITANS, SOCIAL_WORKER, out_of_hours_line(profile), adult_line(profile)]


def safety_contacts_for(profile: CouncilProfile) -> str:
    """Honest about being a program, then the contact lines: for when something went wrong."""
    lines = "\n".join(f"- {line}" for line in safety_lines(profile))
    return f"{NOBODY_WATCHING}\n{lines}"


def safety_reply_for(profile: CouncilProfile) -> str:
    """The whole safety reply for one council: a calm opening, then the contacts."""
    return f"{OPENING} {safety_contacts_for(profile)}"


@lru_cache(maxsize=None)
def _profile(council_id: str | None) -> CouncilProfile:
    """One council's profile (the default council if unknown), loaded once per process."""
    from bot.knowledge.councils import load_councils  # late: keeps importing this module cheap
    from bot.settings import PROJECT_ROOT

    councils = load_councils(PROJECT_ROOT / "content")
    return councils.get(council_id or DEFAULT_COUNCIL) or councils[DEFAULT_COUNCIL]


def safety_reply(council_id: str | None = None) -> str:
    """The safety reply for a council id (the default council if unknown).

    The same for every reader on purpose: a fixed text cannot be got wrong in a hurry.
    """
    return safety_reply_for(_profile(council_id))


CHECK_IN_OPENING = {
    "child": "Thank you for telling me. I want to check you are OK. Are you safe right now?",
    "young_person": "I want to check you're OK. Are you safe right now?",
    "parent": "That sounds worrying. Is the child, or anyone else, in danger right now?",
    "professional": "That sounds worrying. Is the child, or anyone else, in danger right now?",
}
CHECK_IN_CHILDLINE = helplines.CHILDLINE_CHECK_IN
CHECK_IN_CARRY_ON = "If you're OK, tap \"I'm safe\" and we'll carry on."
#: The check-in's answer buttons: payloads are intents the rules answer (data/rules).
CHECK_IN_BUTTONS = (("I'm safe", "/safety_ok"), ("I'm not safe", "/safety_not_ok"))


def check_in_buttons() -> list[dict[str, str]]:
    """The check-in's two answers as chat buttons (title, payload)."""
    return [{"title": title, "payload": payload} for title, payload in CHECK_IN_BUTTONS]


def check_in_for(profile: CouncilProfile, audience: str | None) -> str:
    """The gentle check-in for a message that might be a risk: still 999 and Childline.

    Why short and calm: it also reaches people who only asked an ordinary question, and a
    false alarm should cost them one kind sentence, not a fright.
    """
    opening = CHECK_IN_OPENING.get(audience or "", CHECK_IN_OPENING["young_person"])
    if audience in ADULT_READERS:
        lines = [DANGER_NOW, adult_line(profile)]
    else:
        lines = [DANGER_NOW, CHECK_IN_CHILDLINE]
    return " ".join([opening, *lines, CHECK_IN_CARRY_ON])


def check_in(council_id: str | None = None, audience: str | None = None) -> str:
    """The check-in for a council id (the default council if unknown)."""
    return check_in_for(_profile(council_id), audience)


def safety_contacts(council_id: str | None = None) -> str:
    """The contacts without the opening, for the gateway when the assistant could not answer."""
    return safety_contacts_for(_profile(council_id))
