"""Compare two lexicons over every crisis and ordinary line: what a lexicon change gains and costs.

    python -m bot.safeguarding.lexicon_diff REF             # REF: a git revision, e.g. HEAD or main
    python -m bot.safeguarding.lexicon_diff path/to/old.yml

Why: a new rule is written from one missed message, and the review question is what else it
moves. This runs the working tree's matcher with the old lexicon and with the current one over
every crisis line the project holds (training and test: crisis messages, second-message
disclosures, crisis phrase lists) and every ordinary line (`ordinary_hits.ordinary_lines`), and
reports crisis lines lost or gained and ordinary lines whose tier changed. It prints counts and
file:line, never message text, so the report can be pasted into a review. A change to the matcher
itself is compared by running this from two checkouts.
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional

import yaml

from bot.safeguarding.lexicon import LEXICON_PATH, LexiconError
from bot.safeguarding.matcher import Signal, default_matcher
from bot.safeguarding.ordinary_hits import SAFETY_TESTS, SAFETY_TRAINING, OrdinaryLine, ordinary_lines
from bot.safeguarding.phrase_sets import NONE, read_crisis_tsv, read_pairs_tsv, read_phrase_list
from bot.settings import PROJECT_ROOT

Check = Callable[[str], Optional[Signal]]


def crisis_lines(folders: Iterable[Path] = (SAFETY_TRAINING, SAFETY_TESTS)) -> list[OrdinaryLine]:
    """Every message that must get a safety reply: crisis lines, disclosing second messages, crisis phrases."""
    lines: list[OrdinaryLine] = []
    for folder in folders:
        for path in sorted(folder.rglob("crisis*.tsv")):
            lines += [OrdinaryLine(path, p.line, p.text) for p in read_crisis_tsv(path)]
        for path in sorted(folder.rglob("pairs*.tsv")):
            lines += [OrdinaryLine(path, p.line, p.second) for p in read_pairs_tsv(path) if p.category != NONE]
        for path in sorted(folder.rglob("*crisis*.txt")):
            lines += [OrdinaryLine(path, p.line, p.text) for p in read_phrase_list(path)]
    return lines


def _tier(signal: Optional[Signal]) -> str:
    if signal is None:
        return "none"
    return "strong" if signal.strong else signal.tier


@dataclass(frozen=True)
class Change:
    """One line whose outcome differs: where it is, and its tier before and after."""

    line: OrdinaryLine
    before: str
    after: str


def changes(lines: Iterable[OrdinaryLine], old: Check, new: Check) -> list[Change]:
    """Lines whose tier (none, check_in, risk, strong) differs between the two checks."""
    found = []
    for line in lines:
        before, after = _tier(old(line.text)), _tier(new(line.text))
        if before != after:
            found.append(Change(line, before, after))
    return found


def old_lexicon_file(ref: str, workdir: Path) -> Path:
    """The old lexicon as a file: the path itself, or the lexicon at a git revision."""
    path = Path(ref)
    if path.is_file():
        return path
    relative = LEXICON_PATH.relative_to(PROJECT_ROOT).as_posix()
    shown = subprocess.run(["git", "show", f"{ref}:{relative}"], cwd=PROJECT_ROOT,
                           capture_output=True, text=True)
    if shown.returncode != 0:
        raise LexiconError(f"no lexicon at '{ref}': give a git revision (HEAD, main) or a file path")
    target = workdir / "lexicon.yml"
    target.write_text(shown.stdout, encoding="utf-8")
    return target


def _where(change: Change) -> str:
    return f"{change.line.path.relative_to(PROJECT_ROOT).as_posix()}:{change.line.line}"


def report(crisis: list[Change], ordinary: list[Change], n_crisis: int, n_ordinary: int) -> list[str]:
    """The printed report: crisis lines lost and gained, ordinary lines quieter and louder."""
    rank = {"none": 0, "check_in": 1, "risk": 2, "strong": 3}
    lost = [c for c in crisis if c.after == "none"]
    gained = [c for c in crisis if c.before == "none"]
    louder = [c for c in ordinary if rank[c.after] > rank[c.before]]
    out = [f"  crisis lines: {n_crisis}; lost {len(lost)}, gained {len(gained)}, "
           f"tier changed {len(crisis) - len(lost) - len(gained)}"]
    out += [f"      {_where(c)}: {c.before} -> {c.after}" for c in crisis]
    out.append(f"  ordinary lines: {n_ordinary}; quieter {len(ordinary) - len(louder)}, louder {len(louder)}")
    out += [f"      {_where(c)}: {c.before} -> {c.after}" for c in ordinary]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", help="the old lexicon: a git revision (HEAD, main) or a file path")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        try:
            old = default_matcher(str(old_lexicon_file(args.ref, Path(workdir))))
        except (LexiconError, OSError, yaml.YAMLError) as problem:
            print(f"  {problem}")
            return 2
        new = default_matcher()
        crisis, ordinary = crisis_lines(), ordinary_lines()
        lines = report(changes(crisis, old.check, new.check), changes(ordinary, old.check, new.check),
                       len(crisis), len(ordinary))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
