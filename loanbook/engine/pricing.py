"""A tranche's interest rate on a day, and where it came from.

Two kinds of clause price loans: a `pricing_grid` (an index plus a margin, by dated period) and an
`interest_rate` (a formula of indices and figures, e.g. the greatest of several indices plus a grid's
margin; or the greatest of prongs, each day on the day basis of the prong that wins). A `default_rate` adds
its margin, or gives its own rate in lieu of the contract rate, while an Event of Default continues. After the
term ends, principal still unpaid bears the rate the `term` gives after maturity; where the agreement is silent
and no pricing is in force, the pricing of the term's last day, said to be an assumption. A day with no pricing
in force otherwise, or an index with no known rate, is an error naming the day and the clause: never zero
interest.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from ..agreement.formula import Formula
from ..agreement.kinds import PricingGrid, Term
from ..agreement.kinds_pricing import DefaultRate, InterestRate
from ..agreement.model import Agreement, ClauseVersion
from ..core.errors import RecordError
from ..core.money import HUNDRED, percent_str
from .explain import Explanation, leaf
from .figures import DayView
from .indices import IndexBook
from .ledger import Ledger
from .levels import LevelBook


@dataclass(frozen=True)
class Rate:
    rate: Decimal          # percent a year
    basis: str
    version: ClauseVersion
    formula: str           # how the rate is made, as words and figures ("4.75% prime + 3.5%")
    inputs: tuple[Explanation, ...]

    def same(self, other: Rate | None) -> bool:
        return other is not None and (self.rate, self.basis, self.version, self.formula) == (
            other.rate, other.basis, other.version, other.formula)


class Pricing:
    def __init__(self, agreement: Agreement, ledger: Ledger, indices: IndexBook, levels: LevelBook,
                 book_of: Callable[[date], DayView]):
        self.agreement = agreement
        self.ledger = ledger
        self.indices = indices
        self.levels = levels
        self.book_of = book_of
        self.grids = agreement.all_terms(PricingGrid)
        self.formulas = agreement.all_terms(InterestRate)
        self.defaults = agreement.all_terms(DefaultRate)

    @property
    def priced(self) -> bool:
        """Whether the agreement prices its loans at all (a facility's folder may leave pricing out)."""
        return bool(self.grids or self.formulas)

    def rate(self, tranche: str, day: date) -> Rate:
        matured = self.matured(tranche, day)
        if matured is not None:
            return self._after_maturity(tranche, day, *matured)
        return self.rate_within_term(tranche, day)

    def _with_default(self, base: Rate, tranche: str, clause_day: date, why: str, day: date) -> Rate:
        """The rate while an Event of Default continues: the default clause in force on `clause_day` adds its
        margin to the rate otherwise applicable, or gives its own rate in lieu of it (on the same day basis)."""
        for version, block in self.defaults:
            if version.in_force_on(clause_day) and (not block.tranches or tranche in block.tranches):
                if block.margin is not None:
                    margin = leaf("default margin", block.margin, f"{version.clause_id}: {why}", unit="percent")
                    return Rate(base.rate + block.margin, base.basis, base.version,
                                f"{base.formula} + {block.margin}% default margin", base.inputs + (margin,))
                assert block.rate is not None
                in_lieu = self.book_of(day).quantity(block.rate, version, f"default rate of {tranche}")
                replaced = leaf("rate otherwise applicable", base.rate, f"{base.formula}, replaced: {why}",
                                unit="percent")
                return Rate(in_lieu.value * HUNDRED, base.basis, version,
                            f"{in_lieu.formula} default rate, in lieu of {base.formula}", in_lieu.inputs + (replaced,))
        return base

    def matured(self, tranche: str, day: date) -> tuple[ClauseVersion, Term] | None:
        """The term a tranche is past the end of on a day (None: within its term, or no term)."""
        found = [(v, b) for v, b in self.agreement.terms_in_force(Term, day)
                 if (tranche in b.tranches or not b.tranches) and day > b.initial_term_end]
        own = [(v, b) for v, b in found if tranche in b.tranches]
        chosen = own or found
        return chosen[-1] if chosen else None

    def _after_maturity(self, tranche: str, day: date, version: ClauseVersion, term: Term) -> Rate:
        """Principal unpaid after the term: the rate the term gives after maturity, or, where it gives none, the
        pricing in force (if any is) or else the pricing of the term's last day, as an assumption."""
        end, rule = term.initial_term_end, term.after_maturity
        if rule is None:
            try:
                return self.rate_within_term(tranche, day)
            except RecordError:
                last = self._base(tranche, day, priced_on=end)
                note = leaf("after maturity", last.rate, f"the term ended {end} ({version.clause_id}) and the "
                                                         "agreement gives no rate after it: the pricing of its last "
                                                         "day is assumed", unit="percent")
                return replace(last, formula=f"{last.formula} (the pricing of {end}, assumed after maturity)",
                               inputs=last.inputs + (note,))
        last = self._base(tranche, day, priced_on=end)
        if rule == "last_rate":
            return replace(last, formula=f"{last.formula} (the pricing of {end}, after maturity)")
        if rule == "default_rate":
            return self._with_default(last, tranche, end, f"after maturity on {end} ({version.clause_id})", day)
        assert isinstance(rule, Formula)
        after = self.book_of(day).quantity(rule, version, f"rate of {tranche} after maturity")
        return Rate(after.value * HUNDRED, last.basis, version, f"{after.formula} (after maturity on {end})",
                    after.inputs)

    def otherwise(self, tranche: str, day: date) -> Rate:
        """The rate otherwise applicable: the tranche's rate on the day as if no Event of Default continued (and,
        after maturity, without the default margin the term may add), the rate an overdue margin adds to."""
        matured = self.matured(tranche, day)
        if matured is None:
            return self._base(tranche, day)
        version, term = matured
        end = term.initial_term_end
        if term.after_maturity is None:
            try:
                return self._base(tranche, day)
            except RecordError:
                last = self._base(tranche, day, priced_on=end)
                return replace(last, formula=f"{last.formula} (the pricing of {end}, assumed after maturity)")
        if term.after_maturity == "default_rate":
            last = self._base(tranche, day, priced_on=end)
            return replace(last, formula=f"{last.formula} (the pricing of {end}, after maturity)")
        return self._after_maturity(tranche, day, version, term)

    def rate_within_term(self, tranche: str, day: date) -> Rate:
        """The pricing in force on the day, with the default margin while an Event of Default continues."""
        base = self._base(tranche, day)
        default = self.ledger.default_on(day)
        if default is not None:
            return self._with_default(base, tranche, day, f"an Event of Default continues since {default.start}",
                                      day)
        return base

    def _base(self, tranche: str, day: date, priced_on: date | None = None) -> Rate:
        """The pricing clause in force on `priced_on` (the day itself unless said), its indices on the day."""
        priced_on = priced_on or day
        for version, block in reversed(self.formulas):
            if version.in_force_on(priced_on) and block.tranche == tranche:
                if block.greatest_of:
                    return self._greatest(block, version, tranche, day)
                assert block.rate is not None and block.day_basis is not None
                rate = self.book_of(day).quantity(block.rate, version, f"rate of {tranche}")
                return Rate(rate.value * HUNDRED, block.day_basis, version, rate.formula, rate.inputs)
        in_force = [(v, g) for v, g in self.grids if v.in_force_on(priced_on)]
        mine = [(v, g) for v, g in in_force if tranche in g.tranches] or in_force
        if not mine:
            clause = self.grids[0][0].clause_id if self.grids else (
                self.formulas[0][0].clause_id if self.formulas else "the pricing clause")
            raise RecordError(f"no {tranche} pricing row of {clause} is in force on {priced_on}")
        version, grid = mine[-1]
        row = grid.row_on(tranche, priced_on)
        if row is None:
            raise RecordError(f"no {tranche} pricing row of {version.clause_id} is in force on {priced_on}")
        index = self.indices.on(row.index, day)
        return Rate(index.rate + row.margin, grid.day_basis, version,
                    f"{index.rate}% {row.index} + {row.margin}%",
                    (leaf(row.index, index.rate, index.source, unit="percent"),))

    def _greatest(self, block: InterestRate, version: ClauseVersion, tranche: str, day: date) -> Rate:
        """The greatest prong of the day (the first listed, of equal ones) plus `plus`, on the winner's day basis:
        prime on actual/360 beside the federal funds rate on actual/365 accrues a day over 360 when prime wins."""
        book = self.book_of(day)
        prongs = [(book.quantity(prong.rate, version, f"prong {i} of the rate of {tranche}"), prong)
                  for i, prong in enumerate(block.greatest_of, start=1)]
        best, prong = max(prongs, key=lambda pair: pair[0].value)  # max keeps the first of equal values
        rate = best.value * HUNDRED
        named = [f"{on.formula} = {percent_str(on.value * HUNDRED)}% on {each.day_basis}" for on, each in prongs]
        formula = f"{best.formula} (the greatest of {'; '.join(named)}: its day basis, {prong.day_basis})"
        chosen = leaf("greatest prong", rate, f"{prong.label or best.formula}, on {prong.day_basis}", unit="percent")
        extra: tuple[Explanation, ...] = ()
        if block.plus is not None:
            added = book.quantity(block.plus, version, f"margin of {tranche}")
            rate += added.value * HUNDRED
            formula += f" + {added.formula}"
            extra = added.inputs
        return Rate(rate, prong.day_basis, version, formula,
                    tuple(x for on, _ in prongs for x in on.inputs) + (chosen,) + extra)

    def boundaries(self, first: date, last: date) -> set[date]:
        """Every day a rate may change: index changes, clause and row boundaries, level changes, defaults,
        and each January 1 (a year of 365 or 366 days changes length there)."""
        days = set(self.indices.boundaries()) | self.levels.change_days()
        for version, grid in self.grids:
            days.add(version.effective)
            if version.until:
                days.add(version.until)
            for row in grid.rows:
                days.update((row.start, row.end + timedelta(days=1)))
        for version, _ in self.formulas + self.defaults:
            days.add(version.effective)
            if version.until:
                days.add(version.until)
        for default in self.ledger.defaults:
            days.add(default.start)
            if default.end:
                days.add(default.end)
        for _, term in self.agreement.all_terms(Term):
            days.add(term.initial_term_end + timedelta(days=1))
        days.update(date(year, 1, 1) for year in range(first.year, last.year + 2))
        return days
