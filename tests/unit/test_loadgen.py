"""The load generator counts what a user of the page would see, against a fake gateway.

The fake answers ``/api/chat`` like the gateway (a session cookie, JSON replies and kind
errors) and can fail on cue: drop the connection or answer with a load balancer's HTML page on
a turn's first attempt, give JSON 503s while a test says so, or not be there at all.
"""
from __future__ import annotations

import asyncio
import json
import re
import socket
from collections import defaultdict
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import insert

from bot.ops import loadgen
from bot.ops.loadgen import LoadResult, TurnRecord, count_recorded_turns, fault_row, format_table, run_load
from tests.unit.test_retention_rasa_events import RASA_EVENTS, TrackerWriter

COOKIE = "carechat_session"
TURN_ID = re.compile(r"^[A-Za-z0-9_-]{22,}$")
REPLY = "a reply the test never prints"


class FakeGateway:
    """Records every request (turn_id, attempt, cookie) and answers as ``fault`` says.

    ``first_attempt_fault(n)`` picks a fault for the first attempt of the n-th new turn;
    ``fault`` (set by a test while the load runs) applies to every request.
    """

    def __init__(self, first_attempt_fault: Callable[[int], str | None] = lambda n: None) -> None:
        self.first_attempt_fault = first_attempt_fault
        self.fault: str | None = None
        self.requests: list[dict[str, Any]] = []
        self.turn_numbers: dict[str, int] = {}
        self.sessions: dict[str, set[str]] = {}  # session cookie -> turn ids sent with it
        self.unknown_cookies = 0

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        cookie = request.cookies.get(COOKIE)
        self.requests.append({"turn_id": body["turn_id"], "attempt": body["attempt"], "cookie": cookie})
        number = self.turn_numbers.setdefault(body["turn_id"], len(self.turn_numbers))
        fault = self.fault or (self.first_attempt_fault(number) if body["attempt"] == 1 else None)
        if fault == "drop":
            request.transport.close()
            return web.Response()
        if fault == "hang":
            await asyncio.sleep(5)
        if fault == "html502":
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        if fault == "json503":
            return web.json_response({"error": "CareChat is busy. Please try again in a moment."}, status=503)
        if fault == "json429":
            return web.json_response({"error": "You're sending messages very fast."}, status=429)
        response = web.json_response({"messages": [{"text": REPLY}]})
        if cookie is None:
            cookie = f"s{len(self.sessions)}"
            self.sessions[cookie] = set()
            response.set_cookie(COOKIE, cookie, httponly=True, samesite="Lax")
        elif cookie not in self.sessions:
            self.unknown_cookies += 1
            return web.json_response({"error": "unknown session"}, status=400)
        self.sessions[cookie].add(body["turn_id"])
        return response

    def attempts_by_turn(self) -> dict[str, list[int]]:
        seen: dict[str, list[int]] = defaultdict(list)
        for r in self.requests:
            seen[r["turn_id"]].append(r["attempt"])
        return dict(seen)


@asynccontextmanager
async def serve(fake: FakeGateway) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/api/chat", fake.chat)
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/"))


async def run_against(fake: FakeGateway, **kwargs: Any) -> LoadResult:
    async with serve(fake) as base:
        return await run_load(base, **kwargs)


def assert_turns_sent_as_the_page_does(fake: FakeGateway, result: LoadResult) -> None:
    """One fresh turn_id per user message, repeated by its resends, with attempt 1, 2, 3..."""
    ids = [t.turn_id for t in result.turns]
    assert len(set(ids)) == len(ids) == result.sent
    assert all(TURN_ID.match(i) for i in ids)
    by_turn = fake.attempts_by_turn()
    assert set(by_turn) == set(ids)
    for turn in result.turns:
        assert by_turn[turn.turn_id] == list(range(1, turn.attempts + 1))


def assert_one_cookie_per_conversation(fake: FakeGateway, result: LoadResult, conversations: int) -> None:
    conversation_of = {t.turn_id: t.conversation for t in result.turns}
    assert fake.unknown_cookies == 0
    assert len(fake.sessions) == conversations
    assert all(len({conversation_of[i] for i in ids}) == 1 for ids in fake.sessions.values())


