"""The eligibility definition of a receivables collateral class: which invoices of the borrower's aging count,
by rules the agreement names (docs/eligibility.md, where the order they apply in is set down). Its result is
the class's value in the borrowing base lines."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ..core.types import Flag, Name, Strict, Text
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


class Eligibility(Strict):
    kind: Literal["eligibility"]
    collateral: Name
    label: Text
    rules: Rules = Rules()
    dilution_reserve: Reserve | None = None
    advance_rate: Share | None = None
