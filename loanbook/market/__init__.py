"""Market data the project ships: the prime rate series."""
from __future__ import annotations

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


def shipped_prime_series() -> ShippedSeries:
    """The Federal Reserve H.15 bank prime loan rate, each change from its effective date."""
    resource = resources.files(__package__) / "prime_rate.yaml"
    data = load_yaml(Path("prime_rate.yaml"), text=resource.read_text(encoding="utf-8")).data
    assert isinstance(data, dict)
    changes = tuple(RateChange(parse_iso_date(row["from"]), parse_percent(row["rate"]), data["source"])
                    for row in data["changes"])
    return ShippedSeries(changes, parse_iso_date(data["known_through"]))
