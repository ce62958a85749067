"""The council's safety report: exact counts per day, tier and category, and never any text or id.

The tracker store here is a throwaway ``events`` table shaped like Rasa's ``SQLEvent``, filled
with whole conversations as Rasa writes them (user messages with text included), so the tests
also show that the report never reads or prints anything but the outcome slot.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert

from bot.ops import cli
from bot.ops.safety_report import (
    ReportRow,
    SafetyReport,
    SafetyReportError,
    _outcome_query,
    _utc_bounds,
    count_outcomes,
    date_range,
    parse_outcome,
    render_csv,
    render_text,
)

SECRET_TEXT = "i want to hurt myself tonight"
SENDERS = ("sender-aaaa-1111", "sender-bbbb-2222", "sender-cccc-3333")


def _ts(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> float:
    return datetime(2025, 3, day, hour, minute, second, tzinfo=timezone.utc).timestamp()


def _create_events(url: str) -> Table:
    """The columns of Rasa 3.6's SQLTrackerStore.SQLEvent."""
    table = Table("events", MetaData(), Column("id", Integer, primary_key=True),
                  Column("sender_id", String(255), nullable=False, index=True),
                  Column("type_name", String(255), nullable=False), Column("timestamp", Float),
                  Column("intent_name", String(255)), Column("action_name", String(255)), Column("data", Text))
    engine = create_engine(url)
    table.create(engine)
    engine.dispose()
    return table


