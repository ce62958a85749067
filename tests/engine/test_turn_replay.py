"""Exactly-once turns through the trained model: a resent turn gets its recorded replies again and
is not recorded a second time (``bot.engine.turn_replay``, engine environment)."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.engine.turn_replay import recorded_bot_events, turn_id_of

TURN_A = "turnAAAAAAAAAAAAAAAAAAAA"
TURN_B = "turnBBBBBBBBBBBBBBBBBBBB"


def _event(type_name: str, turn: str | None = None, text: str = "") -> SimpleNamespace:
    return SimpleNamespace(type_name=type_name, metadata={"turn_id": turn} if turn else {}, text=text)


def test_recorded_bot_events_are_those_between_the_turn_and_the_next_user_message():
    events = [_event("user", TURN_A), _event("action"), _event("bot", text="one"), _event("bot", text="two"),
              _event("user", TURN_B), _event("bot", text="three")]
    assert [e.text for e in recorded_bot_events(events, TURN_A)] == ["one", "two"]
    assert [e.text for e in recorded_bot_events(events, TURN_B)] == ["three"]
    assert recorded_bot_events(events, "turnCCCCCCCCCCCCCCCCCCCC") is None


def test_a_turn_without_replies_is_recorded_as_an_empty_list_not_as_missing():
    assert recorded_bot_events([_event("user", TURN_A)], TURN_A) == []


@pytest.mark.parametrize("metadata", [None, {}, {"turn_id": ""}, {"turn_id": 7}, "turn"])
def test_no_usable_turn_id_means_no_replay(metadata):
    assert turn_id_of(metadata) is None


@pytest.fixture(scope="module")
def agent():
    from bot.engine import turn_replay
    from bot.engine.evaluation.nlu import load_agent
    from bot.ops.training import model_path

    model = model_path()
    if not model.exists():
        pytest.fail(f"no trained model for the current inputs at {model}: run `make model`")
    undo = turn_replay.install()
    yield load_agent(model)
    undo()


def _send(agent, sender: str, text: str, turn: str) -> list[dict]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    message = UserMessage(text, CollectingOutputChannel(), sender, metadata={"turn_id": turn})
    return asyncio.run(agent.handle_message(message))


def _user_turns(agent, sender: str) -> list[str]:
    tracker = asyncio.run(agent.tracker_store.retrieve(sender))
    return [event.metadata.get("turn_id") for event in tracker.events if event.type_name == "user"]


def _shown(messages: list[dict]) -> list[tuple]:
    return [(m.get("text"), str(m.get("buttons"))) for m in messages]


def test_a_resent_turn_gets_the_same_replies_and_is_recorded_once(agent):
    first = _send(agent, "replay-test-1", "hello", TURN_A)
    again = _send(agent, "replay-test-1", "hello", TURN_A)
    assert first, "the greeting should be answered"
    assert _shown(again) == _shown(first)
    assert _user_turns(agent, "replay-test-1") == [TURN_A]


def test_a_new_turn_with_the_same_words_is_a_new_turn(agent):
    _send(agent, "replay-test-2", "hello", TURN_A)
    second = _send(agent, "replay-test-2", "hello", TURN_B)
    assert second
    assert _user_turns(agent, "replay-test-2") == [TURN_A, TURN_B]


def test_an_older_turn_resent_after_a_newer_one_gets_its_own_replies(agent):
    greeting = _send(agent, "replay-test-3", "hello", TURN_A)
    _send(agent, "replay-test-3", "bye", TURN_B)
    assert _shown(_send(agent, "replay-test-3", "hello", TURN_A)) == _shown(greeting)
    assert _user_turns(agent, "replay-test-3") == [TURN_A, TURN_B]


# --- the bounded history (bot.engine.history_cap), through Rasa's SQL tracker store ------------
@pytest.fixture(scope="module")
def sql_agent(tmp_path_factory):
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.engine import turn_replay
    from bot.ops.training import model_path

    store = SQLTrackerStore(None, dialect="sqlite", db=str(tmp_path_factory.mktemp("cap") / "tracker.sqlite"))
    undo = turn_replay.install(max_turns=4)
    agent = Agent.load(str(model_path()), tracker_store=store)
    store.domain = agent.domain
    yield agent
    undo()


def _set_slot(agent, sender: str, name: str, value) -> None:
    from rasa.shared.core.events import SlotSet

    tracker = asyncio.run(agent.tracker_store.retrieve(sender))
    tracker.update(SlotSet(name, value))
    asyncio.run(agent.tracker_store.save(tracker))


def test_a_long_conversation_keeps_a_bounded_history_and_its_state(sql_agent):
    sender = "cap-test-1"
    _send(sql_agent, sender, "hello", "capturn00000000000000")
    _set_slot(sql_agent, sender, "last_card", "special_guardianship_order")
    for i in range(1, 11):
        _send(sql_agent, sender, "hello", f"capturn{i:014d}")
    tracker = asyncio.run(sql_agent.tracker_store.retrieve(sender))
    loaded_turns = [e for e in tracker.events if e.type_name == "user"]
    # 11 turns with a cap of 4: what Rasa loads for the next turn is at most 4 turns long.
    assert 1 <= len(loaded_turns) <= 4
    assert tracker.get_slot("last_card") == "special_guardianship_order"
    # The bot's last words come across too, so a short reply is still read with them.
    events = list(tracker.events)
    assert any(e.type_name == "bot" for e in events[: events.index(loaded_turns[0])])
    # Nothing is lost from the store itself: every turn is still there for retention and erasure.
    everything = asyncio.run(sql_agent.tracker_store.retrieve_full_tracker(sender))
    assert len([e for e in everything.events if e.type_name == "user"]) == 11


def test_a_resent_turn_is_still_replayed_across_a_carried_over_session(sql_agent):
    sender = "cap-test-2"
    for i in range(6):
        _send(sql_agent, sender, "hello", f"capreplay{i:012d}")
    again = _send(sql_agent, sender, "hello", f"capreplay{5:012d}")
    assert again
    everything = asyncio.run(sql_agent.tracker_store.retrieve_full_tracker(sender))
    assert len([e for e in everything.events if e.type_name == "user"]) == 6
