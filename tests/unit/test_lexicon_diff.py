"""The lexicon comparison: which lines it reads, what counts as a change, and what it prints."""
from pathlib import Path

import pytest
import yaml

from bot.safeguarding import lexicon_diff
from bot.safeguarding.lexicon import LEXICON_PATH
from bot.safeguarding.lexicon_diff import Change, changes, crisis_lines, old_lexicon_file, report
from bot.safeguarding.matcher import Signal
from bot.safeguarding.ordinary_hits import OrdinaryLine
from bot.settings import PROJECT_ROOT

RISK = Signal("suicide", "suicide.word", "risk")
STRONG = Signal("suicide", "suicide.word", "risk", strong=True)
CHECK_IN = Signal("suicide", "suicide.word", "check_in")


def test_crisis_lines_are_crisis_messages_disclosing_second_messages_and_crisis_phrases(tmp_path: Path):
    (tmp_path / "crisis.tsv").write_text("neglect\tchild\tclear\ta made-up crisis\n", encoding="utf-8")
    (tmp_path / "pairs.tsv").write_text(
        "none\tchild\tclear\tfirst\tharmless second\n"
        "neglect\tchild\tclear\tanother first\ta made-up disclosure\n", encoding="utf-8")
    (tmp_path / "phrases_crisis.txt").write_text("# == suicide\na made-up phrase\n", encoding="utf-8")
    (tmp_path / "phrases_ordinary.txt").write_text("an ordinary phrase\n", encoding="utf-8")
    texts = sorted(line.text for line in crisis_lines([tmp_path]))
    assert texts == ["a made-up crisis", "a made-up disclosure", "a made-up phrase"]


def test_only_lines_whose_tier_differs_are_changes():
    lines = [OrdinaryLine(Path("x"), n, text) for n, text in enumerate(["same", "softer", "lost", "new"], 1)]
    old = {"same": RISK, "softer": STRONG, "lost": CHECK_IN, "new": None}
    new = {"same": RISK, "softer": CHECK_IN, "lost": None, "new": RISK}
    found = changes(lines, old.get, new.get)
    assert [(c.line.text, c.before, c.after) for c in found] == [
        ("softer", "strong", "check_in"), ("lost", "check_in", "none"), ("new", "none", "risk")]


def test_report_counts_and_places_changes_but_never_prints_message_text():
    where = PROJECT_ROOT / "tests" / "safety" / "dev" / "crisis.tsv"
    crisis = [Change(OrdinaryLine(where, 3, "SECRET crisis words"), "check_in", "none")]
    ordinary = [Change(OrdinaryLine(where, 7, "SECRET ordinary words"), "none", "check_in")]
    printed = "\n".join(report(crisis, ordinary, 10, 20))
    assert "crisis lines: 10; lost 1, gained 0, tier changed 0" in printed
    assert "ordinary lines: 20; quieter 0, louder 1" in printed
    assert "tests/safety/dev/crisis.tsv:3: check_in -> none" in printed
    assert "SECRET" not in printed


def test_the_old_lexicon_comes_from_a_file_or_a_git_revision(tmp_path: Path):
    assert old_lexicon_file(str(LEXICON_PATH), tmp_path) == LEXICON_PATH
    at_head = old_lexicon_file("HEAD", tmp_path)
    assert "rules" in yaml.safe_load(at_head.read_text(encoding="utf-8"))


def test_an_unknown_revision_gets_a_clear_message_and_exit_code_2(capsys):
    assert lexicon_diff.main(["no-such-revision-anywhere"]) == 2
    assert "give a git revision" in capsys.readouterr().out


def test_a_lexicon_change_shows_up_in_the_comparison(tmp_path: Path, monkeypatch):
    """Against a lexicon without one negative rule, the lines that rule quietens turn louder back."""
    data = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    data["soften_to_check_in"] = []
    data["negative_rules"] = [r for r in data["negative_rules"] if r["id"] != "neg.vitamin_overdose_question"]
    old_file = tmp_path / "old.yml"
    old_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    line = OrdinaryLine(PROJECT_ROOT / "x.tsv", 1, "can you overdose on vitamin c? been taking 2 a day")
    monkeypatch.setattr(lexicon_diff, "crisis_lines", lambda: [])
    monkeypatch.setattr(lexicon_diff, "ordinary_lines", lambda: [line])
    printed = []
    monkeypatch.setattr("builtins.print", lambda text: printed.append(text))
    assert lexicon_diff.main([str(old_file)]) == 0
    assert "x.tsv:1: strong -> check_in" in printed[0]
