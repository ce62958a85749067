"""Review timetable rules: working days, bank holidays, month ends, late reviews."""
from datetime import date, timedelta

import pytest

from bot.personal.review_dates import (
    CALDERDALE_TIMETABLE,
    INITIAL,
    NATIONAL_TIMETABLE,
    SECOND,
    SUBSEQUENT,
    ReviewTimetable,
    add_months,
    add_working_days,
    estimate_next_review,
    is_working_day,
)


# ---- working days ------------------------------------------------------------

def test_weekend_is_skipped() -> None:
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)  # Fri -> Mon
    assert add_working_days(date(2026, 11, 21), 1) == date(2026, 11, 23)  # Sat -> Mon


def test_christmas_and_boxing_day_observed_are_skipped() -> None:
    # 2026: Christmas is a Friday, Boxing Day a Saturday so Monday 28th is the substitute.
    assert not is_working_day(date(2026, 12, 25))
    assert not is_working_day(date(2026, 12, 28))
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_easter_is_skipped() -> None:
    # Good Friday 3 April 2026 and Easter Monday 6 April 2026.
    assert add_working_days(date(2026, 4, 2), 1) == date(2026, 4, 7)


def test_new_year_and_twenty_days_across_christmas() -> None:
    # Counted by hand: 15-18, 21-24, 29-31 Dec, 4-8, 11-14 Jan (25, 28 Dec and 1 Jan are holidays).
    assert add_working_days(date(2026, 12, 14), 20) == date(2027, 1, 14)


def test_zero_days_is_the_start_and_negative_is_refused() -> None:
    assert add_working_days(date(2026, 11, 22), 0) == date(2026, 11, 22)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 22), -1)


# ---- months ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 5, 30), 1, date(2026, 6, 30)),
    ],
)
def test_add_months_clamps_month_ends(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


# ---- timetable -----------------------------------------------------------------

def test_timetable_needs_a_second_review_interval() -> None:
    with pytest.raises(ValueError):
        ReviewTimetable(second_review_after_first_days=None, second_review_after_first_months=None)
    with pytest.raises(ValueError):
        ReviewTimetable(first_review_working_days=0)


def test_days_take_precedence_over_months() -> None:
    timetable = ReviewTimetable(second_review_after_first_days=84)
    assert timetable.second_review_due(date(2026, 1, 5)) == date(2026, 3, 30)


# ---- estimates -----------------------------------------------------------------

TODAY = date(2026, 11, 23)


def test_came_into_care_yesterday_gets_first_review_deadline() -> None:
    estimate = estimate_next_review(TODAY - timedelta(days=1), [], NATIONAL_TIMETABLE, TODAY)
    # Sunday 22 Nov + 20 working days: 23-27 Nov, 30 Nov-4 Dec, 7-11, 14-18 Dec.
    assert estimate.due_date == date(2026, 12, 18)
    assert estimate.kind == INITIAL
    assert estimate.overdue is False


def test_second_review_three_months_after_held_first() -> None:
    estimate = estimate_next_review(date(2026, 9, 1), [date(2026, 9, 25)], NATIONAL_TIMETABLE, TODAY)
    assert (estimate.due_date, estimate.kind) == (date(2026, 12, 25), SECOND)


def test_calderdale_second_review_twelve_weeks_after_first() -> None:
    estimate = estimate_next_review(date(2026, 9, 1), [date(2026, 9, 25)], CALDERDALE_TIMETABLE, TODAY)
    assert estimate.due_date == date(2026, 12, 18)


def test_subsequent_reviews_every_six_months_from_last_held() -> None:
    held = [date(2025, 9, 10), date(2025, 2, 1), date(2025, 4, 20)]  # unsorted on purpose
    estimate = estimate_next_review(date(2025, 1, 2), held, NATIONAL_TIMETABLE, TODAY)
    assert (estimate.due_date, estimate.kind, estimate.counted_from) == (date(2026, 3, 10), SUBSEQUENT, date(2025, 9, 10))
    assert estimate.overdue is True


def test_review_held_late_moves_the_next_one() -> None:
    since = date(2026, 1, 5)
    on_time = estimate_next_review(since, [date(2026, 1, 30), date(2026, 4, 20)], NATIONAL_TIMETABLE, TODAY)
    late = estimate_next_review(since, [date(2026, 1, 30), date(2026, 6, 15)], NATIONAL_TIMETABLE, TODAY)
    assert on_time.due_date == date(2026, 10, 20)
    assert on_time.overdue is True
    assert late.due_date == date(2026, 12, 15)
    assert late.overdue is False


def test_first_review_late_moves_the_second() -> None:
    estimate = estimate_next_review(date(2026, 6, 1), [date(2026, 8, 31)], NATIONAL_TIMETABLE, TODAY)
    assert estimate.due_date == date(2026, 11, 30)  # 31 Aug + 3 months, clamped


def test_reviews_from_an_earlier_time_in_care_are_ignored() -> None:
    estimate = estimate_next_review(date(2026, 11, 2), [date(2024, 5, 1), date(2024, 11, 1)], NATIONAL_TIMETABLE, TODAY)
    assert estimate.kind == INITIAL
    assert estimate.due_date == add_working_days(date(2026, 11, 2), 20)


def test_due_today_is_not_overdue() -> None:
    estimate = estimate_next_review(date(2026, 1, 1), [date(2026, 1, 20), date(2026, 5, 23)], NATIONAL_TIMETABLE, TODAY)
    assert estimate.due_date == TODAY
    assert estimate.overdue is False
