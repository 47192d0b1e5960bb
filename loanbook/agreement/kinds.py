"""The kinds of clause. Terms are data (a facility's files); code knows only these shapes.

Each kind is a schema: a file that misspells a field, leaves one out or overlaps two windows is
refused when it is loaded, not when a figure is asked for. Names inside the terms (tranches,
collateral classes, documents, formulas' names) are the facility's own vocabulary; the loader checks
them against what `facility.yaml` declares.
"""
from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Annotated, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..core.types import Flag, IsoDate, Money, Name, Strict, Text, register_tags
from .defines import Defines, FigureFormula, FormulaField, Reference
from .formula import MONEY, NUMBER, PERCENT, Formula
from .kinds_commitments import CommitmentReduction, EventDate, Prepayments
from .kinds_covenants import Covenant, CovenantWaiver
from .kinds_eligibility import Eligibility
from .kinds_fees import ComputedFee, FlatFee, IssuanceFee, TerminationFee
from .kinds_pricing import DefaultRate, InterestRate, LevelGrid, Reporting
from .quantity import (
    RATE,
    AdvanceRateQuantity,
    AmountFormula,
    AmountQuantity,
    CapFormula,
    CapQuantity,
    CollateralRate,
    QuantityValue,
    Rate,
    figure_value,
    formulas_of,
    parse_bounded,
)

Unit = Literal["money", "percent", "number"]
OVERADVANCE_FIGURES = ("overadvance", "overadvance_cap", "overadvance_limit")  # what an overadvance clause defines


