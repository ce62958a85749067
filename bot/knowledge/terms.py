"""Matching people's words to card names: normalising, forgiving typos, spaCy patterns, keywords.

Kept apart from :mod:`bot.knowledge.cards` (what a card is and how it is rendered) because it
is the part most likely to be tuned: how "S.G.O.s", "sgo" and "special gaurdianship" all find
the same card. Standard library only.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.knowledge.cards import Card

#: Aliases shorter than this (letters only) must match exactly: "go" must never become "sgo".
MIN_FUZZY_ALIAS_LETTERS = 6
WHOLE_TEXT_CUTOFF = 0.84
WINDOW_CUTOFF = 0.86

_STOPWORDS = frozenset(
    "a an and are as at be can do does for from get how i if in is it me my of on or so the their them "
    "they this to was we what when where who why will with you your about have has not what's whats "
    "please tell know mean means".split()
)


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def normalise_term(text: str) -> str:
    """Lowercase, drop punctuation and possessives, singularise: 'S.G.O.s' and 'sgo' compare equal."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"(?<=\w)[.'](?=\w)", "", text)  # s.g.o -> sgo, don't -> dont
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(_singular(w) for w in text.split())


def alias_tokens(alias: str) -> list[str]:
    """Split an alias the way spaCy's English tokenizer splits plain words
    ("child's" -> child, 's; "long-term" -> long, -, term)."""
    tokens: list[str] = []
    for word in alias.lower().split():
        if word.endswith("'s") and len(word) > 2:
            tokens.extend([*_split_hyphens(word[:-2]), "'s"])
        else:
            tokens.extend(_split_hyphens(word))
    return tokens


def _split_hyphens(word: str) -> list[str]:
    """spaCy splits a hyphen between letters into its own token."""
    parts = re.split(r"(?<=[a-z])(-)(?=[a-z])", word)
    return [part for part in parts if part]


def _plural(word: str) -> str | None:
    if not word.isalpha() or len(word) < 3 or word.endswith("s"):
        return None
    if word.endswith("y") and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def content_words(text: str) -> list[str]:
    """The words that carry meaning: normalised, without stopwords or single letters."""
    return [w for w in normalise_term(text).split() if w not in _STOPWORDS and len(w) > 1]


def closest_alias(text: str, aliases: Iterable[str]) -> str | None:
    """The normalised alias a word or phrase refers to, forgiving case, punctuation, plurals and typos.

    Tries, in order: the whole text as an alias; the longest alias inside the text; a close
    spelling of the whole text; a close spelling of any run of words in the text. Short
    aliases must match exactly, so typo-tolerance cannot turn "go" into "sgo".
    """
    norm = normalise_term(text)
    if not norm:
        return None
    known = list(dict.fromkeys(aliases))  # order kept: ties go to the first alias, as they always have
    if norm in known:
        return norm
    padded = f" {norm} "
    contained = [a for a in known if f" {a} " in padded]
    if contained:
        return max(contained, key=len)
    long_aliases = [a for a in known if len(a.replace(" ", "")) >= MIN_FUZZY_ALIAS_LETTERS]
    close = difflib.get_close_matches(norm, long_aliases, n=1, cutoff=WHOLE_TEXT_CUTOFF)
    if close:
        return close[0]
    words = norm.split()
    best_score, best_alias = 0.0, None
    for alias in long_aliases:
        size = len(alias.split())
        for start in range(0, max(0, len(words) - size) + 1):
            window = " ".join(words[start : start + size])
            score = difflib.SequenceMatcher(None, window, alias).ratio()
            if score > best_score:
                best_score, best_alias = score, alias
    return best_alias if best_alias and best_score >= WINDOW_CUTOFF else None


def term_patterns(cards: Iterable[Card]) -> list[dict[str, Any]]:
    """spaCy EntityRuler patterns (label "term", id = card id) for every alias, plus its plural."""
    patterns: list[dict[str, Any]] = []
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for card in sorted(cards, key=lambda c: c.id):
        for alias in card.aliases:
            tokens = alias_tokens(alias)
            variants = [tokens]
            plural = _plural(tokens[-1]) if tokens else None
            if plural:
                variants.append(tokens[:-1] + [plural])
            for variant in variants:
                key = (card.id, tuple(variant))
                if variant and key not in seen:
                    seen.add(key)
                    patterns.append({"label": "term", "id": card.id, "pattern": [{"LOWER": t} for t in variant]})
    return patterns


def keyword_search(cards: Mapping[str, Card], text: str, limit: int = 3) -> list[str]:
    """Card ids ranked by keyword overlap, for when the NLU is unsure what was asked.

    A word in the title counts most, then an alias word, then a word from the text; naming a
    whole alias anywhere in the message counts more than any single word.
    """
    query = set(content_words(text))
    if not query:
        return []
    norm = f" {normalise_term(text)} "
    scored: list[tuple[float, str]] = []
    for card in cards.values():
        title_words = set(content_words(card.title))
        alias_words = {w for a in card.aliases for w in content_words(a)}
        body_words = {w for v in card.versions.values() for w in content_words(v)}
        score = 3.0 * len(query & title_words) + 2.0 * len(query & alias_words) + 0.5 * len(query & body_words)
        if any(f" {normalise_term(a)} " in norm for a in card.aliases if normalise_term(a)):
            score += 5.0
        if score > 0:
            scored.append((score, card.id))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [card_id for _, card_id in scored[:limit]]
