"""Dates as written in files, day bases and the business-day calendar (QuantLib)."""
from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

from .money import shown

_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ISO_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?"
                       r"(Z|[+-][0-9]{2}:?[0-9]{2})?$")

# The dates a loan record can hold. Outside them a date is a typo (0001-01-01, 9999-12-31), and refusing
# it early keeps every date computation (a day after, a month after) inside what the calendar supports.
FIRST_DAY = date(1901, 1, 1)  # QuantLib's first date
LAST_DAY = date(2199, 12, 31)


def parse_iso_date(value: object, *, what: str = "date") -> date:
    """Read an ISO date (YYYY-MM-DD) between 1900 and 2199, or raise ValueError naming what was wrong."""
    if isinstance(value, datetime):
        raise ValueError(f"{what} must be a date YYYY-MM-DD, not a date and time")
    if isinstance(value, date):
        day = value
    elif not isinstance(value, str) or not _ISO.match(value.strip()):
        raise ValueError(f"{what} must be an ISO date YYYY-MM-DD, got {shown(value)}")
    else:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"{what} is not a real date: {shown(value)} ({exc})") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{what} {day} is outside the dates loanbook keeps ({FIRST_DAY} to {LAST_DAY})")
    return day


def parse_timestamp(value: object, *, what: str = "time") -> datetime:
    """Read an ISO date-time; a time without a zone is UTC. The result is always in UTC (aware)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and _ISO_TIME.match(value.strip()):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{what} is not a real date and time: {shown(value)} ({exc})") from None
    else:
        raise ValueError(f"{what} must be an ISO date-time like 2002-10-15T09:30:00 (UTC unless a zone is "
                         f"given, like +02:00), got {shown(value)}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{what} {shown(value)} is outside the dates loanbook keeps ({FIRST_DAY} to "
                         f"{LAST_DAY})") from None
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise ValueError(f"{what} {moment.date()} is outside the dates loanbook keeps ({FIRST_DAY} to {LAST_DAY})")
    return moment


def end_of_day_utc(day: date) -> datetime:
    """When an event recorded without a time counts as known: the end of its day, UTC."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def days(start: date, end: date):
    """Every day from start to end inclusive."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


# Day bases: every basis here counts actual days; the year is 360, 365, or the calendar year's own length
# (365 or 366: "a year of 365 or 366 days, as the case may be"), which makes a period that crosses
# January 1 two periods.
DAY_BASES = ("actual/360", "actual/365", "actual/actual")


def day_count(basis: str, start: date, end: date) -> int:
    """Days from start (counted) to end (not counted) under a day basis."""
    if basis not in DAY_BASES:
        raise KeyError(basis)
    return (end - start).days


def year_length(basis: str, year: int | None = None) -> Decimal:
    """The days of the year a basis divides by; actual/actual needs the year."""
    if basis == "actual/360":
        return Decimal(360)
    if basis == "actual/365":
        return Decimal(365)
    if basis == "actual/actual" and year is not None:
        return Decimal(366 if calendar.isleap(year) else 365)
    raise KeyError(basis)


@lru_cache(maxsize=1)
def _fed_calendar():
    # The Federal Reserve calendar: right for 1999-2003, unlike holidays.US (which closes the Friday
    # before a Saturday holiday; the Fed does not). QuantLib is imported here, by the first question that
    # needs a business day: most commands never do, and its import is a tenth of a second.
    import QuantLib as ql

    return ql, ql.UnitedStates(ql.UnitedStates.FederalReserve)


def is_business_day(day: date) -> bool:
    ql, calendar_ = _fed_calendar()
    return calendar_.isBusinessDay(ql.Date(day.day, day.month, day.year))


def next_business_day(day: date) -> date:
    ql, calendar_ = _fed_calendar()
    adjusted = calendar_.adjust(ql.Date(day.day, day.month, day.year), ql.Following)
    return date(adjusted.year(), adjusted.month(), adjusted.dayOfMonth())
