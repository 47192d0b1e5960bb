"""Recurring reports (a certificate every month, quarter or year, due N days after the period ends): the
periods, their due dates, and whether each was delivered, late, or is pending."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from ..agreement.kinds_pricing import Reporting
from ..events import types as ev
from .ledger import Ledger

MONTHS = {"month": 1, "quarter": 3, "year": 12}


def add_months(day: date, months: int) -> date:
    """The same day `months` later; a month end stays a month end."""
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


@dataclass(frozen=True)
class PeriodReport:
    period_end: date
    due: date
    delivered: ev.DocumentDelivered | None
    status: str  # delivered | delivered_late | late | pending

    @property
    def late_on(self) -> date:
        return self.due + timedelta(days=1)


def report_for(ledger: Ledger, document: str, period_end: date, day: date) -> ev.DocumentDelivered | None:
    """The first accepted delivery of a document for a period, by a day."""
    return next((e for e in ledger.reports if e.document == document and e.period_end == period_end
                 and e.accepted and e.date <= day), None)


def reports_on(block: Reporting, ledger: Ledger, day: date) -> list[PeriodReport]:
    """Every period whose report was due, or is the next due, by a day."""
    rows = []
    for end in period_ends(block.first_period_end, block.every, day):
        due = end + timedelta(days=block.due_days_after)
        delivered = report_for(ledger, block.document, end, day)
        if delivered is not None:
            status = "delivered" if delivered.date <= due else "delivered_late"
        else:
            status = "late" if day > due else "pending"
        rows.append(PeriodReport(end, due, delivered, status))
    return rows
