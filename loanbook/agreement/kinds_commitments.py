"""Kinds of clause that let events move the agreement's figures and dates: a voluntary reduction of a commitment,
the order in which prepayments meet a schedule of installments, and a date the agreement defines by an event
("the Reduction Date")."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Literal

from pydantic import Field, model_validator

from ..core.types import Flag, IsoDate, Money, Name, Strict, Text
from .defines import FormulaField, Reference
from .formula import MONEY
from .quantity import AmountFormula


class CommitmentReduction(Strict):
    """The borrower's right to reduce a commitment ("voluntarily to reduce, permanently and irrevocably, in
    aggregate principal amounts in an integral multiple of $500,000 but not less than $2,000,000 ... the then
    undisbursed portion"): each `commitment_reduced` event lowers the named figure from its date, and every
    figure built on it with it. A reduction off the clause (below the minimum, off the multiple, or below the
    floor) is refused."""

    kind: Literal["commitment_reduction"]
    commitment: Name = Field(description="the named figure (money) that reductions lower")
    minimum: Money | None = None
    multiple: Money | None = None
    counted_from: Literal["zero", "minimum"] = Field(
        default="zero", description="multiples of the amount itself (an integral multiple of $500,000), or above "
                                    "the minimum ($1,000,000 or an integral multiple of $500,000 in excess thereof)")
    floor: AmountFormula | None = Field(default=None, description="the commitment may not be reduced below it (the "
                                                                  "usage: \"not less than the Revolver Usage\")")
    whole_allowed: Flag = Field(default=False, description="a reduction of all that is left may be below the "
                                                           "minimum or off the multiple")

    @model_validator(mode="after")
    def _positive(self):
        if self.multiple is not None and self.multiple <= 0:
            raise ValueError("a multiple is above zero")
        return self

    def formula_fields(self, known: Mapping[str, str], periods: Mapping[str, str]) -> list[FormulaField]:
        return [FormulaField("commitment_reduction.floor", self.floor, MONEY, known)] if self.floor is not None else []

    def references(self) -> list[Reference]:
        """The commitment it lowers: a money figure a clause names."""
        return [Reference("money_figures", self.commitment, "commitment_reduction.commitment")]


class Prepayments(Strict):
    """How a prepayment of a tranche meets its scheduled installments ("applied to the then most remote
    Amortization Amount": inverse order of maturity; "ratably to the remaining installments": pro rata). A
    repayment first pays what is already due; the rest is a prepayment, applied in this order."""

    kind: Literal["prepayments"]
    tranche: Name
    order: Literal["earliest_first", "inverse_order_of_maturity", "pro_rata"]

    def references(self) -> list[Reference]:
        return [Reference("tranches", self.tranche, "prepayments.tranche")]


class EventDate(Strict):
    """A date the agreement defines by an event ("'Reduction Date' means the date of the first reduction of the
    Commitments", "the date the first Compliance Certificate is delivered"): the date of the event's first (or
    latest) occurrence, moved by `offset_days`; until one has happened, `otherwise` (or no date yet). With
    `whichever: earlier` or `later`, the earlier or later of the event's date and `otherwise` ("the earlier of
    March 31, 2024 and the date of ...")."""

    kind: Literal["event_date"]
    id: Name
    label: Text
    event: Literal["document_delivered", "borrowing_base_report", "commitment_reduced", "amendment_executed",
                   "default_declared", "terminated"]
    document: Name | None = Field(default=None, description="document_delivered: the document; amendment_executed: "
                                                            "the amendment")
    occurrence: Literal["first", "latest"] = "first"
    offset_days: int = Field(default=0, ge=-366, le=3660)
    otherwise: IsoDate | None = None
    whichever: Literal["event", "earlier", "later"] = "event"

    @model_validator(mode="after")
    def _consistent(self):
        if (self.event in ("document_delivered", "amendment_executed")) != (self.document is not None):
            raise ValueError("document goes with event: document_delivered or amendment_executed, and only with them")
        if self.whichever != "event" and self.otherwise is None:
            raise ValueError(f"whichever: {self.whichever} compares the event's date with `otherwise`: give it")
        return self

    def references(self) -> list[Reference]:
        """The document whose delivery dates it (an amendment's execution names an amendment, not a document)."""
        if self.event == "document_delivered" and self.document:
            return [Reference("documents", self.document, f"{self.id}.document")]
        return []

    def resolve(self, dates: list[date]) -> date | None:
        """The date on a day, from the dates the event happened by that day (in order)."""
        happened = None
        if dates:
            happened = (dates[0] if self.occurrence == "first" else dates[-1]) + timedelta(days=self.offset_days)
        if happened is None:
            return self.otherwise
        if self.whichever == "earlier" and self.otherwise is not None:
            return min(happened, self.otherwise)
        if self.whichever == "later" and self.otherwise is not None:
            return max(happened, self.otherwise)
        return happened
