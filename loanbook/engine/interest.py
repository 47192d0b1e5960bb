"""Interest per tranche: daily, at the rate the pricing clauses give, on the principal of each day.

A day accrues on the principal outstanding at its end (first day counted, day of repayment not), at the
rate in force that day, over the day basis' year. The history is cut into segments over which principal
and rate are constant, with the interest accrued before each one, so interest over any period costs
O(log segments) and building them costs O(events + rate changes).
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

from ..core.dates import day_count, year_length
from ..core.errors import RecordError
from ..core.money import PRECISION, ZERO, money_human
from .accrual import Accrual
from .ledger import Ledger
from .pricing import Pricing, Rate


@dataclass(frozen=True)
class Segment:
    start: date
    end: date | None  # exclusive; None: open-ended
    principal: Decimal
    rate: Rate | None
    accrued_before: Decimal

    @property
    def unpriced(self) -> bool:
        return self.principal > 0 and self.rate is None

    def accrual(self, days: int) -> Accrual:
        """The principal accruing at the segment's rate over some of its days: its interest and the words for it."""
        assert self.rate is not None
        return Accrual(self.principal, self.rate.rate, self.rate.formula, days,
                       year_length(self.rate.basis, self.start.year))

    def interest_through(self, day: date) -> Decimal:
        """This segment's interest by the end of `day`: the accrual over its days so far (exact, divided by the
        year once). With nothing to accrue, ZERO itself: a product with zero would bring its exponent to the sums."""
        if self.rate is None or self.principal == ZERO or self.rate.rate == ZERO:
            return ZERO
        return self.accrual(self.days_through(day)).value()

    def days_through(self, day: date) -> int:
        """Days of this segment that accrue by the end of `day`."""
        last = day if self.end is None else min(day, self.end - timedelta(days=1))
        if last < self.start:
            return 0
        return day_count(self.rate.basis if self.rate else "actual/360", self.start, last + timedelta(days=1))


class InterestBook:
    """Segments per tranche and the interest accrued through any day."""

    def __init__(self, tranches: tuple[str, ...], ledger: Ledger, pricing: Pricing):
        self.pricing = pricing
        self.tranches = tranches
        self.segments: dict[str, list[Segment]] = {}
        self.starts: dict[str, list[date]] = {}
        self.unpriced: dict[str, list[Segment]] = {}  # segments with principal and no rate, in order
        self.unpriced_ends: dict[str, list[date]] = {}
        boundaries: list[date] = []
        if ledger.days and pricing.priced:
            first, last = ledger.days[0], ledger.days[-1]
            boundaries = sorted(d for d in set(ledger.days) | pricing.boundaries(first, last) if d >= first)
        for tranche in tranches:
            segments = self._build(tranche, ledger, boundaries)
            self.segments[tranche] = segments
            self.starts[tranche] = [s.start for s in segments]
            self.unpriced[tranche] = [s for s in segments if s.unpriced]
            self.unpriced_ends[tranche] = [s.end or date.max for s in self.unpriced[tranche]]

    @property
    def priced(self) -> bool:
        return self.pricing.priced

    def _build(self, tranche: str, ledger: Ledger, boundaries: list[date]) -> list[Segment]:
        segments: list[Segment] = []
        accrued = ZERO
        with localcontext() as ctx:
            ctx.prec = PRECISION
            for i, start in enumerate(boundaries):
                end = boundaries[i + 1] if i + 1 < len(boundaries) else None
                principal = ledger.on(start).loan(tranche)
                rate: Rate | None = None
                if principal > 0:
                    try:
                        rate = self.pricing.rate(tranche, start)
                    except RecordError:
                        rate = None  # asked again, with the day in question, when interest over it is asked
                segment = Segment(start, end, principal, rate, accrued)
                if _continues(segments[-1] if segments else None, principal, rate, start):
                    previous = segments.pop()
                    segment = Segment(previous.start, end, previous.principal, previous.rate, previous.accrued_before)
                if end is not None:
                    accrued = segment.accrued_before + segment.interest_through(end - timedelta(days=1))
                segments.append(segment)
        return segments

    def _unpriced_error(self, tranche: str, segment: Segment, day: date) -> RecordError:
        try:
            self.pricing.rate(tranche, day)
            reason = f"no rate is known for {tranche} on {day}"
        except RecordError as exc:
            reason = str(exc)
        return RecordError(f"{reason}, and {money_human(segment.principal)} of {tranche} is outstanding: interest "
                           "cannot be computed (it is never taken as zero)")

    def accrued(self, tranche: str, start: date, end: date) -> Decimal:
        """Interest accrued on the days from start to end inclusive, at full precision."""
        if end < start:
            return ZERO
        # the first unpriced segment that ends after `start`: if it begins by `end`, the period has a day
        # with principal and no rate
        i = bisect_right(self.unpriced_ends[tranche], start)
        if i < len(self.unpriced[tranche]) and self.unpriced[tranche][i].start <= end:
            segment = self.unpriced[tranche][i]
            raise self._unpriced_error(tranche, segment, max(segment.start, start))
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return self._through(tranche, end) - self._through(tranche, start - timedelta(days=1))

    def _through(self, tranche: str, day: date) -> Decimal:
        i = bisect_right(self.starts[tranche], day) - 1
        if i < 0:
            return ZERO
        segment = self.segments[tranche][i]
        return segment.accrued_before + segment.interest_through(day)

    def accrued_total(self, start: date, end: date) -> Decimal:
        return sum((self.accrued(c, start, end) for c in self.tranches), start=ZERO)

    def first_day(self) -> date | None:
        starts = [s[0] for s in self.starts.values() if s]
        return min(starts) if starts else None

    def segments_between(self, tranche: str, start: date, end: date) -> list[tuple[date, date, Segment]]:
        """The parts of segments that fall in [start, end], each as (first day, last day, segment)."""
        parts = []
        for segment in self.segments[tranche]:
            seg_last = end if segment.end is None else segment.end - timedelta(days=1)
            lo, hi = max(segment.start, start), min(seg_last, end)
            if lo <= hi:
                parts.append((lo, hi, segment))
        return parts


def _continues(previous: Segment | None, principal: Decimal, rate: Rate | None, start: date) -> bool:
    """Whether a new boundary changes nothing, so the previous segment simply goes on. A year of 365 or
    366 days changes length on January 1: there a segment on that basis always ends."""
    if previous is None or previous.principal != principal:
        return False
    if rate is None or previous.rate is None:
        return rate is None and previous.rate is None
    if rate.basis == "actual/actual" and (start.month, start.day) == (1, 1):
        return False
    return rate.same(previous.rate)
