"""Reference rates: each declared index as a series of changes, from the shipped prime series, a rate
file in the facility's folder, and rate events (an event overrides the series on its day).

A day the series does not cover (before its first change, or after a file's `known_through` with no
event since) has no rate: asking for it is an error naming the index and the day, never zero and never
the last known (stale) rate.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta

from ..agreement.model import Agreement
from ..core.errors import RecordError
from ..market import RateChange, ShippedSeries


@dataclass(frozen=True)
class Series:
    index: str
    changes: tuple[RateChange, ...]  # sorted by effective date
    starts: tuple[date, ...]
    known_through: date | None       # None: rates hold until changed (a series of events only)
    from_events: frozenset[date]
    description: str

    @classmethod
    def build(cls, index: str, base: ShippedSeries | None, events, description: str) -> Series:
        by_day: dict[date, RateChange] = {c.effective: c for c in (base.changes if base else ())}
        for event in events:
            by_day[event.date] = RateChange(event.date, event.rate, event.where)
        changes = tuple(sorted(by_day.values(), key=lambda c: c.effective))
        return cls(index, changes, tuple(c.effective for c in changes), base.known_through if base else None,
                   frozenset(e.date for e in events), description)

    def on(self, day: date) -> RateChange | None:
        """The rate in force on a day; None where nothing says."""
        i = bisect_right(self.starts, day)
        if not i:
            return None
        change = self.changes[i - 1]
        if self.known_through is not None and day > self.known_through and change.effective not in self.from_events:
            return None
        return change

    def boundaries(self) -> list[date]:
        return list(self.starts) + ([self.known_through + timedelta(days=1)] if self.known_through else [])

    def unknown(self, day: date) -> RecordError:
        if not self.changes:
            return RecordError(f"the {self.index} rate on {day} is not known: no rate of it is recorded "
                               f"(give it with index_rate events)")
        through = self.known_through or "its last change"
        return RecordError(f"the {self.index} rate on {day} is not known: {self.description} runs from "
                           f"{self.changes[0].effective} to {through} and no rate event gives it")


class IndexBook:
    """Every declared index's series, built once per history."""

    def __init__(self, agreement: Agreement, shipped_prime: ShippedSeries, prime_events, index_events):
        self.series: dict[str, Series] = {}
        for index in agreement.vocabulary.indices:
            mine = [e for e in index_events if e.index == index.id]
            if index.series == "shipped":
                self.series[index.id] = Series.build(index.id, shipped_prime, list(prime_events) + mine,
                                                     "the shipped series")
            elif index.series == "file":
                self.series[index.id] = Series.build(index.id, agreement.rate_files.get(index.id), mine,
                                                     f"the rate file {index.file}")
            else:
                self.series[index.id] = Series.build(index.id, None, mine, "its rate events")

    def on(self, index: str, day: date) -> RateChange:
        series = self.series.get(index)
        if series is None:
            raise RecordError(f"no index {index!r} is declared")
        change = series.on(day)
        if change is None:
            raise series.unknown(day)
        return change

    def boundaries(self) -> set[date]:
        return {d for s in self.series.values() for d in s.boundaries()}
