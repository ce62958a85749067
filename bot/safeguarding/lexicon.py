"""The safeguarding lexicon as data: loaded from YAML a practitioner can review.

Why data and not code: the people who know what a disclosure sounds like are safeguarding
practitioners, not programmers. They read and change ``content/safeguarding/lexicon.yml``;
this module only checks that what they wrote is well formed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

LEXICON_PATH = Path(__file__).resolve().parents[2] / "content" / "safeguarding" / "lexicon.yml"

RISK = "risk"
CHECK_IN = "check_in"
TIERS = (RISK, CHECK_IN)


@dataclass(frozen=True)
class Rule:
    """One positive rule: what it is called, what harm it signals, how sure, and its pattern."""

    id: str
    category: str
    tier: str
    pattern: str


@dataclass(frozen=True)
class Lexicon:
    """Everything the matcher needs, read from one YAML file."""

    categories: tuple[str, ...]
    labels: dict[str, str]
    text_speak: dict[str, str]
    leet: dict[str, str]
    fuzzy_targets: frozenset[str]
    not_typos: frozenset[str]
    joins: tuple[tuple[str, str], ...]
    irregular_verbs: dict[str, list[str]]
    word_lists: dict[str, list[str]]
    rules: tuple[Rule, ...]
    negative_rules: tuple[tuple[str, str], ...]
    strong: frozenset[str]
    #: Strong rules the classifier may never soften to a check-in: the words the page itself
    #: tells people to type when they need help ("help now").
    certain: frozenset[str] = frozenset()
    #: Negative rules that may cancel even a strong rule: each names a setting in which the
    #: strong words are plainly not about the person writing ("a documentary about county lines").
    overrule_strong: frozenset[str] = frozenset()
    #: Negative rules that never cancel: whatever rule they overlap, strong or not, earns the
    #: check-in instead of the full reply ("can you overdose on vitamin c?": a question about a
    #: low-risk substance still gets "are you safe?", not silence).
    soften_to_check_in: frozenset[str] = frozenset()


class LexiconError(ValueError):
    """The lexicon file is malformed; the message says where."""


def _require(data: dict, key: str, kind: type):
    value = data.get(key)
    if not isinstance(value, kind):
        raise LexiconError(f"lexicon: '{key}' must be a {kind.__name__}")
    return value


def parse_lexicon(data: dict) -> Lexicon:
    """Check and convert the YAML mapping; every problem names the rule it is in."""
    if not isinstance(data, dict):
        raise LexiconError("lexicon: the file must be a mapping")
    categories = [c["id"] for c in _require(data, "categories", list)]
    labels = {c["id"]: c.get("label", c["id"]) for c in data["categories"]}
    word_lists = _require(data, "word_lists", dict)
    rules = []
    seen: set[str] = set()
    for raw in _require(data, "rules", list):
        rule = Rule(str(raw.get("id")), str(raw.get("category")), str(raw.get("tier", RISK)),
                    str(raw.get("pattern", "")))
        if rule.id in seen:
            raise LexiconError(f"lexicon: rule {rule.id} appears twice")
        seen.add(rule.id)
        if rule.category not in categories:
            raise LexiconError(f"lexicon: rule {rule.id}: unknown category {rule.category}")
        if rule.tier not in TIERS:
            raise LexiconError(f"lexicon: rule {rule.id}: tier must be one of {TIERS}")
        for name in re.findall(r"\$([A-Z0-9_]+)", rule.pattern):
            if name not in word_lists:
                raise LexiconError(f"lexicon: rule {rule.id}: unknown word list ${name}")
        rules.append(rule)
    negative = tuple((str(r["id"]), str(r["pattern"])) for r in _require(data, "negative_rules", list))
    strong = frozenset(data.get("strong") or [])
    unknown = strong - seen
    if unknown:
        raise LexiconError(f"lexicon: 'strong' names unknown rules: {sorted(unknown)}")
    certain = frozenset(data.get("certain") or [])
    if certain - strong:
        raise LexiconError(f"lexicon: 'certain' names rules that are not strong: {sorted(certain - strong)}")
    negative_ids = {rule_id for rule_id, _ in negative}
    overrule_strong = frozenset(data.get("overrule_strong") or [])
    soften = frozenset(data.get("soften_to_check_in") or [])
    for key, named in (("overrule_strong", overrule_strong), ("soften_to_check_in", soften)):
        if named - negative_ids:
            raise LexiconError(f"lexicon: '{key}' names unknown negative rules: {sorted(named - negative_ids)}")
    if overrule_strong & soften:
        raise LexiconError(f"lexicon: a negative rule cannot both cancel and soften: {sorted(overrule_strong & soften)}")
    return Lexicon(
        categories=tuple(categories),
        labels=labels,
        text_speak=dict(_require(data, "text_speak", dict)),
        leet=dict(_require(data, "leet", dict)),
        fuzzy_targets=frozenset(_require(data, "fuzzy_targets", list)),
        not_typos=frozenset(_require(data, "not_typos", list)),
        joins=tuple((j["find"], j["write"]) for j in _require(data, "joins", list)),
        irregular_verbs={k: list(v) for k, v in _require(data, "irregular_verbs", dict).items()},
        word_lists={k: list(v) for k, v in word_lists.items()},
        rules=tuple(rules),
        negative_rules=negative,
        strong=strong,
        certain=certain,
        overrule_strong=overrule_strong,
        soften_to_check_in=soften,
    )


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    """The lexicon at ``path`` (the shipped one by default), read once per process."""
    with open(path, encoding="utf-8") as handle:
        return parse_lexicon(yaml.safe_load(handle))