def _overlaps(spans: list[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Pairs of dated spans (end inclusive, None = open) that share a day; spans sorted by start."""
    clashes = []
    ordered = sorted(spans, key=lambda s: s[0])
    for (_, a_end), (b_start, _) in zip(ordered, ordered[1:]):
        if a_end is None or b_start <= a_end:
            clashes.append((b_start, a_end))
    return clashes


# --- figures: named formulas -------------------------------------------------------------------------

class NamedFigure(Strict):
    """A figure the agreement names ("Maximum Limit", "advance rate"), defined by a quantity."""

    id: Name
    label: Text
    unit: Unit = "money"
    value: QuantityValue

    @field_validator("value", mode="plain")
    @classmethod
    def _value(cls, raw: object, info: ValidationInfo):
        # read in the figure's own unit: a bare "85" in a percent figure is 85% (the one unit rule)
        return figure_value(raw, info.data.get("unit", MONEY))


def named(figures: tuple[NamedFigure, ...]) -> list[Defines]:
    """The figures a clause names, each holding the formulas of its value."""
    return [Defines(f.id, f.label, f.unit, "figure", f,
                    tuple(FigureFormula("value", x, f.unit) for x in formulas_of(f.value))) for f in figures]


class Definitions(Strict):
    """Figures a clause defines ("'Maximum Revolver Amount' means $500,000,000"; "'Line Cap' means the lesser
    of ..."): each a name other clauses' formulas use."""

    kind: Literal["definitions"]
    figures: tuple[NamedFigure, ...] = Field(min_length=1)

    def defines(self) -> list[Defines]:
        return named(self.figures)


class Cap(Strict):
    """A cap on a borrowing base line: an amount (a quantity, which may use `rate`, the line's own rate in
    force), or a share of the borrowing base's total."""

    amount: CapQuantity | None = None
    share_of_total: Rate | None = None
    label: Text | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.amount is None) == (self.share_of_total is None):
            raise ValueError("a cap is either an amount or a share_of_total")
        if self.share_of_total is not None and not 0 < self.share_of_total < 100:
            raise ValueError("share_of_total is a percentage between 0 and 100 (exclusive)")
        return self


class Line(Strict):
    """One line of a borrowing base: a collateral class's reported value times an advance rate, capped."""

    id: Name
    label: Text
    collateral: Name
    rate: AdvanceRateQuantity
    caps: tuple[Cap, ...] = ()


class Undelivered(Strict):
    document: Name
    due: IsoDate


class Reserve(Strict):
    """An amount taken off the borrowing base: fixed, a formula (a percentage of a quantity), in dated
    windows, or while a document is not delivered after its due date."""

    id: Name
    label: Text
    amount: AmountQuantity
    start: IsoDate | None = Field(default=None, alias="from")
    end: IsoDate | None = Field(default=None, alias="to")
    while_undelivered: Undelivered | None = None

    def in_force_by_date(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


class BorrowingBase(Strict):
    """Lines (collateral x rate, capped) less reserves: a named total that availability uses."""

    kind: Literal["borrowing_base"]
    id: Name
    label: Text
    figures: tuple[NamedFigure, ...] = ()
    lines: tuple[Line, ...] = Field(min_length=1)
    reserves: tuple[Reserve, ...] = ()

    @model_validator(mode="after")
    def _one_share_cap(self):
        if sum(1 for line in self.lines for cap in line.caps if cap.share_of_total is not None) > 1:
            raise ValueError("at most one line of a borrowing base may be capped by a share of the total")
        return self

    def defines(self) -> list[Defines]:
        """Its figures, each line (its rate, and its caps, which may use the line's `rate`), each reserve, and the
        total."""
        found = named(self.figures)
        for line in self.lines:
            caps = tuple(FigureFormula("caps", f, MONEY, {"rate": PERCENT})
                         for cap in line.caps if cap.amount is not None for f in formulas_of(cap.amount))
            found.append(Defines(line.id, line.label, MONEY, "line", line,
                                 tuple(FigureFormula("rate", f, PERCENT) for f in formulas_of(line.rate)) + caps))
        found += [Defines(r.id, r.label, MONEY, "reserve", r, tuple(FigureFormula("amount", f, MONEY)
                                                                    for f in formulas_of(r.amount)))
                  for r in self.reserves]
        return found + [Defines(self.id, self.label, MONEY, "borrowing_base")]

    def references(self) -> list[Reference]:
        """Each line's collateral class, and the document a reserve waits for."""
        return [*(Reference("collateral", line.collateral, f"{line.id}.collateral") for line in self.lines),
                *(Reference("documents", r.while_undelivered.document, f"{r.id}.while_undelivered")
                  for r in self.reserves if r.while_undelivered)]


class Borrowing(Strict):
    """How much one advance may be: at least `minimum`, in whole multiples of `multiple` ("each Borrowing shall be
    in an aggregate amount of $1,000,000 or an integral multiple of $500,000 in excess thereof": minimum
    1000000.00, multiple 500000.00, counted from the minimum)."""

    minimum: Money | None = None
    multiple: Money | None = None

    @model_validator(mode="after")
    def _positive(self):
        if self.multiple is not None and self.multiple <= 0:
            raise ValueError("a multiple is above zero")
        return self


class Availability(Strict):
    """What a revolving tranche may still borrow: max(0, capacity - usage), with the figures it needs, and how much
    one advance may be."""

    kind: Literal["availability"]
    id: Name = "availability"
    tranche: Name
    figures: tuple[NamedFigure, ...] = ()
    capacity: AmountFormula
    usage: AmountFormula | None = None
    excess_availability: AmountFormula | None = None
    advances: Borrowing | None = None

    def defines(self) -> list[Defines]:
        usage = (FigureFormula("usage", self.usage, MONEY),) if self.usage is not None else ()
        return named(self.figures) + [Defines(self.id, f"availability of {self.tranche}", MONEY, "availability",
                                              formulas=(FigureFormula("capacity", self.capacity, MONEY), *usage))]

    def references(self) -> list[Reference]:
        return [Reference("tranches", self.tranche, "availability.tranche", requires="revolving")]


class Overadvance(Strict):
    """Lending above capacity: Overadvance = max(0, usage - measured_against), within a cap and ceilings."""

    kind: Literal["overadvance"]
    tranche: Name
    measured_against: AmountFormula | None = None
    cap: CapQuantity
    ceilings: tuple[CapFormula, ...] = ()
    total_ceiling: CapFormula | None = None
    discretionary: Flag = True

    def defines(self) -> list[Defines]:
        """The three figures of the clause; the overadvance holds its formulas."""
        formulas = tuple(FigureFormula("cap", f, MONEY) for f in formulas_of(self.cap))
        formulas += tuple(FigureFormula("ceilings", f, MONEY) for f in self.ceilings)
        optional = (("measured_against", self.measured_against), ("total_ceiling", self.total_ceiling))
        formulas += tuple(FigureFormula(name, f, MONEY) for name, f in optional if f is not None)
        return [Defines(figure, figure.replace("_", " "), MONEY, "overadvance",
                        formulas=formulas if figure == "overadvance" else ())
                for figure in OVERADVANCE_FIGURES]

    def references(self) -> list[Reference]:
        return [Reference("tranches", self.tranche, "overadvance.tranche", requires="revolving")]


class PricingRow(Strict):
    start: IsoDate = Field(alias="from")
    end: IsoDate = Field(alias="to")
    loan_class: Name
    index: Name
    margin: Rate

    @model_validator(mode="after")
    def _ordered(self):
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self


class PricingGrid(Strict):
    """Rates by period and tranche: index plus margin, with the day basis of the option."""

    kind: Literal["pricing_grid"]
    day_basis: Literal["actual/360", "actual/365"]
    rows: tuple[PricingRow, ...]
    unavailable_options: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _no_overlap(self):
        for loan_class in sorted({r.loan_class for r in self.rows}):
            spans: list[tuple[date, date | None]] = [(r.start, r.end) for r in self.rows if r.loan_class == loan_class]
            for start, end in _overlaps(spans):
                raise ValueError(f"{loan_class} pricing periods overlap: {start} is already priced (to {end})")
        return self

    def row_on(self, loan_class: str, day: date) -> PricingRow | None:
        for row in self.rows:
            if row.loan_class == loan_class and row.start <= day <= row.end:
                return row
        return None

    @property
    def tranches(self) -> set[str]:
        return {r.loan_class for r in self.rows}

    def references(self) -> list[Reference]:
        """Each row's tranche and index."""
        return [reference for row in self.rows
                for reference in (Reference("tranches", row.loan_class, "pricing_grid.rows.loan_class"),
                                  Reference("indices", row.index, "pricing_grid.rows.index"))]


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
    id: Name
    label: Text | None = None   # the component as the agreement names it ("Base Fee")
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
    components: tuple[Name, ...]
    documents: tuple[Name, ...]
    received_by: IsoDate
    waives: Literal["due_on_or_after_receipt"]


class FullPaymentWaiver(Strict):
    """Full Payment before a date waives every installment due after the Full Payment Date."""

    kind: Literal["full_payment"]
    components: tuple[Name, ...]
    before: IsoDate | Literal["initial_term_end"]
    waives: Literal["due_after_payment"]


Waiver = Annotated[Union[DocumentReceivedWaiver, FullPaymentWaiver], Field(discriminator="kind")]


class InstallmentSchedule(Strict):
    """A fee in components of dated installments, with conditions that waive some of them."""

    kind: Literal["installment_schedule"]
    fee: Name
    label: Text | None = None   # the fee as the agreement names it ("Extension Fee"); words for people use it
    total: Money
    earned_on: Literal["execution"]
    components: tuple[FeeComponent, ...]
    waivers: tuple[Waiver, ...] = ()

    @property
    def named(self) -> str:
        """The fee in the agreement's words: its label, else its id in words."""
        return self.label or self.fee.replace("_", " ")

    def component_named(self, component: str) -> str:
        found = next((c for c in self.components if c.id == component), None)
        return found.label if found is not None and found.label else f"{component} component"

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

    def references(self) -> list[Reference]:
        """The documents whose receipt waives installments."""
        return [Reference("documents", document, "installment_schedule.waivers.documents") for waiver in self.waivers
                if isinstance(waiver, DocumentReceivedWaiver) for document in waiver.documents]


class SatisfyingDocument(Strict):
    document: Name
    accepted: Flag = True
    performance_by: IsoDate | None = Field(
        default=None, description="a date the document must provide for (an auction by ...)")


class DeadlineObligation(Strict):
    """Deliver one of these documents by a deadline (none: a condition with no date)."""

    kind: Literal["deadline_obligation"]
    id: Name
    obligation: Text
    deadline: IsoDate | None
    satisfied_by: tuple[SatisfyingDocument, ...]
    not_applicable_if_repaid_by_deadline: Flag = False

    def references(self) -> list[Reference]:
        return [Reference("documents", item.document, "deadline_obligation.satisfied_by.document")
                for item in self.satisfied_by]


class TriggeredObligation(Strict):
    """Something falls due when an event happens (sale closing, refinancing, a demand)."""

    kind: Literal["triggered_obligation"]
    id: Name
    trigger: Literal["sale_closed", "refinanced", "expense_demanded"]
    obligation: Text
    due: Literal["immediately", "on_demand"]
    instrument_dated: IsoDate | None = None
    tranches: tuple[Name, ...] = Field(default=(), description="refinanced: the tranches that fall due")

    def references(self) -> list[Reference]:
        return [Reference("tranches", name, "triggered_obligation.tranches") for name in self.tranches]


class RecurringObligation(Strict):
    """Something owed every so many days (weekly updates from the investment bankers)."""

    kind: Literal["recurring_obligation"]
    id: Name
    obligation: Text
    every_days: int = Field(gt=0, le=3660)
    counterparties: tuple[str, ...] = ()


def _after_maturity(raw: object) -> object:
    """`last_rate`, `default_rate`, or a rate of the agreement's own (a formula in percent)."""
    if raw in ("last_rate", "default_rate") or isinstance(raw, Formula):
        return raw
    return parse_bounded(raw, RATE)


AfterMaturity = Annotated[Union[Literal["last_rate", "default_rate"], Formula], BeforeValidator(_after_maturity),
                          PlainSerializer(lambda v: v if isinstance(v, str) else v.text)]


class Term(Strict):
    """The term of the facility (or of some tranches), its renewal, the maturity obligation at its end, and the
    rate on principal unpaid after it: the pricing of the term's last day (`last_rate`), that plus the default
    rate's margin (`default_rate`), or a rate the agreement gives (a formula in percent). Where the agreement is
    silent (none given) and no pricing is in force after the term, the last day's pricing is taken, and every
    figure that uses it says it is an assumption."""

    kind: Literal["term"]
    initial_term_end: IsoDate
    renewal_term: str | None = None
    maturity_obligation: Name = "maturity"
    tranches: tuple[Name, ...] = Field(default=(), description="the tranches it ends; none: every tranche")
    advances: Literal["through_end", "before_end"] = Field(
        default="through_end", description="whether an advance may still be made on the last day of the term")
    after_maturity: AfterMaturity | None = None

    def formula_fields(self, known: Mapping[str, str], periods: Mapping[str, str]) -> list[FormulaField]:
        """A rate of the agreement's own after maturity."""
        if isinstance(self.after_maturity, Formula):
            return [FormulaField("term.after_maturity", self.after_maturity, PERCENT, known)]
        return []

    def references(self) -> list[Reference]:
        return [Reference("tranches", name, "term.tranches") for name in self.tranches]


class CashCollateral(Strict):
    """Cash put up for contingent obligations still open when the loans are paid off: a percentage of each kind's
    open amount ("cash collateral equal to 105% of the Letter of Credit Obligations"). A percentage above 100 is
    usual here, up to twice the amount."""

    kind: Literal["cash_collateral"]
    percent: CollateralRate
    contingents: tuple[Name, ...] = Field(default=(), description="the contingent kinds; none: every kind")

    def references(self) -> list[Reference]:
        return [Reference("contingents", name, "cash_collateral.contingents") for name in self.contingents]


class AmortizationInstallment(Strict):
    due: IsoDate
    amount: Money


class Amortization(Strict):
    """A term tranche repaid in scheduled installments of principal."""

    kind: Literal["amortization"]
    id: Name
    tranche: Name
    installments: tuple[AmortizationInstallment, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self):
        dues = [i.due for i in self.installments]
        if dues != sorted(dues) or len(set(dues)) != len(dues):
            raise ValueError("installments are listed in date order, one per date")
        return self

    def references(self) -> list[Reference]:
        return [Reference("tranches", self.tranche, "amortization.tranche")]


TermsBlock = Annotated[
    Union[Definitions, BorrowingBase, Availability, Overadvance, PricingGrid, InstallmentSchedule, DeadlineObligation,
          TriggeredObligation, RecurringObligation, Term, Amortization, LevelGrid, InterestRate, DefaultRate,
          Reporting, ComputedFee, TerminationFee, FlatFee, IssuanceFee, Covenant, CovenantWaiver, Eligibility,
          CashCollateral, CommitmentReduction, Prepayments, EventDate],
    Field(discriminator="kind"),
]

def kind_name(kind: type[BaseModel]) -> str:
    """The `kind` a block of this class is written with ("pricing_grid")."""
    return typing.get_args(kind.model_fields["kind"].annotation)[0]


_BY_KIND: dict[str, type[BaseModel]] = {kind_name(model): model
                                         for model in typing.get_args(typing.get_args(TermsBlock)[0])}


@cache
def _every_kind() -> TypeAdapter:
    return TypeAdapter(tuple[TermsBlock, ...])


def validate_terms(blocks: object) -> tuple:
    """A list of terms blocks, each validated by its own kind's model: only the kinds a facility uses are built
    (building every kind's validator was a seventh of a cold `loanbook status`). A block that names no kind, or
    one that fails, is validated again by the union of every kind, so that the ValidationError reads exactly as it
    always has."""
    if isinstance(blocks, list):
        models = [_BY_KIND.get(block["kind"]) if isinstance(block, dict) and isinstance(block.get("kind"), str)
                  else None for block in blocks]
        if all(models):
            try:
                return tuple(_validated(model, block)  # type: ignore[arg-type]
                             for model, block in zip(models, blocks))
            except ValidationError:
                pass
    return _every_kind().validate_python(blocks)


_VALIDATED: dict[tuple[type[BaseModel], str], BaseModel] = {}
_KEPT = 4096  # blocks remembered per process: a generated book of 10,000 facilities repeats about 3,000
_PLAIN = (str, int, bool, Decimal, type(None))


def _validated(model: type[BaseModel], block: dict) -> BaseModel:
    """A block's model, validated once per content in a process: a book's facilities repeat the same blocks, and
    validation is a pure function of the data (and of this code, which a process cannot change). Safe to share, as
    the models are immutable. Only data of plain types is keyed (its repr is its content, type for type: 5, '5',
    Decimal('5') and Decimal('5.0') differ); a block that fails is never kept."""
    if not _plain(block):
        return model.model_validate(block)
    key = (model, repr(block))
    found = _VALIDATED.get(key)
    if found is None:
        found = model.model_validate(block)
        if len(_VALIDATED) >= _KEPT:
            _VALIDATED.clear()
        _VALIDATED[key] = found
    return found


def _plain(value: object) -> bool:
    kind = type(value)
    if kind is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())  # type: ignore[attr-defined]
    if kind is list:
        return all(_plain(v) for v in value)  # type: ignore[attr-defined]
    return kind in _PLAIN


KINDS = ("definitions", "borrowing_base", "availability", "overadvance", "pricing_grid", "installment_schedule",
         "deadline_obligation", "triggered_obligation", "recurring_obligation", "term", "amortization", "level_grid",
         "interest_rate", "default_rate", "reporting", "computed_fee", "termination_fee", "flat_fee", "issuance_fee",
         "covenant", "covenant_waiver", "eligibility", "cash_collateral", "commitment_reduction", "prepayments",
         "event_date")
register_tags(*KINDS, "document_received", "full_payment")
UNITS = (MONEY, PERCENT, NUMBER)
