"""Running the lexicon's rules over a message: which fired, never which words.

Why pure Python and not spaCy's Matcher: the same check must run in the gateway (app
environment, no spaCy) so that the safety reply never waits on the Rasa server or the action
server. The tokeniser splits the way spaCy's English tokeniser does for everything the
patterns rely on ("don't" -> "do" "n't", "i'm" -> "i" "'m", punctuation apart).

The pattern language (one item per word; content/safeguarding/README.md explains it for
reviewers):
    word|word2   one of these words            @hit|kick  any form of these verbs
    $NAME        a word from word_lists[NAME]  ~^suicid   a regular expression on the word
    _            any one word                  ..N        up to N words of anything
    X?           the item is optional          ^ / END    the match starts / ends the message
"END" as one alternative of the last item ("tonight|END") means "one of these, or the end".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional

from bot.safeguarding.lexicon import CHECK_IN, LEXICON_PATH, RISK, Lexicon, load_lexicon
from bot.safeguarding.normalise import Normaliser

VOWELS = set("aeiou")
PREFIX_PUNCT = set("\"'([{<")
SUFFIX_PUNCT = set("\"')]}>.,;:?!")
CLITICS = ("n't", "'s", "'m", "'re", "'ll", "'d", "'ve")
AGE_GAP_RULE = "sexual_abuse.age_gap"
AGE_GAP_RE = re.compile(
    r"\b(?:i'm|i am|im|i'm only|i am only|im only|i'm just|i just turned|i turned)\s+(\d{1,2})\b"
    r".{0,40}?\b(?:boyfriend|girlfriend|bf|gf|partner|he|she|they|him|her)\b"
    r"(?:\s+(?:is|'s|s|'re|are|was))?\s+(?:only\s+)?(\d{1,2})\b")


@dataclass(frozen=True)
class Token:
    """One word or punctuation mark, lowercased."""

    text: str
    is_punct: bool


@dataclass(frozen=True)
class Signal:
    """What fired: a category, a rule id and its tier (never any of the message's words).

    ``strong``: the rule is unambiguous on its own, so no other net need agree; ``certain``: not
    even the classifier's doubt softens it (the page's own "help now").
    """

    category: str
    rule: str
    tier: str
    strong: bool = False
    certain: bool = False


def _split_word(core: str) -> list[str]:
    """A word without edge punctuation into spaCy-like pieces: hyphens and clitics apart."""
    pieces: list[str] = []
    for part in re.split(r"(?<=[a-z])(-)(?=[a-z])", core):
        if part == "cannot":
            pieces += ["can", "not"]
            continue
        for clitic in CLITICS:
            if part.endswith(clitic) and len(part) > len(clitic):
                pieces += [part[: -len(clitic)], clitic]
                break
        else:
            pieces.append(part)
    return [p for p in pieces if p]


def tokenise(text: str) -> list[Token]:
    """Lowercase tokens of a (normalised) message."""
    tokens: list[Token] = []
    for chunk in text.lower().split():
        lead = 0
        while lead < len(chunk) and chunk[lead] in PREFIX_PUNCT:
            lead += 1
        tail = len(chunk)
        while tail > lead and chunk[tail - 1] in SUFFIX_PUNCT:
            tail -= 1
        tokens += [Token(c, True) for c in chunk[:lead]]
        tokens += [Token(p, p == "-") for p in _split_word(chunk[lead:tail])]
        tokens += [Token(c, True) for c in chunk[tail:]]
    return tokens


def verb_forms(lemma: str, irregular: dict[str, list[str]]) -> list[str]:
    """Every written form of a verb we match: the irregular table, else regular English rules."""
    if lemma in irregular:
        return irregular[lemma]
    if len(lemma) < 3 or not lemma.isalpha():
        return [lemma]
    if lemma.endswith("e"):
        return [lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing"]
    if lemma.endswith(("s", "sh", "ch", "x")):
        return [lemma, lemma + "es", lemma + "ed", lemma + "ing"]
    if lemma.endswith("y") and lemma[-2] not in VOWELS:
        return [lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing"]
    if (len(lemma) <= 4 and lemma[-1] not in VOWELS | set("wxy") and lemma[-2] in VOWELS
            and lemma[-3] not in VOWELS):  # "drag" -> "dragged", "dragging"
        return [lemma, lemma + "s", lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"]
    return [lemma, lemma + "s", lemma + "ed", lemma + "ing"]


@lru_cache(maxsize=8192)
def lemma_guesses(word: str) -> frozenset[str]:
    """Possible base forms of a word by stripping regular endings (a lemmatiser's safety net).

    Cached: every verb item of every rule asks about the same few words of a message.
    """
    guesses = {word}
    for suffix in ("ing", "ed", "es", "s", "d"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            guesses |= {stem, stem + "e"}
            if len(stem) > 2 and stem[-1] == stem[-2]:
                guesses.add(stem[:-1])
            if stem.endswith("i"):
                guesses.add(stem[:-1] + "y")
    return frozenset(guesses)


Predicate = Callable[[Token], bool]


@dataclass(frozen=True)
class Item:
    """One compiled pattern item: a test on one token, and whether it may be skipped."""

    test: Predicate
    optional: bool


def _any(_: Token) -> bool:
    return True


class _Compiler:
    """Turns pattern text into item lists, with the lexicon's word lists and verb table."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def item(self, text: str) -> list[Item]:
        optional = text.endswith("?") and len(text) > 1
        text = text[:-1] if optional else text
        if text == "_":
            return [Item(_any, optional)]
        if text.startswith(".."):
            return [Item(_any, True) for _ in range(int(text[2:]))]
        if text.startswith("~"):
            rx = re.compile(text[1:])
            return [Item(lambda t, rx=rx: bool(rx.search(t.text)), optional)]
        words: set[str] = set()
        lemmas: set[str] = set()
        verbs = text.startswith("@")  # "@hit|kick": every plain alternative is a verb
        for alt in text.split("|"):
            if alt.startswith("@") or (verbs and not alt.startswith("$")):
                lemma = alt.lstrip("@")
                words.update(verb_forms(lemma, self.lexicon.irregular_verbs))
                lemmas.add(lemma)
            elif alt.startswith("$"):
                words.update(self.lexicon.word_lists[alt[1:]])
            else:
                words.add(alt)
        frozen = frozenset(words)
        if lemmas:
            bases = frozenset(lemmas | words)
            return [Item(lambda t, w=frozen, b=bases: t.text in w or bool(lemma_guesses(t.text) & b),
                         optional)]
        return [Item(lambda t, w=frozen: t.text in w, optional)]

    def compile(self, pattern: str) -> list[tuple[list[Item], bool, bool]]:
        """One or two (items, at_start, at_end) entries for a pattern."""
        parts = pattern.split()
        at_start = parts[0] == "^"
        at_end = parts[-1] == "END"
        parts = [p for p in parts if p not in ("^", "END")]
        entries = []
        last = parts[-1].split("|")
        if "END" in last and len(last) > 1:
            rest = "|".join(a for a in last if a != "END")
            entries.append((parts[:-1] + [rest], at_start, at_end))
            entries.append((parts[:-1], at_start, True))
        else:
            entries.append((parts, at_start, at_end))
        compiled = []
        for texts, start, end in entries:
            items = [i for t in texts for i in self.item(t)]
            while items and items[0].optional and items[0].test is _any:
                items = items[1:]
            while items and items[-1].optional and items[-1].test is _any:
                items = items[:-1]
            compiled.append((items, start, end))
        return compiled


def _ends(items: list[Item], tokens: list[Token], index: int, pos: int, out: set[int]) -> None:
    """Every end position where items[index:] can match tokens starting at pos."""
    if index == len(items):
        out.add(pos)
        return
    item = items[index]
    if item.optional:
        _ends(items, tokens, index + 1, pos, out)
    if pos < len(tokens) and item.test(tokens[pos]):
        _ends(items, tokens, index + 1, pos + 1, out)


@dataclass
class _Entry:
    rule: str
    items: list[Item]
    at_start: bool
    at_end: bool


def _spans(entries: list[_Entry], tokens: list[Token]) -> list[tuple[str, int, int]]:
    """(rule, start, end) of every match, anchors respected."""
    words = [i for i, t in enumerate(tokens) if not t.is_punct]
    if not words:
        return []
    first, last = words[0], words[-1] + 1
    found = []
    for entry in entries:
        if not entry.items:
            continue
        starts = [first] if entry.at_start else range(len(tokens))
        for start in starts:
            ends: set[int] = set()
            _ends(entry.items, tokens, 0, start, ends)
            for end in ends:
                if end <= start or (entry.at_end and end < last):
                    continue
                found.append((entry.rule, start, end))
    return found


class SafeguardingMatcher:
    """Checks a message against the lexicon; one instance serves every message."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        compiler = _Compiler(lexicon)
        self.category = {r.id: r.category for r in lexicon.rules}
        self.category[AGE_GAP_RULE] = "sexual_abuse"
        self.tier = {r.id: r.tier for r in lexicon.rules}
        self.tier[AGE_GAP_RULE] = "risk"
        self.rank = {c: i for i, c in enumerate(lexicon.categories)}
        self.positive = [_Entry(r.id, *e) for r in lexicon.rules for e in compiler.compile(r.pattern)]
        self.negative = [_Entry(rid, *e) for rid, p in lexicon.negative_rules for e in compiler.compile(p)]
        self.normalise = Normaliser(lexicon, self._known_words())

    def _known_words(self) -> frozenset[str]:
        """Every plain word a rule mentions: the targets normalising may steer towards."""
        words: set[str] = set()
        for word_list in self.lexicon.word_lists.values():
            words.update(word_list)
        patterns = [r.pattern for r in self.lexicon.rules] + [p for _, p in self.lexicon.negative_rules]
        for pattern in patterns:
            for item in pattern.split():
                item = item.rstrip("?")
                if item.startswith(("~", "$", "..")) or item in ("_", "^", "END"):
                    continue
                verbs = item.startswith("@")
                for alt in item.split("|"):
                    if alt.startswith("@") or (verbs and not alt.startswith("$")):
                        words.update(verb_forms(alt.lstrip("@"), self.lexicon.irregular_verbs))
                    elif alt.startswith("$"):
                        words.update(self.lexicon.word_lists.get(alt[1:], []))
                    else:
                        words.add(alt)
        return frozenset(w for w in words if w.isalpha() or "'" in w)

    def matches(self, text: str) -> list[tuple[str, int, int]]:
        """Positive matches left after the negative rules veto what they overlap."""
        return [(rule, start, end) for rule, start, end, _ in self._kept(text)]

    def _kept(self, text: str) -> list[tuple[str, int, int, bool]]:
        """Positive matches the vetoes leave, each with whether a softening rule overlaps it."""
        norm = self.normalise(text)
        tokens = tokenise(norm)
        negatives = _spans(self.negative, tokens)
        kept = []
        for rule, start, end in _spans(self.positive, tokens):
            overlapping = {neg for neg, s, e in negatives if s < end and start < e}
            vetoes = overlapping - self.lexicon.soften_to_check_in
            if rule not in self.lexicon.strong and vetoes:
                continue
            if vetoes & self.lexicon.overrule_strong:
                continue
            kept.append((rule, start, end, bool(overlapping & self.lexicon.soften_to_check_in)))
        if age_gap_concern(norm):
            kept.append((AGE_GAP_RULE, 0, len(tokens), False))
        return kept

    def check(self, text: str) -> Optional[Signal]:
        """The most urgent signal in a message (risk before check-in), or None.

        Among risks a strong rule comes first, so that the classifier's doubt about a weaker
        rule ("want to die") cannot silence a strong one in the same message. A match a
        softening rule overlaps counts as a check-in rule, never strong: a risk rule elsewhere
        in the message still wins.
        """
        found = []
        for order, (rule, start, _, softened) in enumerate(self._kept(text)):
            strong = not softened and (rule in self.lexicon.strong or rule == AGE_GAP_RULE)
            tier = CHECK_IN if softened else self.tier[rule]
            found.append((tier != RISK, not strong, self.rank[self.category[rule]], start, order, rule, tier, strong))
        if not found:
            return None
        *_, rule, tier, strong = min(found)
        return Signal(self.category[rule], rule, tier, strong, strong and rule in self.lexicon.certain)


def age_gap_concern(text: str) -> bool:
    """True for "i'm 14 and my boyfriend is 25": under 16 with an adult partner."""
    for match in AGE_GAP_RE.finditer(text):
        if int(match.group(1)) < 16 and int(match.group(2)) >= 18:
            return True
    return False


@lru_cache(maxsize=2)
def default_matcher(path: str = str(LEXICON_PATH)) -> SafeguardingMatcher:
    """The shipped lexicon's matcher, built once per process (about a tenth of a second)."""
    from pathlib import Path

    return SafeguardingMatcher(load_lexicon(Path(path)))
