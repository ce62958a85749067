"""When a child in care's next review is due, worked out from the review timetable.

National law (Care Planning, Placement and Case Review (England) Regulations 2010,
reg 33) sets: first review within 20 working days of becoming looked after, second
within 3 months of the first, then at most 6 months apart. Councils describe this
differently (Calderdale: second review within 12 weeks of the first), so the timetable
is a parameter, never a hidden constant.

The estimate counts from the last review that was actually *held*: a review held late
moves the next one, because the next interval runs from the real meeting.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

#: Review kinds in the order they happen for a child in care.
INITIAL = "initial"
SECOND = "second"
SUBSEQUENT = "subsequent"


@dataclass(frozen=True)
class ReviewTimetable:
    """How long each gap between children-in-care reviews may be.

    If ``second_review_after_first_days`` is set it is used and the months value is
    ignored (so ``ReviewTimetable(second_review_after_first_days=84)`` means 12 weeks).
    """

    first_review_working_days: int = 20
    second_review_after_first_days: int | None = None
    second_review_after_first_months: int | None = 3
    subsequent_review_months: int = 6

    def __post_init__(self) -> None:
        if self.first_review_working_days < 1 or self.subsequent_review_months < 1:
            raise ValueError("review intervals must be positive")
        if self.second_review_after_first_days is None and self.second_review_after_first_months is None:
            raise ValueError("set second_review_after_first_days or second_review_after_first_months")
        for value in (self.second_review_after_first_days, self.second_review_after_first_months):
            if value is not None and value < 1:
                raise ValueError("review intervals must be positive")

    def second_review_due(self, first_held: date) -> date:
        """Latest date for the second review, counted from the held first review."""
        if self.second_review_after_first_days is not None:
            return first_held + timedelta(days=self.second_review_after_first_days)
        assert self.second_review_after_first_months is not None
        return add_months(first_held, self.second_review_after_first_months)


#: The national timetable (reg 33); North Yorkshire's strategy states the same.
NATIONAL_TIMETABLE = ReviewTimetable()

#: Calderdale's permanence policy flow chart: second review within 12 weeks of the first.
CALDERDALE_TIMETABLE = ReviewTimetable(second_review_after_first_days=84, second_review_after_first_months=None)


@dataclass(frozen=True)
class ReviewEstimate:
    """The latest date the next review should happen by, and which review it is."""

    due_date: date
    kind: str
    overdue: bool
    counted_from: date


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    """England's bank holidays for one year (cached: the holidays object builds lazily)."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(d: date) -> bool:
    """Monday to Friday and not an England bank holiday."""
    return d.weekday() < 5 and d not in _bank_holidays(d.year)


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself is day 0)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (31 Aug + 6 = 28/29 Feb)."""
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def estimate_next_review(
    looked_after_since: date,
    held_reviews: list[date],
    timetable: ReviewTimetable,
    today: date,
) -> ReviewEstimate:
    """Estimate the next review's latest date from the timetable and the reviews held so far.

    Reviews held before ``looked_after_since`` belong to an earlier time in care and are
    ignored: the timetable starts again when a child comes back into care.
    """
    held = sorted(d for d in held_reviews if d >= looked_after_since)
    if not held:
        due = add_working_days(looked_after_since, timetable.first_review_working_days)
        kind, counted_from = INITIAL, looked_after_since
    elif len(held) == 1:
        due = timetable.second_review_due(held[0])
        kind, counted_from = SECOND, held[0]
    else:
        due = add_months(held[-1], timetable.subsequent_review_months)
        kind, counted_from = SUBSEQUENT, held[-1]
    return ReviewEstimate(due_date=due, kind=kind, overdue=due < today, counted_from=counted_from)
