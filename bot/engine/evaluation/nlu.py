"""Held-out NLU evaluation: parse every held-out message once and score what users would get.

The held-out set (``tests/nlu_holdout/*.yml``, one file per card group) is a list of items,
each a ``text`` and exactly one of:

* ``card: <card id>``: the card that should answer. Expected intent: the card's topic intent
  (``content/cards/<id>.yml`` ``intents``) if it has one, else ``ask_what_is``; a card without a
  topic intent must also be *named*: a ``term`` entity resolving to that card.
* ``compare: [id, id]``: expected intent ``compare_orders``, and both cards named.
* ``intent: <intent>``: e.g. ``out_of_scope``; expected to name no card at all.

Scores: intent precision/recall/F1 per intent, micro and macro; term-entity P/R/F1 at the
level of the cards the terms resolve to (what the bot acts on, not the character span); the
top confusions; card accuracy per group: the card the bot would answer with, through
:func:`bot.knowledge.choose_card.answer_card`, exactly as the Rasa actions do; out-of-scope
accuracy, strict and "no domain answer".

Everything here is pure Python (testable in the app environment) except
:func:`evaluate_holdout`, which loads the model with Rasa and so runs in the engine env::

    .venv-engine/bin/python -m bot.engine.evaluation.nlu --model models/carechat-....tar.gz
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Collection, Iterable, Optional, Sequence

import yaml

from bot.knowledge.card_evidence import Evidence
from bot.knowledge.intents import COMPARE, FALLBACK, OUT_OF_SCOPE, SAFEGUARDING, WHAT_IS
from bot.knowledge.comparisons import load_order_facts
from bot.knowledge.compare_request import comparison_pair
from bot.knowledge.under_check_in import card_under_check_in
from bot.knowledge.care_leavers.guided_check import ANSWER_INTENT, CHECK_CARD, CHECK_INTENT, STOP_INTENT
from bot.settings import PROJECT_ROOT

DEFAULT_HOLDOUT_DIR = PROJECT_ROOT / "tests" / "nlu_holdout"
#: Sets written by someone who saw neither the training data nor the code (tests/nlu_blind/README.md).
BLIND_DIR = PROJECT_ROOT / "tests" / "nlu_blind"
#: Predictions that give no domain answer: what an out-of-scope message should get.
#: A typed check answer or "stop" outside the check gets "that check has finished" (no card).
CHITCHAT = frozenset({"greet", "goodbye", "thank", "ask_are_you_a_bot", "ask_real_person", "insult",
                      "none_of_these", "ask_what_you_can_do", "ask_privacy", ANSWER_INTENT, STOP_INTENT})
NO_DOMAIN_ANSWER = frozenset({OUT_OF_SCOPE, FALLBACK}) | CHITCHAT
#: Intents whose reply is a card when bot.knowledge.choose_card.answer_card finds one, else a question back.
CARD_ROUTED = frozenset({WHAT_IS, COMPARE})
FOLLOW_UP = "ask_follow_up"
UNRESOLVED = "<unresolved term>"


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoldoutItem:
    """One held-out message and what it expects (exactly one of card, compare, intent)."""

    text: str
    group: str
    card: Optional[str] = None
    compare: Optional[tuple[str, str]] = None
    intent: Optional[str] = None


@dataclass(frozen=True)
class Parsed:
    """What the NLU made of one message: the top intent and the entities."""

    intent: Optional[str]
    confidence: float = 0.0
    entities: tuple[dict, ...] = ()
    evidence: Optional[Evidence] = None   # DIET's ranking and the card search, as the actions get them
    safeguarding: Optional[dict] = field(default=None, hash=False, compare=False)  # tier, and the intent it overrode

    @classmethod
    def from_rasa(cls, data: dict) -> "Parsed":
        intent = data.get("intent") or {}
        return cls(intent.get("name"), float(intent.get("confidence") or 0.0),
                   tuple(dict(e) for e in data.get("entities") or ()), Evidence.from_parse_data(data),
                   dict(data["safeguarding"]) if isinstance(data.get("safeguarding"), dict) else None)


@dataclass
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int      # expected this many times
    predicted: int    # predicted this many times


@dataclass
class PRF:
    precision: float
    recall: float
    f1: float
    tp: int = 0
    fp: int = 0
    fn: int = 0


@dataclass
class Outcome:
    """One item, scored."""

    text: str
    group: str
    expected_intent: str
    predicted_intent: Optional[str]
    confidence: float
    expected_cards: Optional[list[str]]   # cards the terms should name (None: not scored)
    named_cards: list[str]                # cards the term entities resolve to (UNRESOLVED if none)
    answer: Optional[str]                 # card the bot answers with (card items) / "a+b" (compare)
    card_ok: Optional[bool]               # answered with the right card(s), intent routed there
    card_ok_any_intent: Optional[bool]    # the same, whatever the intent (card resolution only)
    off_topic: bool = False               # a topic intent turned away by the scope check (bot.knowledge.scope)


@dataclass
class HoldoutResult:
    model: str
    holdout_dir: str
    outcomes: list[Outcome]
    intents: list[LabelScore]
    intent_micro: PRF
    intent_macro: PRF
    entities: PRF
    confusions: list[tuple[str, str, int, list[str]]]
    groups: dict[str, dict[str, int]]     # group -> items, card_items, card_ok, card_ok_any_intent
    out_of_scope: dict[str, int]          # items, strict, no_domain_answer
    load_seconds: float = 0.0
    parse_seconds: float = 0.0

    # ---- headline figures ------------------------------------------------------------
    @property
    def card_items(self) -> int:
        return sum(1 for o in self.outcomes if o.card_ok is not None)

    @property
    def card_accuracy(self) -> float:
        """Card (and compare) items answered with the right card, through an answering intent."""
        return _ratio(sum(1 for o in self.outcomes if o.card_ok), self.card_items)

    @property
    def card_accuracy_any_intent(self) -> float:
        """As :attr:`card_accuracy`, counting the card resolution alone (whatever the intent)."""
        return _ratio(sum(1 for o in self.outcomes if o.card_ok_any_intent), self.card_items)

    @property
    def out_of_scope_strict(self) -> float:
        return _ratio(self.out_of_scope["strict"], self.out_of_scope["items"])

    @property
    def out_of_scope_no_answer(self) -> float:
        return _ratio(self.out_of_scope["no_domain_answer"], self.out_of_scope["items"])

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(card_accuracy=self.card_accuracy, card_accuracy_any_intent=self.card_accuracy_any_intent,
                    out_of_scope_strict=self.out_of_scope_strict, out_of_scope_no_answer=self.out_of_scope_no_answer)
        return data


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


# ---------------------------------------------------------------------------------------
# Loading the held-out set and what each item expects
# ---------------------------------------------------------------------------------------
def load_holdout(holdout_dir: Path = DEFAULT_HOLDOUT_DIR, pattern: str = "*.yml") -> list[HoldoutItem]:
    """Every item of every ``*.yml`` file (or those matching ``pattern``); the group is the file name."""
    items: list[HoldoutItem] = []
    for path in sorted(Path(holdout_dir).glob(pattern)):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
                raise ValueError(f"{path.name}: every item needs a text: {raw!r}")
            compare = raw.get("compare")
            items.append(HoldoutItem(
                text=raw["text"], group=path.stem, card=raw.get("card"),
                compare=tuple(compare) if compare else None, intent=raw.get("intent"),
            ))
    return items


def expected_intent(item: HoldoutItem, library) -> str:
    """The intent an item should get (see the module docstring)."""
    if item.intent:
        return item.intent
    if item.compare:
        return COMPARE
    card = library.cards.get(item.card) if item.card else None
    if card is None:
        raise ValueError(f"unknown card {item.card!r} for {item.text!r}")
    return card.intents[0] if card.intents else WHAT_IS


def expected_term_cards(item: HoldoutItem, library) -> Optional[list[str]]:
    """Cards the message's term entities should name; None when terms are not scored.

    Scored: card items whose card has no topic intent (the card must be named), compare items
    (both must be named) and intent items (nothing may be named: "what is photosynthesis").
    Not scored: card items answered through a topic intent, which may or may not name a term.
    """
    if item.compare:
        return sorted(set(item.compare))
    if item.card:
        card = library.cards.get(item.card)
        return None if card is None or card.intents else [item.card]
    return []


def named_term_cards(entities: Iterable[dict], library) -> list[str]:
    """The card each ``term`` entity resolves to (UNRESOLVED when it resolves to none), deduplicated."""
    named: list[str] = []
    for entity in entities:
        if entity.get("entity") != "term" or not isinstance(entity.get("value"), str):
            continue
        card = library.card_for_term(entity["value"])
        cid = card.id if card is not None else UNRESOLVED
        if cid not in named:
            named.append(cid)
    return named


def _answer(library, parsed: "Parsed", text: str, scope, comparable: Collection[str]) -> tuple[Optional[str], bool]:
    """The card the deployed bot shows someone not signed in, and whether it turned the message away.

    A personal intent ("when is my review?") gets its general card (:mod:`bot.knowledge.personal_topics`),
    "what am I entitled to?" the care-leaver check, which answers the care-leaver card for the asker,
    a follow-up the card it names or its aspect's card (:mod:`bot.knowledge.follow_up`), a check-in
    the card of the question under it (:mod:`bot.knowledge.under_check_in`); everything else goes
    through :func:`bot.knowledge.choose_card.route`. ``comparable``: the orders the bot can compare.
    """
    from bot.knowledge.choose_card import route
    from bot.knowledge.follow_up import follow_up_card
    from bot.knowledge.personal_topics import general_card

    general = general_card(library, parsed.intent, parsed.entities) if parsed.intent else None
    if general is not None:
        return general.id, False
    if parsed.intent == CHECK_INTENT:  # the guided check works out the care-leaver card for the asker
        return CHECK_CARD, False
    if parsed.intent == FOLLOW_UP:  # a single message: nothing was shown before it
        card = follow_up_card(library, parsed.entities, None, text)
        return (card.id if card is not None else None), False
    if parsed.intent == SAFEGUARDING:  # the full reply alone, or the check-in and the question under it
        card = card_under_check_in(library, parsed.safeguarding, parsed.entities, text, scope, parsed.evidence)
        return (card.id if card is not None else None), False
    if comparison_pair(library, parsed.intent, parsed.entities, text, comparable) is not None:
        return None, False  # the bot compares the two cards named (bot.knowledge.compare_request)
    found = route(library, parsed.intent, list(parsed.entities), parsed.confidence, text, scope, parsed.evidence)
    return (found.card.id if found.card is not None else None), found.off_topic


def score_item(item: HoldoutItem, parsed: Parsed, library, scope=None,
               comparable: Optional[Collection[str]] = None) -> Outcome:
    """Score one parsed item. ``scope`` (:class:`bot.knowledge.scope.TopicScope`): the deployed scope
    check; ``comparable``: the orders the bot compares (content/order_facts.yml unless given)."""
    if comparable is None:
        comparable = frozenset(load_order_facts())
    expected = expected_intent(item, library)
    answer: Optional[str] = None
    off_topic = False
    ok = ok_any = None
    if item.card:
        answer, off_topic = _answer(library, parsed, item.text, scope, comparable)
        ok = answer == item.card
        # Whatever the intent: the answer, or failing that the first card the terms name.
        first_named = next(iter(library.cards_named(list(parsed.entities))), None)
        ok_any = ok or (first_named is not None and first_named.id == item.card)
    elif item.intent:
        answer, off_topic = _answer(library, parsed, item.text, scope, comparable)
    elif item.compare:
        named = [c.id for c in library.cards_named(list(parsed.entities))]
        answer = "+".join(named) if named else None
        ok_any = all(c in named for c in item.compare)
        ok = ok_any and (parsed.intent == COMPARE
                         or comparison_pair(library, parsed.intent, parsed.entities, item.text, comparable) is not None)
    return Outcome(
        text=item.text, group=item.group, expected_intent=expected, predicted_intent=parsed.intent,
        confidence=round(parsed.confidence, 4), expected_cards=expected_term_cards(item, library),
        named_cards=named_term_cards(parsed.entities, library), answer=answer, card_ok=ok,
        card_ok_any_intent=ok_any, off_topic=off_topic,
    )


# ---------------------------------------------------------------------------------------
# Scoring (pure)
# ---------------------------------------------------------------------------------------
def score_labels(pairs: Sequence[tuple[str, Optional[str]]]) -> tuple[list[LabelScore], PRF, PRF]:
    """Per-label precision/recall/F1 for (expected, predicted) pairs, plus micro and macro averages.

    Single-label classification: micro P = R = F1 = accuracy. Macro averages the labels that
    were expected at least once (a label only ever predicted is a precision loss of others,
    already counted there). An undefined ratio (nothing predicted) counts as 0.
    """
    tp: Counter = Counter()
    support: Counter = Counter()
    predicted: Counter = Counter()
    for exp, pred in pairs:
        pred = pred or "<none>"
        support[exp] += 1
        predicted[pred] += 1
        if exp == pred:
            tp[exp] += 1
    scores = []
    for label in sorted(set(support) | set(predicted)):
        p = _ratio(tp[label], predicted[label])
        r = _ratio(tp[label], support[label])
        scores.append(LabelScore(label, p, r, _f1(p, r), support[label], predicted[label]))
    total = len(pairs)
    correct = sum(tp.values())
    acc = _ratio(correct, total)
    micro = PRF(acc, acc, acc, correct, total - correct, total - correct)
    expected_labels = [s for s in scores if s.support]
    n = len(expected_labels)
    macro = PRF(
        _ratio(sum(s.precision for s in expected_labels), n) if n else 0.0,
        _ratio(sum(s.recall for s in expected_labels), n) if n else 0.0,
        _ratio(sum(s.f1 for s in expected_labels), n) if n else 0.0,
    )
    return scores, micro, macro


def score_entities(outcomes: Iterable[Outcome]) -> PRF:
    """Term P/R/F1 over the resolved card sets of the items whose terms are scored."""
    tp = fp = fn = 0
    for o in outcomes:
        if o.expected_cards is None:
            continue
        want, got = set(o.expected_cards), set(o.named_cards)
        tp += len(want & got)
        fp += len(got - want)
        fn += len(want - got)
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return PRF(p, r, _f1(p, r), tp, fp, fn)


def top_confusions(outcomes: Iterable[Outcome], n: int = 10, examples: int = 2) -> list[tuple[str, str, int, list[str]]]:
    """The most frequent (expected, predicted) intent mistakes, with a few example texts."""
    counts: Counter = Counter()
    texts: dict[tuple[str, str], list[str]] = defaultdict(list)
    for o in outcomes:
        pred = o.predicted_intent or "<none>"
        if pred != o.expected_intent:
            key = (o.expected_intent, pred)
            counts[key] += 1
            if len(texts[key]) < examples:
                texts[key].append(o.text)
    return [(exp, pred, count, texts[(exp, pred)]) for (exp, pred), count in counts.most_common(n)]


def score_groups(outcomes: Iterable[Outcome]) -> dict[str, dict[str, int]]:
    groups: dict[str, dict[str, int]] = {}
    for o in outcomes:
        g = groups.setdefault(o.group, {"items": 0, "intent_ok": 0, "card_items": 0, "card_ok": 0,
                                        "card_ok_any_intent": 0})
        g["items"] += 1
        g["intent_ok"] += int(o.predicted_intent == o.expected_intent)
        if o.card_ok is not None:
            g["card_items"] += 1
            g["card_ok"] += int(bool(o.card_ok))
            g["card_ok_any_intent"] += int(bool(o.card_ok_any_intent))
    return dict(sorted(groups.items()))


def gives_domain_answer(outcome: Outcome) -> bool:
    """Would the user get care content (a card, or a personal lookup) for this message?

    No for out_of_scope, nlu_fallback and small talk, for a what-is, compare or follow-up naming
    none of our cards (the bot asks back) and for a topic intent the scope check turned away (the
    out-of-scope reply). A safety reply counts as a domain answer here: a false alarm.
    """
    if outcome.answer is not None:
        return True
    return not (outcome.off_topic or outcome.predicted_intent in NO_DOMAIN_ANSWER | CARD_ROUTED | {FOLLOW_UP})


def score_out_of_scope(outcomes: Iterable[Outcome]) -> dict[str, int]:
    """Items expecting out_of_scope: strictly out_of_scope, or any prediction giving no domain answer.

    Also counts safeguarding false alarms over the whole set: items not expecting
    ``safeguarding_concern`` that got it (lexicon or classifier, as deployed).
    """
    outcomes = list(outcomes)
    oos = [o for o in outcomes if o.expected_intent == OUT_OF_SCOPE]
    ordinary = [o for o in outcomes if o.expected_intent != SAFEGUARDING]
    return {
        "items": len(oos),
        "strict": sum(1 for o in oos if o.predicted_intent == OUT_OF_SCOPE),
        # What the user gets: no card answered. "What is photosynthesis?" parsed as ask_what_is
        # names none of our terms, so the bot asks which thing they mean: not a domain answer.
        "no_domain_answer": sum(1 for o in oos if not gives_domain_answer(o)),
        "turned_away": sum(1 for o in oos if o.off_topic),
        "care_turned_away": sum(1 for o in outcomes if o.off_topic and o.expected_intent != OUT_OF_SCOPE),
        "ordinary_items": len(ordinary),
        "safeguarding_false_alarms": sum(1 for o in ordinary if o.predicted_intent == SAFEGUARDING),
    }


def score(items: Sequence[HoldoutItem], parses: Sequence[Parsed], library, *, model: str = "",
          holdout_dir: str = "", scope=None) -> HoldoutResult:
    """Score parsed held-out items (pure: no Rasa), through the scope check as deployed
    (:func:`bot.knowledge.scope.load_scope` unless a ``scope`` is given)."""
    if len(items) != len(parses):
        raise ValueError("one parse per item")
    if scope is None:
        from bot.knowledge.scope import load_scope

        scope = load_scope(library)
    comparable = frozenset(load_order_facts())
    outcomes = [score_item(i, p, library, scope, comparable) for i, p in zip(items, parses)]
    intents, micro, macro = score_labels([(o.expected_intent, o.predicted_intent) for o in outcomes])
    return HoldoutResult(
        model=model, holdout_dir=holdout_dir, outcomes=outcomes, intents=intents, intent_micro=micro,
        intent_macro=macro, entities=score_entities(outcomes), confusions=top_confusions(outcomes),
        groups=score_groups(outcomes), out_of_scope=score_out_of_scope(outcomes),
    )


# ---------------------------------------------------------------------------------------
# Engine environment: load the model once and parse every message
# ---------------------------------------------------------------------------------------
def load_agent(model_path: Path):
    """Load a trained model with Rasa's Agent (NLU and policies; no endpoints). Engine env only."""
    from rasa.core.agent import Agent

    return Agent.load(str(model_path))


