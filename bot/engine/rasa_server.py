"""Rasa's own command line, with CareChat's speed fix and exactly-once turns (engine environment).

    .venv-engine/bin/python -m bot.engine.rasa_server run --model M ...

Rasa 3.6 checks every action server reply with ``jsonschema.validate``, which first re-checks
the (constant) schema against its metaschema: about 60 ms of a 120 ms knowledge turn here
(``make bench`` profiles a turn). Building the validator once gives the same answer in about
2 ms. A reply that fails goes back to Rasa's own method, so errors read exactly as before.
Plain ``rasa run`` still works; it is just slower.

It also installs ``bot.engine.turn_replay``: a message resent after a fault (same ``turn_id``)
that Rasa already handled gets the same replies again instead of a second turn, and long
conversations keep a bounded history; and ``bot.engine.strict_tracker_store``: a tracker store
failure fails the turn (to be sent again) instead of Rasa's fall-back to one process's memory.
Plain ``rasa run`` lacks these, so behind a load balancer use this module (``bot.ops.stack`` does).
"""
from __future__ import annotations

import sys
from typing import Callable

from bot.engine import strict_tracker_store, turn_replay


def cache_action_reply_validation() -> Callable[[], None]:
    """Check action server replies with one prebuilt validator. Returns a function that undoes it."""
    from jsonschema import ValidationError, validators
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate_cached(self, result) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError:
            return original(self, result)

    RemoteAction._validate_action_result = validate_cached

    def undo() -> None:
        RemoteAction._validate_action_result = original

    return undo


def main() -> None:
    cache_action_reply_validation()
    turn_replay.install()
    strict_tracker_store.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
