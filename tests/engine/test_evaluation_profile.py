"""The profile's cached validator accepts and rejects exactly what Rasa's own check does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot.engine.evaluation.profile_turn import cached_validation_patch, validation_cost

GOOD = {"events": [{"event": "slot", "name": "fallback_stage", "value": None}],
        "responses": [{"text": "An SGO is ...", "buttons": [{"title": "t", "payload": "/p"}]}]}
BAD = {"events": [{"no_event_key": 1}], "responses": []}


def _outcome(action: RemoteAction, response: dict):
    try:
        return action._validate_action_result(response)
    except ValidationError as error:
        return ("invalid", error.message)


@pytest.mark.parametrize("response", [GOOD, BAD, {"events": [], "responses": []}])
def test_cached_validator_behaves_like_rasa(response):
    action = RemoteAction("action_answer_topic", None)
    expected = _outcome(action, response)
    undo = cached_validation_patch()
    try:
        assert _outcome(action, response) == expected
    finally:
        undo()
    assert RemoteAction._validate_action_result.__name__ == "_validate_action_result"


def test_validation_cost_reports_both_timings():
    cost = validation_cost(repeats=2)
    assert cost["rasa_ms"] > 0 and cost["cached_ms"] > 0
