"""Kinds of clause that price the loans: level grids keyed on a measure, interest rates as formulas of
indices and grid figures, the default rate, and the recurring reports that drive them."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..core.money import parse_money, parse_number
from ..core.periods import month_day
from ..core.types import Flag, IsoDate, Name, Number, Strict, Text
from .defines import Defines, FormulaField, Reference
from .formula import PERCENT
from .quantity import RATE, Holds, Rate, RateFormula, SettledFormula, parse_constant

DayBasis = Literal["actual/360", "actual/365", "actual/actual"]


class Level(Strict):
    """One row of a grid: the measure's range as the text bounds it, both ends optional."""

    level: str = Field(max_length=20)
    grades: tuple[str, ...] = Field(default=(), description="in a grid keyed on ratings: the grades (of any agency) "
                                                           "in this level")
    lower: Number | None = None
    lower_inclusive: Flag = True
    upper: Number | None = None
    upper_inclusive: Flag = False

    def contains(self, value: Decimal) -> bool:
        if self.lower is not None and (value < self.lower or (value == self.lower and not self.lower_inclusive)):
            return False
        if self.upper is not None and (value > self.upper or (value == self.upper and not self.upper_inclusive)):
            return False
        return True

    def text(self) -> str:
        if self.grades:
            return f"rated {', '.join(self.grades)}"
        parts = []
        if self.lower is not None:
            parts.append(f"{'at least' if self.lower_inclusive else 'above'} {self.lower}")
        if self.upper is not None:
            parts.append(f"{'at most' if self.upper_inclusive else 'below'} {self.upper}")
        return " and ".join(parts) or "any value"


class LevelValues(Strict):
    """A column of a grid: a figure whose value is the one of the level in force (a margin, a fee rate)."""

    id: Name
    label: Text
    unit: Literal["percent", "money", "number"] = "percent"
    basis_points: Flag = Field(default=False, description="the values are written in basis points, as the "
                                                          "table gives them (100.00 is 1.00%)")
    by_level: dict[str, Decimal]

    @field_validator("by_level", mode="plain")
    @classmethod
    def _values(cls, raw: object, info: ValidationInfo) -> dict[str, Decimal]:
        """Each value in the column's unit: a percentage by the one unit rule ("1.00", "1.00%", "100bp"), or a
        number of basis points where the column says so, or money, or a number."""
        if not isinstance(raw, dict):
            raise ValueError("by_level maps each level to its value")
        unit, points = info.data.get("unit", "percent"), info.data.get("basis_points", False)
        values = {}
        for level, written in raw.items():
            try:
                if unit == "money":
                    values[str(level)] = parse_money(written, what="a value")
                elif unit == "number":
                    values[str(level)] = parse_number(written, what="a value")
                elif points:
                    values[str(level)] = parse_constant(written, _BASIS_POINTS)
                else:
                    values[str(level)] = parse_constant(written, RATE)
            except ValueError as exc:
                raise ValueError(f"level {level}: {exc}") from None
        return values

    def value(self, level: str) -> Decimal:
        written = self.by_level[level]
        return written / 100 if self.basis_points else written


_BASIS_POINTS = Holds("number", high=Decimal(10_000), what="a number of basis points (100% is 10,000)")


class ForcedWindow(Strict):
    level: str
    start: IsoDate = Field(alias="from")
    end: IsoDate | None = Field(default=None, alias="to")


class LateRule(Strict):
    """The level forced while a certificate is late, and from when."""

    level: str
    starts: Literal["day_after_due", "first_of_next_month_after_due", "period_start"] = "day_after_due"


class LowerOf(Strict):
    """The lower of several ratings (each a rating measure), as a grid's key."""

    lower_of: tuple[Name, ...] = Field(min_length=1)


EffectiveRule = Literal["next_month_after_delivery", "next_quarter_after_delivery", "on_delivery",
                        "business_days_after_delivery", "pricing_periods", "daily"]


