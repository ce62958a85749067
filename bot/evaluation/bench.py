"""``make bench``: CareChat's speed through the real stack, side by side with Rasa's starter bot.

Runs in the APP environment (it drives the stack with an asyncio aiohttp client)::

    .venv-app/bin/python -m bot.evaluation.bench [--model M] [--quick] [--no-train]

What it does, in order (docs/evaluation.md):

1. training time: a timed ``rasa train`` of the current data into a temp dir with an empty
   Rasa cache (skipped with ``--no-train``: the report then says "not measured");
2. the stock starter bot: ``rasa init --no-prompt`` in a temp dir (which trains it, timed the
   same way), served with ``rasa run`` on 127.0.0.1:18105 (REST channel);
3. CareChat's real stack (``bot.ops.stack.Stack``) on ports 18080/18005/18055 with its own var
   dir under a temp dir and the demo case store loaded; model load time = start to healthy;
4. per-turn latency p50/p95/p99, messages/s and errors, sequentially and with 20 and 50
   concurrent conversations, for: the starter (REST), CareChat (REST, knowledge and personal
   lookups with a signed token) and CareChat through the gateway (demo sign-in for lookups);
5. resident memory of each service (VmRSS/VmHWM of the process tree, from /proc);
6. a profile of CareChat knowledge turns in-process (``bot.engine.evaluation.profile_turn``, engine env).

Writes ``reports/bench-<timestamp>.md`` and prints the tables.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Awaitable, Callable, Optional

import aiohttp

from bot.evaluation.loadstats import Series, fmt_ms, fmt_ratio, mb, ratio, series_table, tree_memory_kb
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.ops.stack import is_healthy
from bot.ops.training import resolve_model

PORT_BASE = 18000
STARTER_PORT = 18105
ENGINE_BIN = PROJECT_ROOT / ".venv-engine" / "bin"
BENCH_SECRET = "bench-secret-" + "b" * 40

KNOWLEDGE = [
    "what is an sgo", "whats a care order", "what happens at my review", "can i see my brother",
    "what support do care leavers get", "what does section 20 mean", "what is staying put",
    "tell me about adoption", "what is a child arrangements order", "what is the promise",
]
PERSONAL = ["when is my next review", "who is my advocate"]
PERSONAL_PEOPLE = ["DEMO-001", "DEMO-004"]
STARTER = ["hello", "i am feeling sad", "yes", "great", "are you a bot", "goodbye"]
REQUEST_TIMEOUT = 60.0

TARGET_STARTER = "starter (REST)"
TARGET_REST = "CareChat (REST)"
TARGET_GATEWAY = "CareChat (gateway)"
TARGET_PATCHED = "CareChat (REST), cached validator"


@dataclass
class Plan:
    """How many turns each scenario sends."""

    seq_conversations: int = 10
    seq_turns: int = 6
    concurrency: tuple[int, ...] = (20, 50)
    conc_turns: int = 5
    warmup: int = 5
    profile_turns: int = 40

    @classmethod
    def quick(cls) -> "Plan":
        return cls(seq_conversations=3, seq_turns=4, concurrency=(20, 50), conc_turns=1, warmup=2, profile_turns=10)


def say(line: str = "") -> None:
    print(line, flush=True)


def _rasa_env(cache_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(PROJECT_ROOT))
    if cache_dir is not None:
        env["RASA_CACHE_DIRECTORY"] = str(cache_dir)
    return env



# ---------------------------------------------------------------------------------------
# Training and the starter bot
# ---------------------------------------------------------------------------------------
def timed_carechat_training(work: Path) -> dict:
    """``rasa train`` of the current config/domain/data into ``work`` with an empty cache."""
    out = work / "carechat-train"
    out.mkdir(parents=True, exist_ok=True)
    log = work / "carechat-train.log"
    began = time.perf_counter()
    with log.open("w") as handle:
        code = subprocess.run([str(ENGINE_BIN / "rasa"), "train", "--out", str(out), "--fixed-model-name", "bench"],
                              cwd=PROJECT_ROOT, env=_rasa_env(work / "carechat-cache"), stdout=handle,
                              stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - began
    shutil.rmtree(work / "carechat-cache", ignore_errors=True)
    return {"seconds": round(seconds, 1), "ok": code == 0, "log": str(log)}


def build_starter(starter_dir: Path) -> dict:
    """``rasa init --no-prompt`` (scaffold + train with an empty cache), timed; reused when it exists."""
    stamp = starter_dir / "bench-training.json"
    if stamp.exists() and list((starter_dir / "models").glob("*.tar.gz")):
        data = json.loads(stamp.read_text())
        data["reused"] = True
        return data
    starter_dir.mkdir(parents=True, exist_ok=True)
    log = starter_dir / "init.log"
    began = time.perf_counter()
    with log.open("w") as handle:
        code = subprocess.run([str(ENGINE_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(starter_dir)],
                              cwd=starter_dir, env=_rasa_env(starter_dir / ".bench-cache"), stdout=handle,
                              stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - began
    shutil.rmtree(starter_dir / ".bench-cache", ignore_errors=True)
    if code != 0 or not list((starter_dir / "models").glob("*.tar.gz")):
        raise SystemExit(f"rasa init failed (exit {code}); see {log}")
    data = {"seconds": round(seconds, 1), "ok": True, "measured": datetime.now().isoformat(timespec="seconds"),
            "reused": False}
    stamp.write_text(json.dumps(data))
    return data


class StarterServer:
    """``rasa run`` of the starter bot on its REST channel (or any command serving a REST channel)."""

    def __init__(self, starter_dir: Path, port: int = STARTER_PORT, command: list[str] | None = None,
                 env: dict | None = None, cwd: Path | None = None, log: Path | None = None) -> None:
        self.dir, self.port = starter_dir, port
        self.process: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{port}"
        self.command, self.env, self.cwd = command, env, cwd
        self.log = log or starter_dir / "run.log"

    def start(self, timeout: float = 900.0) -> float:
        if is_healthy(self.url + "/webhooks/rest/"):
            raise SystemExit(f"something is already listening on {self.url}")
        command = self.command
        if command is None:
            model = sorted((self.dir / "models").glob("*.tar.gz"))[-1]
            command = [str(ENGINE_BIN / "rasa"), "run", "--model", str(model), "--interface", "127.0.0.1", "--port",
                       str(self.port), "--credentials", str(self.dir / "credentials.yml"), "--endpoints",
                       str(self.dir / "endpoints.yml")]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        log = self.log.open("ab")
        began = time.monotonic()
        self.process = subprocess.Popen(
            command, cwd=self.cwd or self.dir, env=self.env or _rasa_env(), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        while not is_healthy(self.url + "/webhooks/rest/"):
            if self.process.poll() is not None:
                raise SystemExit(f"rasa run exited ({self.process.returncode}); see {self.log}")
            if time.monotonic() - began > timeout:
                self.stop()
                raise SystemExit("starter bot did not start in time")
            time.sleep(0.25)
        return time.monotonic() - began

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()


@dataclass
class _Running:
    """A process someone else started: measured, never stopped by us."""

    pid: int

    def poll(self) -> int:
        return 0  # StarterServer.stop() leaves it alone


# ---------------------------------------------------------------------------------------
# CareChat's stack on bench ports
# ---------------------------------------------------------------------------------------
def bench_settings(var_dir: Path, base: int = PORT_BASE) -> Settings:
    return load_settings({
        "GATEWAY_PORT": str(base + 80), "RASA_PORT": str(base + 5), "ACTION_PORT": str(base + 55),
        "CARECHAT_VAR_DIR": str(var_dir), "CASE_STORE_URL": f"sqlite:///{var_dir / 'casestore.sqlite'}",
        "CARECHAT_TOKEN_SECRET": BENCH_SECRET, "CARECHAT_DEMO_MODE": "true", "CARECHAT_COUNCIL": "north_yorkshire",
    })


def patched_server(settings: Settings, model: Path, port: int) -> StarterServer:
    """A second CareChat Rasa server with the cached-validator fix, sharing the bench's action server."""
    from bot.ops.stack import service_env

    endpoints = settings.var_dir / "endpoints.patched.yml"
    endpoints.write_text(
        "action_endpoint:\n"
        f'  url: "http://127.0.0.1:{settings.action_port}/webhook"\n'
        "tracker_store:\n  type: SQL\n  dialect: \"sqlite\"\n"
        f'  db: "{settings.var_dir / "tracker-patched.sqlite"}"\n')
    command = [str(ENGINE_BIN / "python"), "-m", "bot.engine.evaluation.patched_rasa", "run", "--model", str(model),
               "--interface", "127.0.0.1", "--port", str(port), "--endpoints", str(endpoints),
               "--credentials", str(PROJECT_ROOT / "credentials.yml")]
    return StarterServer(settings.var_dir, port, command=command, env=service_env(settings), cwd=PROJECT_ROOT,
                         log=settings.var_dir / "logs" / "rasa-patched.log")


