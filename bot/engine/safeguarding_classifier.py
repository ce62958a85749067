"""The trained safeguarding classifier: the net that generalises beyond the lexicon's words.

Why a classifier of its own, beside DIET: DIET shares its capacity with every care topic and
saw 25 crisis examples. This one learns only "which kind of harm, if any" from hundreds of
crisis messages and ordinary look-alikes written by several independent writers in the voices
of children, teenagers, care leavers and adults (content/safeguarding/training/), plus every
ordinary NLU example as a negative. Word and character n-grams over the lexicon's normalised
text make it tolerant of text speak and misspelling. It trains in seconds inside `rasa train`.

Engine environment only (scikit-learn comes with Rasa).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot.safeguarding.decision import UNSPECIFIED
from bot.safeguarding.phrase_sets import (
    NONE,
    read_crisis_tsv,
    read_lookalike_tsv,
    read_pairs_tsv,
    read_phrase_list,
)
from bot.safeguarding.matcher import default_matcher

TRAINING_DIR = Path(__file__).resolve().parents[2] / "content" / "safeguarding" / "training"
#: Writers' category ids that the lexicon files under one broader category.
CATEGORY_ALIASES = {"about_other_child": "worried_about_someone", "worried_adult": "worried_about_someone",
                    "abuse": "physical_abuse", "more": UNSPECIFIED}


@dataclass(frozen=True)
class Example:
    """One training message and its label: a harm category, or "none"."""

    text: str
    label: str


def _label(category: str) -> str:
    return CATEGORY_ALIASES.get(category, category) or UNSPECIFIED


def read_training_dir(folder: Path = TRAINING_DIR) -> list[Example]:
    """Every training example in the folder (formats in bot/safeguarding/phrase_sets.py).

    crisis*.tsv and phrases_crisis.txt give harm examples; lookalike*.tsv and
    phrases_ordinary.txt ordinary ones; pairs*.tsv give the second message (harm, or "none")
    and the ordinary first one.
    """
    examples: list[Example] = []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name == "phrases_crisis.txt":
            examples += [Example(p.text, _label(p.category or UNSPECIFIED)) for p in read_phrase_list(path)]
        elif name == "phrases_ordinary.txt":
            examples += [Example(p.text, NONE) for p in read_phrase_list(path)]
        elif name.startswith("crisis") and name.endswith(".tsv"):
            examples += [Example(p.text, _label(p.category or UNSPECIFIED)) for p in read_crisis_tsv(path)]
        elif name.startswith("lookalike") and name.endswith(".tsv"):
            examples += [Example(p.text, NONE) for p in read_lookalike_tsv(path)]
        elif name.startswith("pairs") and name.endswith(".tsv"):
            for pair in read_pairs_tsv(path):
                examples.append(Example(pair.second, NONE if pair.category == NONE else _label(pair.category)))
                examples.append(Example(pair.first, NONE))
    return examples


class SafeguardingClassifier:
    """Word + character n-gram logistic regression over harm categories and "none"."""

    def __init__(self, C: float = 16.0) -> None:
        self.normalise = default_matcher().normalise
        self.words = TfidfVectorizer(analyzer="word", ngram_range=(1, 3), sublinear_tf=True,
                                     token_pattern=r"[a-z0-9']+")
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                     min_df=2)
        # newton-cg, not lbfgs: the same objective and, on every safety set, the same decisions,
        # in about three quarters of the time (L-BFGS-B's own work over 2.4 million weights cost
        # as much as the gradients; docs/evaluation.md, 2026-11-30 evening).
        self.model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced", solver="newton-cg")

    def _features(self, texts: Iterable[str], fit: bool = False):
        norm = [self.normalise(t) for t in texts]
        if fit:
            return hstack([self.words.fit_transform(norm), self.chars.fit_transform(norm)]).tocsr()
        return hstack([self.words.transform(norm), self.chars.transform(norm)]).tocsr()

    def fit(self, examples: list[Example]) -> "SafeguardingClassifier":
        """Train on the examples (deterministic: newton-cg, fixed data order)."""
        features = self._features([e.text for e in examples], fit=True)
        self.model.fit(features, [e.label for e in examples])
        return self

    def scores(self, texts: list[str]) -> list[tuple[float, str]]:
        """For each text: the probability that it signals harm, and the likeliest category."""
        if not texts:
            return []
        probs = self.model.predict_proba(self._features(texts))
        classes = list(self.model.classes_)
        none_at = classes.index(NONE)
        out = []
        for row in probs:
            harm = 1.0 - float(row[none_at])
            order = np.argsort(row)[::-1]
            best = next((classes[i] for i in order if classes[i] != NONE), UNSPECIFIED)
            out.append((harm, best))
        return out

    def score(self, text: str) -> tuple[float, str]:
        """One text's harm probability and likeliest category."""
        return self.scores([text])[0]
