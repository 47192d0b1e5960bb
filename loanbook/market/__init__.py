"""Market data the project ships: the prime rate series."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

from ..core.dates import parse_iso_date
from ..core.money import parse_percent
from ..core.yamlio import load_yaml


@dataclass(frozen=True)
class RateChange:
    effective: date
    rate: Decimal  # percent
    source: str


@dataclass(frozen=True)
class ShippedSeries:
    changes: tuple[RateChange, ...]
    known_through: date  # after this day the shipped series says nothing

    @property
    def known_from(self) -> date:
        """Before this day the shipped series says nothing either."""
        return self.changes[0].effective


def read_series(data: object, file: str) -> ShippedSeries:
    """A rate series as a file writes it: `source`, `known_through` and `changes` ({from, rate})."""
    from ..core.errors import InputError, Problem

    if not isinstance(data, dict) or not isinstance(data.get("changes"), list) or not data["changes"]:
        raise InputError([Problem(file, None, None, "a rate series has source, known_through and changes "
                                                    "(a list of {from, rate})")])
    try:
        changes = tuple(sorted((RateChange(parse_iso_date(row["from"], what="from"),
                                           parse_percent(row["rate"], what="rate"), str(data.get("source", file)))
                                for row in data["changes"]), key=lambda c: c.effective))
        through = parse_iso_date(data["known_through"], what="known_through")
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError([Problem(file, None, "changes",
                                  f"a change is {{from: DATE, rate: PERCENT}}: {exc}")]) from None
    return ShippedSeries(changes, through)


@functools.cache
def shipped_prime_series() -> ShippedSeries:
    """The Federal Reserve H.15 bank prime loan rate, each change from its effective date (read once: it is
    part of the package, immutable)."""
    resource = resources.files(__package__) / "prime_rate.yaml"
    return read_series(load_yaml(Path("prime_rate.yaml"), text=resource.read_text(encoding="utf-8")).data,
                       "prime_rate.yaml")
