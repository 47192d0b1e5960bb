"""Interest per loan class (Schedule Item 18(g)): daily, from the prime series and the pricing grid.

A day accrues on the principal outstanding at its end (first day counted, day of repayment not), at
prime in force that day plus the grid's margin, over the day basis' year. The history is cut into
segments over which principal, prime and margin are all constant, with the interest accrued before
each one, so interest over any period costs O(log segments) and building them costs O(events).
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

from ..agreement.kinds import PricingGrid, PricingRow
from ..agreement.model import Agreement, ClauseVersion
from ..core.dates import day_count, year_length
from ..core.errors import RecordError
from ..core.money import ZERO, money_human
from ..market import RateChange, ShippedSeries
from .ledger import Ledger

PRECISION = 50  # digits: accrual at full precision, rounded once when a total is reported


@dataclass(frozen=True)
class PrimeSeries:
    changes: tuple[RateChange, ...]  # sorted; an event overrides the shipped rate of the same day
    starts: tuple[date, ...]
    shipped_from: date
    shipped_through: date
    from_events: frozenset[date]

    @classmethod
    def merge(cls, shipped: ShippedSeries, events) -> PrimeSeries:
        by_day: dict[date, RateChange] = {c.effective: c for c in shipped.changes}
        for event in events:
            by_day[event.date] = RateChange(event.date, event.rate, event.where)
        changes = tuple(sorted(by_day.values(), key=lambda c: c.effective))
        return cls(changes, tuple(c.effective for c in changes), shipped.known_from, shipped.known_through,
                   frozenset(e.date for e in events))

    def on(self, day: date) -> RateChange | None:
        """The rate in force on a day; None where nothing says (before the series, or past the shipped
        series with no prime_rate event since)."""
        i = bisect_right(self.starts, day)
        if not i:
            return None
        change = self.changes[i - 1]
        if day > self.shipped_through and change.effective not in self.from_events:
            return None
        return change

    def boundaries(self) -> list[date]:
        return list(self.starts) + [self.shipped_through + timedelta(days=1)]


@dataclass(frozen=True)
class Segment:
    start: date
    end: date | None  # exclusive; None: open-ended
    principal: Decimal
    prime: RateChange | None
    row: PricingRow | None
    version: ClauseVersion | None
    basis: str | None
    annual: Decimal  # principal x rate / 100: a year's interest, exact; divided by the basis last
    accrued_before: Decimal

    @property
    def rate(self) -> Decimal | None:
        if self.row is None or self.prime is None:
            return None
        return self.prime.rate + self.row.margin

    @property
    def unpriced(self) -> bool:
        return self.principal > 0 and self.rate is None

    def interest_through(self, day: date) -> Decimal:
        """This segment's interest by the end of `day`: multiplied out before the one division by the
        year, so that 1,250,000 x 8.25% x 3 / 360 is exactly 859.375."""
        if self.annual == ZERO:
            return ZERO
        return self.annual * self.days_through(day) / year_length(self.basis or "actual/360")

    def days_through(self, day: date) -> int:
        """Days of this segment that accrue by the end of `day`."""
        last = day if self.end is None else min(day, self.end - timedelta(days=1))
        if last < self.start:
            return 0
        return day_count(self.basis or "actual/360", self.start, last + timedelta(days=1))


class InterestBook:
    """Segments per loan class and the interest accrued through any day."""

    def __init__(self, agreement: Agreement, ledger: Ledger, prime: PrimeSeries):
        self.agreement = agreement
        self.prime = prime
        self.grids = agreement.all_terms(PricingGrid)
        self.tranches = agreement.vocabulary.ids("tranches")
        self.segments: dict[str, list[Segment]] = {}
        self.starts: dict[str, list[date]] = {}
        self.unpriced: dict[str, list[Segment]] = {}  # segments with principal and no rate, in order
        self.unpriced_ends: dict[str, list[date]] = {}
        for version, grid in self.grids:
            for row in grid.rows:
                index = agreement.vocabulary.get("indices", row.index)
                if index is None or index.series != "shipped":
                    raise RecordError(f"{version.clause_id}: the index {row.index!r} has no rate series here; "
                                      "only the shipped prime series is known")
        for loan_class in self.tranches:
            segments = self._build(loan_class, ledger, prime)
            self.segments[loan_class] = segments
            self.starts[loan_class] = [s.start for s in segments]
            self.unpriced[loan_class] = [s for s in segments if s.unpriced]
            self.unpriced_ends[loan_class] = [s.end or date.max for s in self.unpriced[loan_class]]

    @property
    def priced(self) -> bool:
        """Whether the agreement prices its loans at all (a facility may leave pricing out)."""
        return bool(self.grids)

    def _grid_on(self, loan_class: str, day: date) -> tuple[ClauseVersion, PricingGrid] | None:
        in_force = [(v, g) for v, g in self.grids if v.in_force_on(day)]
        for version, grid in reversed(in_force):
            if loan_class in grid.tranches:
                return version, grid
        return in_force[-1] if in_force else None

    def _build(self, loan_class: str, ledger: Ledger, prime: PrimeSeries) -> list[Segment]:
        if not ledger.days:
            return []
        first = ledger.days[0]
        boundaries = {first}
        boundaries.update(d for d in ledger.days)
        boundaries.update(d for d in prime.boundaries() if d > first)
        for grid_version, pricing in self.grids:
            boundaries.add(grid_version.effective)
            if grid_version.until:
                boundaries.add(grid_version.until)
            for priced in pricing.rows:
                boundaries.update((priced.start, priced.end + timedelta(days=1)))
        ordered = sorted(d for d in boundaries if d >= first)
        segments: list[Segment] = []
        accrued = ZERO
        with localcontext() as ctx:
            ctx.prec = PRECISION
            for i, start in enumerate(ordered):
                end = ordered[i + 1] if i + 1 < len(ordered) else None
                snap = ledger.on(start)
                principal = snap.loan(loan_class)
                found = self._grid_on(loan_class, start)
                version: ClauseVersion | None = found[0] if found else None
                grid: PricingGrid | None = found[1] if found else None
                row = grid.row_on(loan_class, start) if grid else None
                rate_change = prime.on(start)
                basis = grid.day_basis if grid else None
                annual = ZERO
                if row is not None and rate_change is not None and basis is not None:
                    annual = principal * (rate_change.rate + row.margin) / Decimal(100)
                segment = Segment(start, end, principal, rate_change, row, version, basis, annual, accrued)
                if segments and _same_terms(segments[-1], segment):
                    segment = segments.pop()
                    segment = Segment(segment.start, end, segment.principal, segment.prime, segment.row,
                                      segment.version, segment.basis, segment.annual, segment.accrued_before)
                if end is not None:
                    accrued = segment.accrued_before + segment.interest_through(end - timedelta(days=1))
                segments.append(segment)
        return segments

    def _unpriced_error(self, loan_class: str, segment: Segment, day: date) -> RecordError:
        if segment.row is not None and segment.prime is None:
            return RecordError(f"the prime rate on {day} is not known: the shipped series runs from "
                               f"{self.prime.shipped_from} to {self.prime.shipped_through} and no prime_rate event "
                               f"gives it, and {money_human(segment.principal)} of {loan_class} is outstanding "
                               "(interest is never taken as zero)")
        clause = segment.version.clause_id if segment.version else self._pricing_clause_name()
        return RecordError(f"no {loan_class} pricing row of {clause} is in force on {day}, and "
                           f"{money_human(segment.principal)} of {loan_class} is outstanding: interest cannot be "
                           "computed (it is never taken as zero)")

    def _pricing_clause_name(self) -> str:
        return self.grids[0][0].clause_id if self.grids else "the pricing grid (no clause in the record)"

    def accrued(self, loan_class: str, start: date, end: date) -> Decimal:
        """Interest accrued on the days from start to end inclusive, at full precision."""
        if end < start:
            return ZERO
        # the first unpriced segment that ends after `start`: if it begins by `end`, the period has a day
        # with principal and no rate
        i = bisect_right(self.unpriced_ends[loan_class], start)
        if i < len(self.unpriced[loan_class]) and self.unpriced[loan_class][i].start <= end:
            segment = self.unpriced[loan_class][i]
            raise self._unpriced_error(loan_class, segment, max(segment.start, start))
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return self._through(loan_class, end) - self._through(loan_class, start - timedelta(days=1))

    def _through(self, loan_class: str, day: date) -> Decimal:
        i = bisect_right(self.starts[loan_class], day) - 1
        if i < 0:
            return ZERO
        segment = self.segments[loan_class][i]
        return segment.accrued_before + segment.interest_through(day)

    def accrued_total(self, start: date, end: date) -> Decimal:
        return sum((self.accrued(c, start, end) for c in self.tranches), start=ZERO)

    def first_day(self) -> date | None:
        starts = [s[0] for s in self.starts.values() if s]
        return min(starts) if starts else None

    def segments_between(self, loan_class: str, start: date, end: date) -> list[tuple[date, date, Segment]]:
        """The pieces of segments that fall in [start, end], each as (first day, last day, segment)."""
        pieces = []
        for segment in self.segments[loan_class]:
            seg_last = end if segment.end is None else segment.end - timedelta(days=1)
            lo, hi = max(segment.start, start), min(seg_last, end)
            if lo <= hi:
                pieces.append((lo, hi, segment))
        return pieces


def _same_terms(a: Segment, b: Segment) -> bool:
    return (a.principal == b.principal and a.prime == b.prime and a.row == b.row and a.version == b.version
            and a.basis == b.basis)
