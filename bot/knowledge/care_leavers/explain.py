"""The decision in plain words, for the young person reading it.

Why its own module: the rules must stay checkable by a practitioner, and the words must stay
readable by a 16-year-old. Short sentences, everyday words, each acronym explained the first
time, every right with its source in brackets, the council's own offer kept apart from the
law, and always a way forward if they are not getting what they should.
"""
from __future__ import annotations

import re

from bot.knowledge import helplines
from bot.knowledge.care_leavers.entitlements import Entitlement, entitlements_for, load_entitlements
from bot.knowledge.care_leavers.local_offer import LocalOffer, load_local_offers
from bot.knowledge.care_leavers.status import Decision, Group, Reason
from bot.knowledge.councils import CouncilProfile, load_councils
from bot.settings import PROJECT_ROOT

#: Acronyms and their meaning, explained the first time each appears in an answer.
ACRONYMS = {
    "PA": "personal adviser",
    "IRO": "independent reviewing officer",
    "SGO": "special guardianship order",
}

#: One line per group, for a list of possible groups.
GROUP_SHORT = {
    Group.ELIGIBLE: '"Eligible": 16 or 17, still in care, and in care 13 weeks or more since turning 14.',
    Group.RELEVANT: '"Relevant": 16 or 17, left care after being "eligible".',
    Group.FORMER_RELEVANT: '"Former relevant": 18 or over, and were "eligible" or "relevant" before.',
    Group.QUALIFYING: '"Qualifying": in care after 16 but for less than 13 weeks since 14, or an SGO made when you left care.',
    Group.IN_CARE_NOT_YET_ELIGIBLE: "In care, but not yet for 13 weeks since turning 14.",
    Group.NOT_A_CARE_LEAVER: "Not a care leaver in law (for example, not in care after your 16th birthday).",
}

_REASON_TEXT = {
    Reason.IN_CARE_13_WEEKS: (
        'You are still in care, and you have been in care for 13 weeks or more in total since you turned 14. '
        'The law calls you an "eligible" young person. It means you get leaving care support now, before you leave.'),
    Reason.LEFT_CARE_AFTER_ELIGIBLE: (
        'You are 16 or 17 and you have left care, after being in care long enough to get leaving care support. '
        'The law calls you a "relevant" young person. The council still has a lot of duties to you.'),
    Reason.WAS_ELIGIBLE_OR_RELEVANT: (
        'You are 18 or over, and you had leaving care support before you turned 18. '
        'The law calls you a "former relevant" young person.'),
    Reason.IN_CARE_AFTER_16_UNDER_13_WEEKS: (
        'You were in care after you turned 16, but for less than 13 weeks in total since you turned 14. '
        'The law calls you a "qualifying" young person. You can get advice and some help, '
        'but not the full leaving care support.'),
    Reason.SPECIAL_GUARDIANSHIP_AFTER_CARE: (
        'You live with a special guardian, under an SGO made when you left care. '
        'That makes you a "qualifying" young person. You can get advice and some help from the council, '
        'but not the full leaving care support.'),
    Reason.IN_CARE_UNDER_13_WEEKS: (
        'You are in care now, but for less than 13 weeks in total since you turned 14. '
        'If you are still in care when you reach 13 weeks, you become "eligible" for leaving care support. '
        'If you leave care before then, you would be a "qualifying" young person.'),
    Reason.UNDER_16: (
        'This part is for young people who are leaving care, from age 16. You are not there yet, and that is fine. '
        'Your social worker will talk with you about leaving care when you are older.'),
    Reason.NOT_IN_CARE_AFTER_16: (
        'From your answers, you were not in care on or after your 16th birthday. '
        'So the law does not count you as a care leaver. If you live with a special guardian under an SGO '
        'made when you left care, tell me, because then you can get some help.'),
    Reason.LEFT_CARE_BEFORE_16: (
        'You left care before your 16th birthday, so the law does not count you as a care leaver.'),
    Reason.NEVER_LOOKED_AFTER: (
        'The record shows no time in care, so the law does not count you as a care leaver. '
        'If that looks wrong, ask the council to check your record.'),
    Reason.SPECIAL_GUARDIANSHIP: (
        'You live with a special guardian, and you were not in care just before the SGO was made. '
        'So leaving care support does not apply to you. Special guardianship support does instead.'),
    Reason.ADOPTION: (
        'You were adopted, so leaving care support does not apply to you. Adoption support does instead.'),
    Reason.PAST_21_NOT_IN_EDUCATION: (
        'You are 21 or over. For "qualifying" young people, help after 21 is only for education or training. '
        'If you go back to education or training, you can ask for help with the costs up to 25.'),
    Reason.AGED_25_OR_OVER: (
        'The law\'s leaving care duties stop at 25. Some councils offer more than the law asks, '
        'so check your council\'s local offer.'),
}


