"""Kinds of clause that charge fees computed from the facility's use: a rate on an average daily amount
(an unused line fee, a letter of credit fee), and a share of the commitment on termination."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, model_validator

from ..core.types import IsoDate, Money, Name, Strict, Text
from .defines import FormulaField, Reference
from .formula import MONEY, PERCENT
from .kinds_pricing import DayBasis
from .quantity import AmountFormula, Rate, RateFormula

MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
               "november", "december")
MonthName = Literal["january", "february", "march", "april", "may", "june", "july", "august", "september",
                    "october", "november", "december"]


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
    quarter_ends: tuple[MonthName, ...] = Field(default=(), description="the months whose last day ends a quarter "
                                                                     "(february, may, august, november); none: "
                                                                     "calendar quarters")
    accrues_from: IsoDate
    due: Literal["last_day", "first_day_after", "first_business_day_after"] = "first_day_after"

    @model_validator(mode="after")
    def _quarters(self):
        if not self.quarter_ends:
            return self
        if self.every != "quarter":
            raise ValueError("quarter_ends goes with every: quarter")
        months = sorted(self.end_months())
        if len(months) != 4 or any(b - a != 3 for a, b in zip(months, months[1:])):
            raise ValueError(f"quarter_ends names four months three apart (february, may, august, november), got "
                             f"{', '.join(self.quarter_ends)}")
        return self

    def formula_fields(self, known: Mapping[str, str], periods: Mapping[str, str]) -> list[FormulaField]:
        return [FormulaField(f"{self.id}.base", self.base, MONEY, known),
                FormulaField(f"{self.id}.rate", self.rate, PERCENT, known)]

    def end_months(self) -> tuple[int, ...]:
        """The quarter ends as month numbers (february is 2)."""
        return tuple(MONTH_NAMES.index(m) + 1 for m in self.quarter_ends)


class FlatFee(Strict):
    """A fee of a fixed amount due on a date (an upfront, closing or extension fee), or on a date and each
    anniversary of it while the facility runs (an annual agency fee payable in advance)."""

    kind: Literal["flat_fee"]
    id: Name
    label: Text
    amount: Money
    due: IsoDate
    every: Literal["year"] | None = None


class IssuanceFee(Strict):
    """A fee paid in advance when a contingent obligation is issued, for its whole term: rate (percent a year)
    x its face amount x the days from its issuance to its expiry, over the day basis' year ("concurrently with
    the issuance of each Letter of Credit ... per annum of the face amount ... for the term of such Letter of
    Credit")."""

    kind: Literal["issuance_fee"]
    id: Name
    label: Text
    contingents: tuple[Name, ...] = Field(min_length=1)
    rate: RateFormula
    day_basis: DayBasis

    def formula_fields(self, known: Mapping[str, str], periods: Mapping[str, str]) -> list[FormulaField]:
        return [FormulaField(f"{self.id}.rate", self.rate, PERCENT, known)]

    def references(self) -> list[Reference]:
        return [Reference("contingents", name, f"{self.id}.contingents") for name in self.contingents]


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

    def formula_fields(self, known: Mapping[str, str], periods: Mapping[str, str]) -> list[FormulaField]:
        return [FormulaField(f"{self.id}.of", self.of, MONEY, known)]