def load_case_store(settings: Settings) -> None:
    from bot.personal.casestore.db import session_factory
    from bot.personal.casestore.demo import load_demo
    from bot.personal.casestore.migrate import upgrade_to_head

    upgrade_to_head(settings.case_store_url)
    load_demo(session_factory(settings.case_store_url), date.today())


# ---------------------------------------------------------------------------------------
# The load: conversations of a few turns, one after another or many at once
# ---------------------------------------------------------------------------------------
Turn = Callable[[str], Awaitable[Optional[str]]]   # text -> None when fine, else an error kind


async def rest_turn(client: aiohttp.ClientSession, url: str, sender: str, text: str,
                    metadata: dict | None = None) -> Optional[str]:
    body: dict = {"sender": sender, "message": text}
    if metadata:
        body["metadata"] = metadata
    async with client.post(url + "/webhooks/rest/webhook", json=body) as response:
        if response.status != 200:
            return f"http {response.status}"
        data = await response.json(content_type=None)
    if not isinstance(data, list) or not any(m.get("text") for m in data if isinstance(m, dict)):
        return "empty reply"
    return None


async def gateway_turn(client: aiohttp.ClientSession, url: str, text: str) -> Optional[str]:
    async with client.post(url + "/api/chat", json={"message": text, "audience": "young_person"}) as response:
        if response.status != 200:
            return f"http {response.status}"
        data = await response.json(content_type=None)
    if data.get("fallback"):
        return "fallback (Rasa gave no answer)"
    if not any(m.get("text") for m in data.get("messages") or []):
        return "empty reply"
    return None


