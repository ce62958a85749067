"""The model is keyed by a hash of its inputs, so it retrains exactly when they change."""
import shutil
from pathlib import Path

import pytest

from bot.ops.training import HASH_INPUTS, inputs_hash

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    for name in HASH_INPUTS:
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith((".yml", ".py", ".lock")):
            target.write_text(f"{name}\n")
        else:
            target.mkdir(parents=True, exist_ok=True)
            (target / "a.txt").write_text("one")
    return tmp_path


def test_hash_is_stable(project):
    assert inputs_hash(project) == inputs_hash(project)


@pytest.mark.parametrize("changed", ["config.yml", "data/a.txt", "build/spacy/a.txt", "bot/safeguarding/a.txt",
                                     "bot/engine/safeguarding_classifier.py", "content/safeguarding/training/a.txt"])
def test_hash_changes_when_any_input_changes(project, changed):
    before = inputs_hash(project)
    (project / changed).write_text("changed")
    assert inputs_hash(project) != before


def test_code_that_only_reads_a_model_does_not_change_the_hash(project):
    before = inputs_hash(project)
    (project / "bot" / "engine" / "evaluation").mkdir(parents=True)
    (project / "bot" / "engine" / "evaluation" / "report.py").write_text("x = 1\n")
    (project / "content" / "safeguarding" / "README.md").write_text("notes")
    assert inputs_hash(project) == before


def test_renaming_a_file_changes_the_hash(project):
    before = inputs_hash(project)
    shutil.move(project / "data" / "a.txt", project / "data" / "b.txt")
    assert inputs_hash(project) != before


def test_missing_input_is_a_clear_error(project):
    (project / "domain.yml").unlink()
    with pytest.raises(FileNotFoundError, match="domain.yml"):
        inputs_hash(project)
