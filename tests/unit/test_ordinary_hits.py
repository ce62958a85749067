"""The false-alarm counter for lexicon rules: which ordinary lines it reads, and what it reports."""
from pathlib import Path

from bot.safeguarding import ordinary_hits
from bot.safeguarding.ordinary_hits import (
    OrdinaryLine, nlu_training_lines, rule_hits, safety_set_lines, _strip_entity_markup,
)

NLU = """version: "3.1"
nlu:
- intent: ask_special_guardianship_order
  examples: |
    - what is an [sgo](term)
    - can my nan get a [special guardianship order]{"entity": "term"}
- intent: safeguarding_concern
  examples: |
    - a made-up crisis line
"""


def test_entity_markup_is_removed_as_the_user_typed_it():
    assert _strip_entity_markup("what is an [sgo](term) for") == "what is an sgo for"
    assert _strip_entity_markup('my [nan]{"entity": "term"} asked') == "my nan asked"
    assert _strip_entity_markup("no markup [here]") == "no markup [here]"


def test_nlu_examples_are_read_with_their_lines_and_the_safeguarding_intent_is_left_out(tmp_path: Path):
    (tmp_path / "cards.yml").write_text(NLU, encoding="utf-8")
    lines = nlu_training_lines(tmp_path)
    assert [(line.line, line.text) for line in lines] == [
        (5, "what is an sgo"), (6, "can my nan get a special guardianship order")]


def test_safety_sets_give_look_alikes_first_messages_and_only_harmless_second_ones(tmp_path: Path):
    (tmp_path / "lookalike.tsv").write_text("media\tteen\ta film about a fire\n", encoding="utf-8")
    (tmp_path / "pairs.tsv").write_text(
        "none\tchild\tclear\tfirst ordinary\tsecond ordinary\n"
        "neglect\tchild\tclear\tanother first\ta made-up disclosure\n", encoding="utf-8")
    texts = sorted(line.text for line in safety_set_lines([tmp_path]))
    assert texts == ["a film about a fire", "another first", "first ordinary", "second ordinary"]


def test_hits_are_grouped_by_rule():
    lines = [OrdinaryLine(Path("a"), 1, "alpha beta"), OrdinaryLine(Path("a"), 2, "beta"), OrdinaryLine(Path("a"), 3, "gamma")]
    hits = rule_hits(lines, lambda text: [f"rule.{word}" for word in text.split()])
    assert {rule: [l.line for l in found] for rule, found in hits.items()} == {
        "rule.alpha": [1], "rule.beta": [1, 2], "rule.gamma": [3]}


def test_an_unknown_rule_id_is_refused_with_a_pointer(capsys):
    assert ordinary_hits.main(["no_such.rule"]) == 2
    assert "unknown rule id" in capsys.readouterr().out


def test_the_project_holds_thousands_of_ordinary_lines():
    assert len(ordinary_hits.ordinary_lines()) > 10_000