def _sender(prefix: str) -> str:
    return f"bench-{prefix}-{random.getrandbits(48):012x}"


class Driver:
    """Builds one conversation for each (target, kind) and runs scenarios."""

    def __init__(self, settings: Settings, starter_url: str | None, patched_url: str | None = None) -> None:
        self.settings = settings
        self.rasa_url = settings.rasa_url
        self.patched_url = patched_url
        self.gateway_url = f"http://127.0.0.1:{settings.gateway_port}"
        self.starter_url = starter_url
        self.client: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "Driver":
        self.client = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.close()

    async def conversation(self, target: str, kind: str, turns: int, index: int, series: Series) -> None:
        texts = {"knowledge": KNOWLEDGE, "personal": PERSONAL, "starter": STARTER}[kind]
        messages = [texts[(index + i) % len(texts)] for i in range(turns)]
        own_client: aiohttp.ClientSession | None = None
        try:
            if target == TARGET_GATEWAY:
                own_client = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                                   timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT))
                async with own_client.get(self.gateway_url + "/api/session") as r:
                    await r.read()
                if kind == "personal":
                    person = PERSONAL_PEOPLE[index % len(PERSONAL_PEOPLE)]
                    async with own_client.post(self.gateway_url + "/api/demo/signin", json={"case_ref": person}) as r:
                        if r.status != 200:
                            series.add_error(f"sign-in http {r.status}")
                            return
                turn: Turn = lambda text: gateway_turn(own_client, self.gateway_url, text)  # noqa: E731
            elif target in (TARGET_REST, TARGET_PATCHED):
                sender = _sender(kind)
                url = self.rasa_url if target == TARGET_REST else self.patched_url
                metadata = {"audience": "young_person"}
                if kind == "personal":
                    from bot.personal.identity import mint_token

                    metadata["carechat_token"] = mint_token(PERSONAL_PEOPLE[index % len(PERSONAL_PEOPLE)],
                                                            self.settings)
                turn = lambda text: rest_turn(self.client, url, sender, text, metadata)  # noqa: E731
            else:
                sender = _sender("starter")
                turn = lambda text: rest_turn(self.client, self.starter_url, sender, text)  # noqa: E731
            for text in messages:
                began = time.perf_counter()
                try:
                    error = await turn(text)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                    error = type(exc).__name__
                elapsed = (time.perf_counter() - began) * 1000
                if error:
                    series.add_error(error)
                else:
                    series.latencies_ms.append(elapsed)
        finally:
            if own_client is not None:
                await own_client.close()

    async def scenario(self, target: str, kind: str, concurrency: int, conversations: int, turns: int) -> Series:
        series = Series(target, kind, concurrency)
        began = time.perf_counter()
        if concurrency == 1:
            for i in range(conversations):
                await self.conversation(target, kind, turns, i, series)
        else:
            await asyncio.gather(*(self.conversation(target, kind, turns, i, series) for i in range(concurrency)))
        series.wall_seconds = time.perf_counter() - began
        return series


