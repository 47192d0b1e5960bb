"""A key: a formula read as at a day, over what a certificate reports for a period and what the engine computes.

A covenant's measure and a level grid's key are both keys. A name in one is either a period measure (EBITDA for
the quarter: the certificate for the period gives it; `trailing(ebitda, 4)` sums it over the four periods ending
with the one read; `annualised(ebitda, 4)` does the same once four periods have passed since the first one the
clause counts, and before that sums the periods there are and scales them to four) or any figure of the
facility's graph on the day read (the loans outstanding, availability, a named figure), evaluated and explained
by that day's `DayView`, so an explanation of the key shows the computed figure's own tree.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING

from ..agreement.formula import Formula, FormulaError, evaluate
from ..agreement.model import Agreement
from ..core.errors import RecordError
from ..core.money import HUNDRED
from ..core.periods import MONTHS, add_months
from ..events import types as ev
from .explain import Explanation, leaf
from .ledger import Ledger
from .reporting import report_for

if TYPE_CHECKING:
    from .figures import DayView


class Missing(Exception):
    """A period figure the key needs that no certificate delivered in time reports."""


@dataclass(frozen=True)
class Period:
    """The fiscal period a key is read for, and the certificate that reports its figures."""

    certificate: str
    every: str                  # month | quarter | year
    end: date
    report: ev.DocumentDelivered
    first_end: date | None = None  # the end of the first period annualised() counts


def periods_since(first_end: date, every: str, end: date) -> int:
    """How many periods end from `first_end` through `end`, both counted (0 when `end` is before the first)."""
    count = 0
    while add_months(first_end, count * MONTHS[every]) <= end:
        count += 1
    return count


def read_key(formula: Formula, agreement: Agreement, ledger: Ledger, book_of: Callable[[date], DayView], *,
             at: date, known_by: date, period: Period | None = None) -> tuple[Decimal, tuple[Explanation, ...]]:
    """The key's exact value (percentages as fractions) as at the end of `at`, with the explanation of every name
    it read; period figures come from certificates delivered by `known_by`."""
    periods = agreement.vocabulary.period_units()
    inputs: list[Explanation] = []

    def figure_of(report: ev.DocumentDelivered, name: str, label: str) -> Decimal:
        value = (report.figures or {}).get(name)
        if value is None:
            raise Missing(f"the {report.document} for {report.period_end} does not report {name}")
        assert isinstance(value, Decimal)
        inputs.append(leaf(label, value, report.where, unit=periods[name]))
        return value / HUNDRED if periods[name] == "percent" else value

    def value_of(name: str) -> Decimal:
        if name in periods:
            if period is None:
                raise RecordError(f"{formula.text}: {name} is a figure of a fiscal period; this key is read each "
                                  "day, with no certificate")
            return figure_of(period.report, name, name)
        book = book_of(at)
        value = book.raw(name)
        inputs.append(book.explain(name))
        return value

    def window(fn: str, name: str, count: int) -> Decimal:
        assert period is not None
        scale = Decimal(1)
        if fn == "annualised":
            if period.first_end is None:
                raise RecordError(f"{formula.text}: annualised() needs the end of the first period it counts")
            passed = periods_since(period.first_end, period.every, period.end)
            if passed == 0:
                raise Missing(f"annualised({name}, {count}) counts periods from {period.first_end}; "
                              f"{period.end} is before it")
            if passed < count:
                scale = Decimal(count) / Decimal(passed)
                count = passed
        total = Decimal(0)
        for n in range(count):
            end = add_months(period.end, -n * MONTHS[period.every])
            report = report_for(ledger, period.certificate, end, known_by)
            if report is None:
                raise Missing(f"{fn}({name}, {count}) needs the {period.certificate} for {end}")
            total += figure_of(report, name, f"{name} for {end}")
        if scale != 1:
            inputs.append(leaf(f"periods counted by {fn}({name})", Decimal(count),
                               f"{count} period(s) from {period.first_end} through {period.end}: their sum "
                               f"scaled by {scale.normalize() if count in (1, 2, 4) else f'{count * scale:g}/{count}'}",
                               unit="number"))
        return total * scale

    with localcontext() as ctx:
        ctx.prec = 50
        try:
            value = evaluate(formula, value_of, window)
        except ZeroDivisionError as exc:
            raise RecordError(f"{formula.text} as at {at}: {exc}") from None
        except FormulaError as exc:
            raise RecordError(str(exc)) from None
    return value, tuple(inputs)
