"""The event types of CONTRACT.md, in their general form. Each is immutable and knows where it came from.

Names in events (tranches, collateral classes, contingent kinds, documents, measures) are the
facility's declared vocabulary; the parser checks them (`parse.py`). Every event has a key: its `id`
when the file gives one, else one derived from its type, date and place among that day's events of
its type, so that a later correction can name it.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Union, get_args

from pydantic import AfterValidator, Field, model_validator

from ..core.errors import Problem
from ..core.types import Flag, IsoDate, Money, Name, Percent, Strict, Text, Timestamp, register_tags

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-/]{0,79}")
_DERIVED_KEY = re.compile(r"[a-z_]{1,40}@\d{4}-\d{2}-\d{2}#\d{1,7}")


def _event_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError("an event id is 1 to 80 letters, digits or _ . : - / (starting with a letter or digit)")
    return value


def _event_key(value: str) -> str:
    if not (_ID.fullmatch(value) or _DERIVED_KEY.fullmatch(value)):
        raise ValueError("an event's key is its id, or type@date#n for an event without one "
                         "(like borrowing_base_report@2002-10-10#1)")
    return value


EventId = Annotated[str, AfterValidator(_event_id)]
EventKey = Annotated[str, AfterValidator(_event_key)]


class EventBase(Strict):
    date: IsoDate
    id: EventId | None = None
    recorded_at: Timestamp | None = Field(default=None, description="when the event was recorded (bitemporal)")
    supersedes: EventKey | None = Field(default=None, description="the key of an earlier event this one corrects")
    note: Text | None = None
    illustrative: Flag = False
    # where the event came from; set by the parser, never read from the file
    source_file: str = Field(default="", exclude=True)
    seq: int = Field(default=0, exclude=True)  # its place in its file, from 0
    line: int | None = Field(default=None, exclude=True)
    key: str = Field(default="", exclude=True)

    @property
    def position(self) -> str:
        """The event's position in its file, as problems name it: 'event 3 (line 14)'."""
        return self.position_at(self.line)

    def position_at(self, line: int | None) -> str:
        """The event's position naming a line of its own (a field's): 'event 3 (line 16)'."""
        return f"event {self.seq + 1}" + (f" (line {line})" if line else "")

    def problem(self, field: str | None, message: str) -> Problem:
        """A problem with this event: its position in words, and its place as data (`Problem.event`)."""
        return Problem(self.source_file, self.position, field, message, self.seq)

    @property
    def where(self) -> str:
        return f"{self.source_file}: {self.position}"

    @property
    def recorded(self) -> datetime | None:
        return self.recorded_at


class OpeningBalance(EventBase):
    type: Literal["opening_balance"]
    loan: Name
    amount: Money


class BorrowingBaseReport(EventBase):
    """Reported values by collateral class (and any measures the report gives). The one-class shorthand
    `receivables_borrowing_base` is the value of the facility's only collateral class."""

    type: Literal["borrowing_base_report"]
    receivables_borrowing_base: Money | None = None
    values: dict[Name, Money] | None = None
    measures: dict[Name, object] | None = None
    period_end: IsoDate | None = Field(default=None, description="the period it reports, where a reporting clause "
                                                                 "counts it as the certificate's delivery")
    evidence: dict[Name, object] | None = Field(default=None, description="what the values were computed from "
                                                "(bbc compute: the certificate and the aging file's SHA-256)")

    @model_validator(mode="after")
    def _one_form(self):
        if (self.receivables_borrowing_base is None) == (self.values is None):
            raise ValueError("give either values (by collateral class) or receivables_borrowing_base")
        if self.values is not None and not self.values:
            raise ValueError("values is empty: give at least one collateral class")
        return self


class Advance(EventBase):
    type: Literal["advance"]
    amount: Money
    loan: Name | None = None


class Repayment(EventBase):
    type: Literal["repayment"]
    loan: Name
    amount: Money


class ContingentIssued(EventBase):
    """A contingent obligation opened; its `id` is the obligation's (and this event's) id."""

    type: Literal["contingent_issued"]
    kind: Name
    id: EventId
    amount: Money
    expires: IsoDate | None = None  # its expiry date, where a fee is paid for its term at issuance

    @model_validator(mode="after")
    def _expires_later(self):
        if self.expires is not None and self.expires <= self.date:
            raise ValueError(f"expires ({self.expires}) comes after the day it is issued ({self.date})")
        return self


