"""Which level of a grid is in force on a day, and why.

A certificate reports the grid's measure for a period; its level takes effect on the day the agreement
says (on delivery, the first day of the next month or quarter, N business days after delivery, or the
next pricing period). A level is forced instead during an initial window, while an Event of Default
continues, and while a certificate is late. Every level comes with the fact that set it, so a margin can
be explained down to the certificate and the clause.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ..agreement.kinds_pricing import Level, LevelGrid, Reporting
from ..agreement.model import Agreement
from ..agreement.quantity import Schedule, StepDown
from ..core.dates import next_business_day
from ..core.errors import RecordError
from ..core.money import HUNDRED
from ..core.periods import in_year
from ..events import types as ev
from .event_dates import event_date_days
from .explain import Explanation
from .keys import Missing, Period, read_key
from .ledger import Ledger
from .reporting import add_months, reports_on

if TYPE_CHECKING:
    from .figures import DayView


@dataclass(frozen=True)
class LevelState:
    level: str
    reason: str                     # certificate | daily | initial | default | late | not_reported
    detail: str                     # words for the explanation
    measure: Decimal | str | None = None  # the key's value (a rating's grades) where a certificate or the day
                                          # set the level
    source: str | None = None       # the event that set it
    inputs: tuple[Explanation, ...] = ()  # the explanation of each figure a computed key read
    unmatched: bool = False         # the value fell in no level: the grid's `unmatched` level, flagged


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
    """Levels of every grid of the agreement, from the certificates, defaults and reports of a history, and, for a
    grid keyed on a figure the engine computes, from the facility's figures (`book_of`)."""

    def __init__(self, agreement: Agreement, ledger: Ledger, book_of: Callable[[date], DayView] | None = None):
        self.agreement = agreement
        self.ledger = ledger
        self.book_of = book_of
        self._reading: set[tuple[str, date]] = set()  # keys being read: a key that needs its own level is refused

    def _reports(self, grid: LevelGrid) -> list[ev.DocumentDelivered]:
        reports = [r for r in self.ledger.reports if r.document == grid.certificate and r.accepted and r.figures]
        if grid.ratings is not None:  # the lower of the ratings a certificate gives: one at least
            return [r for r in reports if set(grid.ratings.lower_of) & set(r.figures or {})]
        periods = self.agreement.vocabulary.period_units()
        needs = {grid.measure} if grid.key is None else {n for n in grid.key.names if n in periods}
        return [r for r in reports if needs <= set(r.figures or {})]

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
        if grid.takes_effect == "daily":
            value, inputs = self._key(grid, day, None)
            return self._state(grid, grid.level_of(value), value, "daily",
                               f"{grid.key_text} {value} at the end of {day}", "read each day", None, inputs)
        late = self._late(grid, day)
        if late is not None:
            return late
        reports = [r for r in self._reports(grid) if effective_day(grid, r) <= day]
        if not reports and grid.until_reported is not None:
            return LevelState(grid.until_reported, "not_reported",
                              f"no {grid.certificate} has reported {grid.key_text} yet: level {grid.until_reported} "
                              "until one does, as the agreement sets")
        if not reports:
            raise RecordError(f"{grid.label} ({grid.id}) has no level on {day}: no {grid.certificate} has reported "
                              f"{grid.key_text} yet, no level is forced that day, and the grid gives no level "
                              "until_reported")
        report = max(reports, key=lambda r: (effective_day(grid, r), r.date))
        when = f"delivered {report.date}, in effect from {effective_day(grid, report)}"
        if grid.ratings is not None:
            figures = report.figures or {}
            rated = [(name, str(figures[name])) for name in grid.ratings.lower_of if name in figures]
            lower = ", ".join(f"{name} {grade}" for name, grade in rated)
            return self._state(grid, grid.level_of_grades([grade for _, grade in rated]), lower, "certificate",
                               f"{grid.key_text}: {lower} for the period ended {report.period_end}", when,
                               report.where, ())
        value, inputs = self._key(grid, report.date, report)
        return self._state(grid, grid.level_of(value), value, "certificate",
                           f"{grid.key_text} {value} for the period ended {report.period_end}", when, report.where,
                           inputs)

    def _state(self, grid: LevelGrid, level: Level | None, value: Decimal | str, reason: str, what: str, when: str,
               source: str | None, inputs: tuple[Explanation, ...]) -> LevelState:
        """The level a value falls in; a value in no level takes the grid's `unmatched` level, and says so."""
        if level is None:
            assert grid.unmatched is not None  # a grid with gaps must say unmatched (kinds_pricing)
            return LevelState(grid.unmatched, reason, f"{what} falls in no level of the grid: level {grid.unmatched}, "
                                                      f"as the grid's unmatched says (flagged), {when}",
                              value, source, inputs, unmatched=True)
        return LevelState(level.level, reason, f"{what} ({level.text()}), {when}", value, source, inputs)

    def _key(self, grid: LevelGrid, day: date, report: ev.DocumentDelivered | None
             ) -> tuple[Decimal, tuple[Explanation, ...]]:
        """The grid's key in its own unit, rounded as the grid says: a reported measure, or a formula read as at
        the certificate's period end (or, for a daily key, the day)."""
        inputs: tuple[Explanation, ...] = ()
        if grid.key is None:
            assert report is not None and report.figures is not None
            value = report.figures[str(grid.measure)]
            assert isinstance(value, Decimal)
        else:
            value, read = self._read(grid, day, report)
            if grid.unit == "percent":
                value *= HUNDRED
        if grid.round_to is not None:
            value = value.quantize(Decimal(1).scaleb(-grid.round_to), rounding=ROUND_HALF_UP)
        if grid.key is not None:
            rounded = f", rounded half up to {grid.round_to} places" if grid.round_to is not None else ""
            inputs = (Explanation(f"{grid.id} key", value, formula=grid.key.text + rounded, inputs=read,
                                  unit=grid.unit, label=f"the key of {grid.label}"),)
        return value, inputs

    def _read(self, grid: LevelGrid, day: date, report: ev.DocumentDelivered | None
              ) -> tuple[Decimal, tuple[Explanation, ...]]:
        assert grid.key is not None
        if self.book_of is None:
            raise RecordError(f"{grid.label} ({grid.id}) is keyed on {grid.key.text}: the facility's figures are not "
                              "known to this computation")
        at = day if report is None else report.period_end
        assert at is not None
        period = None
        if report is not None:
            reporting = self._reporting(grid, report.date)
            if reporting is None:
                raise RecordError(f"{grid.label} ({grid.id}): no reporting clause of {grid.certificate} is in force on "
                                  f"{report.date}, so the periods its key counts are not known")
            period = Period(str(grid.certificate), reporting.every, at, report, grid.periods_from)
        marker = (grid.id, at)
        if marker in self._reading:
            raise RecordError(f"the key of {grid.label} ({grid.id}), {grid.key.text}, depends on the grid's own level")
        self._reading.add(marker)
        try:
            return read_key(grid.key, self.agreement, self.ledger, self.book_of, at=at,
                            known_by=report.date if report else day, period=period)
        except Missing as missing:
            raise RecordError(f"{grid.label} ({grid.id}) on {day}: {missing}") from None
        finally:
            self._reading.discard(marker)

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
        daily = [g for clause in self.agreement.clauses.values() for v in clause.versions
                 for g in v.terms_of(LevelGrid) if g.takes_effect == "daily"]
        if daily:  # a key read each day changes on every day the record (a boundary already) or the terms change
            days |= terms_change_days(self.agreement, self.ledger)
        return days