def explain(decision: Decision, council_id: str | None = None, *,
            offers: dict[str, LocalOffer] | None = None,
            councils: dict[str, CouncilProfile] | None = None,
            catalogue: tuple[Entitlement, ...] | None = None) -> str:
    """Short plain-words text: the group, what they get, the local offer, and what if not."""
    catalogue = load_entitlements() if catalogue is None else catalogue
    offers = load_local_offers() if offers is None else offers
    councils = load_councils(PROJECT_ROOT / "content") if councils is None else councils
    profile = councils.get(council_id) if council_id else None
    parts = [_who_you_are(decision)]
    lines = entitlements_for(decision, catalogue)
    if lines:
        heading = "What you get:" if decision.is_certain else "Whichever group you are in, you get:"
        if decision.groups == {Group.NOT_A_CARE_LEAVER} and Reason.UNDER_16 in decision.reasons:
            heading = "If you are in care now, you have:"
        parts.append(heading + "\n" + "\n".join(f"- {e.line}" for e in lines))
    if decision.may_be_care_leaver or Group.IN_CARE_NOT_YET_ELIGIBLE in decision.groups:
        parts.append(_local_part(council_id, profile, offers))
    parts.append(_not_getting_it(decision, profile))
    if decision.notes:
        parts.append("\n".join(decision.notes))
    return _explain_acronyms("\n\n".join(parts))


def _who_you_are(decision: Decision) -> str:
    if decision.is_certain:
        texts = [_REASON_TEXT[r] for r in sorted(decision.reasons, key=list(Reason).index)]
        text = " ".join(dict.fromkeys(texts))
        if decision.eligible_from is not None:
            text += f" If you stay in care, that will be on {decision.eligible_from:%-d %B %Y}."
        return text
    options = "\n".join(f"- {GROUP_SHORT[g]}" for g in sorted(decision.groups, key=list(Group).index))
    ask = "\n".join(f"- {who}" for who in decision.confirm_with)
    return ("Some of your answers were \"not sure\", so I can't tell your group for certain yet. "
            "You could be:\n" + options + "\n\nThese people can check for you:\n" + ask
            + "\n\nOnce you know your group, ask me again and I can tell you everything it brings.")


def _local_part(council_id: str | None, profile: CouncilProfile | None, offers: dict[str, LocalOffer]) -> str:
    offer = offers.get(council_id) if council_id else None
    if offer is None:
        return ("Every council has its own local offer on top of the law. Tell me which council looks after "
                "you and I can say what its documents say, or ask your PA or leaving care team for a copy.")
    place = profile.place if profile else council_id.replace("_", " ").title()
    lines = [f"What {place}'s own documents say:"]
    for doc_id, document in offer.documents.items():
        facts = [f for f in offer.facts if f.document == doc_id]
        if facts:
            lines.append(f"From {document.title}:")
            lines.extend(f"- {fact.text}" for fact in facts)
    if not offer.facts:
        lines.append(f"- {place}'s documents that we hold say nothing about leaving care.")
    silent = [offer.topics[t] for t in offer.silent_topics()]
    if silent:
        lines.append(f"{place}'s documents don't say anything about {_join(silent)}. "
                     "Ask your PA or the leaving care team about these.")
    if offer.note:
        lines.append(offer.note)
    return "\n".join(lines)


def _not_getting_it(decision: Decision, profile: CouncilProfile | None) -> str:
    lines = ["If you're not getting what you should:", f"- {_ask_first(decision)}",
             "- You can make a complaint to the council. It must have a way for you to do this, and it must listen."]
    if decision.reasons <= _NOT_FOR_BECOME:
        lines.append("- An advocate, someone on your side, can help you complain. Ask the council how to get one.")
    else:
        lines.append("- An advocate is someone on your side who helps you say what you want or complain. "
                     + helplines.ALWAYS_HEARD_LINE)
        lines.append("- For free advice on your rights: " + helplines.BECOME_LINE)
    lines.append("- If the council's complaints process doesn't sort it out, you can go to the "
                 "Local Government and Social Care Ombudsman.")
    if profile is not None and profile.children_services is not None and profile.children_services.phone:
        c = profile.children_services
        hours = f" ({c.hours})" if c.hours else ""
        lines.append(f"- {profile.name}'s {c.label}: {c.phone}{hours}.")
    lines.append(f"- {helplines.DANGER_NOW}")
    return "\n".join(lines)


def _ask_first(decision: Decision) -> str:
    """The nearest person to ask, which depends on where the young person is now."""
    if decision.may_be_care_leaver:
        return "Ask your PA or the leaving care team first. You can ask for your pathway plan to be looked at again."
    if decision.groups == {Group.IN_CARE_NOT_YET_ELIGIBLE} or Reason.UNDER_16 in decision.reasons:
        return "Talk to your social worker or your IRO first."
    if decision.reasons <= {Reason.ADOPTION}:
        return "Ask the council's adoption support service first."
    if decision.reasons <= {Reason.SPECIAL_GUARDIANSHIP}:
        return "Ask the council's special guardianship support service first."
    return "Ask the council's leaving care team to check your record and tell you what help there is."


#: Outcomes where a care advice line is the wrong place to send someone.
_NOT_FOR_BECOME = frozenset({Reason.SPECIAL_GUARDIANSHIP, Reason.ADOPTION, Reason.NEVER_LOOKED_AFTER})


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _explain_acronyms(text: str) -> str:
    """Spell out each acronym the first time it appears (not inside a bracketed legal source)."""
    for short, meaning in ACRONYMS.items():
        match = re.search(rf"\b{short}s?\b", text)
        already = match and (text[match.end():match.end() + 2] == " (" or
                             (text[match.start() - 1:match.start()] == "(" and text[match.end():match.end() + 1] == ")"))
        if match and not already:
            text = text[:match.end()] + f" ({meaning})" + text[match.end():]
    return text