class ContingentClosed(EventBase):
    """A contingent obligation closed; `id` names the obligation (this event's own key is derived)."""

    type: Literal["contingent_closed"]
    id: EventId


class TermLoanReserve(EventBase):
    """Shorthand of CONTRACT.md: the measure `term_loan_reserve` reported."""

    type: Literal["term_loan_reserve"]
    amount: Money


class MeasureReported(EventBase):
    type: Literal["measure_reported"]
    measure: Name
    value: object


class PrimeRate(EventBase):
    type: Literal["prime_rate"]
    rate: Percent


class IndexRate(EventBase):
    """A declared index's rate from that day until its next change."""

    type: Literal["index_rate"]
    index: Name
    rate: Percent


class DefaultDeclared(EventBase):
    """An Event of Default declared (the default rate and forced levels apply from this day)."""

    type: Literal["default_declared"]
    description: Text | None = None


class DefaultEnded(EventBase):
    """The continuing Event of Default cured or waived (from this day it no longer continues)."""

    type: Literal["default_ended"]
    how: Literal["cured", "waived"]


class Terminated(EventBase):
    """The borrower terminated the commitments (a termination fee may fall due)."""

    type: Literal["terminated"]


class CommitmentReduced(EventBase):
    """A commitment reduced by an amount: a termination fee on reductions charges it, and where a
    `commitment_reduction` clause governs the figure (`commitment`, optional when one clause is in force), the
    figure is lower from this day."""

    type: Literal["commitment_reduced"]
    amount: Money
    commitment: Name | None = None


class Accelerated(EventBase):
    """The Obligations accelerated after an Event of Default."""

    type: Literal["accelerated"]


class AmendmentExecuted(EventBase):
    type: Literal["amendment_executed"]
    amendment: str = Field(max_length=80)


class DocumentDelivered(EventBase):
    """A deliverable received; a periodic report names its period's last day, and a certificate the
    figures it reports (period measures, by name)."""

    type: Literal["document_delivered"]
    document: Name
    accepted: Flag = True
    period_end: IsoDate | None = None
    figures: dict[Name, object] | None = None


class FeePayment(EventBase):
    """Paid toward a fee: `fee` names it (a computed fee's id); without it, the installment fee."""

    type: Literal["fee_payment"]
    amount: Money
    fee: Name | None = None


class InterestPayment(EventBase):
    type: Literal["interest_payment"]
    amount: Money


class ExpenseDemanded(EventBase):
    type: Literal["expense_demanded"]
    amount: Money
    description: Text


class ExpensePayment(EventBase):
    type: Literal["expense_payment"]
    amount: Money


class Refinanced(EventBase):
    type: Literal["refinanced"]


class PaidInFull(EventBase):
    type: Literal["paid_in_full"]


class SaleClosed(EventBase):
    """The sale under a purchase offer closed: a mandatory prepayment falls due."""

    type: Literal["sale_closed"]
    net_proceeds: Money | None = None


class Voided(EventBase):
    """Withdraws the event it supersedes: a correction that leaves nothing in its place."""

    type: Literal["voided"]
    supersedes: EventKey  # required here


Event = Annotated[
    Union[OpeningBalance, BorrowingBaseReport, Advance, Repayment, ContingentIssued, ContingentClosed,
          TermLoanReserve, MeasureReported, PrimeRate, IndexRate, AmendmentExecuted, DocumentDelivered, FeePayment,
          InterestPayment, ExpenseDemanded, ExpensePayment, Refinanced, PaidInFull, SaleClosed, DefaultDeclared,
          DefaultEnded, Terminated, CommitmentReduced, Accelerated, Voided],
    Field(discriminator="type"),
]

EVENT_TYPES = ("opening_balance", "borrowing_base_report", "advance", "repayment", "contingent_issued",
               "contingent_closed", "term_loan_reserve", "measure_reported", "prime_rate", "index_rate",
               "amendment_executed", "document_delivered", "fee_payment", "interest_payment", "expense_demanded",
               "expense_payment", "refinanced", "paid_in_full", "sale_closed", "default_declared", "default_ended",
               "terminated", "commitment_reduced", "accelerated", "voided")
register_tags(*EVENT_TYPES)
# each type's model, to validate an event by its own type's model only: a union of every type is built whole on
# first use, every type's validator at once (the cold start of `loanbook status`, docs/performance.md)
EVENT_MODELS: dict[str, type[EventBase]] = {get_args(model.model_fields["type"].annotation)[0]: model
                                            for model in get_args(get_args(Event)[0])}
MeasureValue = Decimal
