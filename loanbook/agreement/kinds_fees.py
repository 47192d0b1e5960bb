"""Kinds of clause that charge fees computed from the facility's use: a rate on an average daily amount
(an unused line fee, a letter of credit fee), and a share of the commitment on termination."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..core.types import IsoDate, Name, Strict, Text
from .kinds_pricing import DayBasis
from .quantity import AmountFormula, Rate, RateFormula


class ComputedFee(Strict):
    """rate (percent a year) x the daily amount `base` (floored at 0), accrued day by day over each period on
    the day basis, due after the period ends; the last period ends when the term ends or on Full Payment."""

    kind: Literal["computed_fee"]
    id: Name
    label: Text
    base: AmountFormula
    rate: RateFormula
    day_basis: DayBasis
    every: Literal["month", "quarter"]
    accrues_from: IsoDate
    due: Literal["last_day", "first_day_after", "first_business_day_after"] = "first_day_after"


class FeeWindow(Strict):
    start: IsoDate | None = Field(default=None, alias="from")
    end: IsoDate | None = Field(default=None, alias="to")
    percent: Rate


class TerminationFee(Strict):
    """A share of an amount (`of`, on the day) when the facility is terminated early, and of the amount of a
    reduction of the commitment, in dated windows; on acceleration too where the text says so."""

    kind: Literal["termination_fee"]
    id: Name
    label: Text
    of: AmountFormula
    windows: tuple[FeeWindow, ...] = Field(min_length=1)
    triggers: tuple[Literal["termination", "reduction", "acceleration"], ...] = ("termination",)

    @model_validator(mode="after")
    def _no_overlap(self):
        spans = sorted(self.windows, key=lambda w: (w.start is not None, w.start))
        for a, b in zip(spans, spans[1:]):
            if a.end is None or b.start is None or b.start <= a.end:
                raise ValueError("termination fee windows overlap")
        return self
