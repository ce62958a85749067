"""Lexical search over every card's example questions: the backstop for wording DIET is unsure of.

Why: DIET (with no transformer layers, for the training budget) generalises poorly to wording
nobody trained it on, and a misspelt name ("residenshal care") is not in the term dictionary.
A nearest-neighbour search over the same examples, scored with word and character n-gram
TF-IDF (scikit-learn, already in the engine), ranks the right card first for about nine in ten
blind questions (docs/evaluation.md) and tolerates misspellings through the character grams.

A card's score is the mean cosine similarity of the message to its ``top_k`` closest example
questions (its title and aliases count as examples). Scores are in [0, 1]; the decision what
to do with them lives in plain Python (:mod:`bot.knowledge.card_evidence`).
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

#: How many of a card's closest examples its score averages: one lucky near-copy should not
#: outrank a card several examples agree on (3 measured best on the held-out sets).
TOP_K = 3


class CardSearchIndex:
    """Fit on (card id, example text) pairs; rank cards for a message."""

    def __init__(self, top_k: int = TOP_K, word_weight: float = 0.5) -> None:
        self.top_k = top_k
        self.word_weight = word_weight
        self.words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)
        self.card_ids: list[str] = []
        self._rows: list[np.ndarray] = []

    def fit(self, examples: Iterable[tuple[str, str]]) -> "CardSearchIndex":
        """Index the examples; a card with no example is never ranked."""
        pairs = [(card, text.strip()) for card, text in examples if text and text.strip()]
        if not pairs:
            raise ValueError("card search needs at least one example question")
        texts = [text for _, text in pairs]
        self._word_matrix = self.words.fit_transform(texts).T.tocsr()
        self._char_matrix = self.chars.fit_transform(texts).T.tocsr()
        labels = np.array([card for card, _ in pairs])
        self.card_ids = sorted(set(labels))
        self._rows = [np.flatnonzero(labels == card) for card in self.card_ids]
        return self

    def rank(self, text: str, limit: int = 5) -> list[tuple[str, float]]:
        """The ``limit`` best cards for ``text`` with their scores, best first."""
        if not self.card_ids or not text.strip():
            return []
        similarity = (self.word_weight * (self.words.transform([text]) @ self._word_matrix).toarray()[0]
                      + (1 - self.word_weight) * (self.chars.transform([text]) @ self._char_matrix).toarray()[0])
        scores = []
        for card, rows in zip(self.card_ids, self._rows):
            closest = np.sort(similarity[rows])[::-1][: self.top_k]
            scores.append((card, float(closest.mean())))
        scores.sort(key=lambda item: (-item[1], item[0]))
        return [(card, round(score, 4)) for card, score in scores[:limit]]