async def run_load(driver_args: tuple, plan: Plan, targets: list[tuple[str, str]]) -> list[Series]:
    results: list[Series] = []
    async with Driver(*driver_args) as driver:
        for target, kind in targets:  # warm-up: first turns pay for lazy initialisation
            warm = await driver.scenario(target, kind, 1, 1, plan.warmup)
            if warm.errors:
                say(f"  warm-up {target} {kind}: {warm.errors} error(s) {warm.error_kinds}")
        levels = [(1, plan.seq_conversations, plan.seq_turns)] + [(c, c, plan.conc_turns) for c in plan.concurrency]
        for concurrency, conversations, turns in levels:
            for target, kind in targets:
                s = await driver.scenario(target, kind, concurrency, conversations, turns)
                say(f"  {target:<19} {kind:<9} {'seq' if concurrency == 1 else concurrency:>4}: {s.turns:4d} turns "
                    f"p50 {fmt_ms(s.p(50)):>6} p95 {fmt_ms(s.p(95)):>6} ms, {s.throughput:5.1f} msg/s, "
                    f"{s.errors} errors")
                results.append(s)
                await asyncio.sleep(1.0)  # let the servers settle between scenarios
    return results


# ---------------------------------------------------------------------------------------
# Profile (engine env, in-process)
# ---------------------------------------------------------------------------------------
def run_profile(model: Path, settings: Settings, work: Path, turns: int) -> dict | None:
    out = work / "profile.json"
    log = work / "profile.log"
    with log.open("w") as handle:
        code = subprocess.run(
            [str(ENGINE_BIN / "python"), "-m", "bot.engine.evaluation.profile_turn", "--model", str(model),
             "--action-url", f"http://127.0.0.1:{settings.action_port}/webhook", "--turns", str(turns),
             "--json", str(out), "--work", str(work)],
            cwd=PROJECT_ROOT, env=_rasa_env(), stdout=handle, stderr=subprocess.STDOUT).returncode
    if code != 0 or not out.exists():
        say(f"  profile failed (exit {code}); see {log}")
        return None
    return json.loads(out.read_text())


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
def _find(series: list[Series], target: str, kind: str, conc: int) -> Series | None:
    return next((s for s in series if s.target == target and s.kind == kind and s.concurrency == conc), None)


def ratio_table(series: list[Series], levels: list[int]) -> str:
    rows = ["| CareChat / starter | conversations | p50 | p95 | p99 | msgs/s |", "|---|---:|---:|---:|---:|---:|"]
    for target in (TARGET_REST, TARGET_GATEWAY, TARGET_PATCHED):
        for conc in levels:
            a, b = _find(series, target, "knowledge", conc), _find(series, TARGET_STARTER, "starter", conc)
            if not a or not b:
                continue
            rows.append(f"| {target}, knowledge | {'sequential' if conc == 1 else conc} | "
                        f"{fmt_ratio(ratio(a.p(50), b.p(50)))} | {fmt_ratio(ratio(a.p(95), b.p(95)))} | "
                        f"{fmt_ratio(ratio(a.p(99), b.p(99)))} | {fmt_ratio(ratio(a.throughput, b.throughput))} |")
    return "\n".join(rows)


