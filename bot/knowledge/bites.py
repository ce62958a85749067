"""Answers in bites: the short answer first, the rest one tap away.

On a phone a 200-word answer plus the council's text is a wall. The first sentences of each
card version are written as the answer to "what is it?", so the lead is taken from them:
whole sentences, at least ``MIN_LEAD_WORDS`` and at most ``MAX_LEAD_WORDS`` (one long first
sentence is kept whole). The rest (the whole version, the council's own text and the full
source line) is behind a "Tell me more" button, and an order's common follow-ups (how long,
how it ends, ...) are buttons too. Standard library only.
"""
from __future__ import annotations

import re

MIN_LEAD_WORDS = 30
MAX_LEAD_WORDS = 80
#: A whole answer this short is shown whole: a "Tell me more" for ten more words wastes a tap.
SHOW_WHOLE_WORDS = MAX_LEAD_WORDS + 25
#: Lists read badly cut in half ("One. Going home ... Two."), so a list item ends the lead.
LIST_ITEM_WORDS = 2
#: The short answer names the card's first national sources; the whole answer lists them all.
LEAD_SOURCES = 2
#: A glossary is a list to look things up in: always shown whole.
WHOLE_KINDS = frozenset({"glossary"})

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def sentences(text: str) -> list[str]:
    """The text's sentences, whitespace tidied (a sentence ends at . ! or ? before a capital)."""
    flat = " ".join(text.split())
    return [s for s in _SENTENCE_END.split(flat) if s] if flat else []


def word_count(text: str) -> int:
    """Words as a reader counts them (whitespace-separated)."""
    return len(text.split())


def lead_of(text: str) -> str:
    """The opening sentences of ``text``: enough to answer (``MIN_LEAD_WORDS``), never a wall.

    Stops before a sentence that would pass ``MAX_LEAD_WORDS`` and before a bare list item
    ("One."); always keeps the first sentence, however long.
    """
    lead: list[str] = []
    count = 0
    for sentence in sentences(text):
        words = word_count(sentence)
        if lead and (count >= MIN_LEAD_WORDS or count + words > MAX_LEAD_WORDS or words <= LIST_ITEM_WORDS):
            break
        lead.append(sentence)
        count += words
    return " ".join(lead)


def worth_a_bite(kind: str, whole_text: str) -> bool:
    """Whether an answer is long enough to lead with a bite (and is not a look-up list)."""
    return kind not in WHOLE_KINDS and word_count(whole_text) > SHOW_WHOLE_WORDS


def lead_source_line(titles: list[str]) -> str:
    """"Source: A; B" for the short answer, saying when the whole answer cites more."""
    if not titles:
        return ""
    shown = "; ".join(titles[:LEAD_SOURCES])
    more = len(titles) - LEAD_SOURCES
    return f"Source: {shown}" + (f" and {more} more (in the whole answer)" if more > 0 else "")
