"""The dialogue's test stories through the trained model, as Rasa's own tool runs them.

Why here: the care-leaver form, the safety rules that interrupt it and the topic rules only
work together in the trained policies; `rasa test core --fail-on-prediction-errors` fails on
the first action the model would get wrong, so a story that stops holding fails CI.
"""
from __future__ import annotations

import pytest

from bot.engine.evaluation.run_eval import STORIES, failed_story, run_rasa
from bot.ops.training import model_path


def test_every_test_story_is_predicted_exactly(tmp_path):
    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained model for the current inputs at {model}: run `make model`")
    log = tmp_path / "rasa-test-core.log"
    code, _seconds = run_rasa(["test", "core", "--model", str(model), "--stories", str(STORIES),
                               "--fail-on-prediction-errors", "--out", str(tmp_path / "core")], log)
    assert code == 0, failed_story(log.read_text(errors="replace")) or log.read_text(errors="replace")[-3000:]
    assert STORIES.read_text(encoding="utf-8").count("- story:") >= 26
