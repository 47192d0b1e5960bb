"""The event types of CONTRACT.md. Each is immutable and knows where it came from (file, position)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import Field

from ..core.types import IsoDate, Money, Percent, Strict, register_tags

LoanName = Literal["advances", "term_loan"]
DeliverableDocument = Literal["purchase_offer", "financing_commitment", "texas_property_offer",
                              "auction_agreement", "executed_originals"]


class EventBase(Strict):
    date: IsoDate
    recorded_at: datetime | None = Field(default=None, description="when the event was recorded (bitemporal)")
    note: str | None = None
    illustrative: bool = False
    # where the event came from; set by the parser, never read from the file
    source_file: str = Field(default="", exclude=True)
    index: int = Field(default=0, exclude=True)
    line: int | None = Field(default=None, exclude=True)

    @property
    def position(self) -> str:
        """The event's position in its file, as problems name it: 'event 3 (line 14)'."""
        line = f" (line {self.line})" if self.line else ""
        return f"event {self.index + 1}{line}"

    @property
    def where(self) -> str:
        return f"{self.source_file}: {self.position}"


class OpeningBalance(EventBase):
    type: Literal["opening_balance"]
    loan: LoanName
    amount: Money


class BorrowingBaseReport(EventBase):
    type: Literal["borrowing_base_report"]
    receivables_borrowing_base: Money


class Advance(EventBase):
    type: Literal["advance"]
    amount: Money


class Repayment(EventBase):
    type: Literal["repayment"]
    loan: LoanName
    amount: Money


class ContingentIssued(EventBase):
    type: Literal["contingent_issued"]
    kind: Literal["letter_of_credit", "bankers_acceptance", "letter_of_guaranty"]
    id: str
    amount: Money


class ContingentClosed(EventBase):
    type: Literal["contingent_closed"]
    id: str


class TermLoanReserve(EventBase):
    type: Literal["term_loan_reserve"]
    amount: Money


class PrimeRate(EventBase):
    type: Literal["prime_rate"]
    rate: Percent


class AmendmentExecuted(EventBase):
    type: Literal["amendment_executed"]
    amendment: str


class DocumentDelivered(EventBase):
    type: Literal["document_delivered"]
    document: DeliverableDocument
    accepted: bool = True


class FeePayment(EventBase):
    type: Literal["fee_payment"]
    amount: Money


class InterestPayment(EventBase):
    type: Literal["interest_payment"]
    amount: Money


class ExpenseDemanded(EventBase):
    type: Literal["expense_demanded"]
    amount: Money
    description: str


class ExpensePayment(EventBase):
    type: Literal["expense_payment"]
    amount: Money


class Refinanced(EventBase):
    type: Literal["refinanced"]


class PaidInFull(EventBase):
    type: Literal["paid_in_full"]


class SaleClosed(EventBase):
    """The sale under the Purchase Offer closed (Section 10.19): the mandatory prepayment falls due."""

    type: Literal["sale_closed"]
    net_proceeds: Money | None = None


Event = Annotated[
    Union[OpeningBalance, BorrowingBaseReport, Advance, Repayment, ContingentIssued, ContingentClosed,
          TermLoanReserve, PrimeRate, AmendmentExecuted, DocumentDelivered, FeePayment, InterestPayment,
          ExpenseDemanded, ExpensePayment, Refinanced, PaidInFull, SaleClosed],
    Field(discriminator="type"),
]

EVENT_TYPES = ("opening_balance", "borrowing_base_report", "advance", "repayment", "contingent_issued",
               "contingent_closed", "term_loan_reserve", "prime_rate", "amendment_executed",
               "document_delivered", "fee_payment", "interest_payment", "expense_demanded", "expense_payment",
               "refinanced", "paid_in_full", "sale_closed")
register_tags(*EVENT_TYPES)