async def parse_all(agent, texts: Sequence[str]) -> list[Parsed]:
    return [Parsed.from_rasa(await agent.parse_message(text)) for text in texts]


def evaluate_holdout(model_path: Path | str, holdout_dir: Path | str = DEFAULT_HOLDOUT_DIR,
                     library=None, agent=None, items_glob: str = "*.yml") -> HoldoutResult:
    """Parse every held-out message with the model and score it (engine environment).

    ``agent`` lets a caller reuse an already loaded model; ``library`` defaults to
    :func:`bot.knowledge.card_loader.load_library`.
    """
    if library is None:
        from bot.knowledge.card_loader import load_library

        library = load_library()
    items = load_holdout(Path(holdout_dir), items_glob)
    began = time.perf_counter()
    if agent is None:
        agent = load_agent(Path(model_path))
    loaded = time.perf_counter()
    parses = asyncio.run(parse_all(agent, [i.text for i in items]))
    done = time.perf_counter()
    result = score(items, parses, library, model=str(model_path), holdout_dir=str(holdout_dir))
    result.load_seconds = round(loaded - began, 2)
    result.parse_seconds = round(done - loaded, 2)
    return result


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def summary_lines(result: HoldoutResult) -> list[str]:
    n = len(result.outcomes)
    oos = result.out_of_scope
    return [
        f"NLU held-out: {n} messages in {len(result.groups)} groups",
        f"  intent accuracy (micro F1) {pct(result.intent_micro.f1)}, macro F1 {pct(result.intent_macro.f1)}",
        f"  term entities P {pct(result.entities.precision)} R {pct(result.entities.recall)} "
        f"F1 {pct(result.entities.f1)}",
        f"  card accuracy {pct(result.card_accuracy)} ({sum(1 for o in result.outcomes if o.card_ok)}"
        f"/{result.card_items}); card resolution whatever the intent {pct(result.card_accuracy_any_intent)}",
        f"  out of scope ({oos['items']}): strict {pct(result.out_of_scope_strict)}, "
        f"no domain answer {pct(result.out_of_scope_no_answer)} "
        f"({oos.get('turned_away', 0)} of them by the scope check)",
        f"  care questions the scope check turned away: {oos.get('care_turned_away', 0)}",
        f"  safeguarding reply to an ordinary held-out message: {oos['safeguarding_false_alarms']}"
        f"/{oos['ordinary_items']} ({pct(_ratio(oos['safeguarding_false_alarms'], oos['ordinary_items']))})",
    ]


