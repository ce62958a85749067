"""Count the lexicon rules that fire on ordinary messages: the false-alarm check for a new rule.

    python -m bot.safeguarding.ordinary_hits                    # every rule that fires, with counts
    python -m bot.safeguarding.ordinary_hits RULE [RULE ...]    # only these rules, with where they fire

Why: a new check rule is written from a missed disclosure, and the question that decides whether
it stays is how often it fires on messages that are not about harm. Every ordinary line we hold
answers that: the safeguarding look-alikes and harmless second messages (training and test
sets), the ordinary phrase list, every NLU training example outside the safeguarding intent, the
card questions and the NLU held-out and blind sets. Prints rule ids, counts and file:line, never
message text, so the report can be pasted into a review.
"""
from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import yaml

from bot.evaluation.nlu_leaks import TEST_DIRS, card_questions
from bot.safeguarding.matcher import default_matcher
from bot.safeguarding.phrase_sets import NONE, read_lookalike_tsv, read_pairs_tsv, read_phrase_list
from bot.settings import PROJECT_ROOT

SAFETY_TRAINING = PROJECT_ROOT / "content" / "safeguarding" / "training"
SAFETY_TESTS = PROJECT_ROOT / "tests" / "safety"
NLU_DIR = PROJECT_ROOT / "data" / "nlu"
SAFETY_INTENT = "safeguarding_concern"
#: Rasa's entity annotation: [text](entity) or [text]{"entity": ...}.
ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class OrdinaryLine:
    """A message that is not about harm, and where it sits (a line number; in a YAML test set, the item's number)."""

    path: Path
    line: int
    text: str


def _strip_entity_markup(example: str) -> str:
    """"what is an [sgo](term)" -> "what is an sgo": the user never types the markup."""
    return ENTITY_MARKUP.sub(lambda match: match.group(1), example)


def safety_set_lines(folders: Iterable[Path]) -> list[OrdinaryLine]:
    """Look-alikes, every first message of a pair and the harmless second ones."""
    lines: list[OrdinaryLine] = []
    for folder in folders:
        for path in sorted(folder.rglob("lookalike*.tsv")):
            lines += [OrdinaryLine(path, p.line, p.text) for p in read_lookalike_tsv(path)]
        for path in sorted(folder.rglob("pairs*.tsv")):
            for pair in read_pairs_tsv(path):
                lines.append(OrdinaryLine(path, pair.line, pair.first))
                if pair.category == NONE:
                    lines.append(OrdinaryLine(path, pair.line, pair.second))
        for path in sorted(folder.rglob("phrases_ordinary.txt")):
            lines += [OrdinaryLine(path, p.line, p.text) for p in read_phrase_list(path)]
    return lines


def nlu_training_lines(nlu_dir: Path = NLU_DIR) -> list[OrdinaryLine]:
    """Every NLU example outside the safeguarding intent, entity markup removed."""
    lines: list[OrdinaryLine] = []
    for path in sorted(nlu_dir.glob("*.yml")):
        intent = None
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = raw.strip()
            if stripped.startswith(("- intent:", "- synonym:", "- regex:", "- lookup:")):
                intent = stripped.split(":", 1)[1].strip() if stripped.startswith("- intent:") else None
            elif intent not in (None, SAFETY_INTENT) and stripped.startswith("- ") and raw.startswith("    "):
                lines.append(OrdinaryLine(path, number, _strip_entity_markup(stripped[2:])))
    return lines


def nlu_test_lines(dirs: Iterable[Path] = TEST_DIRS) -> list[OrdinaryLine]:
    """Every card question and off-topic message of the NLU held-out and blind sets."""
    return [OrdinaryLine(path, number, item["text"])
            for folder in dirs for path in sorted(folder.glob("*.yml"))
            for number, item in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or [], 1)
            if isinstance(item, dict) and item.get("text")]


def card_question_lines() -> list[OrdinaryLine]:
    """The writers' card questions, read as the NLU leak check reads them."""
    return [OrdinaryLine(example.path, example.line, example.text) for example in card_questions()]


def ordinary_lines() -> list[OrdinaryLine]:
    """Every ordinary message the project holds."""
    return (safety_set_lines([SAFETY_TRAINING, SAFETY_TESTS]) + nlu_training_lines()
            + nlu_test_lines() + card_question_lines())


def rule_hits(lines: list[OrdinaryLine], rules_of: Callable[[str], list[str]]) -> dict[str, list[OrdinaryLine]]:
    """Rule id -> the ordinary lines it fires on."""
    hits: dict[str, list[OrdinaryLine]] = {}
    for line in lines:
        for rule in set(rules_of(line.text)):
            hits.setdefault(rule, []).append(line)
    return hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rules", nargs="*", help="rule ids to report on, with where they fire (default: all)")
    args = parser.parse_args(argv)
    matcher = default_matcher()
    known = set(matcher.tier)
    unknown = [rule for rule in args.rules if rule not in known]
    if unknown:
        print(f"  unknown rule id(s): {', '.join(unknown)}; `grep 'id:' content/safeguarding/lexicon.yml` lists them")
        return 2
    lines = ordinary_lines()
    hits = rule_hits(lines, lambda text: [rule for rule, _, _ in matcher.matches(text)])
    wanted = args.rules or sorted(hits)
    counts = Counter({rule: len(hits.get(rule, [])) for rule in wanted})
    for rule, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        print(f"  {rule}: {count}")
        if args.rules:
            for line in hits.get(rule, []):
                where = line.path.relative_to(PROJECT_ROOT).as_posix()
                print(f"      {where}:{line.line}")
    fired = {(line.path, line.line, line.text) for rule in wanted for line in hits.get(rule, [])}
    print(f"  {len(lines)} ordinary lines; {len(fired)} fired on")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