class LevelGrid(Strict):
    """Levels by a reported measure (a ratio, average usage) or by a key the engine computes (the loans outstanding
    over a reported EBITDA, each day's usage), each giving the values of its columns; when a reported level takes
    effect, and the levels forced in an initial period, while a certificate is late or while an Event of Default
    continues."""

    kind: Literal["level_grid"]
    id: Name
    label: Text
    measure: Name | None = Field(default=None, description="a measure a certificate reports")
    key: SettledFormula | None = Field(default=None, description="instead of a measure, a formula of the "
                                                                 "certificate's period figures and the engine's "
                                                                 "figures (engine/keys.py)")
    ratings: LowerOf | None = Field(default=None, description="instead of a measure, the lower of ratings a "
                                                              "certificate reports (levels by grades, best first)")
    unit: Literal["number", "money", "percent"] = Field(default="number", description="the key's unit; the "
                                                                                     "levels' bounds are in it")
    certificate: Name | None = Field(default=None, description="the document whose delivery reports the measure "
                                                               "(none with takes_effect: daily)")
    periods_from: IsoDate | None = Field(default=None, description="the end of the first period annualised() "
                                                                   "counts in the key")
    unmatched: str | None = Field(default=None, description="where the levels leave gaps as the text does: the "
                                                            "level a value in no level takes, always flagged")
    levels: tuple[Level, ...] = Field(min_length=1)
    values: tuple[LevelValues, ...] = Field(min_length=1)
    takes_effect: EffectiveRule
    business_days: int | None = Field(default=None, ge=0, le=60)
    period_starts: tuple[str, ...] = Field(default=(), description="pricing periods' first days, as MM-DD")
    forced: tuple[ForcedWindow, ...] = ()
    while_late: LateRule | None = None
    while_default: str | None = None
    until_reported: str | None = Field(default=None, description="the level the agreement sets until a certificate "
                                                                 "first reports the measure (\"Level III until the "
                                                                 "first Compliance Certificate\")")
    round_to: int | None = Field(default=None, ge=0, le=6, description="places the reported measure is rounded "
                                                                        "to, half up, before its level is found")

    def defines(self) -> list[Defines]:
        """Each column: a figure whose value is the level's in force."""
        return [Defines(column.id, column.label, column.unit, "level_value", column) for column in self.values]

    def formula_fields(self, known: Mapping[str, str], periods: Mapping[str, str]) -> list[FormulaField]:
        """Its key, in its unit: of the engine's figures and the certificate's period figures (a key read each day
        has no certificate: only the engine's figures)."""
        if self.key is None:
            return []
        names = known if self.takes_effect == "daily" else {**known, **periods}
        return [FormulaField(f"{self.id}.key", self.key, self.unit, names, share_is_percent=True)]

    def references(self) -> list[Reference]:
        """The certificate, and the measure or the ratings it is keyed on (each a rating)."""
        found = []
        if self.certificate is not None:
            found.append(Reference("documents", self.certificate, f"{self.id}.certificate"))
        if self.measure is not None:
            found.append(Reference("measures", self.measure, f"{self.id}.measure"))
        found += [Reference("measures", name, f"{self.id}.ratings.lower_of", requires="rating")
                  for name in (self.ratings.lower_of if self.ratings else ())]
        return found

    @property
    def key_text(self) -> str:
        """What the grid is keyed on, as the terms write it."""
        if self.ratings is not None:
            return f"the lower of {', '.join(self.ratings.lower_of)}"
        return self.key.text if self.key is not None else str(self.measure)

    @model_validator(mode="after")
    def _consistent(self):
        if [self.measure, self.key, self.ratings].count(None) != 2:
            raise ValueError("a grid is keyed on a measure, on a key (a formula) or on ratings, one of the three")
        if self.key is None and self.unit != "number":
            raise ValueError("unit is the unit of a key; a measure has its own")
        if (self.takes_effect == "daily") != (self.certificate is None):
            raise ValueError("takes_effect: daily reads the key each day, with no certificate; any other takes_effect "
                             "needs the certificate that reports the figures")
        if self.takes_effect == "daily" and self.key is None:
            raise ValueError("takes_effect: daily reads a key (a formula of the engine's figures), not a measure")
        if self.takes_effect == "daily" and (self.while_late or self.until_reported):
            raise ValueError("a key read each day has no certificate to be late or not yet reported")
        if self.key is not None and "annualised" in self.key.names_called and self.periods_from is None:
            raise ValueError("annualised() counts periods from the first one: say periods_from (its end)")
        names = [level.level for level in self.levels]
        if len(set(names)) != len(names):
            raise ValueError("a level is listed twice")
        known = set(names)
        for column in self.values:
            if set(column.by_level) != known:
                raise ValueError(f"{column.id} gives values for {sorted(column.by_level)}, not for the levels "
                                 f"{sorted(known)}")
        for level in [w.level for w in self.forced] + [x for x in (self.while_default, self.until_reported,
                                                                    self.while_late and self.while_late.level,
                                                                    self.unmatched) if x]:
            if level not in known:
                raise ValueError(f"forced level {level!r} is not one of the levels {sorted(known)}")
        if (self.takes_effect == "business_days_after_delivery") != (self.business_days is not None):
            raise ValueError("business_days goes with takes_effect: business_days_after_delivery, and only with it")
        if (self.takes_effect == "pricing_periods") != bool(self.period_starts):
            raise ValueError("period_starts goes with takes_effect: pricing_periods, and only with it")
        for start in self.period_starts:
            if month_day(start) is None:
                raise ValueError(f"a period start is MM-DD, a day of the month (02-29: the last day of February), "
                                 f"got {start!r}")
        if self.ratings is not None:
            _check_grades(self.levels, self.unmatched)
            return self
        if any(level.grades for level in self.levels):
            raise ValueError("grades go with a grid keyed on ratings")
        gaps = _check_partition(self.levels)
        if gaps and self.unmatched is None:
            raise ValueError(f"{gaps[0]} (resolve the boundary with an interpretation, or, where the text leaves the "
                             "gap, say unmatched: the level such a value takes, flagged each time)")
        return self

    def level_of(self, value: Decimal) -> Level | None:
        """The level a value falls in; None for a value in a gap the text leaves."""
        return next((lv for lv in self.levels if lv.contains(value)), None)

    def level_of_grades(self, grades: list[str]) -> Level | None:
        """The level of the lower of some ratings: the lowest level any of them is in (levels run best first);
        None when one of them is in no level (below the lowest, or a grade the grid does not know)."""
        found = [next((i for i, lv in enumerate(self.levels) if grade in lv.grades), None) for grade in grades]
        if not found or None in found:
            return None
        return self.levels[max(i for i in found if i is not None)]


