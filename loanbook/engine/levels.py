"""Which level of a grid is in force on a day, and why.

A certificate reports the grid's measure for a period; its level takes effect on the day the agreement
says (on delivery, the first day of the next month or quarter, N business days after delivery, or the
next pricing period). A level is forced instead during an initial window, while an Event of Default
continues, and while a certificate is late. Every level comes with the fact that set it, so a margin can
be explained down to the certificate and the clause.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..agreement.kinds_pricing import LevelGrid, Reporting
from ..agreement.model import Agreement
from ..core.dates import next_business_day
from ..core.errors import RecordError
from ..core.periods import in_year
from ..events import types as ev
from .ledger import Ledger
from .reporting import add_months, reports_on


@dataclass(frozen=True)
class LevelState:
    level: str
    reason: str                     # certificate | initial | default | late | not_reported
    detail: str                     # words for the explanation
    measure: Decimal | None = None  # the reported value, where a certificate set the level
    source: str | None = None       # the event that set it


def effective_day(grid: LevelGrid, report: ev.DocumentDelivered) -> date:
    """The day a certificate's level takes effect under the grid's rule."""
    delivered = report.date
    if grid.takes_effect == "on_delivery":
        return delivered
    if grid.takes_effect == "next_month_after_delivery":
        return add_months(delivered.replace(day=1), 1)
    if grid.takes_effect == "next_quarter_after_delivery":
        quarter_start = delivered.replace(month=(delivered.month - 1) // 3 * 3 + 1, day=1)
        return add_months(quarter_start, 3)
    if grid.takes_effect == "business_days_after_delivery":
        day = delivered
        for _ in range(grid.business_days or 0):
            day = next_business_day(day + timedelta(days=1))
        return day
    assert report.period_end is not None
    return max(period_start_after(grid, report.period_end), delivered)


def period_start_after(grid: LevelGrid, day: date) -> date:
    """The first pricing period that starts after a day."""
    starts = sorted(in_year(year, s) for year in (day.year, day.year + 1) for s in grid.period_starts)
    return next(s for s in starts if s > day)


def period_start_on(grid: LevelGrid, day: date) -> date:
    """The first day of the pricing period a day falls in."""
    starts = sorted(in_year(year, s) for year in (day.year - 1, day.year) for s in grid.period_starts)
    return [s for s in starts if s <= day][-1]


class LevelBook:
    """Levels of every grid of the agreement, from the certificates, defaults and reports of a history."""

    def __init__(self, agreement: Agreement, ledger: Ledger):
        self.agreement = agreement
        self.ledger = ledger

    def _reports(self, grid: LevelGrid) -> list[ev.DocumentDelivered]:
        return [r for r in self.ledger.reports
                if r.document == grid.certificate and r.accepted and r.figures and grid.measure in r.figures]

    def _reporting(self, grid: LevelGrid, day: date) -> Reporting | None:
        return next((b for _, b in self.agreement.terms_in_force(Reporting, day) if b.document == grid.certificate),
                    None)

    def level_on(self, grid: LevelGrid, day: date) -> LevelState:
        for window in grid.forced:
            if window.start <= day and (window.end is None or day <= window.end):
                return LevelState(window.level, "initial", f"forced from {window.start}"
                                                           f"{f' to {window.end}' if window.end else ''}")
        default = self.ledger.default_on(day)
        if grid.while_default and default is not None:
            return LevelState(grid.while_default, "default", f"an Event of Default continues since {default.start}",
                              source=default.declared.where)
        late = self._late(grid, day)
        if late is not None:
            return late
        reports = [r for r in self._reports(grid) if effective_day(grid, r) <= day]
        if not reports and grid.until_reported is not None:
            return LevelState(grid.until_reported, "not_reported", f"no {grid.certificate} has reported {grid.measure} "
                                                                   f"yet: level {grid.until_reported} until one does, "
                                                                   "as the agreement sets")
        if not reports:
            raise RecordError(f"{grid.label} ({grid.id}) has no level on {day}: no {grid.certificate} has reported "
                              f"{grid.measure} yet, no level is forced that day, and the grid gives no level "
                              "until_reported")
        report = max(reports, key=lambda r: (effective_day(grid, r), r.date))
        assert report.figures is not None
        value = report.figures[grid.measure]
        assert isinstance(value, Decimal)
        if grid.round_to is not None:
            value = value.quantize(Decimal(1).scaleb(-grid.round_to), rounding=ROUND_HALF_UP)
        level = next(lv for lv in grid.levels if lv.contains(value))
        return LevelState(level.level, "certificate",
                          f"{grid.measure} {value} for the period ended {report.period_end} ({level.text()}), "
                          f"delivered {report.date}, in effect from {effective_day(grid, report)}",
                          value, report.where)

    def _late(self, grid: LevelGrid, day: date) -> LevelState | None:
        rule = grid.while_late
        if rule is None:
            return None
        if rule.starts == "period_start":
            return self._late_for_period(grid, day)
        reporting = self._reporting(grid, day)
        if reporting is None:
            return None
        for row in reports_on(reporting, self.ledger, day):
            if row.status != "late":
                continue
            start = row.late_on if rule.starts == "day_after_due" else add_months(row.due.replace(day=1), 1)
            if start <= day:
                return LevelState(rule.level, "late", f"the {grid.certificate} for the period ended {row.period_end} "
                                                      f"was due {row.due} and is not delivered")
        return None

    def _late_for_period(self, grid: LevelGrid, day: date) -> LevelState | None:
        """Pricing periods: a period whose certificate came after its start has the forced level until it comes."""
        start = period_start_on(grid, day)
        covering = [r for r in self._reports(grid) if r.period_end is not None
                    and period_start_after(grid, r.period_end) == start]
        if covering and min(r.date for r in covering) <= day:
            return None
        return LevelState(grid.while_late.level if grid.while_late else "", "late",
                          f"no {grid.certificate} for the pricing period from {start} was delivered before it began")

    def change_days(self) -> set[date]:
        """Every day a level may change: segment boundaries for interest and fees."""
        days: set[date] = set()
        for clause in self.agreement.clauses.values():
            for version in clause.versions:
                for grid in version.terms_of(LevelGrid):
                    for report in self._reports(grid):
                        days.add(effective_day(grid, report))
                        days.add(report.date)
                    for window in grid.forced:
                        days.add(window.start)
                        if window.end:
                            days.add(window.end + timedelta(days=1))
                    if grid.period_starts:
                        for year in range(version.effective.year, self.agreement.record_end.year + 2):
                            days.update(in_year(year, s) for s in grid.period_starts)
                    reporting = [b for c in self.agreement.clauses.values() for v in c.versions
                                 for b in v.terms_of(Reporting) if b.document == grid.certificate]
                    for block in reporting:
                        for row in reports_on(block, self.ledger, self.agreement.record_end):
                            days.update({row.late_on, add_months(row.due.replace(day=1), 1)})
        for default in self.ledger.defaults:
            days.add(default.start)
            if default.end:
                days.add(default.end)
        return days
