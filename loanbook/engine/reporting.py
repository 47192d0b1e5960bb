"""Recurring reports (a certificate every month, quarter or year, due N days after the period ends): the
periods, their due dates, and whether each was delivered, late, or is pending."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from ..agreement.kinds_pricing import Reporting
from ..core.periods import MONTHS, add_months, period_ends
from ..events import types as ev
from .ledger import Ledger

__all__ = ["MONTHS", "add_months", "period_ends", "PeriodReport", "report_for", "reports_on"]

@dataclass(frozen=True)
class PeriodReport:
    period_end: date
    due: date
    delivered: ev.DocumentDelivered | ev.BorrowingBaseReport | None
    status: str  # delivered | delivered_late | late | pending

    @property
    def late_on(self) -> date:
        return self.due + timedelta(days=1)


def report_for(ledger: Ledger, document: str, period_end: date, day: date) -> ev.DocumentDelivered | None:
    """The first accepted delivery of a document for a period, by a day."""
    return next((e for e in ledger.reports if e.document == document and e.period_end == period_end
                 and e.accepted and e.date <= day), None)


def base_report_for(block: Reporting, ledger: Ledger, period_end: date,
                    day: date) -> ev.BorrowingBaseReport | None:
    """The first borrowing base report by a day that delivers a period's document, where the clause says a report
    does (`delivered_with`): one naming the period (`period_end`), or naming none, dated after the period ended and
    no later than the day the next one ends (a certificate reports the period before its day)."""
    if block.delivered_with != "borrowing_base_report":
        return None
    for event in ledger.base_reports:
        if event.date > day:
            break
        ends = period_ends(block.first_period_end, block.every, event.date - timedelta(days=1))
        period = event.period_end or (ends[-1] if ends else None)
        if period == period_end:
            return event
    return None


def reports_on(block: Reporting, ledger: Ledger, day: date) -> list[PeriodReport]:
    """Every period whose report was due, or is the next due, by a day."""
    rows = []
    for end in period_ends(block.first_period_end, block.every, day):
        due = end + timedelta(days=block.due_days_after)
        delivered = report_for(ledger, block.document, end, day) or base_report_for(block, ledger, end, day)
        if delivered is not None:
            status = "delivered" if delivered.date <= due else "delivered_late"
        else:
            status = "late" if day > due else "pending"
        rows.append(PeriodReport(end, due, delivered, status))
    return rows
