"""Where a CareChat knowledge turn spends its time, measured in-process (ENGINE environment).

Loads the model with Rasa's Agent, sends knowledge questions through
``MessageProcessor.handle_message`` exactly as the REST channel does (custom actions go to a
running action server), and reports:

* wall time per part of the turn (NLU, tracker fetch, policies, custom action HTTP, other
  actions, tracker save), by wrapping the processor's methods with timers;
* CPU time per NLU component (cProfile), and the top functions by cumulative time;
* a few variants measured without editing config.yml: in-memory vs SQL tracker store,
  long conversations, NLU alone, and (for information only) the turn without the
  safeguarding component.

    .venv-engine/bin/python -m bot.engine.evaluation.profile_turn --model M --action-url http://127.0.0.1:18055/webhook
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import io
import json
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bot.evaluation.loadstats import percentile
from bot.settings import PROJECT_ROOT

KNOWLEDGE = [
    "what is an sgo", "whats a care order", "what happens at my review", "can i see my brother",
    "what support do care leavers get", "what does section 20 mean", "what is staying put",
    "tell me about adoption", "what is a child arrangements order", "what is the promise",
]
METADATA = {"audience": "young_person"}


class Timers:
    """Wall time per named part of the turn, accumulated by wrappers."""

    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)
        self.active = True

    def add(self, name: str, seconds: float) -> None:
        if self.active:
            self.total[name] += seconds


def wrap_processor(processor, timers: Timers) -> None:
    """Time the processor's steps (instance attributes shadow the class methods)."""

    def wrap_async(name: str, label):
        original = getattr(processor, name)

        @functools.wraps(original)
        async def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                timers.add(label(args, kwargs) if callable(label) else label, time.perf_counter() - began)

        setattr(processor, name, timed)

    def wrap_sync(name: str, label: str):
        original = getattr(processor, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timers.add(label, time.perf_counter() - began)

        setattr(processor, name, timed)

    def action_label(args, kwargs) -> str:
        action = kwargs.get("action", args[0] if args else None)
        kind = type(action).__name__
        if kind == "RemoteAction":
            return "custom action (HTTP to the action server)"
        if getattr(action, "name", lambda: "")() == "action_session_start":
            return "action_session_start (new conversation)"
        return "built-in actions (action_listen, utterances)"

    wrap_async("parse_message", "NLU (parse_message: spaCy, featurizers, DIET, safeguarding)")
    wrap_async("get_tracker", "tracker store: fetch and rebuild the tracker")
    wrap_async("save_tracker", "tracker store: save")
    wrap_async("_run_action", action_label)
    wrap_sync("predict_next_with_tracker_if_should", "policies (RulePolicy, Memoization): predict next action")


def cached_validation_patch():
    """The speed fix CareChat's Rasa server runs with (:mod:`bot.engine.rasa_server`). Returns an undo."""
    from bot.engine.rasa_server import cache_action_reply_validation

    return cache_action_reply_validation()


def validation_cost(repeats: int = 20) -> dict:
    """ms per call: Rasa's validation of a typical action response vs a cached validator."""
    from rasa.core.actions.action import RemoteAction

    response = {"events": [{"event": "slot", "name": "fallback_stage", "value": None},
                           {"event": "slot", "name": "fallback_backup", "value": None}],
                "responses": [{"text": "An SGO is ... " * 20, "buttons": [{"title": "t", "payload": "/p"}]}]}
    action = RemoteAction("action_answer_topic", None)
    began = time.perf_counter()
    for _ in range(repeats):
        action._validate_action_result(response)
    rasa_ms = (time.perf_counter() - began) * 1000 / repeats
    undo = cached_validation_patch()
    try:
        began = time.perf_counter()
        for _ in range(repeats):
            action._validate_action_result(response)
        cached_ms = (time.perf_counter() - began) * 1000 / repeats
    finally:
        undo()
    return {"rasa_ms": rasa_ms, "cached_ms": cached_ms}


async def one_turn(agent, text: str, sender: str) -> float:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    began = time.perf_counter()
    await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender, metadata=dict(METADATA),
                                           input_channel="rest"))
    return (time.perf_counter() - began) * 1000


