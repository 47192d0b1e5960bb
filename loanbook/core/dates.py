"""Dates as written in files, day bases and the business-day calendar (QuantLib)."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import QuantLib as ql

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(value: object, *, what: str = "date") -> date:
    """Read an ISO date (YYYY-MM-DD) or raise ValueError naming what was wrong."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO.match(value.strip()):
        raise ValueError(f"{what} must be an ISO date YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{what} is not a real date: {value!r} ({exc})") from None


def days(start: date, end: date):
    """Every day from start to end inclusive."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _ql(day: date) -> ql.Date:
    return ql.Date(day.day, day.month, day.year)


# Day bases: QuantLib counts the days; the year length is the basis' own, kept exact as Decimal.
DAY_BASES: dict[str, tuple[ql.DayCounter, Decimal]] = {
    "actual/360": (ql.Actual360(), Decimal(360)),
    "actual/365": (ql.Actual365Fixed(), Decimal(365)),
}


def day_count(basis: str, start: date, end: date) -> int:
    """Days from start (counted) to end (not counted) under a day basis."""
    counter, _ = DAY_BASES[basis]
    return counter.dayCount(_ql(start), _ql(end))


def year_length(basis: str) -> Decimal:
    return DAY_BASES[basis][1]


@lru_cache(maxsize=1)
def _fed_calendar() -> ql.Calendar:
    # The Federal Reserve calendar: right for 1999-2003, unlike holidays.US (which closes the Friday
    # before a Saturday holiday; the Fed does not).
    return ql.UnitedStates(ql.UnitedStates.FederalReserve)


def is_business_day(day: date) -> bool:
    return _fed_calendar().isBusinessDay(_ql(day))


def next_business_day(day: date) -> date:
    adjusted = _fed_calendar().adjust(_ql(day), ql.Following)
    return date(adjusted.year(), adjusted.month(), adjusted.dayOfMonth())
