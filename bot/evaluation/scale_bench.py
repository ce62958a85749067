"""``make bench``, scale-out part: one replica against two behind HAProxy, 100 conversations at once,
and what a turn costs by how far into the conversation it is (with and without the history cap).

Everything runs on this machine: our own PostgreSQL (tracker store) and Redis (lock and session
stores), HAProxy, and the stack of ``python -m bot run --replicas N``. Both replica counts go
through HAProxy, so the comparison is like with like. Prints the tables and writes
``reports/bench-scale-<timestamp>.md``. Skips (exit 0, saying why) when PostgreSQL, Redis or
HAProxy is not installed.

    .venv-app/bin/python -m bot.evaluation.scale_bench [--model M] [--quick]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

from bot.evaluation.bench import ENGINE_BIN, _rasa_env, say
from bot.ops.loadgen import LoadResult, run_load
from bot.ops.local_postgres import LocalPostgres
from bot.ops.local_redis import free_port, start_redis
from bot.ops.stack import Stack, missing_scale_servers
from bot.settings import PROJECT_ROOT, Settings, load_settings

PORT_BASE = 23000
#: Closed loop (no think time): as many turns as the replicas can take.
SATURATING_CONVERSATIONS = 16
#: A person reads the reply and types the next message: about this many seconds between turns.
PERSON_THINK_S = 8.0


def _settings(var_dir: Path, postgres_url: str, redis_port: int) -> Settings:
    return load_settings({
        "GATEWAY_PORT": str(PORT_BASE + 80), "RASA_PORT": str(PORT_BASE + 5), "ACTION_PORT": str(PORT_BASE + 55),
        "CARECHAT_VAR_DIR": str(var_dir), "CASE_STORE_URL": f"sqlite:///{var_dir / 'casestore.sqlite'}",
        "TRACKER_STORE_URL": postgres_url, "LOCK_STORE_URL": f"redis://127.0.0.1:{redis_port}/1",
        "CARECHAT_SESSION_STORE_URL": f"redis://127.0.0.1:{redis_port}/2",
        "CARECHAT_TOKEN_SECRET": "scale-bench-secret-" + "z" * 40, "CARECHAT_DEMO_MODE": "true",
        # The load comes from one address and each conversation is a machine: lift the per-person limits.
        "CARECHAT_RATE_LIMIT_PER_ADDRESS": "1000000", "CARECHAT_RATE_LIMIT_PER_SESSION": "100000",
        "CARECHAT_MAX_IN_FLIGHT": "1000",
    })


def _load(url: str, conversations: int, duration: float, think: float, seed: int) -> LoadResult:
    return asyncio.run(run_load(url, conversations, duration, think, retry_window=10.0, seed=seed))


def _row(name: str, result: LoadResult) -> dict:
    return {"run": name, "sent": result.sent, "replied": result.replied,
            "errors": result.kind_errors + result.lost, "throughput": round(result.throughput, 2),
            "p50_ms": round((result.p50 or 0) * 1000), "p95_ms": round((result.p95 or 0) * 1000)}


def history_curve(model: Path, action_port: int, work: Path) -> dict | None:
    """The engine-side per-turn curve (``bot.engine.evaluation.history_curve``), against this stack's action server."""
    out = work / "history-curve.json"
    with (work / "history-curve.log").open("w") as log:
        code = subprocess.run([str(ENGINE_BIN / "python"), "-m", "bot.engine.evaluation.history_curve", "--model", str(model),
                               "--action-url", f"http://127.0.0.1:{action_port}/webhook", "--json", str(out)],
                              cwd=PROJECT_ROOT, env=_rasa_env(), stdout=log, stderr=subprocess.STDOUT).returncode
    return json.loads(out.read_text()) if code == 0 and out.exists() else None


def _table(rows: list[dict]) -> list[str]:
    keys = list(rows[0])
    return ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys),
            *("| " + " | ".join(str(row[k]) for k in keys) + " |" for row in rows)]