async def conversations(agent, turns: int, per_conversation: int, prefix: str, skip: int = 0,
                        timers: "Timers | None" = None) -> list[float]:
    """``turns`` measured turns in conversations of ``per_conversation``; the first ``skip`` turns of each
    conversation are sent but not measured (to measure long conversations)."""
    times: list[float] = []
    n = 0
    while len(times) < turns:
        sender = f"{prefix}-{n}"
        for i in range(skip + per_conversation):
            if timers is not None:
                timers.active = i >= skip  # time only the measured turns
            ms = await one_turn(agent, KNOWLEDGE[(n + i) % len(KNOWLEDGE)], sender)
            if i >= skip:
                times.append(ms)
            if len(times) >= turns:
                break
        n += 1
    return times


def summary(name: str, times: list[float]) -> dict:
    return {"name": name, "median_ms": statistics.median(times), "p95_ms": percentile(times, 95), "n": len(times)}


def component_times(stats: pstats.Stats, turns: int) -> dict[str, float]:
    """CPU ms per turn in each NLU component's ``process`` (and SpacyNLP's doc building)."""
    out: dict[str, float] = {}
    for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if func != "process":
            continue
        if "/rasa/nlu/" in filename or "bot/engine" in filename:
            name = Path(filename).stem
            out[name] = out.get(name, 0.0) + ct * 1000 / turns
    for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if func == "predict_action_probabilities" and "/rasa/core/policies/" in filename:
            name = "policy: " + Path(filename).stem
            out[name] = out.get(name, 0.0) + ct * 1000 / turns
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def top_functions(stats: pstats.Stats, limit: int = 25) -> list[str]:
    buffer = io.StringIO()
    stats.stream = buffer  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(limit)
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return [line.replace(str(PROJECT_ROOT) + "/", "")[:160] for line in lines[start:] if line.strip()]


async def timed_buckets(timers: Timers, agent, turns: int, prefix: str, skip: int = 0) -> dict[str, float]:
    """Per-turn ms per part over ``turns`` measured turns (timers on only for those turns)."""
    timers.total.clear()
    try:
        await conversations(agent, turns, 5, prefix, skip=skip, timers=timers)
    finally:
        timers.active = False
    return {name: seconds * 1000 / turns for name, seconds in sorted(timers.total.items(), key=lambda kv: -kv[1])}