def terms_change_days(agreement: Agreement, ledger: Ledger) -> set[date]:
    """Every day a figure of the terms may change without an event: a clause version's start and end, a schedule's
    windows, a step-down's steps, a dated window's ends (a reserve's from/to) and the day after a document is due.
    A window or a first step the agreement dates by an event counts every day that date may fall on."""
    days: set[date] = set()

    def dated(value: date | str) -> set[date]:
        return {value} if isinstance(value, date) else event_date_days(agreement, ledger, value)

    def walk(value: object) -> None:
        if isinstance(value, Schedule):
            for entry in value.entries:
                days.update(dated(entry.start))
                if entry.end is not None:
                    days.add(entry.end + timedelta(days=1))
        elif isinstance(value, StepDown):
            for first in dated(value.first_step):
                step = 0
                while (when := add_months(first, step * value.every_months)) <= agreement.record_end:
                    days.update((when, when + timedelta(days=1)))  # from the 31st, a step may land on the 1st
                    step += 1
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                inner = getattr(value, name)
                if name in ("start", "end", "due") and isinstance(inner, date):
                    days.add(inner if name == "start" else inner + timedelta(days=1))
                else:
                    walk(inner)
        elif isinstance(value, (tuple, list)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for clause in agreement.clauses.values():
        for version in clause.versions:
            days.add(version.effective)
            if version.until:
                days.add(version.until)
            walk(version.terms)
    return days