class Store:
    """Writes events the way Rasa's SQLTrackerStore.save does (action_name = the event's "name")."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.table = _create_events(url)
        self.rows: list[dict] = []

    def event(self, sender: str, ts: float, data: dict | str, type_name: str | None = None) -> None:
        as_dict = data if isinstance(data, dict) else {}
        intent = (as_dict.get("parse_data") or {}).get("intent", {}).get("name")
        self.rows.append({"sender_id": sender, "type_name": type_name or as_dict["event"], "timestamp": ts,
                          "intent_name": intent, "action_name": as_dict.get("name"),
                          "data": data if isinstance(data, str) else json.dumps(data)})

    def action(self, sender: str, ts: float, name: str) -> None:
        self.event(sender, ts, {"event": "action", "timestamp": ts, "name": name, "policy": "RulePolicy",
                                "confidence": 1.0, "action_text": None, "hide_rule_turn": False})

    def slot(self, sender: str, ts: float, name: str, value: object) -> None:
        self.event(sender, ts, {"event": "slot", "timestamp": ts, "name": name, "value": value})

    def session_start(self, sender: str, ts: float) -> None:
        self.action(sender, ts, "action_session_start")
        self.event(sender, ts, {"event": "session_started", "timestamp": ts})
        self.action(sender, ts, "action_listen")

    def user(self, sender: str, ts: float, text: str) -> None:
        self.event(sender, ts, {"event": "user", "timestamp": ts, "text": text, "input_channel": "rest",
                                "message_id": "m1", "metadata": {"carechat_audience": "child"},
                                "parse_data": {"text": text, "intent": {"name": "safeguarding_concern",
                                                                        "confidence": 0.9}, "entities": []}})

    def safety_turn(self, sender: str, ts: float, outcome: object, text: str = SECRET_TEXT) -> None:
        """One user message answered with the safety reply or check-in, as the action server records it."""
        self.user(sender, ts, text)
        self.action(sender, ts + 0.1, "action_safety_reply")
        self.slot(sender, ts + 0.2, "fallback_stage", None)
        self.slot(sender, ts + 0.2, "fallback_backup", None)
        self.slot(sender, ts + 0.2, "safeguarding_outcome", outcome)
        self.event(sender, ts + 0.3, {"event": "bot", "timestamp": ts + 0.3, "text": "Please call Childline",
                                      "data": {}, "metadata": {}})
        self.action(sender, ts + 0.4, "action_listen")

    def save(self) -> str:
        engine = create_engine(self.url)
        with engine.begin() as conn:
            conn.execute(insert(self.table), self.rows)
        engine.dispose()
        self.rows = []
        return self.url


@pytest.fixture
def store(case_store_url: str) -> Store:
    """An empty tracker store, on SQLite and (when configured) PostgreSQL, like the case-store tests."""
    if case_store_url.startswith("sqlite"):
        Path(case_store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return Store(case_store_url)


@pytest.fixture
def filled(store: Store) -> str:
    """Three conversations over 1-4 March 2025 with every kind of row the table can hold."""
    a, b, c = SENDERS
    store.session_start(a, _ts(1, 9))
    store.safety_turn(a, _ts(1, 10), "risk/suicide")
    store.safety_turn(a, _ts(1, 11), "risk/suicide")
    store.safety_turn(a, _ts(1, 12), "check_in/self_harm")
    store.user(a, _ts(1, 13), "what is a care order")      # an ordinary answer: not counted
    store.action(a, _ts(1, 13, 1), "action_answer_topic")
    store.slot(a, _ts(1, 13, 1), "fallback_stage", "offered")
    store.session_start(b, _ts(1, 23, 0))
    store.safety_turn(b, _ts(1, 23, 59, 58), "check_in/running_away")   # lands at 23:59:58.2 on the 1st
    store.safety_turn(b, _ts(2, 0, 0, 0), "check_in/running_away")      # just after midnight: the 2nd
    store.session_start(c, _ts(3, 8))
    store.safety_turn(c, _ts(3, 9), "risk/unspecified")
    store.safety_turn(c, _ts(3, 10), "risk/get_help_now")
    store.safety_turn(c, _ts(4, 10), "check_in/suicide")
    return store.save()


def test_counts_per_day_tier_and_category(filled):
    report = count_outcomes(filled, date(2025, 3, 1), date(2025, 3, 4))
    assert report.rows == (
        ReportRow(date(2025, 3, 1), "risk", "suicide", 2),
        ReportRow(date(2025, 3, 1), "check_in", "running_away", 1),
        ReportRow(date(2025, 3, 1), "check_in", "self_harm", 1),
        ReportRow(date(2025, 3, 2), "check_in", "running_away", 1),
        ReportRow(date(2025, 3, 3), "risk", "get_help_now", 1),
        ReportRow(date(2025, 3, 3), "risk", "unspecified", 1),
        ReportRow(date(2025, 3, 4), "check_in", "suicide", 1),
    )
    assert report.totals_by_tier() == {"risk": 4, "check_in": 4}
    assert report.total == 8
    assert report.note == ""


def test_date_range_includes_both_ends_and_nothing_else(filled):
    assert count_outcomes(filled, date(2025, 3, 2), date(2025, 3, 3)).rows == (
        ReportRow(date(2025, 3, 2), "check_in", "running_away", 1),
        ReportRow(date(2025, 3, 3), "risk", "get_help_now", 1),
        ReportRow(date(2025, 3, 3), "risk", "unspecified", 1),
    )
    assert count_outcomes(filled, date(2025, 3, 4), date(2025, 3, 4)).total == 1
    assert count_outcomes(filled, date(2025, 2, 1), date(2025, 2, 28)).rows == ()
    assert count_outcomes(filled, date(2025, 3, 5), date(2025, 4, 5)).totals_by_tier() == {"risk": 0, "check_in": 0}


def test_default_range_is_the_last_30_utc_dates(store: Store):
    now = datetime.now(timezone.utc)
    start, end = date_range()
    assert (end - start).days == 29 and end == now.date()
    store.safety_turn(SENDERS[0], now.timestamp() - 60, "risk/suicide")
    store.safety_turn(SENDERS[0], _utc_bounds(start, end)[0] - 1, "risk/self_harm")   # one second too old
    report = count_outcomes(store.save())
    assert (report.start, report.end) == (start, end)
    assert [(row.tier, row.category, row.count) for row in report.rows] == [("risk", "suicide", 1)]


def test_date_range_checks_its_input():
    assert date_range(1, today=date(2025, 3, 4)) == (date(2025, 3, 4), date(2025, 3, 4))
    assert date_range(7, today=date(2025, 3, 4)) == (date(2025, 2, 26), date(2025, 3, 4))
    for bad in (0, -3, 100_000, 2.5, "7", True):
        with pytest.raises(ValueError):
            date_range(bad)


def test_start_after_end_is_refused(filled):
    with pytest.raises(ValueError, match="after"):
        count_outcomes(filled, date(2025, 3, 4), date(2025, 3, 1))


def test_malformed_values_count_as_unknown(store: Store):
    sender = SENDERS[0]
    for i, value in enumerate(["risk", "bogus/suicide", 42, {"tier": "risk"}, "risk/a/b", "/", ""]):
        store.safety_turn(sender, _ts(5, 10, i), value)
    store.safety_turn(sender, _ts(5, 11), "risk/" + SECRET_TEXT)           # free text never shown
    store.safety_turn(sender, _ts(5, 11, 1), "check_in/Self Harm")
    store.safety_turn(sender, _ts(5, 11, 2), None)                          # a cleared slot: no reply
    store.event(sender, _ts(5, 12), "{not json", type_name="slot")         # no name: not ours, skipped
    store.rows.append({"sender_id": sender, "type_name": "slot", "timestamp": _ts(5, 12, 1),
                       "intent_name": None, "action_name": "safeguarding_outcome", "data": "{broken"})  # ours, unreadable
    report = count_outcomes(store.save(), date(2025, 3, 5), date(2025, 3, 5))
    assert report.rows == (
        ReportRow(date(2025, 3, 5), "risk", "unknown", 1),
        ReportRow(date(2025, 3, 5), "check_in", "unknown", 1),
        ReportRow(date(2025, 3, 5), "unknown", "unknown", 8),
    )
    assert report.totals_by_tier() == {"risk": 1, "check_in": 1, "unknown": 8}
    assert "hurt" not in render_text(report) + render_csv(report)


def test_parse_outcome():
    assert parse_outcome("risk/self_harm") == ("risk", "self_harm")
    assert parse_outcome("check_in/running_away") == ("check_in", "running_away")
    assert parse_outcome("risk/") == ("risk", "unknown")
    assert parse_outcome("check_in/x" * 10) == ("unknown", "unknown")
    assert parse_outcome("risk/" + "a" * 65) == ("risk", "unknown")
    assert parse_outcome(None) == ("unknown", "unknown")


def test_other_slots_and_user_text_mentioning_the_slot_are_not_counted(store: Store):
    sender = SENDERS[0]
    store.user(sender, _ts(6, 10), 'safeguarding_outcome "safeguarding_outcome" risk/suicide')
    store.slot(sender, _ts(6, 10, 1), "fallback_backup", "safeguarding_outcome")
    store.slot(sender, _ts(6, 10, 2), "fallback_stage", '"safeguarding_outcome"')
    assert count_outcomes(store.save(), date(2025, 3, 6), date(2025, 3, 6)).rows == ()


def test_slots_carried_over_to_a_new_session_are_not_counted_again(store: Store):
    sender = SENDERS[0]
    store.session_start(sender, _ts(7, 9))
    store.safety_turn(sender, _ts(7, 10), "risk/suicide")
    # What Rasa writes if carry_over_slots_to_new_session is ever switched on: the old value again.
    store.action(sender, _ts(7, 12), "action_session_start")
    store.event(sender, _ts(7, 12), {"event": "session_started", "timestamp": _ts(7, 12)})
    store.slot(sender, _ts(7, 12), "fallback_stage", "offered")
    store.slot(sender, _ts(7, 12), "safeguarding_outcome", "risk/suicide")
    store.action(sender, _ts(7, 12), "action_listen")
    store.safety_turn(sender, _ts(7, 13), "check_in/suicide")
    report = count_outcomes(store.save(), date(2025, 3, 7), date(2025, 3, 7))
    assert report.totals_by_tier() == {"risk": 1, "check_in": 1}


def test_the_query_never_loads_user_events(filled):
    engine = create_engine(filled)
    with engine.connect() as conn:
        rows = conn.execute(_outcome_query(*_utc_bounds(date(2025, 3, 1), date(2025, 3, 31)))).all()
    engine.dispose()
    assert len(rows) == 8
    for timestamp, action_name, data, _ in rows:
        event = json.loads(data)
        assert (event["event"], event["name"], action_name) == ("slot", "safeguarding_outcome", "safeguarding_outcome")
        assert SECRET_TEXT not in data


def test_output_holds_counts_only(filled):
    report = count_outcomes(filled, date(2025, 3, 1), date(2025, 3, 4))
    text, table = render_text(report), render_csv(report)
    for output in (text, table, repr(report)):
        assert SECRET_TEXT not in output and "care order" not in output and "Childline" not in output
        assert not any(sender in output for sender in SENDERS)
        assert "sender" not in output
    assert table.splitlines() == [
        "date,tier,category,count",
        "2025-03-01,risk,suicide,2",
        "2025-03-01,check_in,running_away,1",
        "2025-03-01,check_in,self_harm,1",
        "2025-03-02,check_in,running_away,1",
        "2025-03-03,risk,get_help_now,1",
        "2025-03-03,risk,unspecified,1",
        "2025-03-04,check_in,suicide,1",
    ]
    assert "2025-03-01  risk      suicide           2" in text
    assert text.endswith("Totals:\n  risk          4\n  check_in      4\n  all           8\n")


def test_missing_database_gives_an_empty_report_and_creates_nothing(tmp_path: Path):
    path = tmp_path / "var" / "tracker.sqlite"
    report = count_outcomes(f"sqlite:///{path}", date(2025, 3, 1), date(2025, 3, 4))
    assert report.rows == () and report.total == 0
    assert "No tracker store" in report.note and "nothing to count" in report.note
    assert not path.exists() and not path.parent.exists()
    text = render_text(report)
    assert report.note in text and "all           0" in text
    assert render_csv(report) == "date,tier,category,count\n"


def test_database_without_events_table_gives_an_empty_report(tmp_path: Path):
    path = tmp_path / "tracker.sqlite"
    create_engine(f"sqlite:///{path}").connect().close()   # an empty file, as before Rasa's first save
    report = count_outcomes(f"sqlite:///{path}", date(2025, 3, 1), date(2025, 3, 4))
    assert report.rows == () and "no events table" in report.note


def test_unusable_urls_give_a_plain_error():
    with pytest.raises(SafetyReportError, match="not a database URL"):
        count_outcomes("not a url", date(2025, 3, 1), date(2025, 3, 1))
    with pytest.raises(SafetyReportError, match="kind of database"):
        count_outcomes("nosuchdb://x/y", date(2025, 3, 1), date(2025, 3, 1))


def test_empty_period_says_so():
    report = SafetyReport(date(2025, 3, 1), date(2025, 3, 2))
    assert "None in this period." in render_text(report)


# --- the command line ---------------------------------------------------------------------

def test_cli_reports_from_the_var_dir(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("CARECHAT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("CARECHAT_RETENTION_DAYS", "30")
    store = Store(f"sqlite:///{tmp_path / 'tracker.sqlite'}")
    now = datetime.now(timezone.utc).timestamp()
    store.safety_turn(SENDERS[0], now - 120, "check_in/self_harm")
    store.safety_turn(SENDERS[1], now - 60, "risk/suicide")
    store.save()
    assert cli.main(["safety", "report"]) == 0
    out = capsys.readouterr().out
    assert "check_in  self_harm" in out and "risk      suicide" in out and "all           2" in out
    assert SECRET_TEXT not in out and SENDERS[0] not in out
    assert cli.main(["safety", "report", "--days", "1", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "date,tier,category,count" and len(lines) == 3
    assert cli.main(["safety", "report", "--days", "90"]) == 0
    assert "deleted after 30 days" in capsys.readouterr().out


def test_cli_with_no_tracker_store_yet(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv("CARECHAT_VAR_DIR", str(tmp_path / "nothing"))
    assert cli.main(["safety", "report"]) == 0
    assert "nothing to count" in capsys.readouterr().out
    assert cli.main(["safety", "report", "--csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "date,tier,category,count\n" and "nothing to count" in captured.err
    assert not (tmp_path / "nothing").exists()


@pytest.mark.parametrize("days, says", [("-3", "from 1 to"), ("0", "from 1 to"), ("soon", "whole number"),
                                        ("2.5", "whole number")])
def test_cli_refuses_bad_days_kindly(days, says, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["safety", "report", "--days", days])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_cli_bad_url_is_one_line(capsys):
    assert cli.main(["safety", "report", "--url", "nosuchdb://x/y"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("CareChat: ") and err.count("\n") == 1