def main(argv: list[str] | None = None) -> int:
    from bot.ops.training import model_path

    parser = argparse.ArgumentParser(prog="python -m bot.evaluation.scale_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("MODEL") or None)
    parser.add_argument("--out", default=str(PROJECT_ROOT / "reports"))
    parser.add_argument("--quick", action="store_true", help="short runs (development)")
    args = parser.parse_args(argv)
    missing = missing_scale_servers()
    if missing:
        say(f"scale bench skipped: {', '.join(missing)} not installed "
            "(scripts/scale-services install; scripts/postgres-for-tests install)")
        return 0
    model = Path(args.model) if args.model else model_path()
    if not model.exists():
        say(f"No trained model at {model}: run `make model` first.")
        return 1
    seconds, hundred_seconds = (15.0, 20.0) if args.quick else (45.0, 60.0)
    temp = Path(tempfile.mkdtemp(prefix="carechat-scale-bench-"))
    # Directly under /tmp: as root, the server runs as the postgres user, who cannot enter mkdtemp's 0700 folder.
    postgres = LocalPostgres(Path(f"/tmp/carechat-scale-bench-pg-{os.getpid()}"), free_port()).start()
    redis = start_redis(free_port(), temp / "redis")
    rows: list[dict] = []
    curve = None
    try:
        from bot.personal.casestore.db import session_factory
        from bot.personal.casestore.demo import load_demo
        from bot.personal.casestore.migrate import upgrade_to_head

        for replicas in (1, 2):
            settings = _settings(temp / f"var-{replicas}", postgres.url, redis.port)
            upgrade_to_head(settings.case_store_url)
            load_demo(session_factory(settings.case_store_url), date.today())
            stack = Stack(settings, model, replicas=replicas, balanced=True)
            say(f"  {replicas} replica(s) of each service behind HAProxy: starting ...")
            stack.start(timeout=600, say=lambda line: None)
            url = f"http://127.0.0.1:{settings.gateway_port}"
            try:
                _load(url, 4, 5.0, 0.0, seed=0)  # warm up
                result = _load(url, SATURATING_CONVERSATIONS, seconds, 0.0, seed=replicas)
                rows.append(_row(f"{replicas} replica(s), {SATURATING_CONVERSATIONS} conversations, no think time", result))
                say(f"    {rows[-1]}")
                if replicas == 2:
                    result = _load(url, 100, hundred_seconds, PERSON_THINK_S, seed=100)
                    rows.append(_row(f"2 replicas, 100 conversations, a message every ~{PERSON_THINK_S:.0f} s each", result))
                    say(f"    {rows[-1]}")
                if replicas == 1 and not args.quick:
                    action_port = next(int(s.command[s.command.index("--port") + 1]) for s in stack.services
                                       if s.name.startswith("action server"))
                    say("  per-turn cost by turn number, with and without the history cap ...")
                    curve = history_curve(model, action_port, temp)
            finally:
                stack.stop()
    finally:
        redis.stop()
        postgres.stop()
    one, two = rows[0]["throughput"], rows[1]["throughput"]
    lines = [f"# Scale-out bench, {datetime.now():%Y-%m-%d %H:%M}", "",
             f"{os.cpu_count()} cores; load average at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}. "
             "PostgreSQL tracker store, Redis lock and session stores, HAProxy in front of every service "
             "(`bot.ops.loadgen` through the gateway's /api/chat, resending like the page).", "",
             *_table(rows), "", f"Throughput, two replicas against one: **{two / one:.2f}x** ({two} vs {one} replied turns/s)."]
    if curve:
        lines += ["", "What a turn costs by its number in the conversation (median ms over "
                  f"{curve['conversations']} conversations, in-process, SQL tracker store):", "", *_curve_lines(curve)]
    report = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-scale-{datetime.now():%Y%m%d-%H%M%S}.md"
    path.write_text(report, encoding="utf-8")
    say(report)
    say(f"written to {path}")
    return 0


def _curve_lines(curve: dict) -> list[str]:
    capped, uncapped = curve["curves"]["capped"], curve["curves"]["uncapped"]
    lines = [f"| turn | without the cap, ms | with the cap ({curve['max_turns']} turns), ms |", "|---:|---:|---:|"]
    for mark in (1, 5, 10, 15, 20, 25, 30):
        if str(mark) in uncapped:
            lines.append(f"| {mark} | {uncapped[str(mark)]} | {capped[str(mark)]} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
