"""Reading the safeguarding test and training sets: plain phrase lists and writers' TSV files.

Why one reader: the lexicon report, the classifier's training and the blind-set evaluation
all read the same formats, and a set read differently in two places would measure two
different things.

Formats:
- phrase list (*.txt): one message a line; "#" lines are comments; "# == category" names the
  category of the lines below it.
- crisis TSV: category, voice, tier (clear|unclear), text.
- look-alike TSV: kind, voice, text (ordinary messages that share words with a crisis).
- pairs TSV: category (or "none"), voice, tier, first message, second message: the second
  message only makes full sense after the first.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

NONE = "none"


@dataclass(frozen=True)
class Phrase:
    """One message with where it came from and, for a crisis message, its category."""

    text: str
    category: Optional[str]
    line: int
    voice: str = ""
    tier: str = ""


@dataclass(frozen=True)
class Pair:
    """An ordinary first message, then a second one that is a disclosure (or, if category is
    "none", harmless)."""

    first: str
    second: str
    category: str
    voice: str
    line: int


def read_phrase_list(path: Path) -> list[Phrase]:
    """Messages of a phrase list, each with the category of the last "# ==" header."""
    rows: list[Phrase] = []
    section: Optional[str] = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("# =="):
            rest = stripped[4:].strip()
            section = rest.split()[0].rstrip(",") if rest else None
        elif stripped and not stripped.startswith("#"):
            rows.append(Phrase(stripped, section, number))
    return rows


def _tsv(path: Path) -> list[tuple[int, list[str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [(n, row) for n, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), 1)
                if row and not row[0].startswith("#")]


def read_crisis_tsv(path: Path) -> list[Phrase]:
    """category, voice, tier, text."""
    return [Phrase(r[3], r[0], n, r[1], r[2]) for n, r in _tsv(path) if len(r) >= 4]


def read_lookalike_tsv(path: Path) -> list[Phrase]:
    """kind, voice, text (the kind goes in ``category``: these are ordinary messages)."""
    return [Phrase(r[2], r[0], n, r[1]) for n, r in _tsv(path) if len(r) >= 3]


def read_pairs_tsv(path: Path) -> list[Pair]:
    """category, voice, tier, first message, second message."""
    return [Pair(r[3], r[4], r[0], r[1], n) for n, r in _tsv(path) if len(r) >= 5]
