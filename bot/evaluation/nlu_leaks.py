"""Keep data/nlu apart from the held-out and blind sets that measure it.

    python -m bot.evaluation.nlu_leaks          # count training examples close to a test message
    python -m bot.evaluation.nlu_leaks --drop   # and remove them from data/nlu and content/card_questions

Why: the test sets' writers never saw the training data, yet they can write the same short
question ("what is a pathway plan"). A training example within a typo or a word order of a
test message (:func:`bot.evaluation.leaks.near_duplicates`) would let the set measure memory,
so it is dropped from training. Prints counts and file names, never message text.
"""
from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.evaluation.leaks import drop_lines, near_duplicates
from bot.settings import PROJECT_ROOT

NLU_DIR = PROJECT_ROOT / "data" / "nlu"
#: Writers' questions per card (card id, voice, text), waiting to become training data.
CARD_QUESTIONS_DIR = PROJECT_ROOT / "content" / "card_questions"
TEST_DIRS = (PROJECT_ROOT / "tests" / "nlu_holdout", PROJECT_ROOT / "tests" / "nlu_blind")


@dataclass(frozen=True)
class Example:
    """One training example and the line it sits on."""

    path: Path
    line: int
    text: str


def training_examples(nlu_dir: Path = NLU_DIR) -> list[Example]:
    """Every ``- example`` line of every intent block, with its file and line number."""
    examples: list[Example] = []
    for path in sorted(nlu_dir.glob("*.yml")):
        in_examples = False
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = raw.strip()
            if stripped.startswith("examples:"):
                in_examples = True
            elif in_examples and stripped.startswith("- ") and raw.startswith("    "):
                examples.append(Example(path, number, stripped[2:]))
            elif not raw.startswith("    "):
                in_examples = False
    return examples


def card_questions(folder: Path = CARD_QUESTIONS_DIR) -> list[Example]:
    """Every writer's question in ``content/card_questions/*.tsv``, with its line number."""
    examples: list[Example] = []
    for path in sorted(folder.glob("*.tsv")):
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            columns = raw.split("\t")
            if len(columns) == 3 and not raw.startswith("#"):
                examples.append(Example(path, number, columns[2]))
    return examples


def held_out_messages(dirs: tuple[Path, ...] = TEST_DIRS) -> list[str]:
    """The text of every held-out and blind item."""
    return [item["text"] for folder in dirs for path in sorted(folder.glob("*.yml"))
            for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or [])]


def leaked_examples(nlu_dir: Path = NLU_DIR, dirs: tuple[Path, ...] = TEST_DIRS,
                    questions_dir: Path = CARD_QUESTIONS_DIR) -> list[Example]:
    """Training examples (data/nlu and the writers' card questions) close to some test message."""
    examples = training_examples(nlu_dir) + card_questions(questions_dir)
    hits = {leak.train_index for leak in near_duplicates([e.text for e in examples], held_out_messages(dirs))}
    return [examples[i] for i in sorted(hits)]


def drop(examples: list[Example]) -> None:
    """Remove the given example lines from their files."""
    by_path: dict[Path, set[int]] = {}
    for example in examples:
        by_path.setdefault(example.path, set()).add(example.line)
    for path, lines in by_path.items():
        drop_lines(path, lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drop", action="store_true", help="remove them from the training files")
    args = parser.parse_args(argv)
    leaked = leaked_examples()
    for name, count in sorted(Counter(e.path.relative_to(PROJECT_ROOT).as_posix() for e in leaked).items()):
        print(f"  {name}: {count} example(s) close to a held-out or blind message")
    print(f"  {len(leaked)} leaked training example(s)")
    if args.drop:
        drop(leaked)
        print("  dropped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
