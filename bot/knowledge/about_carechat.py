"""Honest answers about CareChat itself: what it can do, who sees the chat, how long it is kept.

These answers must match what the system does, so the one fact that varies (how long
conversations are kept) comes from the same setting the purge uses, and everything else
states what the code does today: no person reads the chat live, nothing is sent to a
social worker or carer, and CareChat cannot call or message anyone.
"""
from __future__ import annotations

import math

from bot.knowledge.helplines import CHILDLINE_SHORT, DANGER_NOW

#: Topics offered as buttons after "what can you help with" (card id, button title).
EXAMPLE_TOPICS = (("special_guardianship_order", "What is an SGO?"),
                  ("cic_review", "What happens at my review?"),
                  ("care_leaver", "Help when I leave care"))


def retention_phrase(days: float) -> str:
    """``CARECHAT_RETENTION_DAYS`` in words a child can read: "30 days", "1 day"."""
    whole = max(1, math.ceil(days))
    return f"{whole} day" if whole == 1 else f"{whole} days"


def what_i_can_do(council_name: str) -> str:
    """What CareChat helps with, and what it cannot do, in everyday words."""
    return (
        "I'm CareChat, a computer program. I can explain things about being in care and "
        "leaving care:\n"
        "- what the court orders mean, like a care order or an SGO (special guardianship "
        "order), and how they are different\n"
        "- family time: seeing or keeping in touch with your family\n"
        "- what happens at your reviews, and how to have your say or get an advocate\n"
        f"- {council_name}'s promise to young people, and what support care leavers get\n"
        "If you're signed in, I can also tell you your next review date and who your advocate is.\n"
        "I can't see your files, make decisions or contact anyone for you. For that, talk to "
        "your social worker or your IRO (Independent Reviewing Officer)."
    )


def privacy_answer(retention_days: float) -> str:
    """Who sees the chat and how long it is kept, matching what the system does."""
    return (
        "Here is what happens to this chat:\n"
        "- I'm a computer program. No one reads the chat while you're using it.\n"
        "- I don't send what you write to your social worker, your carers or your parents.\n"
        f"- What you write is kept on the council's system for {retention_phrase(retention_days)}, "
        "so the chat can work and be checked. Then it is deleted.\n"
        "- Start again or Quick exit clears the chat from this browser.\n"
        "- When you're signed in, I only look at your own review date, advocate and personal adviser, "
        "and only when you ask.\n"
        "- I can't call or message anyone for you. If you want someone to know something, tell "
        "your social worker, your IRO (Independent Reviewing Officer) or an advocate.\n"
        f"{DANGER_NOW} {CHILDLINE_SHORT}"
    )
