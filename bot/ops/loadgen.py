"""Load and fault measurement for the chat gateway, as a user of the page would feel it.

``run_load`` runs many conversations at once against ``POST {base}/api/chat`` and follows the
page's own resend rule, so a fault test measures what a young person sees (a reply, a kind
error, or the page's "try again in a moment") rather than raw HTTP errors. Each turn is one
user message: a fresh ``turn_id`` that every resend of it repeats, with ``attempt`` counting up.
``count_recorded_turns`` then reads Rasa's tracker store to show whether a resend was recorded
twice or a reply was given for a turn that was never recorded.

Message and reply text is kept in memory only: nothing here logs or prints it.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Literal, Mapping, Sequence

import aiohttp

#: Ordinary, harmless questions a child in care or a carer might ask (none about harm or danger).
ORDINARY_QUESTIONS: list[str] = [
    "what is a care review",
    "what does an advocate do",
    "how does family time work",
    "what is a special guardianship order",
    "what is an IRO",
    "what is a care plan",
    "what does my social worker do",
    "what is a personal education plan",
    "can I have a say in my care review",
    "what is a pathway plan",
    "what is a personal adviser",
    "how much pocket money do I get",
    "what is a foster carer's supervising social worker",
    "can I see my files",
    "what is a looked after child",
]

#: The page's waits before each resend of a turn (then 1 s each), in seconds.
BACKOFF_S = (0.25, 0.5, 1.0)
#: JSON error statuses that mean "try again in a moment": the page resends the turn within its window.
RETRY_STATUSES = frozenset({502, 503})

Outcome = Literal["replied", "kind_error", "gave_up", "lost"]
#: ``on_event`` gets ("resend", turn) before each resend and ("end", turn) when a turn ends.
EventHook = Callable[[str, "TurnRecord"], None]


def now() -> float:
    """The one clock every time here uses (monotonic), so a test can mark when it injected a fault."""
    return time.monotonic()


def backoff(attempt: int) -> float:
    """The page's wait after failed attempt ``attempt`` (1-based) before sending the next one."""
    return BACKOFF_S[min(attempt, len(BACKOFF_S)) - 1]


def new_turn_id() -> str:
    """22 url-safe random characters, as the page makes for each new user message."""
    return secrets.token_urlsafe(16)


@dataclass
class TurnRecord:
    """One user message and what became of it.

    Outcomes: ``replied`` (a 200 with messages), ``kind_error`` (the gateway's own JSON error,
    final or still 502/503 when the window ran out), ``gave_up`` (only transport failures until
    the retry window ran out, so the page showed its own "try again in a moment"), ``lost``
    (none of these: the client itself failed; should never happen).
    """

    conversation: int
    turn_id: str
    first_send: float
    end: float = 0.0
    attempts: int = 0
    outcome: Outcome = "lost"
    status: int | None = None  # last HTTP status seen (None: no response)
    replies: list[str] = field(default_factory=list, repr=False)  # never logged or printed

    @property
    def troubled(self) -> bool:
        """The user met a failure on this turn: a resend, or no reply in the end."""
        return self.attempts > 1 or self.outcome != "replied"


def _percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (no interpolation: every value reported was really seen)."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


@dataclass
class LoadResult:
    """Every turn of a run, with the counts a fault table needs. Times are :func:`now` values."""

    turns: list[TurnRecord]
    started: float
    finished: float

    def _count(self, *outcomes: str) -> int:
        return sum(t.outcome in outcomes for t in self.turns)

    @property
    def sent(self) -> int:
        return len(self.turns)

    @property
    def replied(self) -> int:
        return self._count("replied")

    @property
    def kind_errors(self) -> int:
        """Errors shown to users: the gateway's kind errors and the page's own after its window."""
        return self._count("kind_error", "gave_up")

    @property
    def gave_up(self) -> int:
        return self._count("gave_up")

    @property
    def lost(self) -> int:
        return self._count("lost")

    @property
    def resent(self) -> int:
        """Turns that needed more than one attempt."""
        return sum(t.attempts > 1 for t in self.turns)

    def latencies(self) -> list[float]:
        """Seconds from first send to reply, for replied turns, sorted."""
        return sorted(t.end - t.first_send for t in self.turns if t.outcome == "replied")

    @property
    def p50(self) -> float | None:
        return _percentile(self.latencies(), 0.50)

    @property
    def p95(self) -> float | None:
        return _percentile(self.latencies(), 0.95)

    @property
    def p99(self) -> float | None:
        return _percentile(self.latencies(), 0.99)

    @property
    def throughput(self) -> float:
        """Replied turns per second of the whole run."""
        elapsed = self.finished - self.started
        return self.replied / elapsed if elapsed > 0 else 0.0

    def recovery_seconds(self, after: float) -> float | None:
        """How long after ``after`` users were still waiting on turns that met a failure.

        A turn met a failure when it needed a resend or did not end in a reply (see
        :attr:`TurnRecord.troubled`). The answer is the latest ``end`` of such a turn that ended
        after ``after``, minus ``after`` (a turn begun before ``after`` but still waiting then
        counts); 0.0 when no such turn ended after ``after``. It is None when recovery was not
        seen: no turn first sent after that last failure ended was replied at its first attempt
        (the service may still have been failing when the run stopped).
        """
        last = max((t.end for t in self.turns if t.troubled and t.end > after), default=None)
        if last is None:
            return 0.0
        if not any(t.first_send >= last and not t.troubled for t in self.turns):
            return None
        return last - after


