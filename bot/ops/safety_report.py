"""What the council learns: safety replies and check-ins per day and category, and nothing else.

The council's safeguarding lead needs to know how often CareChat gave the full safety reply
or the gentle check-in, and for what kind of harm, to plan services and spot changes. They do
not need, and must not get, what any child wrote or which conversation it was.

The action server records each safety reply or check-in as a slot event
``safeguarding_outcome = "<tier>/<category>"`` in Rasa's SQL tracker store (``events`` table,
where Rasa also puts the slot's name in ``action_name``). This module reads only those slot
events, selecting just their timestamp, name and value: the query filters on
``type_name = 'slot'`` and the slot name in SQL, so user events (which hold message text) are
never loaded. Sender ids appear only inside the SQL, never in what is returned, so nothing
can be counted or shown per person.

The tracker store is purged after ``CARECHAT_RETENTION_DAYS``, so the report can only count
what is still there: run it at least that often to keep a full history.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, inspect, or_, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from bot.ops.retention import tracker_engine

#: The slot the action server sets to "<tier>/<category>" (see actions/actions.py).
OUTCOME_SLOT = "safeguarding_outcome"
RISK, CHECK_IN = "risk", "check_in"
TIERS = (RISK, CHECK_IN)
#: Malformed values are counted under this name, so a bad row never breaks the report.
UNKNOWN = "unknown"
DEFAULT_DAYS = 30
MAX_DAYS = 3660  # ten years: far beyond any retention period, but keeps dates in range
HEADER = ("date", "tier", "category", "count")

#: A category must look like an id ("self_harm"), so a corrupt value can never put free text
#: (which might be a child's words) into the report.
_CATEGORY = re.compile(r"[a-z][a-z0-9_]{0,63}")


class SafetyReportError(RuntimeError):
    """The report could not be made; the message says why in plain words (no data, no password)."""


@dataclass(frozen=True)
class ReportRow:
    """One line of the report: how many outcomes of one tier and category on one UTC date."""

    day: date
    tier: str
    category: str
    count: int


@dataclass(frozen=True)
class SafetyReport:
    """Counts for ``start``..``end`` (UTC dates, both included); ``note`` explains an empty report."""

    start: date
    end: date
    rows: tuple[ReportRow, ...] = ()
    note: str = ""

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    def totals_by_tier(self) -> dict[str, int]:
        """Both tiers always (zero when none), plus ``unknown`` only when malformed values were seen."""
        totals = {tier: 0 for tier in TIERS}
        for row in self.rows:
            totals[row.tier] = totals.get(row.tier, 0) + row.count
        return totals


def date_range(days: int = DEFAULT_DAYS, today: date | None = None) -> tuple[date, date]:
    """The last ``days`` UTC dates, today included (``days=1`` is just today)."""
    if isinstance(days, bool) or not isinstance(days, int):
        raise ValueError("the number of days must be a whole number, like 30")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"the number of days must be between 1 and {MAX_DAYS} (you gave {days})")
    end = today or datetime.now(timezone.utc).date()
    return end - timedelta(days=days - 1), end


def parse_outcome(value: object) -> tuple[str, str]:
    """Split "tier/category"; anything malformed becomes ``unknown`` rather than an error.

    A known tier with a bad category keeps its tier, so the tier totals stay right.
    """
    if not isinstance(value, str) or value.count("/") != 1:
        return UNKNOWN, UNKNOWN
    tier, category = value.split("/")
    if tier not in TIERS:
        return UNKNOWN, UNKNOWN
    return tier, category if _CATEGORY.fullmatch(category) else UNKNOWN


def _utc_bounds(start: date, end: date) -> tuple[float, float]:
    """Unix times of the start of ``start`` and of the day after ``end`` (half-open range)."""
    low = datetime.combine(start, time.min, tzinfo=timezone.utc).timestamp()
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=timezone.utc).timestamp()
    return low, high


def _events_table() -> Table:
    """Only the columns of Rasa's ``SQLEvent`` that the query touches (no reflection needed)."""
    return Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
                 Column("type_name", String(255)), Column("timestamp", Float), Column("action_name", String(255)),
                 Column("data", Text))


