"""Folding how people type into the words the safeguarding rules know.

Why: a disclosure is as likely to be "i wanna dieeee", "k1ll mysef" or "sucidal" as it is to
be spelt well. Normalising is deterministic and conservative: a word only changes into a
word the lexicon knows (or a contraction written with its apostrophe), so ordinary text such
as "3rd", "10am" or "section 20" passes through untouched.
"""
from __future__ import annotations

import re

from bot.safeguarding.lexicon import Lexicon

TOKEN_RE = re.compile(r"\S+")
EDGE_PUNCT_RE = re.compile(r"^([\"'(\[{<]*)(.*?)([\"')\]}>.,;:?!]*)$")


def edit1(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


class Normaliser:
    """Lowercases and folds a message; built once from the lexicon and the words it uses."""

    def __init__(self, lexicon: Lexicon, known_words: frozenset[str]) -> None:
        self.text_speak = lexicon.text_speak
        self.leet = str.maketrans(lexicon.leet)
        self.known = known_words | lexicon.fuzzy_targets
        self.fuzzy = sorted(t for t in lexicon.fuzzy_targets if len(t) >= 6)
        self.not_typos = lexicon.not_typos
        self.joins = [(re.compile(find), write) for find, write in lexicon.joins]

    def fold_word(self, word: str) -> str:
        """One word (no edge punctuation) towards the lexicon's spelling, or unchanged."""
        if word in self.text_speak:
            return self.text_speak[word]
        if word in self.known or not word:
            return word
        if re.search(r"[a-z]", word) and re.search(r"[0-9@$!|*]", word):
            leet = word.translate(self.leet)
            if "*" in word:  # masking: "r*pe", "s**cide"
                rx = re.compile("^" + re.escape(leet).replace(r"\*", "[a-z]{1,3}") + "$")
                candidates = sorted(w for w in self.known if rx.match(w))
            else:
                candidates = [c for c in (leet, re.sub(r"(.)\1{2,}", r"\1", leet)) if c in self.known]
            return candidates[0] if candidates else word  # "3rd", "10am" stay as they are
        if not re.fullmatch(r"[a-z']+", word):
            return word
        two = re.sub(r"(.)\1{2,}", r"\1\1", word)
        one = re.sub(r"(.)\1{2,}", r"\1", word)
        single = re.sub(r"(.)\1+", r"\1", word)
        for cand in (word, two, one, single):
            if cand in self.known:
                return cand
            if cand in self.text_speak:
                return self.text_speak[cand]
            if cand.endswith("in") and cand + "g" in self.known:  # "hurtin" -> "hurting"
                return cand + "g"
        if len(two) >= 5 and two not in self.not_typos and two.isalpha():
            for target in self.fuzzy:
                if edit1(two, target):
                    return target
        return two

    def __call__(self, text: str) -> str:
        """The whole message, lowercased and folded, words joined by single spaces."""
        text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
        text = text.replace("\u201c", '"').replace("\u201d", '"')
        out: list[str] = []
        for chunk in TOKEN_RE.findall(text):
            lead, core, tail = EDGE_PUNCT_RE.match(chunk).groups()
            out.append(lead + self.fold_word(core) + tail)
        text = " ".join(out)
        # "want 2 die", "4 me": digits between words stand for words.
        text = re.sub(r"(?<=[a-z] )2(?= [a-z])", "to", text)
        text = re.sub(r"(?<=[a-z] )4(?= [a-z])", "for", text)
        for pattern, write in self.joins:
            text = pattern.sub(write, text)
        return text
