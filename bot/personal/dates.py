"""Date helpers for replies a young person reads.

Dates are written out in words ("Tuesday 3 March") because "03/03" is ambiguous and
harder to read for a child. Month and day names are spelled here, not taken from the
system locale, so a server set to another language still answers in English.
"""
from __future__ import annotations

from datetime import date

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def friendly_date(d: date, today: date) -> str:
    """Return ``d`` as "Tuesday 3 March", adding the year only when it is not ``today``'s year.

    ``today`` is passed in (never read from the clock) so replies and tests agree.
    """
    text = f"{_DAY_NAMES[d.weekday()]} {d.day} {_MONTH_NAMES[d.month - 1]}"
    if d.year != today.year:
        text = f"{text} {d.year}"
    return text