def _missing_sqlite_file(url: str) -> Path | None:
    """The SQLite file the URL names, if it does not exist (connecting would create it empty)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = Path(database)
    return None if path.exists() else path


def _outcome_query(low: float, high: float):
    """Timestamp, slot name and event JSON of the outcome slot events in [low, high), and nothing else.

    ``type_name = 'slot'`` is in the WHERE clause, so user and bot events (which hold text)
    are never returned; a slot event's JSON is only its name, value and timestamp.

    Rows right after a ``session_started`` event are left out: if slots were ever carried
    over to new sessions (``carry_over_slots_to_new_session``), Rasa would copy the last
    outcome into every new session, and it would be counted twice.
    """
    events = _events_table()
    before = events.alias("before")
    previous_kind = (
        select(before.c.type_name)
        .where(before.c.sender_id == events.c.sender_id, before.c.id < events.c.id, before.c.type_name != "slot")
        .order_by(before.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    carried_over = func.coalesce(previous_kind, "") == "session_started"
    is_outcome = or_(events.c.action_name == OUTCOME_SLOT, events.c.data.like(f'%"{OUTCOME_SLOT}"%'))
    base = (events.c.type_name == "slot", is_outcome, events.c.timestamp >= low, events.c.timestamp < high)
    return select(events.c.timestamp, events.c.action_name, events.c.data, carried_over.label("carried_over")).where(*base)


def _outcome_of(action_name: str | None, data: str | None) -> tuple[str, str] | None:
    """(tier, category) of one slot row, None when it is another slot or a reset to empty."""
    try:
        event = json.loads(data or "")
    except ValueError:
        event = None
    if not isinstance(event, dict):
        return (UNKNOWN, UNKNOWN) if action_name == OUTCOME_SLOT else None
    if event.get("name") != OUTCOME_SLOT:
        return None  # another slot whose data merely mentions ours
    if event.get("value") is None:
        return None  # the slot was cleared: not a reply
    return parse_outcome(event.get("value"))


def count_outcomes(url: str, start: date | None = None, end: date | None = None) -> SafetyReport:
    """Count safety replies and check-ins per (UTC date, tier, category) in the tracker store at ``url``.

    Default range: the last 30 UTC dates, today included. A tracker store that does not exist
    yet gives an empty report with a note, not an error.
    """
    if end is None:
        end = datetime.now(timezone.utc).date()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValueError(f"the start date {start} is after the end date {end}")
    try:
        missing = _missing_sqlite_file(url)
    except ArgumentError:
        raise SafetyReportError("that is not a database URL (expected e.g. sqlite:///var/tracker.sqlite)") from None
    if missing is not None:
        return SafetyReport(start, end, note=f"No tracker store at {missing} yet: CareChat has not stored any "
                                             "conversations there, so there is nothing to count.")
    try:
        engine = tracker_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        raise SafetyReportError(f"cannot open that kind of database ({type(error).__name__}); "
                                "use sqlite:///... or postgresql+psycopg://...") from None
    low, high = _utc_bounds(start, end)
    counts: Counter[tuple[date, str, str]] = Counter()
    try:
        if not inspect(engine).has_table("events"):
            return SafetyReport(start, end, note="The tracker store has no conversations yet (no events table), "
                                                 "so there is nothing to count.")
        with engine.connect() as conn:
            for timestamp, action_name, data, carried_over in conn.execute(_outcome_query(low, high)):
                outcome = _outcome_of(action_name, data)
                if outcome is None:
                    continue
                if carried_over:
                    continue
                day = datetime.fromtimestamp(timestamp, tz=timezone.utc).date()
                counts[(day, *outcome)] += 1
    except SQLAlchemyError as error:
        # The driver's message can name the server but never holds event data (parameters are hidden).
        raise SafetyReportError(f"could not read the tracker store ({type(error).__name__}); "
                                "check that the database is running and the URL is right") from None
    finally:
        engine.dispose()
    rows = tuple(ReportRow(day, tier, category, n) for (day, tier, category), n in sorted(counts.items(), key=_order))
    return SafetyReport(start, end, rows)


def _order(item: tuple[tuple[date, str, str], int]) -> tuple:
    """By date, then risk before check_in before unknown, then category."""
    (day, tier, category), _ = item
    return day, TIERS.index(tier) if tier in TIERS else len(TIERS), category


def render_text(report: SafetyReport) -> str:
    """A plain table for a person to read: one line per date, tier and category, then totals per tier."""
    lines = [f"Safety replies and check-ins, {report.start} to {report.end} (UTC dates).",
             "Counts only: no message text and no conversation ids."]
    if report.note:
        lines += ["", report.note]
    elif not report.rows:
        lines += ["", "None in this period."]
    else:
        width = max(len("category"), *(len(row.category) for row in report.rows))
        lines += ["", f"{'date':<10}  {'tier':<8}  {'category':<{width}}  {'count':>5}"]
        lines += [f"{row.day.isoformat():<10}  {row.tier:<8}  {row.category:<{width}}  {row.count:>5}"
                  for row in report.rows]
    lines += ["", "Totals:"]
    lines += [f"  {tier:<8}  {count:>5}" for tier, count in report.totals_by_tier().items()]
    lines += [f"  {'all':<8}  {report.total:>5}"]
    return "\n".join(lines) + "\n"


def render_csv(report: SafetyReport) -> str:
    """CSV for a spreadsheet: a header and one row per date, tier and category (no total rows,
    so summing the count column gives the total)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows((row.day.isoformat(), row.tier, row.category, row.count) for row in report.rows)
    return out.getvalue()