def _classify(status: int, body: bytes) -> tuple[str, list[str]]:
    """("reply" | "kind" | "kind_retry" | "transport", reply texts) for one HTTP response.

    Only the gateway's JSON counts as an answer; anything else (a load balancer's HTML error
    page, an empty body) is a transport failure, as the page treats it.
    """
    try:
        data: Any = json.loads(body)
    except ValueError:
        return "transport", []
    if not isinstance(data, dict):
        return "transport", []
    messages = data.get("messages")
    if status == 200:
        if isinstance(messages, list):
            return "reply", [str(m.get("text")) for m in messages if isinstance(m, dict) and m.get("text")]
        return "transport", []
    if status >= 400 and (isinstance(data.get("error"), str) or isinstance(messages, list)):
        return ("kind_retry" if status in RETRY_STATUSES else "kind"), []
    return "transport", []


async def _send_turn(session: aiohttp.ClientSession, url: str, text: str, turn: TurnRecord,
                     retry_window: float, timeout: aiohttp.ClientTimeout, on_event: EventHook | None) -> None:
    """Send one turn, resending it as the page does until a reply, a final error or the window's end."""
    while True:
        turn.attempts += 1
        payload = {"message": text, "turn_id": turn.turn_id, "attempt": turn.attempts}
        try:
            async with session.post(url, json=payload, timeout=timeout) as response:
                turn.status = response.status
                kind, replies = _classify(response.status, await response.read())
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError):
            turn.status, kind, replies = None, "transport", []
        if kind in ("reply", "kind"):
            turn.outcome, turn.replies = ("replied", replies) if kind == "reply" else ("kind_error", [])
            break
        delay = backoff(turn.attempts)
        if now() + delay - turn.first_send > retry_window:
            # A 502/503 kind error stays on the page as it is; after transport failures the page shows its own.
            turn.outcome = "kind_error" if kind == "kind_retry" else "gave_up"
            break
        if on_event:
            on_event("resend", turn)
        await asyncio.sleep(delay)
    turn.end = now()


async def _conversation(index: int, url: str, deadline: float, think_time_s: float, messages: Sequence[str],
                        retry_window: float, timeout: aiohttp.ClientTimeout, rng: random.Random,
                        turns: list[TurnRecord], on_event: EventHook | None) -> None:
    """One user: its own cookie jar (unsafe=True so cookies stick on 127.0.0.1), turns until the deadline."""
    # Users do not all press send at the same instant; half the run at most, so every user sends.
    await asyncio.sleep(rng.uniform(0, min(think_time_s, (deadline - now()) / 2)))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        position = index
        while now() < deadline:
            turn = TurnRecord(conversation=index, turn_id=new_turn_id(), first_send=now())
            turns.append(turn)
            try:
                await _send_turn(session, url, messages[position % len(messages)], turn,
                                 retry_window, timeout, on_event)
            except Exception:  # counted as lost, never hidden; the type alone would not help the count
                turn.outcome, turn.end = "lost", now()
            if on_event:
                on_event("end", turn)
            position += 1
            pause = think_time_s * rng.uniform(0.8, 1.2)
            await asyncio.sleep(max(0.0, min(pause, deadline - now())))


async def run_load(base_url: str, conversations: int, duration_s: float, think_time_s: float,
                   messages: Sequence[str] = ORDINARY_QUESTIONS, retry_window: float = 10.0,
                   on_event: EventHook | None = None, *, request_timeout_s: float = 30.0,
                   seed: int = 0) -> LoadResult:
    """Run ``conversations`` users at once for ``duration_s`` seconds and record every turn.

    New turns start only before the deadline; a turn under way is finished (with its resends),
    so no turn is cut short and miscounted. Conversation ``i`` starts at ``messages[i]``.
    """
    if not messages:
        raise ValueError("run_load needs at least one message")
    url = base_url.rstrip("/") + "/api/chat"
    timeout = aiohttp.ClientTimeout(total=request_timeout_s)
    turns: list[TurnRecord] = []
    started = now()
    deadline = started + duration_s
    await asyncio.gather(*(
        _conversation(i, url, deadline, think_time_s, messages, retry_window, timeout,
                      random.Random(seed * 100_003 + i), turns, on_event)
        for i in range(conversations)))
    return LoadResult(turns=turns, started=started, finished=now())


