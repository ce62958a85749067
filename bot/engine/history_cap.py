"""A bounded conversation history: every few turns, a new Rasa session that carries the state over.

Why: Rasa fetches and replays every event of the current session at each turn, and the policies
featurise all of it, so a turn costs more the longer the chat (the bench measured about 6 ms of
fetch and policy time at turns 1-5 and about 26 ms at turns 21-25). CareChat's replies depend on
the slots (the last card, the care-leaver check's answers, the safeguarding outcome) and on the
bot's last message (a short reply is read with it), never on older turns. So after
``max_turns`` user turns, when no form is running, the turn begins with what Rasa's own
``action_session_start`` writes when it carries slots over: ``session_started``, a ``slot`` event
per set slot, and ``action_listen``; plus the bot's last message, so the next reply is still
read with it. Rasa's SQL tracker store loads only the events since the latest
``session_started``, so the cost stays flat.

Session expiry (``session_config`` in domain.yml) still ends a quiet conversation as before.
"""
from __future__ import annotations

from typing import Any

#: User turns in one stretch of history before the next turn starts a carried-over session.
DEFAULT_MAX_TURNS = 8


def user_turns_in_session(events: list[Any]) -> int:
    """User messages since the latest ``session_started`` (all of them if there is none)."""
    count = 0
    for event in reversed(events):
        name = getattr(event, "type_name", None)
        if name == "session_started":
            break
        if name == "user":
            count += 1
    return count


def last_bot_message(events: list[Any]) -> Any | None:
    """The latest bot utterance of the current session, if any."""
    for event in reversed(events):
        name = getattr(event, "type_name", None)
        if name == "bot":
            return event
        if name == "session_started":
            return None
    return None


def carry_over_events(tracker: Any, max_turns: int) -> list[Any]:
    """The events that start a carried-over session now, or [] (short history, a form running, or off).

    ``tracker`` is a Rasa ``DialogueStateTracker`` (engine environment).
    """
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet

    events = list(tracker.events)
    if max_turns <= 0 or tracker.active_loop_name or user_turns_in_session(events) < max_turns:
        return []
    carried: list[Any] = [SessionStarted()]
    carried += [SlotSet(name, slot.value) for name, slot in tracker.slots.items() if slot.has_been_set]
    last_bot = last_bot_message(events)
    if last_bot is not None:
        carried.append(BotUttered(last_bot.text, dict(last_bot.data), dict(last_bot.metadata)))
    carried.append(ActionExecuted(ACTION_LISTEN_NAME))
    return carried
