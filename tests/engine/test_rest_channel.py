"""The REST channel the gateway talks to: a failed turn answers 500 (so it is sent again) and
never logs the message; a completed one answers its replies (``bot.engine.rest_channel``)."""
from __future__ import annotations

import asyncio
import logging

import pytest

from bot.engine.rest_channel import FAILED_TURN, TurnSafeRestInput, handle_turn

SECRET_TEXT = "my stepdad hurts me"


async def _replies(message) -> None:
    await message.output_channel.send_text_message(message.sender_id, "an answer")


async def _fails_after_replying(message) -> None:
    await message.output_channel.send_text_message(message.sender_id, "half an answer")
    raise ConnectionError("the tracker store went away")


def test_a_completed_turn_answers_its_replies() -> None:
    status, body = asyncio.run(handle_turn(_replies, "s", "hello", "rest", {"turn_id": "t" * 20}))
    assert status == 200 and [m["text"] for m in body] == ["an answer"]


def test_a_failed_turn_answers_500_without_its_half_replies_or_the_message_in_the_log(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    status, body = asyncio.run(handle_turn(_fails_after_replying, "s", SECRET_TEXT, "rest", None))
    assert (status, body) == (500, FAILED_TURN)
    assert "ConnectionError" in caplog.text
    assert SECRET_TEXT not in caplog.text and "went away" not in caplog.text


def test_a_cancelled_turn_stays_cancelled_and_logs_no_text(caplog) -> None:
    async def cancelled(message) -> None:
        raise asyncio.CancelledError()

    caplog.set_level(logging.DEBUG)
    with pytest.raises(asyncio.CancelledError):
        asyncio.run(handle_turn(cancelled, "s", SECRET_TEXT, "rest", None))
    assert SECRET_TEXT not in caplog.text


def test_it_keeps_the_rest_channels_name_and_paths() -> None:
    channel = TurnSafeRestInput()
    assert channel.name() == "rest"
    routes = {route.uri for route in channel.blueprint(_replies)._future_routes}
    assert routes == {"/", "/webhook"}


def test_credentials_name_this_channel() -> None:
    from pathlib import Path

    import yaml

    credentials = yaml.safe_load((Path(__file__).resolve().parents[2] / "credentials.yml").read_text())
    assert list(credentials) == ["bot.engine.rest_channel.TurnSafeRestInput"]


# --- a tracker store failure fails the turn (bot.engine.strict_tracker_store) -----------------
class BrokenStore:
    """A tracker store whose database went away; its error text holds what SQL errors can hold."""

    domain = None
    event_broker = None

    async def retrieve(self, sender_id):
        raise ConnectionError(f"server closed the connection; parameters: {SECRET_TEXT}")

    async def save(self, tracker):
        raise ConnectionError(f"could not write; parameters: {SECRET_TEXT}")


def test_a_tracker_store_failure_is_raised_not_hidden_in_memory_and_logs_no_text(caplog) -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.engine import strict_tracker_store

    caplog.set_level(logging.DEBUG)
    undo = strict_tracker_store.install()
    try:
        store = FailSafeTrackerStore(BrokenStore())
        with pytest.raises(ConnectionError):
            asyncio.run(store.retrieve("someone"))
        with pytest.raises(ConnectionError):
            asyncio.run(store.save(DialogueStateTracker("someone", [])))
        assert store._fallback_tracker_store is None  # nothing went to one process's memory
    finally:
        undo()
    assert "ConnectionError" in caplog.text and SECRET_TEXT not in caplog.text


def test_rasas_own_fail_safe_store_would_have_hidden_the_failure() -> None:
    """The behaviour the patch removes (so the test above means something)."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    assert asyncio.run(FailSafeTrackerStore(BrokenStore()).retrieve("someone")) is None
