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


def month_day(month_day: str) -> tuple[int, int] | None:
    """"MM-DD" as (month, day), any day of the month ("02-29": the last day of February, in any year); None when
    it is not one."""
    month, _, day = month_day.partition("-")
    if not (len(month) == 2 and len(day) == 2 and month.isdigit() and day.isdigit() and 1 <= int(month) <= 12):
        return None
    if not 1 <= int(day) <= calendar.monthrange(2000, int(month))[1]:  # 2000: a leap year, February has 29
        return None
    return int(month), int(day)


def in_year(year: int, month_and_day: str) -> date:
    """The day "MM-DD" of a year; a day past the month's end ("02-29" in 2023) is its last day."""
    parsed = month_day(month_and_day)
    assert parsed is not None, month_and_day
    month, day = parsed
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


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