def markdown(result: HoldoutResult, max_errors: int = 40) -> str:
    """The NLU section of the evaluation report."""
    out: list[str] = ["## NLU on the held-out set", ""]
    out.append(f"Model `{result.model}`, held-out set `{result.holdout_dir}`: {len(result.outcomes)} messages "
               f"(model loaded in {result.load_seconds:.1f} s, parsed in {result.parse_seconds:.1f} s).")
    out.append("")
    out += [f"- {line.strip()}" for line in summary_lines(result)[1:]]
    out += ["", "### Card accuracy per group", "",
            "Card accuracy: the card the bot answers with (`bot.knowledge.choose_card.answer_card`, compare items: "
            "both cards in `Library.cards_named`) is right *and* the intent routes to that answer. "
            "\"Any intent\" counts the card resolution alone.", "",
            "| group | items | intent acc. | card items | card acc. | card acc. (any intent) |",
            "|---|---:|---:|---:|---:|---:|"]
    for name, g in result.groups.items():
        card = f"{pct(_ratio(g['card_ok'], g['card_items']))}" if g["card_items"] else "-"
        anyi = f"{pct(_ratio(g['card_ok_any_intent'], g['card_items']))}" if g["card_items"] else "-"
        out.append(f"| {name} | {g['items']} | {pct(_ratio(g['intent_ok'], g['items']))} | {g['card_items']} "
                   f"| {card} | {anyi} |")
    out += ["", "### Intents", "",
            f"Micro (= accuracy): {pct(result.intent_micro.f1)}. Macro over expected intents: "
            f"P {pct(result.intent_macro.precision)}, R {pct(result.intent_macro.recall)}, "
            f"F1 {pct(result.intent_macro.f1)}.", "",
            "| intent | precision | recall | F1 | expected | predicted |", "|---|---:|---:|---:|---:|---:|"]
    for s in result.intents:
        out.append(f"| {s.label} | {pct(s.precision)} | {pct(s.recall)} | {pct(s.f1)} | {s.support} | {s.predicted} |")
    e = result.entities
    out += ["", "### Term entities", "",
            "Scored on the cards the `term` entities resolve to, for card items without a topic intent "
            "(must name the card), compare items (both cards) and intent items (must name none).", "",
            f"Precision {pct(e.precision)}, recall {pct(e.recall)}, F1 {pct(e.f1)} "
            f"(tp {e.tp}, fp {e.fp}, fn {e.fn}).", "",
            "### Top confusions", "", "| expected | predicted | count | e.g. |", "|---|---|---:|---|"]
    for exp, pred, count, texts in result.confusions:
        examples = "; ".join(f"\"{t}\"" for t in texts).replace("|", "/")
        out.append(f"| {exp} | {pred} | {count} | {examples} |")
    wrong = [o for o in result.outcomes if o.card_ok is False]
    out += ["", f"### Wrong card answers ({len(wrong)}, first {min(len(wrong), max_errors)})", "",
            "| group | text | expected intent | predicted (conf.) | named | answered |", "|---|---|---|---|---|---|"]
    for o in wrong[:max_errors]:
        out.append(f"| {o.group} | {o.text.replace('|', '/')} | {o.expected_intent} | {o.predicted_intent} "
                   f"({o.confidence:.2f}) | {', '.join(o.named_cards) or '-'} | {o.answer or '-'} |")
    oos_wrong = [o for o in result.outcomes if o.expected_intent == OUT_OF_SCOPE and gives_domain_answer(o)]
    out += ["", f"### Out of scope given a domain answer ({len(oos_wrong)})", ""]
    out += [f"- \"{o.text}\" -> {o.predicted_intent} ({o.confidence:.2f}): {o.answer or 'no card'}"
            for o in oos_wrong[:max_errors]]
    kept_back = [o for o in result.outcomes if o.off_topic and o.expected_intent != OUT_OF_SCOPE]
    out += ["", f"### Care questions the scope check turned away ({len(kept_back)})", "",
            "They get the out-of-scope reply with the guessed topic as the first button.", ""]
    out += [f"- \"{o.text}\" -> {o.predicted_intent} ({o.confidence:.2f}), expected {o.expected_intent}"
            for o in kept_back[:max_errors]]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.engine.evaluation.nlu", description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="trained model .tar.gz")
    parser.add_argument("--holdout", default=str(DEFAULT_HOLDOUT_DIR))
    parser.add_argument("--json", help="also write the full result as JSON here")
    parser.add_argument("--markdown", help="write the markdown section here")
    args = parser.parse_args(argv)
    result = evaluate_holdout(args.model, args.holdout)
    print("\n".join(summary_lines(result)))
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=1), encoding="utf-8")
    if args.markdown:
        Path(args.markdown).write_text(markdown(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
