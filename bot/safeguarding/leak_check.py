"""Keep the safeguarding training data apart from every set that measures it.

    python -m bot.safeguarding.leak_check          # list leaked training lines (file:line only)
    python -m bot.safeguarding.leak_check --drop   # and remove them from the training files

Why: the training writers and the test writers never see each other's work, but they can
still write the same everyday sentence. A training line close to a test line
(:func:`bot.evaluation.leaks.near_duplicates`) would let a set measure memory instead of
understanding, so it is dropped from training. Prints no message text.
"""
from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from bot.evaluation.leaks import drop_lines, near_duplicates
from bot.safeguarding.phrase_sets import read_crisis_tsv, read_lookalike_tsv, read_pairs_tsv, read_phrase_list

ROOT = Path(__file__).resolve().parents[2]
TRAINING_DIR = ROOT / "content" / "safeguarding" / "training"
TEST_DIR = ROOT / "tests" / "safety"


def lines_of(path: Path) -> list[tuple[int, str]]:
    """(line number, message) for every message in a set file; a pair gives both messages."""
    name = path.name
    if name.endswith(".txt"):
        return [(p.line, p.text) for p in read_phrase_list(path)]
    if name.startswith("crisis"):
        return [(p.line, p.text) for p in read_crisis_tsv(path)]
    if name.startswith("lookalike"):
        return [(p.line, p.text) for p in read_lookalike_tsv(path)]
    if name.startswith("pairs"):
        return [(p.line, t) for p in read_pairs_tsv(path) for t in (p.first, p.second)]
    return []


def set_files(folder: Path) -> list[Path]:
    """Every phrase list and writer's TSV under a folder."""
    return sorted(p for p in folder.rglob("*") if p.suffix in (".txt", ".tsv"))


def leaked_lines(training_dir: Path = TRAINING_DIR, test_dir: Path = TEST_DIR) -> dict[Path, set[int]]:
    """Training file -> line numbers close to some test message."""
    training = [(path, line, text) for path in set_files(training_dir) for line, text in lines_of(path)]
    tests = [text for path in set_files(test_dir) for _, text in lines_of(path)]
    found: dict[Path, set[int]] = {}
    for leak in near_duplicates([text for _, _, text in training], tests):
        path, line, _ = training[leak.train_index]
        found.setdefault(path, set()).add(line)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drop", action="store_true", help="remove leaked lines from the training files")
    args = parser.parse_args(argv)
    found = leaked_lines()
    counts = Counter({path.relative_to(ROOT).as_posix(): len(lines) for path, lines in found.items()})
    for name, count in sorted(counts.items()):
        print(f"  {name}: {count} line(s) close to a test message")
    print(f"  {sum(counts.values())} leaked training line(s)")
    if args.drop:
        for path, lines in found.items():
            drop_lines(path, lines)
        print("  dropped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
