"""Interest on overdue amounts: "any amount not paid when due shall bear interest at the Default Rate".

A `default_rate` clause with `overdue: true` applies to each amount past due (what `status` lists under
`past_due`), from the day after it fell due until the day it is paid: a day accrues on the amount still unpaid at
its end, so a payment on day d stops the interest from d on (the convention of every other accrual).

- Overdue principal (a scheduled installment, principal after maturity) already accrues its tranche's interest.
  The clause raises it to the tranche's rate otherwise applicable plus the margin (or to the clause's rate), so
  the overdue line is the difference: what the amount bears at the overdue rate less what it already bears (none
  while an Event of Default or the after-maturity default rate already charges it), on the tranche's day basis.
- An overdue fee bears nothing of its own: it bears the `rate` of a clause naming no tranche, on the clause's
  `day_basis`. A clause that gives only a margin, or names tranches, has no rate for a fee, and charges none.

The past-due amounts and the rates change only on the record's days, on rate boundaries and on the day after a
due date, so the history is cut into segments over which both are constant, each a line with its arithmetic.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import NamedTuple

from ..agreement.kinds_pricing import DefaultRate
from ..agreement.model import Agreement, ClauseVersion
from ..core.dates import year_length
from ..core.money import HUNDRED, PRECISION, ZERO
from .accrual import Accrual
from .explain import Explanation, clause_ref, leaf
from .figures import DayView
from .ledger import Ledger
from .pricing import Pricing
from .results import OverdueInterestLine, PastDue

MAX_KEPT = 4096  # days whose past-due amounts (and lines through which) are kept


class Late(NamedTuple):
    """A past-due amount as overdue interest needs it: whose principal it is (None: a fee), and whether it is the
    tranche's whole principal, unpaid after maturity (its installments then are part of it, not more)."""

    item: PastDue
    tranche: str | None = None
    matured: bool = False


LateItems = Callable[[date], list[Late]]


@dataclass(frozen=True)
class OverdueLine:
    """One past-due amount over days on which it, and its rates, stay the same."""

    what: str
    due: date
    start: date                # the first day that accrues
    end: date                  # the last (inclusive)
    amount: Decimal            # unpaid at the end of each of these days
    rate: Decimal              # the overdue rate, percent a year
    bears: Decimal             # the rate it already accrues (a tranche's interest), percent; zero for a fee
    rate_formula: str
    day_basis: str
    clause: str                # the overdue clause
    version: ClauseVersion
    inputs: tuple[Explanation, ...]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def accrual(self, start: date | None = None, end: date | None = None) -> Accrual | None:
        """The amount accruing at the added rate on the days of this line within [start, end]: their interest and
        the words for it (a segment never crosses a January 1); None when none of its days are in it."""
        lo, hi = max(self.start, start or self.start), min(self.end, end or self.end)
        if hi < lo:
            return None
        return Accrual(self.amount, self.rate, self.rate_formula, (hi - lo).days + 1,
                       year_length(self.day_basis, self.start.year), bears=self.bears)

    def interest(self, start: date | None = None, end: date | None = None) -> Decimal:
        """Interest on the days of this line within [start, end], exact."""
        accrual = self.accrual(start, end)
        return ZERO if accrual is None else accrual.value()

    def clipped(self, start: date, end: date) -> OverdueLine | None:
        lo, hi = max(self.start, start), min(self.end, end)
        if hi < lo:
            return None
        return OverdueLine(self.what, self.due, lo, hi, self.amount, self.rate, self.bears, self.rate_formula,
                           self.day_basis, self.clause, self.version, self.inputs)

    def row(self) -> OverdueInterestLine:
        """The interest statement's line."""
        return OverdueInterestLine(self.what, self.due, self.start, self.end, self.days, self.amount, self.rate,
                                   self.bears, self.rate_formula, self.day_basis, self.clause, self.interest())

    def explanation(self, agreement: Agreement) -> Explanation:
        accrual = self.accrual()
        assert accrual is not None  # a line has at least one day
        return Explanation(f"{self.what} (due {self.due}) {self.start} to {self.end}", accrual.value(),
                           formula=accrual.words(), inputs=self.inputs, clause=clause_ref(agreement, self.version))


