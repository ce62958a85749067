"""Near-duplicates between training data and the sets that measure it.

Why: a test message that is also a training message (or one word away from it) measures
memory, not understanding. The writers of training and test sets work blind to each other,
but they can still land on the same everyday sentence ("this homework is killing me"), so
every training line close to a test line is dropped from training, mechanically, before a
figure is trusted. Standard library only (both environments use it).
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Two messages are near-duplicates when their word sets overlap this much (Jaccard) ...
WORD_OVERLAP = 0.8
#: ... or their letters line up this closely (difflib ratio), e.g. one typo or one word apart.
LETTER_RATIO = 0.9
#: Pairs with less word overlap than this are never compared letter by letter (speed).
PREFILTER_OVERLAP = 0.4


def normalise(text: str) -> str:
    """Lowercase words and digits only, annotations removed: '[SGO](term)?' -> 'sgo'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", text)
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


@dataclass(frozen=True)
class Leak:
    """Training item ``train_index`` is close to test item ``test_index``."""

    train_index: int
    test_index: int
    overlap: float
    ratio: float


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def near_duplicates(training: Sequence[str], tests: Sequence[str]) -> list[Leak]:
    """Every (training, test) pair that is the same message in slightly different clothes."""
    test_norm = [normalise(t) for t in tests]
    test_words = [frozenset(t.split()) for t in test_norm]
    by_word: dict[str, list[int]] = {}
    for j, words in enumerate(test_words):
        for word in words:
            by_word.setdefault(word, []).append(j)
    leaks: list[Leak] = []
    for i, text in enumerate(training):
        norm = normalise(text)
        words = frozenset(norm.split())
        candidates = {j for word in words for j in by_word.get(word, ())}
        for j in sorted(candidates):
            overlap = _overlap(words, test_words[j])
            if overlap < PREFILTER_OVERLAP:
                continue
            ratio = difflib.SequenceMatcher(None, norm, test_norm[j]).ratio()
            if overlap >= WORD_OVERLAP or ratio >= LETTER_RATIO:
                leaks.append(Leak(i, j, round(overlap, 3), round(ratio, 3)))
    return leaks


def leaked_training_indexes(training: Sequence[str], tests: Iterable[str]) -> set[int]:
    """Indexes of training items to drop: each is close to at least one test item."""
    return {leak.train_index for leak in near_duplicates(training, list(tests))}


def drop_lines(path: Path, lines: set[int]) -> None:
    """Rewrite a training file without the given (1-based) lines: how a leak is removed."""
    kept = [text for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if number not in lines]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