async def test_a_healthy_gateway_replies_to_every_turn() -> None:
    fake = FakeGateway()
    result = await run_against(fake, conversations=4, duration_s=0.6, think_time_s=0.05,
                               messages=loadgen.ORDINARY_QUESTIONS)
    assert result.sent >= 8 and result.replied == result.sent
    assert (result.kind_errors, result.lost, result.resent) == (0, 0, 0)
    assert all(t.attempts == 1 and t.replies == [REPLY] for t in result.turns)
    assert result.p50 is not None and 0 < result.p50 <= result.p95 <= result.p99 < 0.5  # type: ignore[operator]
    assert result.throughput > 0
    assert result.recovery_seconds(result.started) == 0.0
    assert_turns_sent_as_the_page_does(fake, result)
    assert_one_cookie_per_conversation(fake, result, 4)


async def test_a_dropped_connection_html_502_or_timeout_is_resent_and_replied() -> None:
    fake = FakeGateway(lambda n: {0: "drop", 1: "html502", 2: "hang"}.get(n % 4))
    result = await run_against(fake, conversations=3, duration_s=0.8, think_time_s=0.05,
                               messages=["what is a care review"], request_timeout_s=0.2)
    failed_first = {i for i, n in fake.turn_numbers.items() if n % 4 != 3}
    assert failed_first
    for turn in result.turns:
        assert turn.outcome == "replied"
        assert turn.attempts == (2 if turn.turn_id in failed_first else 1)
    assert result.resent == len(failed_first) and result.kind_errors == result.lost == 0
    assert_turns_sent_as_the_page_does(fake, result)
    assert_one_cookie_per_conversation(fake, result, 3)


async def test_json_503_for_a_while_shows_kind_errors_and_recovery_is_measured() -> None:
    fake = FakeGateway()

    async def fault_for(seconds: float, marks: dict[str, float]) -> None:
        await asyncio.sleep(0.3)
        fake.fault, marks["fault"] = "json503", loadgen.now()
        await asyncio.sleep(seconds)
        fake.fault, marks["healed"] = None, loadgen.now()

    marks: dict[str, float] = {}
    async with serve(fake) as base:
        result, _ = await asyncio.gather(
            run_load(base, conversations=4, duration_s=2.0, think_time_s=0.1, messages=loadgen.ORDINARY_QUESTIONS,
                     retry_window=0.5),
            fault_for(1.0, marks))
    assert result.kind_errors > 0 and result.gave_up == 0  # the gateway's own kind message, not the page's
    assert result.lost == 0 and result.replied + result.kind_errors == result.sent
    assert all(t.status == 503 for t in result.turns if t.outcome == "kind_error")
    assert all(marks["fault"] <= t.end for t in result.turns if t.troubled)
    healed = result.recovery_seconds(marks["healed"])
    assert healed is not None and 0 <= healed < 0.8  # a resend waiting in its backoff, then replied
    from_fault = result.recovery_seconds(marks["fault"])
    assert from_fault is not None and 0.5 <= from_fault <= 1.0 + 0.8
    assert_turns_sent_as_the_page_does(fake, result)


async def test_other_kind_errors_are_final() -> None:
    fake = FakeGateway(lambda n: "json429" if n == 0 else None)
    result = await run_against(fake, conversations=1, duration_s=0.3, think_time_s=0.05, messages=["hello"])
    first = result.turns[0]
    assert (first.outcome, first.attempts, first.status) == ("kind_error", 1, 429)
    assert result.kind_errors == 1 and result.replied == result.sent - 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_gateway_down_longer_than_the_window_is_a_visible_error_not_a_lost_turn() -> None:
    result = await run_load(f"http://127.0.0.1:{free_port()}", conversations=2, duration_s=0.5,
                            think_time_s=0.05, messages=["hello"], retry_window=0.6)
    assert result.sent >= 2
    assert all(t.outcome == "gave_up" and t.attempts == 2 and t.status is None for t in result.turns)
    assert result.kind_errors == result.gave_up == result.sent and result.lost == result.replied == 0
    assert result.p50 is None and result.throughput == 0
    assert result.recovery_seconds(result.started) is None  # never seen to recover


def turn(turn_id: str, first: float, end: float, attempts: int = 1, outcome: str = "replied") -> TurnRecord:
    return TurnRecord(conversation=0, turn_id=turn_id, first_send=first, end=end,
                      attempts=attempts, outcome=outcome)  # type: ignore[arg-type]


