"""What a turn costs by how far into the conversation it is, with and without the history cap
(ENGINE environment; ``make bench`` runs it).

Why: Rasa fetches, replays and featurises every event of the session at each turn, so turn 25
cost about four times turn 5 (the bench's profile). ``bot.engine.history_cap`` starts a
carried-over session every few turns; this measures the curve both ways on the same model,
through ``MessageProcessor.handle_message`` with a SQL tracker store (SQLite) and the real
action server, exactly as the deployed Rasa server runs (``bot.engine.rasa_server``'s patches).

    .venv-engine/bin/python -m bot.engine.evaluation.history_curve --model M --action-url URL --json OUT
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from bot.engine.evaluation.profile_turn import KNOWLEDGE, METADATA, cached_validation_patch

TURNS = 30
CONVERSATIONS = 4


async def _curve(agent, prefix: str) -> dict[int, float]:
    """Median ms of each turn index over CONVERSATIONS conversations of TURNS turns."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    times: dict[int, list[float]] = {i: [] for i in range(1, TURNS + 1)}
    for n in range(CONVERSATIONS):
        sender = f"{prefix}-{n}"
        for i in range(1, TURNS + 1):
            began = time.perf_counter()
            await agent.handle_message(UserMessage(KNOWLEDGE[(n + i) % len(KNOWLEDGE)], CollectingOutputChannel(),
                                                   sender, metadata={**METADATA, "turn_id": f"{prefix}{n:03d}{i:04d}xxxxxxxx"},
                                                   input_channel="rest"))
            times[i].append((time.perf_counter() - began) * 1000)
    return {i: statistics.median(values) for i, values in times.items()}


async def measure(model: Path, action_url: str, work: Path) -> dict:
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.engine import turn_replay

    store = SQLTrackerStore(None, dialect="sqlite", db=str(work / "curve-tracker.sqlite"))
    agent = Agent.load(str(model), action_endpoint=EndpointConfig(action_url), tracker_store=store)
    store.domain = agent.domain
    undo_validation = cached_validation_patch()
    curves = {}
    try:
        for label, cap in (("warm-up", 0), ("uncapped", 0), ("capped", turn_replay.DEFAULT_MAX_TURNS)):
            undo = turn_replay.install(max_turns=cap)
            try:
                curves[label] = await _curve(agent, label)
            finally:
                undo()
    finally:
        undo_validation()
    del curves["warm-up"]
    return {"max_turns": turn_replay.DEFAULT_MAX_TURNS, "conversations": CONVERSATIONS, "turns": TURNS,
            "curves": {label: {str(i): round(ms, 1) for i, ms in curve.items()} for label, curve in curves.items()}}


def main(argv: list[str] | None = None) -> int:
    from bot.engine.evaluation.safeguarding import quiet_rasa_logs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--action-url", required=True)
    parser.add_argument("--json", type=Path, required=True)
    args = parser.parse_args(argv)
    quiet_rasa_logs()
    with tempfile.TemporaryDirectory() as work:
        result = asyncio.run(measure(args.model, args.action_url, Path(work)))
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result["curves"]))  # the bench (bot.evaluation.scale_bench) makes the table
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