def targets_line(series: list[Series]) -> list[str]:
    seq = _find(series, TARGET_REST, "knowledge", 1)
    start = _find(series, TARGET_STARTER, "starter", 1)
    lines = []
    if seq and start:
        r95 = ratio(seq.p(95), start.p(95))
        lines.append(f"- Sequential p95 of a knowledge turn, CareChat/starter (REST, like for like): {fmt_ratio(r95)} "
                     f"(target at most 1.0x): **{'met' if r95 <= 1.0 else 'not met'}**.")
    worst = None
    for conc in sorted({s.concurrency for s in series}):
        a, b = _find(series, TARGET_REST, "knowledge", conc), _find(series, TARGET_STARTER, "starter", conc)
        if a and b and conc > 1:
            r = ratio(a.throughput, b.throughput)
            worst = r if worst is None or r < worst else worst
    if worst is not None:
        lines.append(f"- Throughput CareChat/starter under concurrency (lowest): {fmt_ratio(worst)} "
                     f"(target at least 0.8x): **{'met' if worst >= 0.8 else 'not met'}**.")
    at50 = [s for s in series if s.concurrency == 50 and s.target != TARGET_STARTER]
    if at50:
        errs = sum(s.errors for s in at50)
        lines.append(f"- Errors at 50 concurrent conversations (CareChat, all rows): {errs} "
                     f"(target 0): **{'met' if errs == 0 else 'not met'}**.")
    return lines


def render(stamp: str, model: Path, plan: Plan, series: list[Series], memory: dict, training: dict,
           loads: dict, profile: dict | None, notes: list[str]) -> str:
    levels = sorted({s.concurrency for s in series})
    out = [f"# CareChat benchmark {stamp}", "",
           f"Machine: {os.cpu_count()} CPU cores (shared), Linux. Model `{model}`. "
           f"Starter bot: `rasa init --no-prompt`, Rasa {rasa_version()}.", "",
           "Absolute times vary from machine to machine; the CareChat/starter ratios are the figures to compare.",
           "Each conversation is a fresh sender; sequential = one conversation at a time "
           f"({plan.seq_conversations} x {plan.seq_turns} turns); concurrent = N conversations of "
           f"{plan.conc_turns} turns at once. Latency of successful turns, measured by the client.", "",
           "## Latency and throughput", "", series_table(series), "",
           "## Ratios, CareChat / starter (knowledge turns)", "", ratio_table(series, levels), "",
           "REST rows are like for like (both Rasa servers' REST channel); the gateway row adds CareChat's "
           "web gateway (session, limits, token minting) in front.", "", "## Targets (reported, not asserted)", ""]
    out += targets_line(series)
    out += ["", "## Resident memory (after the load)", "",
            "| service | processes | RSS now | peak RSS |", "|---|---:|---:|---:|"]
    for name, m in memory.items():
        out.append(f"| {name} | {m['processes']} | {mb(m['rss_kb'])} | {mb(m['hwm_kb'])} |")
    out += ["", "## Training and model load", "", "| | CareChat | starter |", "|---|---:|---:|"]
    ct, st = training.get("carechat"), training.get("starter")
    ct_text = f"{ct['seconds']:.0f} s" if ct and ct.get("ok") else ("failed" if ct else "not measured (--no-train)")
    st_text = f"{st['seconds']:.0f} s" if st else "-"
    if st and st.get("reused"):
        st_text += f" (measured {st.get('measured')}, starter reused)"
    out.append(f"| training (`rasa train`, empty cache; starter: `rasa init --no-prompt`) | {ct_text} | {st_text} |")
    out.append(f"| model load (`rasa run` start to REST channel up) | {loads.get('carechat', math.nan):.1f} s "
               f"| {loads.get('starter', math.nan):.1f} s |")
    out.append(f"| whole stack ready (action server, Rasa, gateway) | {loads.get('stack', math.nan):.1f} s | - |")
    if ct and ct.get("ok"):
        out.append("")
        out.append("CareChat's training time is a fresh `rasa train` of the working tree's current config, domain "
                   "and data, run during this bench; the benchmark itself served the model named above.")
    if profile:
        out += ["", profile_markdown(profile)]
    if notes:
        out += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


