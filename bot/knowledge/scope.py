"""Is a message about the topic the classifier picked? A check before a topic card is shown.

Why: the intent classifier always picks *some* intent, and for a message full of words it has
never seen ("how many legs does a spider have", "solve 3x plus 5") it can pick a care topic
with high confidence, because character n-grams look alike. Issue 5 asks for never a confident
domain answer to an out-of-scope question. So a topic card is shown only if the message has
*evidence words* for that topic, words the topic's own training examples (or its card's title
and aliases) use, and no more *foreign words* than evidence words. Foreign words are words no
care example uses ("spider", "minecraft") or that the off-topic examples use more than the care
examples do ("homework", "phone"). So "can you help with my science homework" (evidence: help;
foreign: science, homework) is out of scope, while "can I get help with school, I'm in care" is
not. A message turned away still gets the guessed topic as a button (:mod:`bot.knowledge.choose_card`).

Pure Python, no Rasa: built once from ``data/nlu/*.yml`` and the content cards.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.knowledge.cards import Library
from bot.knowledge.intents import OUT_OF_SCOPE
from bot.knowledge.terms import normalise_term
from bot.settings import PROJECT_ROOT

DEFAULT_NLU_DIR = PROJECT_ROOT / "data" / "nlu"

#: Words that say nothing about what a message is about (function words, everyday verbs,
#: text speak). Checked before singularising, so "does" never becomes "doe".
GENERIC_WORDS = frozenset("""
a about after again all also am an and any anything are as ask at be because been before being
best bit both but by can cant could did didnt do does doesnt doing done dont down each even ever
every for from get gets getting give go goes going gone good got had has have having he her here
him his how i if im in into is isnt it its just know let like lot lots make made many may me
might more most much must my need needs no not now of off ok okay on one only or other our out
over own please really right same see she should so some something still such take
than that the their them then there these they thing things this those through to
too try two up us very want wants was way we well were what whats when where which who whose why
will with wont would yeah yes you your youre
u ur r ya ye wot wat wats whatz cos coz cuz bc pls plz thx hey hi hiya hello
day days week weeks month months year years time times once twice first last next ago old new
today tonight tomorrow yesterday night nights morning weekend weekends
come comes coming came
difference differences different between versus vs
""".split())
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


def content_words(text: str) -> set[str]:
    """The words of a message that can say what it is about, singularised ("sisters" -> sister)."""
    raw = _WORD.findall(text.lower().replace("\u2019", "'"))
    kept = (w.replace("'", "") for w in raw if w not in GENERIC_WORDS and w.replace("'", "") not in GENERIC_WORDS)
    return {normalise_term(w) for w in kept if len(w) > 1 and not w.isdigit()}


def load_training_examples(nlu_dir: Path = DEFAULT_NLU_DIR, skip: str | None = None) -> dict[str, list[str]]:
    """Intent -> its example texts from Rasa's NLU files (except ``skip``), annotations removed."""
    examples: dict[str, list[str]] = {}
    for path in sorted(Path(nlu_dir).glob("*.yml")):
        if path.name == skip:
            continue
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" not in block:
                continue
            lines = (line.strip() for line in (block.get("examples") or "").splitlines())
            texts = [_ANNOTATION.sub(r"\1", line[2:]) for line in lines if line.startswith("- ")]
            examples.setdefault(block["intent"], []).extend(texts)
    return examples


@dataclass(frozen=True)
class TopicScope:
    """Evidence words per topic intent, and the care vocabulary (see the module docstring)."""

    evidence_words: Mapping[str, frozenset[str]]
    care_words: frozenset[str]
    own_words: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: The out-of-scope examples, normalised and padded with spaces, for :meth:`everyday_term`.
    off_topic_texts: tuple[str, ...] = ()

    def everyday_term(self, value: str) -> bool:
        """True if an off-topic example uses this care term too ("make a complaint" to Amazon,
        a puppy that should "stay put"): then the term alone does not make a care question."""
        needle = f" {normalise_term(value)} "
        return needle.strip() != "" and any(needle in text for text in self.off_topic_texts)

    def evidence(self, intent: str, text: str) -> set[str]:
        """The message's words that are evidence for this topic intent."""
        return content_words(text) & self.evidence_words.get(intent, frozenset())

    def foreign(self, text: str, intent: str | None = None) -> set[str]:
        """The message's words that no care example uses, or that off-topic examples use more
        (unless the topic's own examples use them too: "speak up" is about having a say)."""
        own = self.own_words.get(intent, frozenset()) if intent else frozenset()
        return content_words(text) - self.care_words - own

    def supports(self, intent: str, text: str) -> bool:
        """True if the message is about the topic intent, or the intent is not a topic."""
        if intent not in self.evidence_words:
            return True
        evidence = self.evidence(intent, text)
        return bool(evidence) and len(self.foreign(text, intent)) <= len(evidence)


def _document_frequency(texts: Iterable[str]) -> tuple[Counter, int]:
    counts: Counter = Counter()
    total = 0
    for text in texts:
        counts.update(content_words(text))
        total += 1
    return counts, total


#: Intents whose examples are care questions besides the topic intents.
CARE_INTENTS = frozenset({"ask_what_is", "compare_orders", "ask_next_review", "ask_advocate_contact"})


def build_scope(examples: Mapping[str, list[str]], library: Library) -> TopicScope:
    """Evidence words for every topic intent that has a card, and the care vocabulary.

    A care word is one the care examples (every card's title and aliases, the topic intents'
    examples and :data:`CARE_INTENTS`' examples) use at least as often, per example, as the
    out-of-scope examples. Evidence for a topic: the care words of its examples, title and aliases.
    """
    topics = {intent: card for card in library.cards.values() for intent in card.intents}
    care_texts = [t for intent, texts in examples.items() if intent in topics or intent in CARE_INTENTS
                  for t in texts]
    care_texts += [name for card in library.cards.values() for name in (card.title, *card.aliases)]
    care, care_total = _document_frequency(care_texts)
    off, off_total = _document_frequency(examples.get(OUT_OF_SCOPE, []))

    def care_word(word: str) -> bool:
        return care[word] > 0 and (not off[word] or care[word] / care_total >= off[word] / max(off_total, 1))

    evidence: dict[str, frozenset[str]] = {}
    own: dict[str, frozenset[str]] = {}
    for intent, card in topics.items():
        words: set[str] = set()
        for text in [*examples.get(intent, []), card.title, *card.aliases]:
            words |= content_words(text)
        own[intent] = frozenset(words)
        evidence[intent] = frozenset(w for w in words if care_word(w))
    off_topic_texts = tuple(f" {normalise_term(t)} " for t in examples.get(OUT_OF_SCOPE, []))
    return TopicScope(evidence, frozenset(w for w in care if care_word(w)), own, off_topic_texts)


def load_scope(library: Library, nlu_dir: Path = DEFAULT_NLU_DIR) -> TopicScope:
    """The scope check for a library, from the NLU training files (build it once and keep it)."""
    return build_scope(load_training_examples(nlu_dir), library)