class OverdueInterest:
    """The overdue interest of a facility through any day, as lines."""

    def __init__(self, agreement: Agreement, ledger: Ledger, pricing: Pricing, book_of: Callable[[date], DayView],
                 late_items: LateItems):
        self.agreement, self.ledger, self.pricing, self.book_of = agreement, ledger, pricing, book_of
        self._late_items = late_items
        self.clauses = [(v, b) for v, b in agreement.all_terms(DefaultRate) if b.overdue]
        self._lines: dict[date, list[OverdueLine]] = {}
        self._late: dict[date, list[Late]] = {}

    @property
    def active(self) -> bool:
        """Whether the agreement charges interest on overdue amounts at all."""
        return bool(self.clauses) and bool(self.ledger.days)

    def lines(self, through: date) -> list[OverdueLine]:
        """Every line through a day, oldest first."""
        if not self.active:
            return []
        if through not in self._lines:
            if len(self._lines) >= MAX_KEPT:
                self._lines.clear()
            self._lines[through] = self._build(through)
        return self._lines[through]

    def late_items(self, day: date) -> list[Late]:
        """The day's past-due amounts (asked once a day: every statement month and status day reads them)."""
        if day not in self._late:
            if len(self._late) >= MAX_KEPT:
                self._late.clear()
            self._late[day] = self._late_items(day)
        return self._late[day]

    def accrued(self, start: date, end: date) -> Decimal:
        """Overdue interest accrued on the days from start to end inclusive, at full precision."""
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return sum((line.interest(start, end) for line in self.lines(end)), start=ZERO)

    def _build(self, through: date) -> list[OverdueLine]:
        first = self.ledger.days[0]
        if through <= first:
            return []
        # every day the past-due amounts may change: an amount that falls due appears the day after its due date,
        # and one paid on a record day was still unpaid the day before
        looks = {d for d in self.ledger.days if first < d <= through}
        looks |= {d - timedelta(days=1) for d in looks} | {through}
        starts = {late.item.due + timedelta(days=1) for d in looks for late in self.late_items(d)}
        if not starts:
            return []
        begin = min(starts)
        cuts = starts | {d for d in self.ledger.days if begin <= d <= through}
        cuts |= {d for d in self.pricing.boundaries(first, through) if begin <= d <= through}
        cuts |= {d for v, _ in self.clauses for d in (v.effective, v.until) if d and begin <= d <= through}
        ordered = sorted(cuts)
        lines: list[OverdueLine] = []
        for i, lo in enumerate(ordered):
            hi = ordered[i + 1] - timedelta(days=1) if i + 1 < len(ordered) else through
            items = self.late_items(lo)
            matured = {late.tranche for late in items if late.matured}
            for late in items:
                if late.matured or late.tranche not in matured:
                    line = self._line(late.item, late.tranche, lo, hi)
                    if line is not None:
                        lines.append(line)
        return lines

    def _line(self, item: PastDue, tranche: str | None, lo: date, hi: date) -> OverdueLine | None:
        """The item's line over [lo, hi] at the clause in force on lo, or None when no clause charges it."""
        for version, block in self.clauses:
            if not version.in_force_on(lo):
                continue
            if tranche is not None and (not block.tranches or tranche in block.tranches):
                return self._principal(item, tranche, version, block, lo, hi)
            if tranche is None and block.rate is not None and not block.tranches:
                assert block.day_basis is not None
                rate = self.book_of(lo).quantity(block.rate, version, f"overdue rate of {item.what}")
                return OverdueLine(item.what, item.due, lo, hi, item.amount, rate.value * HUNDRED, ZERO,
                                   f"{rate.formula} on overdue amounts", block.day_basis, version.clause_id, version,
                                   rate.inputs)
        return None

    def _principal(self, item: PastDue, tranche: str, version: ClauseVersion, block: DefaultRate, lo: date,
                   hi: date) -> OverdueLine | None:
        """Overdue principal: the overdue rate less the rate the tranche already accrues on it that day."""
        bears = self.pricing.rate(tranche, lo)
        otherwise = self.pricing.otherwise(tranche, lo)
        if block.margin is not None:
            rate = otherwise.rate + block.margin
            formula = f"{otherwise.formula} + {block.margin}% on overdue amounts"
            inputs = otherwise.inputs + (leaf("overdue margin", block.margin, f"{version.clause_id}: not paid when "
                                                                               f"due on {item.due}", unit="percent"),)
        else:
            assert block.rate is not None
            overdue = self.book_of(lo).quantity(block.rate, version, f"overdue rate of {item.what}")
            rate, inputs = overdue.value * HUNDRED, overdue.inputs
            formula = f"{overdue.formula} on overdue amounts, in lieu of {otherwise.formula}"
        if rate <= bears.rate:
            return None  # the tranche's interest already charges the overdue rate (or more) on it
        inputs += (leaf("already accruing", bears.rate, f"{tranche}'s interest on it: {bears.formula}",
                        unit="percent"),)
        return OverdueLine(item.what, item.due, lo, hi, item.amount, rate, bears.rate, formula, bears.basis,
                           version.clause_id, version, inputs)
