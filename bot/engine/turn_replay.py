"""Exactly-once turns: a resent message that Rasa already handled gets the same replies, not a second turn.

Why: a message can be sent twice when something fails between the person and Rasa: the
browser resends after its gateway died, the load balancer or the gateway resends after a Rasa
replica died mid-turn. Each send carries the same ``turn_id`` (chosen by the page, kept in the
message's metadata). Rasa saves a turn's tracker once, at its end, so a turn is either wholly
recorded or not at all; and a conversation's turns run one at a time under the lock store.
So, under that lock, after fetching the tracker: if a user message with this ``turn_id`` is
already there, the turn happened; send its recorded bot messages again and record nothing.
The check costs no extra database read (it looks at the tracker Rasa fetches anyway).

``install()`` patches ``MessageProcessor.handle_message`` of Rasa 3.6 (engine environment;
``bot.engine.rasa_server`` installs it). The patched method is Rasa 3.6.21's own, with the
check added after the fetch, and then the bounded history (``bot.engine.history_cap``): a long
conversation's turn starts a carried-over session, so turn 25 costs what turn 5 does.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterable, Optional

from bot.engine.history_cap import DEFAULT_MAX_TURNS, carry_over_events
from bot.turn_ids import TURN_ID_KEY

logger = logging.getLogger(__name__)


def turn_id_of(metadata: Optional[dict[str, Any]]) -> Optional[str]:
    """The turn id the gateway put in a message's metadata, if any."""
    if not isinstance(metadata, dict):
        return None
    value = metadata.get(TURN_ID_KEY)
    return value if isinstance(value, str) and value else None


def recorded_bot_events(events: Iterable[Any], turn_id: str) -> Optional[list[Any]]:
    """The bot utterances of the turn with ``turn_id``, or None when that turn is not in ``events``.

    ``events`` are Rasa events (anything with ``type_name`` and ``metadata``): the utterances
    are the ``bot`` events after the matching ``user`` event, up to the next ``user`` event.
    """
    replies: Optional[list[Any]] = None
    for event in events:
        name = getattr(event, "type_name", None)
        if name == "user":
            if replies is not None:
                break
            if turn_id_of(getattr(event, "metadata", None)) == turn_id:
                replies = []
        elif name == "bot" and replies is not None:
            replies.append(event)
    return replies


def install(max_turns: int = DEFAULT_MAX_TURNS) -> Callable[[], None]:
    """Patch Rasa's message handling with the replay check and the history cap (``max_turns``;
    0 = no cap); returns a function that undoes it."""
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.processor import MessageProcessor
    from rasa.shared.data import TrainingType

    original = MessageProcessor.handle_message

    async def handle_message(self: MessageProcessor, message):  # type: ignore[no-untyped-def]
        tracker = await self.fetch_tracker_and_update_session(
            message.sender_id, message.output_channel, message.metadata
        )
        turn_id = turn_id_of(message.metadata)
        if turn_id is not None:
            recorded = recorded_bot_events(tracker.events, turn_id)
            if recorded is not None:
                logger.info("a resent turn was already handled; its %d replies are sent again", len(recorded))
                for event in recorded:
                    await message.output_channel.send_response(message.sender_id, event.message())
                if isinstance(message.output_channel, CollectingOutputChannel):
                    return message.output_channel.messages
                return None
        for event in carry_over_events(tracker, max_turns):
            tracker.update(event)
        # From here on, Rasa 3.6's own handle_message and log_message, with the fetch above reused.
        await self._handle_message_with_tracker(message, tracker)
        if self.model_metadata.training_type == TrainingType.NLU:
            await self.save_tracker(tracker)
            return None
        tracker = await self.run_action_extract_slots(message.output_channel, tracker)
        await self._run_prediction_loop(message.output_channel, tracker)
        await self.run_anonymization_pipeline(tracker)
        await self.save_tracker(tracker)
        if isinstance(message.output_channel, CollectingOutputChannel):
            return message.output_channel.messages
        return None

    MessageProcessor.handle_message = handle_message

    def undo() -> None:
        MessageProcessor.handle_message = original

    return undo
