"""friendly_date: readable day-month words, year only when it is not this year."""
from datetime import date

import pytest

from bot.personal.dates import friendly_date


@pytest.mark.parametrize(
    ("d", "today", "expected"),
    [
        (date(2026, 3, 3), date(2026, 1, 10), "Tuesday 3 March"),
        (date(2026, 12, 25), date(2026, 11, 23), "Friday 25 December"),
        (date(2027, 1, 1), date(2026, 12, 31), "Friday 1 January 2027"),
        (date(2025, 12, 31), date(2026, 1, 1), "Wednesday 31 December 2025"),
        (date(2028, 2, 29), date(2028, 2, 1), "Tuesday 29 February"),
        (date(2026, 11, 23), date(2026, 11, 23), "Monday 23 November"),
    ],
)
def test_friendly_date(d: date, today: date, expected: str) -> None:
    assert friendly_date(d, today) == expected


def test_no_leading_zero_or_numeric_month() -> None:
    text = friendly_date(date(2026, 6, 5), date(2026, 6, 1))
    assert text == "Friday 5 June"
    assert "05" not in text and "/" not in text