def count_recorded_turns(tracker_store_url: str, turn_ids: Iterable[str]) -> dict[str, int]:
    """How many user events in Rasa's tracker store carry each turn_id (metadata.turn_id).

    More than 1 means a resend was recorded twice; 0 for a replied turn means the user saw a
    reply the conversation history does not hold. A store with no events table yet counts 0s.
    """
    from sqlalchemy import column, inspect, select, table

    from bot.ops.retention import tracker_engine  # psycopg 3 for any postgresql URL; parameters hidden

    counts = {turn_id: 0 for turn_id in turn_ids}
    engine = tracker_engine(tracker_store_url)
    try:
        if not inspect(engine).has_table("events"):
            return counts
        events = table("events", column("type_name"), column("data"))
        query = select(events.c.data).where(events.c.type_name == "user")
        with engine.connect() as conn:
            for (data,) in conn.execution_options(stream_results=True, yield_per=1000).execute(query):
                try:
                    metadata = json.loads(data or "{}").get("metadata") or {}
                except (ValueError, AttributeError):
                    continue
                turn_id = metadata.get("turn_id") if isinstance(metadata, dict) else None
                if turn_id in counts:
                    counts[turn_id] += 1
    finally:
        engine.dispose()
    return counts


def duplicated(recorded_counts: Mapping[str, int]) -> list[str]:
    """Turn ids recorded more than once (a resend that was processed again)."""
    return [turn_id for turn_id, n in recorded_counts.items() if n > 1]


def replied_but_unrecorded(result: LoadResult, recorded_counts: Mapping[str, int]) -> list[str]:
    """Replied turns the tracker store never recorded: lost from the conversation's history."""
    return [t.turn_id for t in result.turns if t.outcome == "replied" and recorded_counts.get(t.turn_id, 0) == 0]


FAULT_COLUMNS = ("scenario", "sent", "replied", "lost", "duplicated", "user_visible_errors", "recovery_s")


def fault_row(name: str, result: LoadResult, recorded_counts: Mapping[str, int] | None,
              recovery: float | None) -> dict[str, Any]:
    """One row of the fault table. ``lost`` includes replied turns the store never recorded;
    without ``recorded_counts`` (store not read) ``duplicated`` is None and ``lost`` is the client's only."""
    lost = result.lost
    dupes: int | None = None
    if recorded_counts is not None:
        lost += len(replied_but_unrecorded(result, recorded_counts))
        dupes = len(duplicated(recorded_counts))
    return {"scenario": name, "sent": result.sent, "replied": result.replied, "lost": lost,
            "duplicated": dupes, "user_visible_errors": result.kind_errors,
            "recovery_s": None if recovery is None else round(recovery, 2)}


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value).replace("|", "\\|")


def format_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown table of fault rows: :data:`FAULT_COLUMNS` first, then any extra columns the rows
    carry (in first-seen order); None shows as n/a."""
    extra = [key for row in rows for key in row if key not in FAULT_COLUMNS]
    columns = [*FAULT_COLUMNS, *dict.fromkeys(extra)]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}s"


def main(argv: Sequence[str] | None = None) -> int:
    """Print counts and latencies of one run (never message or reply text); exit 1 if a turn was lost."""
    parser = argparse.ArgumentParser(prog="python -m bot.ops.loadgen", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the gateway's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--conversations", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True, help="seconds to start new turns for")
    parser.add_argument("--think", type=float, default=0.5, help="seconds between a user's turns")
    parser.add_argument("--retry-window", type=float, default=10.0)
    args = parser.parse_args(argv)
    result = asyncio.run(run_load(args.url, args.conversations, args.duration, args.think,
                                  ORDINARY_QUESTIONS, args.retry_window))
    print(f"sent={result.sent} replied={result.replied} errors={result.kind_errors} "
          f"(gave_up={result.gave_up}) lost={result.lost} resent={result.resent} "
          f"p50={_seconds(result.p50)} p95={_seconds(result.p95)} p99={_seconds(result.p99)} "
          f"throughput={result.throughput:.2f}/s")
    return 1 if result.lost else 0


if __name__ == "__main__":
    sys.exit(main())
