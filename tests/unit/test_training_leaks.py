"""No training message is a near-copy of a message in a set that measures it."""
from __future__ import annotations

from pathlib import Path

from bot.evaluation.leaks import near_duplicates, normalise
from bot.safeguarding.leak_check import TEST_DIR, TRAINING_DIR, drop_lines, leaked_lines, lines_of, set_files


def test_safeguarding_training_data_holds_no_test_message():
    found = leaked_lines()
    assert not found, {p.name: sorted(lines) for p, lines in found.items()}


def test_the_check_reads_every_test_set_and_training_file():
    tests = set_files(TEST_DIR)
    assert {p.parent.name for p in tests} >= {"dev", "blind_final", "blind_final_2", "blind_final_3", "blind_final_4"}
    assert all(lines_of(p) for p in tests)
    assert sum(len(lines_of(p)) for p in set_files(TRAINING_DIR)) > 3000


def test_near_duplicates_sees_a_typo_a_reordering_and_annotations():
    tests = ["this homework is killing me", "my carer said i cant go out tonight"]
    training = [
        "this homwork is killing me",            # one typo
        "i cant go out tonight my carer said",   # same words, new order
        "This [homework](term) is killing me!",  # annotation and punctuation
        "can i go to my mates tonight",          # different message
    ]
    assert sorted({leak.train_index for leak in near_duplicates(training, tests)}) == [0, 1, 2]


def test_normalise_keeps_words_and_digits_only():
    assert normalise("What's an [SGO](term) at 16?") == "what s an sgo at 16"


def test_drop_lines_removes_exactly_the_named_lines(tmp_path: Path):
    path = tmp_path / "lookalike_writer_x.tsv"
    path.write_text("a\tteen\tone\na\tteen\ttwo\na\tteen\tthree\n", encoding="utf-8")
    drop_lines(path, {2})
    assert [text for _, text in lines_of(path)] == ["one", "three"]
