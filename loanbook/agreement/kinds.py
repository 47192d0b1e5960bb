"""The kinds of clause. Terms are data (a facility's files); code knows only these shapes.

Each kind is a schema: a file that misspells a field, leaves one out or overlaps two windows is
refused when it is loaded, not when a figure is asked for.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from ..core.types import IsoDate, Money, Percent, Strict, register_tags

ContingentKind = Literal["bankers_acceptance", "letter_of_guaranty", "letter_of_credit"]
LoanClass = Literal["advances", "term_loan"]


def _overlaps(spans: list[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Pairs of dated spans (end inclusive, None = open) that share a day; spans sorted by start."""
    clashes = []
    ordered = sorted(spans, key=lambda s: s[0])
    for (a_start, a_end), (b_start, b_end) in zip(ordered, ordered[1:]):
        if a_end is None or b_start <= a_end:
            clashes.append((b_start, a_end))
    return clashes


class LesserOfLimit(Strict):
    """Borrowing Capacity: the lesser of a Maximum Limit and an advance rate times a base, less deductions."""

    kind: Literal["lesser_of_limit"]
    maximum_limit: Money
    advance_rate: Percent = Field(description="percent of the base; 'up to': the Agent may lower it")
    base: Literal["receivables_borrowing_base"]
    deductions: tuple[ContingentKind, ...] = ()


class CapWindow(Strict):
    start: IsoDate = Field(alias="from")
    end: IsoDate | None = Field(default=None, alias="to", description="inclusive; none = open-ended")
    cap: Money

    @model_validator(mode="after")
    def _ordered(self):
        if self.end is not None and self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")
        return self


class WindowedCap(Strict):
    """A cap that changes in dated windows, with a second ceiling (Overadvances, Schedule Item 1)."""

    kind: Literal["windowed_cap"]
    measures: Literal["overadvance"] = "overadvance"
    measured_against: Literal["borrowing_capacity", "iec_borrowing_capacity"]
    windows: tuple[CapWindow, ...]
    second_ceiling: Literal["term_loan_reserve"] | None = None
    total_ceiling: Literal["maximum_limit"] | None = None
    discretionary: bool = True

    @model_validator(mode="after")
    def _no_overlap(self):
        for start, end in _overlaps([(w.start, w.end) for w in self.windows]):
            raise ValueError(f"cap windows overlap: one starting {start} begins before the previous ends ({end})")
        return self


class PricingRow(Strict):
    start: IsoDate = Field(alias="from")
    end: IsoDate = Field(alias="to")
    loan_class: LoanClass
    index: Literal["prime"]
    margin: Percent

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self


class PricingGrid(Strict):
    """Rates by period and loan class: index plus margin, with the day basis of the option."""

    kind: Literal["pricing_grid"]
    day_basis: Literal["actual/360", "actual/365"]
    rows: tuple[PricingRow, ...]
    unavailable_options: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _no_overlap(self):
        for loan_class in ("advances", "term_loan"):
            spans = [(r.start, r.end) for r in self.rows if r.loan_class == loan_class]
            for start, end in _overlaps(spans):
                raise ValueError(f"{loan_class} pricing periods overlap: {start} is already priced (to {end})")
        return self

    def row_on(self, loan_class: str, day: date) -> PricingRow | None:
        for row in self.rows:
            if row.loan_class == loan_class and row.start <= day <= row.end:
                return row
        return None


class Installment(Strict):
    due: IsoDate | Literal["execution"]
    amount: Money
    provisional_due: IsoDate | None = Field(
        default=None, description="the date shown while an execution-dated installment's execution is not recorded")

    @model_validator(mode="after")
    def _provisional(self):
        if self.due == "execution" and self.provisional_due is None:
            raise ValueError("an installment due on execution needs provisional_due")
        return self


class FeeComponent(Strict):
    id: str
    total: Money
    installments: tuple[Installment, ...]

    @model_validator(mode="after")
    def _adds_up(self):
        parts = sum((i.amount for i in self.installments), start=Decimal(0))
        if parts != self.total:
            raise ValueError(f"component {self.id}: installments add up to {parts}, not the total {self.total}")
        return self


class DocumentReceivedWaiver(Strict):
    """Receiving one of these documents by a date waives the named components' later installments."""

    kind: Literal["document_received"]
    components: tuple[str, ...]
    documents: tuple[str, ...]
    received_by: IsoDate
    waives: Literal["due_on_or_after_receipt"]


class FullPaymentWaiver(Strict):
    """Full Payment before a date waives every installment due after the Full Payment Date."""

    kind: Literal["full_payment"]
    components: tuple[str, ...]
    before: IsoDate | Literal["initial_term_end"]
    waives: Literal["due_after_payment"]


Waiver = Annotated[Union[DocumentReceivedWaiver, FullPaymentWaiver], Field(discriminator="kind")]


class InstallmentSchedule(Strict):
    """A fee in components of dated installments, with conditions that waive some of them."""

    kind: Literal["installment_schedule"]
    fee: str
    total: Money
    earned_on: Literal["execution"]
    components: tuple[FeeComponent, ...]
    waivers: tuple[Waiver, ...] = ()

    @model_validator(mode="after")
    def _consistent(self):
        parts = sum((c.total for c in self.components), start=Decimal(0))
        if parts != self.total:
            raise ValueError(f"components add up to {parts}, not the total {self.total}")
        ids = {c.id for c in self.components}
        for waiver in self.waivers:
            unknown = set(waiver.components) - ids
            if unknown:
                raise ValueError(f"waiver names unknown component(s) {sorted(unknown)}")
        return self


class SatisfyingDocument(Strict):
    document: str
    accepted: bool = True
    performance_by: IsoDate | None = Field(
        default=None, description="a date the document must provide for (an auction by ...)")


class DeadlineObligation(Strict):
    """Deliver one of these documents by a deadline (none: a condition with no date)."""

    kind: Literal["deadline_obligation"]
    id: str
    obligation: str
    deadline: IsoDate | None
    satisfied_by: tuple[SatisfyingDocument, ...]
    not_applicable_if_repaid_by_deadline: bool = False


class TriggeredObligation(Strict):
    """Something falls due when an event happens (sale closing, refinancing, a demand)."""

    kind: Literal["triggered_obligation"]
    id: str
    trigger: Literal["sale_closed", "refinanced", "expense_demanded"]
    obligation: str
    due: Literal["immediately", "on_demand"]
    instrument_dated: IsoDate | None = None


class RecurringObligation(Strict):
    """Something owed every so many days (weekly updates from the investment bankers)."""

    kind: Literal["recurring_obligation"]
    id: str
    obligation: str
    every_days: int = Field(gt=0)
    counterparties: tuple[str, ...] = ()


class Term(Strict):
    """The Initial Term, its renewal, and the maturity obligation at its end."""

    kind: Literal["term"]
    initial_term_end: IsoDate
    renewal_term: str | None = None
    maturity_obligation: str = "maturity"


TermsBlock = Annotated[
    Union[LesserOfLimit, WindowedCap, PricingGrid, InstallmentSchedule, DeadlineObligation,
          TriggeredObligation, RecurringObligation, Term],
    Field(discriminator="kind"),
]

KINDS = ("lesser_of_limit", "windowed_cap", "pricing_grid", "installment_schedule", "deadline_obligation",
         "triggered_obligation", "recurring_obligation", "term")
register_tags(*KINDS, "document_received", "full_payment")
