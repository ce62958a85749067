"""Whether a question is about the asker's own records or about how things work in general.

"When is my review?" asks for a date in the case store; "how soon is a child's first
review?" or "how does anyone find an advocate?" asks how things work. Both can land on the
same intent, and the second must get the general answer, not "you're not signed in". The
test is deliberately simple and readable: a question is about the asker's own records when
it speaks in the first person (including text speak such as "ma" and "im").
"""
from __future__ import annotations

import re

#: First-person words, spelt the ways people type them. "we/our/us" counts too: a child
#: asking about "our review" with a sibling still means their own.
FIRST_PERSON = frozenset({
    "i", "im", "i'm", "ive", "i've", "id", "i'd", "me", "my", "mine", "myself", "ma", "mi",
    "we", "our", "ours", "us",
})

_WORD = re.compile(r"[a-z']+")


def asks_about_own(text: str | None) -> bool:
    """True when the message speaks in the first person, or when there is no text to read.

    No text (a button, a test) keeps the old behaviour: the asker wants their own details.
    """
    if not text:
        return True
    words = _WORD.findall(text.lower().replace("\u2019", "'"))
    return any(word in FIRST_PERSON for word in words)