def _check_grades(levels: tuple[Level, ...], unmatched: str | None) -> None:
    """A grid keyed on ratings: each level its grades and no bounds, no grade in two levels, and the level a grade
    in none takes (a rating below the lowest row is always possible)."""
    for level in levels:
        if not level.grades or level.lower is not None or level.upper is not None:
            raise ValueError(f"level {level.level}: a grid keyed on ratings gives each level its grades, and no bounds")
    grades = [g for level in levels for g in level.grades]
    twice = sorted({g for g in grades if grades.count(g) > 1})
    if twice:
        raise ValueError(f"a grade is in two levels: {', '.join(twice)}")
    if unmatched is None:
        raise ValueError("a grid keyed on ratings says unmatched: the level a rating in no level (below the lowest, "
                         "or unknown) takes, flagged each time")


def _check_partition(levels: tuple[Level, ...]) -> list[str]:
    """The levels cover every value of the measure at most once (an overlap is refused, naming the value); the
    gaps they leave, each named."""
    ordered = sorted(levels, key=lambda lv: (lv.lower is not None, lv.lower or 0))
    gaps = []
    if ordered[0].lower is not None:
        gaps.append(f"no level covers values below {ordered[0].lower}")
    if ordered[-1].upper is not None:
        gaps.append(f"no level covers values above {ordered[-1].upper}")
    for a, b in zip(ordered, ordered[1:]):
        if a.upper is None or b.lower is None or a.upper > b.lower or \
                (a.upper == b.lower and a.upper_inclusive and b.lower_inclusive):
            raise ValueError(f"levels {a.level} ({a.text()}) and {b.level} ({b.text()}) overlap: a value falls in "
                             "two levels")
        if a.upper < b.lower:
            gaps.append(f"levels {a.level} ({a.text()}) and {b.level} ({b.text()}) do not meet: values between them "
                        "fall in no level")
        elif not a.upper_inclusive and not b.lower_inclusive:
            gaps.append(f"the value {a.upper} falls in no level: level {a.level} is {a.text()} and level "
                        f"{b.level} is {b.text()}")
    return gaps


class Prong(Strict):
    """One prong of a rate defined as "the greatest of" several, on its own day basis (prime on actual/360,
    the federal funds rate on actual/365)."""

    label: Text | None = None
    rate: RateFormula
    day_basis: DayBasis


