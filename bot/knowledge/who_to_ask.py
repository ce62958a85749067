"""Handing over to a person: who is the right one depends on who is asking.

CareChat cannot transfer a chat, so it says so and names the people and national lines that
can help, with numbers and hours from ``shared/reference/helplines.md`` and the council's own
contacts from its profile. Nothing here is invented: where a council's documents give no
number, the reply says where to find one.
"""
from __future__ import annotations

from bot.knowledge import helplines
from bot.knowledge.audiences import ADULT_READERS
from bot.knowledge.councils import CouncilProfile

CANNOT_TRANSFER = ("I'm a computer program, so I can't pass this chat to a person, and no one is "
                   "reading it live. These people can help:")

ALWAYS_HEARD = helplines.ALWAYS_HEARD_LINE
BECOME = helplines.BECOME_LINE
FAMILY_RIGHTS_GROUP = helplines.FAMILY_RIGHTS_GROUP_LINE
CHILDLINE = helplines.CHILDLINE_SHORT


def _council_contact(profile: CouncilProfile) -> str:
    services = profile.children_services
    if services is None:
        return (f"{profile.name}'s children's services. Its documents don't give a phone number; "
                "it is on the council's website.")
    details = f" on {services.phone}" if services.phone else ""
    hours = f" ({services.hours})" if services.hours else ""
    return f"{profile.name}'s {services.label}{details}{hours}."


def people_to_ask(audience: str, profile: CouncilProfile) -> list[str]:
    """The right people for this reader, nearest first."""
    if audience in ADULT_READERS:
        return [
            "The child's social worker, or their team manager if you can't reach them.",
            _council_contact(profile),
            FAMILY_RIGHTS_GROUP,
            "If the case is going to court, your solicitor.",
        ]
    if audience == "child":
        return [
            "Your social worker.",
            "Your IRO (Independent Reviewing Officer). They check your care plan and chair your reviews.",
            "An advocate. That is someone on your side who helps you say what you think. "
            + ALWAYS_HEARD,
            CHILDLINE,
        ]
    return [
        "Your social worker, or your personal adviser if you have left care.",
        "Your IRO (Independent Reviewing Officer), who chairs your reviews and checks your care plan.",
        "An advocate, who is on your side and helps you be heard. " + ALWAYS_HEARD,
        BECOME,
    ]


def handoff_reply(audience: str, profile: CouncilProfile) -> str:
    """"I want a real person": honest that it can't transfer, then the right people."""
    lines = "\n".join(f"- {line}" for line in people_to_ask(audience, profile))
    return f"{CANNOT_TRANSFER}\n{lines}\n{helplines.DANGER_NOW}"