def test_recovery_is_the_last_wait_on_a_troubled_turn_after_the_mark() -> None:
    result = LoadResult([turn("a", 0, 1), turn("b", 1, 4, attempts=3), turn("c", 2, 3, outcome="kind_error"),
                         turn("d", 4.5, 5)], started=0, finished=5)
    assert result.recovery_seconds(2.5) == 1.5  # b: resent, waited until 4
    assert result.recovery_seconds(4.0) == 0.0  # nothing troubled ended after 4
    assert LoadResult(result.turns[:3], 0, 4).recovery_seconds(2.5) is None  # no clean reply after


@pytest.fixture
def tracker(writer: TrackerWriter, case_store_url: str) -> tuple[TrackerWriter, str]:
    """A Rasa-shaped events table on SQLite (and PostgreSQL when configured), with the URL to read it."""
    return writer, case_store_url.replace("postgresql+psycopg://", "postgresql://", 1)  # also the rewrite


def user_event(turn_id: str | None, ts: float) -> dict[str, Any]:
    metadata = {"audience": "young_person"} | ({"turn_id": turn_id} if turn_id else {})
    data = {"event": "user", "timestamp": ts, "text": "what is a care review", "metadata": metadata,
            "parse_data": {"intent": {"name": "ask_topic"}}, "input_channel": "rest"}
    return {"sender_id": "s1", "type_name": "user", "timestamp": ts, "intent_name": "ask_topic",
            "data": json.dumps(data)}


def test_recorded_turns_show_duplicates_and_replies_never_recorded(tracker: tuple[TrackerWriter, str]) -> None:
    writer, url = tracker
    bot_event = {"sender_id": "s1", "type_name": "bot", "timestamp": 5.0, "intent_name": None,
                 "data": json.dumps({"event": "bot", "metadata": {"turn_id": "once"}})}
    with writer.engine.begin() as conn:
        conn.execute(insert(RASA_EVENTS), [user_event("once", 1.0), user_event("twice", 2.0),
                                           user_event("twice", 3.0), user_event("elsewhere", 4.0),
                                           user_event(None, 4.5), bot_event])
    counts = count_recorded_turns(url, ["once", "twice", "never"])
    assert counts == {"once": 1, "twice": 2, "never": 0}

    result = LoadResult([turn("once", 0, 1), turn("twice", 1, 2, attempts=2), turn("never", 2, 3),
                         turn("shown", 3, 4, outcome="kind_error")], started=0, finished=4)
    assert loadgen.duplicated(counts) == ["twice"]
    assert loadgen.replied_but_unrecorded(result, counts) == ["never"]
    row = fault_row("rasa restarted", result, counts, 1.234)
    assert row == {"scenario": "rasa restarted", "sent": 4, "replied": 3, "lost": 1, "duplicated": 1,
                   "user_visible_errors": 1, "recovery_s": 1.23}
    table = format_table([row, fault_row("no store", result, None, None)]).splitlines()
    assert table[0] == "| scenario | sent | replied | lost | duplicated | user_visible_errors | recovery_s |"
    assert table[2] == "| rasa restarted | 4 | 3 | 1 | 1 | 1 | 1.23 |"
    assert table[3] == "| no store | 4 | 3 | 0 | n/a | 1 | n/a |"


def test_a_store_without_events_counts_nothing(tmp_path: Path) -> None:
    assert count_recorded_turns(f"sqlite:///{tmp_path / 'empty.sqlite'}", ["a"]) == {"a": 0}


def test_the_cli_prints_counts_but_no_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert loadgen.main(["--url", f"http://127.0.0.1:{free_port()}", "--conversations", "1",
                         "--duration", "0.1", "--think", "0.05", "--retry-window", "0.2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("sent=") and "replied=0" in out and "p50=n/a" in out
    assert not any(q in out for q in loadgen.ORDINARY_QUESTIONS)


def test_the_default_questions_are_ordinary() -> None:
    assert 12 <= len(loadgen.ORDINARY_QUESTIONS) <= 20
    words = " ".join(loadgen.ORDINARY_QUESTIONS).lower()
    assert not any(w in words for w in ("hurt", "harm", "danger", "abuse", "kill", "scared", "unsafe"))
