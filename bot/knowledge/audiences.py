"""Who is reading: the one definition every part of CareChat uses.

Why one place: the page offers four readers, cards are written in three versions, and the
safety texts speak to children and to adults differently. Three slightly different lists
once lived in three modules; a reader added to one was silently unknown to the others.
"""
from __future__ import annotations

#: The readers the page offers (and the gateway accepts).
READERS: tuple[str, ...] = ("child", "young_person", "parent", "professional")
#: The versions a card is written in; a professional reads the parent version.
VERSIONS: tuple[str, ...] = ("child", "young_person", "parent")
#: Readers who are adults asking about a child (the safety texts speak to them as adults).
ADULT_READERS: frozenset[str] = frozenset({"parent", "professional"})
DEFAULT_READER = "young_person"
#: Other words for a reader, mapped to the card version they read.
VERSION_ALIASES = {"professional": "parent", "carer": "parent", "kinship_carer": "parent",
                   "care_leaver": "young_person"}


def reader_from(value: object) -> str:
    """A reader the page may send, or the default for anything else."""
    return value if isinstance(value, str) and value in READERS else DEFAULT_READER


def version_for(audience: str | None) -> str:
    """The card version for any reader value (unknown values get the young-person version)."""
    value = (audience or "").strip().lower().replace("-", "_").replace(" ", "_")
    value = VERSION_ALIASES.get(value, value)
    return value if value in VERSIONS else DEFAULT_READER