async def profile(model: Path, action_url: str, turns: int, work: Path) -> dict:
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
    from rasa.utils.endpoints import EndpointConfig

    sql_store = SQLTrackerStore(None, dialect="sqlite", db=str(work / "profile-tracker.sqlite"))
    began = time.perf_counter()
    agent = Agent.load(str(model), action_endpoint=EndpointConfig(action_url), tracker_store=sql_store)
    load_seconds = time.perf_counter() - began
    processor = agent.processor
    sql_store.domain = agent.domain

    # warm up (first calls build TF functions, open the database, import lazily)
    await conversations(agent, 5, 5, "warm")

    timers = Timers()
    wrap_processor(processor, timers)
    began = time.perf_counter()
    measured = await conversations(agent, turns, 5, "timed")
    wall = (time.perf_counter() - began) * 1000
    timers.active = False
    per_turn = wall / turns
    buckets = {name: seconds * 1000 / turns for name, seconds in sorted(timers.total.items(), key=lambda kv: -kv[1])}
    buckets["other (events, tracker updates, output)"] = max(0.0, per_turn - sum(buckets.values()))

    profiler = cProfile.Profile()
    profiler.enable()
    await conversations(agent, turns, 5, "cprof")
    profiler.disable()
    stats = pstats.Stats(profiler)

    experiments = [summary("deployed: SQL tracker store (sqlite), turns 1-5 of a conversation", measured)]
    experiments.append(summary("SQL tracker store, turns 21-25 of a long conversation",
                               await conversations(agent, max(5, turns // 2), 5, "long", skip=20)))
    memory_store = InMemoryTrackerStore(agent.domain)
    processor.tracker_store = memory_store
    agent.tracker_store = memory_store
    experiments.append(summary("in-memory tracker store, turns 1-5", await conversations(agent, turns, 5, "mem")))
    processor.tracker_store = sql_store
    agent.tracker_store = sql_store
    undo = cached_validation_patch()
    try:
        experiments.append(summary("custom action response checked by a cached jsonschema validator (code patch)",
                                   await conversations(agent, turns, 5, "cached")))
        short_buckets = await timed_buckets(timers, agent, turns, "cachedshort")
        long_buckets = await timed_buckets(timers, agent, turns, "cachedlong", skip=20)
        experiments.append(summary("cached validator, turns 21-25 of a long conversation",
                                   await conversations(agent, max(5, turns // 2), 5, "cachedlong2", skip=20)))
        from rasa.core.policies.memoization import MemoizationPolicy

        memo_predict = MemoizationPolicy.predict_action_probabilities
        # As if MemoizationPolicy were not in config.yml: it abstains (all-zero prediction), so the
        # rules alone decide. Note: AugmentedMemoizationPolicy subclasses it and abstains too.
        MemoizationPolicy.predict_action_probabilities = (
            lambda self, tracker, domain, rule_only_data=None, **kw: self._prediction(self._default_predictions(domain)))
        try:
            experiments.append(summary("cached validator, without MemoizationPolicy, turns 1-5",
                                       await conversations(agent, turns, 5, "nomemo")))
            experiments.append(summary("cached validator, without MemoizationPolicy, turns 21-25",
                                       await conversations(agent, max(5, turns // 2), 5, "nomemolong", skip=20)))
        finally:
            MemoizationPolicy.predict_action_probabilities = memo_predict
        selective = EndpointConfig(action_url, enable_selective_domain=True)
        plain = processor.action_endpoint
        processor.action_endpoint = selective
        try:
            experiments.append(summary("cached validator + `enable_selective_domain: true` (domain not sent)",
                                       await conversations(agent, turns, 5, "selective")))
        finally:
            processor.action_endpoint = plain
    finally:
        undo()
    nlu_only = []
    for i in range(turns):
        t0 = time.perf_counter()
        await agent.parse_message(KNOWLEDGE[i % len(KNOWLEDGE)])
        nlu_only.append((time.perf_counter() - t0) * 1000)
    experiments.append(summary("NLU alone (agent.parse_message)", nlu_only))
    try:
        from bot.engine.safeguarding_component import SafeguardingCheck

        original = SafeguardingCheck.process
        SafeguardingCheck.process = lambda self, messages: messages  # information only: never ship this
        try:
            experiments.append(summary("(information only) turn without the safeguarding component",
                                       await conversations(agent, turns, 5, "nosafe")))
        finally:
            SafeguardingCheck.process = original
    except ImportError:
        pass
    return {
        "validation": validation_cost(),
        "buckets_cached_short": short_buckets, "buckets_cached_long": long_buckets,
        "model": str(model), "turns": turns, "load_seconds": round(load_seconds, 1), "per_turn_ms": per_turn,
        "buckets": buckets, "components": component_times(stats, turns), "experiments": experiments,
        "top": top_functions(stats),
    }


def quiet() -> None:
    logging.basicConfig(level=logging.WARNING)
    for name in ("rasa", "tensorflow", "spacy", "absl", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.WARNING)
    except ImportError:  # pragma: no cover
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.engine.evaluation.profile_turn")
    parser.add_argument("--model", required=True)
    parser.add_argument("--action-url", required=True)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--json")
    parser.add_argument("--work", help="folder for the profile's own tracker database")
    args = parser.parse_args(argv)
    os.chdir(PROJECT_ROOT)
    quiet()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="carechat-profile-"))
    work.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(profile(Path(args.model), args.action_url, args.turns, work))
    (work / "profile-tracker.sqlite").unlink(missing_ok=True)
    for name, ms in result["buckets"].items():
        print(f"{ms:8.1f} ms  {name}")
    print(f"{result['per_turn_ms']:8.1f} ms  whole turn")
    for e in result["experiments"]:
        print(f"{e['median_ms']:8.1f} ms median, p95 {e['p95_ms']:.1f}: {e['name']}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
