"""The eligibility definition of a collateral class: which items of a list count, by rules the agreement names
(docs/eligibility.md, where the order they apply in is set down). Receivables are the first list (an aging, its
invoices, `rules`); any other list (homes under construction, investors' uncalled commitments) declares its
columns (`items`) and takes the general rules (`item_rules`). Its result is the class's value in the borrowing
base lines."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ..core.types import Flag, Name, Strict, Text
from .defines import Reference
from .quantity import Rate

DAYS = Field(default=None, ge=0, le=3660)


def _share(value: Decimal) -> Decimal:
    """A limit or an advance rate: below 1% it is a fraction written for a percentage (0.25 for 25%)."""
    if not 1 <= value <= 100:
        raise ValueError(f"a percentage from 1 to 100 (25 or 25% is 25%), not {value}%")
    return value


def _cross_share(value: Decimal) -> Decimal:
    """Cross-aging may start at any aged share ("any invoice over 90 days": a tiny percent), never above all."""
    if not 0 < value <= 100:
        raise ValueError(f"a percentage above 0 and at most 100, not {value}%")
    return value


def _reserve(value: Decimal) -> Decimal:
    if not 0 <= value < 100:
        raise ValueError(f"a percentage from 0 and below 100, not {value}%")
    return value


Share = Annotated[Rate, AfterValidator(_share)]
CrossShare = Annotated[Rate, AfterValidator(_cross_share)]
Reserve = Annotated[Rate, AfterValidator(_reserve)]


class Aged(Strict):
    """More than N days from the invoice date, or more than M days past due (either or both)."""

    days_from_invoice: int | None = DAYS
    days_past_due: int | None = DAYS

    @model_validator(mode="after")
    def _some(self):
        if self.days_from_invoice is None and self.days_past_due is None:
            raise ValueError("give days_from_invoice, days_past_due or both")
        return self


class Older(Strict):
    """Older than N days: from the invoice date, or past due (one of them)."""

    days_from_invoice: int | None = DAYS
    days_past_due: int | None = DAYS

    @model_validator(mode="after")
    def _one(self):
        if (self.days_from_invoice is None) == (self.days_past_due is None):
            raise ValueError("give one of days_from_invoice and days_past_due")
        return self


class CrossAging(Aged):
    """A debtor whose share of aged debits (more than N days from invoice, or M past due: either or both) is at
    least the percent."""

    percent: CrossShare


class Concentration(Strict):
    percent: Share


class Rules(Strict):
    """Each rule is optional: what the agreement does not say is left out."""

    affiliates: Flag = False
    foreign: Flag = False            # ineligible unless insured
    government: Flag = False         # ineligible unless assigned
    disputed: Flag = False
    bill_and_hold: Flag = False
    consignment: Flag = False
    progress_billing: Flag = False
    aging: Aged | None = None
    credit_balances: Older | None = None
    cross_aging: CrossAging | None = None
    contra: Flag = False
    concentration: Concentration | None = None


# --- any other item list ---------------------------------------------------------------------------------


class ItemColumns(Strict):
    """Which column of the list holds each part of an item: its id and amount, and optionally its category and
    the group it belongs to (a project, an investor's sponsor)."""

    id: Name
    amount: Name
    category: Name | None = None
    group: Name | None = None


class ItemList(Strict):
    """The declared schema of an item list: the columns above, then the dates, flags (true/false) and text
    attributes (a rating) the rules read. Any other column of the file is ignored."""

    columns: ItemColumns
    dates: tuple[Name, ...] = ()
    flags: tuple[Name, ...] = ()
    attributes: tuple[Name, ...] = ()

    @model_validator(mode="after")
    def _distinct(self):
        named = [c for c in (self.columns.id, self.columns.amount, self.columns.category, self.columns.group) if c]
        named += [*self.dates, *self.flags, *self.attributes]
        twice = sorted({c for c in named if named.count(c) > 1})
        if twice:
            raise ValueError(f"a column is declared twice: {', '.join(twice)}")
        return self


class AgeRule(Strict):
    """More than N days since one of the item's dates (of the categories named; none: every item): ineligible,
    or the advance rate steps down to `rate`."""

    date: Name
    more_than_days: int = Field(ge=0, le=3660)
    categories: tuple[str, ...] = ()
    then: Literal["ineligible", "steps_down"] = "ineligible"
    rate: Share | None = None

    @model_validator(mode="after")
    def _rate(self):
        if (self.then == "steps_down") != (self.rate is not None):
            raise ValueError("then: steps_down goes with the rate it steps down to, and only with it")
        return self


class RatingRow(Strict):
    """One row of a rating table, best first: the grades that fall in it (of any agency), and what the row sets."""

    grades: tuple[str, ...] = Field(min_length=1)
    concentration: Share | None = None
    rate: Share | None = None


class RatingRule(Strict):
    """The lower of the item's ratings (`lower_of`, its attributes), mapped through a table whose rows run from the
    best grade down: an item whose lowest grade is in no row (below the lowest, or unknown) or that has no rating
    is ineligible, and flagged."""

    lower_of: tuple[Name, ...] = Field(min_length=1)
    table: tuple[RatingRow, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self):
        grades = [g for row in self.table for g in row.grades]
        twice = sorted({g for g in grades if grades.count(g) > 1})
        if twice:
            raise ValueError(f"a grade is in two rows of the rating table: {', '.join(twice)}")
        return self


class ItemRules(Strict):
    """The general rules, each optional (docs/eligibility.md, Other item lists)."""

    excluded_if: tuple[Name, ...] = Field(default=(), description="flags that make an item ineligible")
    categories: dict[str, Share | None] | None = Field(default=None, description="the eligible categories, each "
                                                                                 "with its advance rate (null: the "
                                                                                 "advance_rate)")
    age: tuple[AgeRule, ...] = ()
    rating: RatingRule | None = None
    concentration: Concentration | None = None
    group_cap: Concentration | None = None


class Eligibility(Strict):
    """A receivables class from an aging (`rules`, `dilution_reserve`), or, where `items` declares a list, any other
    class from that list (`item_rules`)."""

    kind: Literal["eligibility"]
    collateral: Name
    label: Text
    rules: Rules = Rules()
    dilution_reserve: Reserve | None = None
    advance_rate: Share | None = None
    items: ItemList | None = None
    item_rules: ItemRules | None = None

    @model_validator(mode="after")
    def _columns_known(self):
        if self.items is None:
            if self.item_rules is not None:
                raise ValueError("item_rules go with a declared item list (items); an aging takes rules")
            return self
        if self.rules != Rules() or self.dilution_reserve is not None:
            raise ValueError("an item list takes item_rules; rules and dilution_reserve are an aging's")
        rules, items = self.item_rules or ItemRules(), self.items
        problems = [f"excluded_if names {flag!r}, not a declared flag" for flag in rules.excluded_if
                    if flag not in items.flags]
        problems += [f"an age rule reads {rule.date!r}, not a declared date" for rule in rules.age
                     if rule.date not in items.dates]
        if rules.rating is not None:
            problems += [f"the rating rule reads {name!r}, not a declared attribute" for name in rules.rating.lower_of
                         if name not in items.attributes]
        if (rules.categories is not None or any(rule.categories for rule in rules.age)) and not items.columns.category:
            problems.append("rules by category need the list's category column (columns.category)")
        if rules.group_cap is not None and not items.columns.group:
            problems.append("a group cap needs the list's group column (columns.group)")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def references(self) -> list[Reference]:
        return [Reference("collateral", self.collateral, "eligibility.collateral")]
