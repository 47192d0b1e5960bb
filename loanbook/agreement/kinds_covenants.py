"""Kinds of clause that test the borrower: financial covenants on reported period figures, and waivers."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from ..core.types import IsoDate, Name, Number, Strict, Text
from .defines import FormulaField, Reference
from .formula import MONEY
from .quantity import QuantityValue, SettledFormula, threshold_value


class Springing(Strict):
    """A test that applies to a test date only while a figure of that day is below a threshold."""

    figure: Name
    below: SettledFormula  # in the figure's unit, settled when the facility is loaded


class Covenant(Strict):
    """A measure of each test period (a formula of the figures a certificate reports) at least or at most a
    threshold (a number, or a schedule by test date), tested every month, quarter or year."""

    kind: Literal["covenant"]
    id: Name
    label: Text
    measure: SettledFormula  # its unit is checked against `unit` when the facility is loaded
    unit: Literal["number", "money", "percent"] = "number"
    test: Literal["at_least", "at_most"]
    threshold: QuantityValue
    every: Literal["month", "quarter", "year"]
    first_test: IsoDate
    certificate: Name
    periods_from: IsoDate | None = Field(default=None, description="the end of the first period annualised() "
                                                                    "counts; by default first_test")
    applies_while: Springing | None = None
    round_to: int | None = Field(default=None, ge=0, le=6, description="decimal places the measure is rounded "
                                                                        "to, half up, before it is compared")

    @field_validator("threshold", mode="plain")
    @classmethod
    def _threshold(cls, raw: object, info: ValidationInfo):
        # read in the covenant's unit: a percent covenant's "25" is 25% (the one unit rule)
        return threshold_value(raw, info.data.get("unit", "number"))

    def formula_fields(self, known: Mapping[str, str], periods: Mapping[str, str]) -> list[FormulaField]:
        """Its measure, in its unit, of the engine's figures and the certificate's period figures; and the threshold
        of a springing test, in its figure's unit."""
        found = [FormulaField(f"{self.id}.measure", self.measure, self.unit, {**known, **periods})]
        if self.applies_while is not None:
            found.append(FormulaField(f"{self.id}.applies_while.below", self.applies_while.below,
                                      known.get(self.applies_while.figure, MONEY), known))
        return found

    def references(self) -> list[Reference]:
        """The figure a springing test reads, and the certificate."""
        springing = self.applies_while
        found = [] if springing is None else [Reference("figures", springing.figure, f"{self.id}.applies_while")]
        return found + [Reference("documents", self.certificate, f"{self.id}.certificate")]


class WaiverCondition(Strict):
    document: Name
    by: IsoDate


class CovenantWaiver(Strict):
    """A covenant waived for named test dates, with a floor that still applies, on a condition."""

    kind: Literal["covenant_waiver"]
    covenant: Name
    test_dates: tuple[IsoDate, ...] = Field(min_length=1)
    floor: Number | None = None
    condition: WaiverCondition | None = None
    label: Text | None = None

    def references(self) -> list[Reference]:
        """The covenant it waives (one of the agreement's), and the document its condition asks for."""
        found = [Reference("covenants", self.covenant, "covenant_waiver.covenant")]
        if self.condition is not None:
            found.append(Reference("documents", self.condition.document, "covenant_waiver.condition.document"))
        return found