def profile_markdown(profile: dict) -> str:
    out = ["## Where a CareChat knowledge turn goes (in-process profile)", "",
           f"`Agent.handle_text` on {profile['turns']} knowledge turns, cProfile, model loaded in-process, custom "
           "actions on the bench's action server. Buckets are cumulative time of the named Rasa calls.", "",
           "| part of the turn | ms per turn | share |", "|---|---:|---:|"]
    total = profile["per_turn_ms"]
    for name, ms in profile["buckets"].items():
        out.append(f"| {name} | {ms:.1f} | {100 * ms / total:.0f}% |" if total else f"| {name} | {ms:.1f} | - |")
    out.append(f"| **whole turn (profiled)** | {total:.1f} | 100% |")
    if profile.get("components"):
        out += ["", "NLU components (`process`) and policies (`predict_action_probabilities`), CPU under cProfile:", "",
                "| component | ms per turn |", "|---|---:|"]
        out += [f"| {name} | {ms:.2f} |" for name, ms in profile["components"].items()]
    if profile.get("validation"):
        v = profile["validation"]
        out += ["", f"Checking one action server response: Rasa's `RemoteAction._validate_action_result` "
                f"(`jsonschema.validate`, which re-checks the schema itself every call) {v['rasa_ms']:.1f} ms; "
                f"the same check with a validator built once {v['cached_ms']:.2f} ms."]
    if profile.get("experiments"):
        out += ["", "Measured in-process, without profiling (median of the turns, ms):", "",
                "| variant | median ms | p95 ms |", "|---|---:|---:|"]
        out += [f"| {e['name']} | {e['median_ms']:.1f} | {e['p95_ms']:.1f} |" for e in profile["experiments"]]
    short, long = profile.get("buckets_cached_short"), profile.get("buckets_cached_long")
    if short and long:
        out += ["", "With the cached validator, per part, turns 1-5 against turns 21-25 of a conversation "
                "(what grows with the tracker):", "", "| part of the turn | turns 1-5 ms | turns 21-25 ms |",
                "|---|---:|---:|"]
        for name in dict.fromkeys([*short, *long]):
            out.append(f"| {name} | {short.get(name, 0.0):.1f} | {long.get(name, 0.0):.1f} |")
    if profile.get("top"):
        out += ["", "Top functions by cumulative time:", "", "```", *profile["top"], "```"]
    return "\n".join(out)


def rasa_version() -> str:
    try:
        text = (PROJECT_ROOT / "requirements" / "engine.lock").read_text()
        for line in text.splitlines():
            if line.lower().startswith("rasa=="):
                return line.split("==")[1].split()[0]
    except OSError:
        pass
    return "3.6"


