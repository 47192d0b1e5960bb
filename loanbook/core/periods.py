"""Calendar periods: a month, a quarter or a year after a day, and the period ends from a first one."""
from __future__ import annotations

import calendar
from datetime import date

MONTHS = {"month": 1, "quarter": 3, "year": 12}


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier); a month end stays a month end."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    at_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month, last if at_end else min(day.day, last))


def period_ends(first: date, every: str, through: date) -> list[date]:
    """The period ends from `first`, every month, quarter or year, up to `through`."""
    ends: list[date] = []
    n = 0
    while True:
        end = add_months(first, n * MONTHS[every])
        if end > through:
            return ends
        ends.append(end)
        n += 1