class InterestRate(Strict):
    """A tranche's rate as a formula in percent (index, the greatest of indices, a grid's margin), on a
    day basis. `actual/actual` is actual days over the year's own length (365 or 366). Where the rate is the
    greatest of prongs that accrue on different day bases, `greatest_of` lists them and `plus` what is added
    to the winner: each day's interest is on the basis of the prong that wins that day."""

    kind: Literal["interest_rate"]
    tranche: Name
    label: Text | None = None
    rate: RateFormula | None = None
    day_basis: DayBasis | None = None
    greatest_of: tuple[Prong, ...] = ()
    plus: RateFormula | None = None

    @model_validator(mode="after")
    def _one_shape(self):
        if self.greatest_of:
            if len(self.greatest_of) < 2:
                raise ValueError("greatest_of lists two prongs or more")
            if self.rate is not None or self.day_basis is not None:
                raise ValueError("a rate of greatest_of prongs takes each prong's rate and day_basis: give no rate "
                                 "or day_basis beside them")
        elif self.rate is None or self.day_basis is None:
            raise ValueError("give rate and day_basis, or greatest_of (prongs, each with its day basis)")
        elif self.plus is not None:
            raise ValueError("plus goes with greatest_of; write a margin inside rate")
        return self

    def formula_fields(self, known: Mapping[str, str], periods: Mapping[str, str]) -> list[FormulaField]:
        """Its rate, or each prong's and what is added to the winner: percentages of the engine's figures."""
        at = f"interest_rate.{self.tranche}"
        found = [FormulaField(f"{at}.rate", self.rate, PERCENT, known)] if self.rate is not None else []
        found += [FormulaField(f"{at}.greatest_of[{i}].rate", prong.rate, PERCENT, known)
                  for i, prong in enumerate(self.greatest_of)]
        if self.plus is not None:
            found.append(FormulaField(f"{at}.plus", self.plus, PERCENT, known))
        return found

    def references(self) -> list[Reference]:
        return [Reference("tranches", self.tranche, "interest_rate.tranche")]


class DefaultRate(Strict):
    """While an Event of Default continues: a margin added to the rate of the tranches (all, if none named)
    ("two percentage points above the rate otherwise applicable"), or a rate that replaces it ("in lieu of"
    the rate otherwise applicable); and the same for the computed fees named in `fees` (a letter of credit
    fee "increased to two percentage points above"). With `overdue`, also on each amount not paid when due
    ("any amount not paid when due shall bear interest at the Default Rate"): overdue principal of the
    tranches at their rate plus the margin (or at the rate), and, where a rate is given for no tranche in
    particular, overdue fees at it."""

    kind: Literal["default_rate"]
    margin: Rate | None = None
    rate: RateFormula | None = Field(default=None, description="the rate that applies in lieu of the contract rate")
    tranches: tuple[Name, ...] = ()
    fees: tuple[Name, ...] = Field(default=(), description="computed fees whose rate the default raises (or "
                                                           "replaces); none: no fee")
    overdue: Flag = Field(default=False, description="the rate applies, too, to each amount not paid when due, "
                                                     "from the day after it fell due until paid, default or not")
    day_basis: DayBasis | None = Field(default=None, description="with overdue and rate, naming no tranche: the day "
                                                                 "basis of the interest on overdue fees")

    @model_validator(mode="after")
    def _margin_or_rate(self):
        if (self.margin is None) == (self.rate is None):
            raise ValueError("a default rate gives a margin (added to the rate otherwise applicable) or a rate (in "
                             "lieu of it), one of the two")
        for_fees = self.overdue and self.rate is not None and not self.tranches
        if for_fees and self.day_basis is None:
            raise ValueError("an overdue rate for every amount (overdue: true with rate, naming no tranche) needs "
                             "day_basis: the basis of the interest on overdue fees, which have none of their own")
        if self.day_basis is not None and not for_fees:
            raise ValueError("day_basis is the basis of overdue fees' interest: give it only with overdue: true "
                             "and rate, naming no tranche (a tranche's overdue principal takes the tranche's)")
        return self

    def formula_fields(self, known: Mapping[str, str], periods: Mapping[str, str]) -> list[FormulaField]:
        return [FormulaField("default_rate.rate", self.rate, PERCENT, known)] if self.rate is not None else []

    def references(self) -> list[Reference]:
        """The tranches, and the fees it raises: each a computed fee of the agreement."""
        return [*(Reference("tranches", name, "default_rate.tranches") for name in self.tranches),
                *(Reference("computed_fees", name, "default_rate.fees") for name in self.fees)]


class Reporting(Strict):
    """A document due every period (a month, a quarter, a year), a number of days after the period ends."""

    kind: Literal["reporting"]
    id: Name
    document: Name
    every: Literal["month", "quarter", "year"]
    first_period_end: IsoDate
    due_days_after: int = Field(ge=0, le=366)
    label: Text | None = None
    delivered_with: Literal["borrowing_base_report"] | None = Field(
        default=None, description="a borrowing_base_report event delivers the document too: it satisfies the period "
                                  "it names (period_end), else the last period ended before its day")

    def references(self) -> list[Reference]:
        return [Reference("documents", self.document, f"{self.id}.document")]