# ---------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluation.bench", description="make bench")
    parser.add_argument("--model", default=os.environ.get("MODEL") or None)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "reports"))
    parser.add_argument("--quick", action="store_true", help="a few turns per scenario (development)")
    parser.add_argument("--no-train", action="store_true", help="skip the timed CareChat training")
    parser.add_argument("--starter-dir", help="reuse (or create) the starter bot here instead of a temp dir")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--port-base", type=int, default=PORT_BASE)
    parser.add_argument("--variant-validator", action="store_true",
                        help="also serve CareChat from a second Rasa server with the cached-validator fix "
                             "(bot.engine.evaluation.patched_rasa) and measure it side by side")
    parser.add_argument("--rest-only", action="store_true", help="knowledge turns over REST only (no gateway, "
                        "no personal lookups): a shorter run for comparing variants")
    parser.add_argument("--starter-pid", type=int, help="(development) use the starter bot already running on "
                        "its port with this process id instead of starting one")
    args = parser.parse_args(argv)

    plan = Plan.quick() if args.quick else Plan()
    model = resolve_model(args.model)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / f"bench-{stamp}"
    work.mkdir()
    temp = Path(tempfile.mkdtemp(prefix="carechat-bench-"))
    notes: list[str] = [f"Load average (1, 5, 15 min) at the start: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
                        f"on {os.cpu_count()} cores: other work on the machine slows both bots alike, "
                        "but widens the spread."]
    training: dict = {}
    loads: dict = {}
    say(f"make bench: model {model}; work files in {work}")
    try:
        if not args.no_train:
            say("  timing `rasa train` of the current data (temp dir, empty cache) ...")
            training["carechat"] = timed_carechat_training(temp)
            say(f"    {training['carechat']['seconds']} s ({'ok' if training['carechat']['ok'] else 'FAILED'})")
        starter_dir = Path(args.starter_dir).resolve() if args.starter_dir else temp / "starter"
        say(f"  starter bot (rasa init --no-prompt) in {starter_dir} ...")
        training["starter"] = build_starter(starter_dir)
        say(f"    trained in {training['starter']['seconds']} s" + (" (reused)" if training["starter"].get("reused") else ""))

        from bot.ops.stack import Stack

        settings = bench_settings(temp / "var", args.port_base)
        load_case_store(settings)
        stack = Stack(settings, model)
        starter = StarterServer(starter_dir, args.port_base + 105)
        patched = patched_server(settings, model, args.port_base + 6) if args.variant_validator else None
        lines: list[str] = []
        try:
            if args.starter_pid:
                starter.process = _Running(args.starter_pid)
                notes.append("The starter bot was already running (development run): its load time is not measured.")
            else:
                say("  starting the starter bot ...")
                loads["starter"] = starter.start()
                say(f"    up in {loads['starter']:.1f} s")
            say("  starting CareChat's stack ...")
            loads["stack"] = stack.start(timeout=900, say=lines.append)
            for line in lines:
                if line.strip().startswith("rasa server ready"):
                    loads["carechat"] = float(line.split("(")[1].split()[0])
            say(f"    up in {loads['stack']:.1f} s (rasa server {loads.get('carechat', math.nan):.1f} s)")
            targets = [(TARGET_STARTER, "starter"), (TARGET_REST, "knowledge")]
            if not args.rest_only:
                targets += [(TARGET_REST, "personal"), (TARGET_GATEWAY, "knowledge"), (TARGET_GATEWAY, "personal")]
            if patched is not None:
                say("  starting a second CareChat Rasa server with the cached-validator fix ...")
                loads["patched"] = patched.start()
                say(f"    up in {loads['patched']:.1f} s")
                targets.append((TARGET_PATCHED, "knowledge"))
                notes.append("The cached-validator row is a second CareChat Rasa server (same model, same action "
                             "server, its own SQLite tracker store) started by `python -m bot.engine.evaluation.patched_rasa`, "
                             "which applies the fix before handing over to Rasa's command line.")
            series = asyncio.run(run_load((settings, starter.url, patched.url if patched else None), plan, targets))
            memory = {"starter: rasa server": tree_memory_kb(starter.process.pid)}
            for service in stack.services:
                memory[f"CareChat: {service.name}"] = tree_memory_kb(service.process.pid)
            if patched is not None:
                memory["CareChat: rasa server with the fix"] = tree_memory_kb(patched.process.pid)
                patched.stop()
            starter.stop()
            profile = None
            if not args.no_profile:
                say("  profiling knowledge turns in-process (engine env) ...")
                profile = run_profile(model, settings, work, plan.profile_turns)
        finally:
            starter.stop()
            if patched is not None:
                patched.stop()
            stack.stop()
        notes.append(f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}.")
        report = out_dir / f"bench-{stamp}.md"
        report.write_text(render(stamp, model, plan, series, memory, training, loads, profile, notes), encoding="utf-8")
        (work / "series.json").write_text(json.dumps([s.__dict__ for s in series], indent=1))
        say()
        say(series_table(series))
        say()
        say(ratio_table(series, sorted({s.concurrency for s in series})))
        say()
        say("\n".join(targets_line(series)))
        if profile:
            say()
            say(profile_markdown(profile).split("\n\nTop functions")[0])
        say(f"\nReport: {report}")
        return 0
    finally:
        shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
