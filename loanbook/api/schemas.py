"""The shapes of the API's answers, for the OpenAPI document: each route's success response gets a schema.

The endpoints build their JSON once (projection.py, shared with the CLI's --json) and send it as bytes, so these
models describe that JSON rather than produce it: every key is declared and typed (money a Decimal, a date a
date), and a key a model does not declare is refused. tests/api/test_openapi.py validates real answers against their
models and dumps each back to the JSON it read, so a model that drifts from the JSON fails there. In the JSON,
money is a string with two decimals, a rate a string in percent, a date an ISO string (CONTRACT.md). A status
also carries every named figure of the facility at its top level (the seed's `maximum_limit`, `advance_rate`
...): names the facility's terms give, so its model takes further keys, each a figure's value.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from ..core.dates import parse_timestamp
from ..core.types import IsoDate
from ..events.types import Event

_MONEY = r"^-?[0-9]+\.[0-9]{2}$"
_RATE = r"^-?[0-9]+\.[0-9]{2,6}$"
_EXACT = r"^-?[0-9]+(\.[0-9]+)?(E[+-]?[0-9]+)?$"


def _as_written(pattern: str, what: str) -> BeforeValidator:
    """A Decimal read from the JSON's own writing of it: a string of the pattern, never a JSON number and never
    a person's form ("1,275,000.00"), so a drift in the JSON's form fails validation."""
    form = re.compile(pattern)

    def read(value: object) -> Decimal:
        if not isinstance(value, str) or not form.fullmatch(value):
            raise ValueError(f"{what} is a string matching {pattern}, got {value!r}")
        return Decimal(value)
    return BeforeValidator(read)


def _text(pattern: str, example: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "examples": [example]})


_AS_TEXT = PlainSerializer(str, return_type=str, when_used="json")  # Decimal -> "1275000.00", as it was read

Money = Annotated[Decimal, _as_written(_MONEY, "money"), _AS_TEXT, _text(_MONEY, "1275000.00")]
# a percentage or a ratio with the precision it has, two to six places ("85.00", "49.375", "1.60"); a figure in
# its own unit (money, percent or number) is written so too
Rate = Annotated[Decimal, _as_written(_RATE, "a rate or ratio"), _AS_TEXT, _text(_RATE, "49.375")]
# interest at full precision, before only the month's total is rounded to the cent
Exact = Annotated[Decimal, _as_written(_EXACT, "an exact amount"), _AS_TEXT, _text(_EXACT, "1234.5678")]
Day = IsoDate  # "2002-10-15"
Moment = Annotated[datetime, BeforeValidator(lambda value: parse_timestamp(value, what="a time")),
                   PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
                   WithJsonSchema({"type": "string", "format": "date-time",
                                   "examples": ["2002-10-15T09:30:00+00:00"]})]


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Checked(Shape):
    checked: bool = Field(description="whether the facility's terms pass `loanbook check`")


class StoredFacility(Shape):
    id: str
    name: str
    events: int
    imported_at: Moment
    imported_from: str | None = Field(None, description="the Agent's only: absent for anyone else")
    head_hash: str


class FacilitiesOut(Shape):
    facilities: list[StoredFacility]


# --- status ----------------------------------------------------------------------------------------------

class Breach(Shape):
    rule: str
    clause: str
    tranche: str | None
    tranches: list[str] = Field(description="the tranches whose limit it is")
    amount: Money
    limit: Money
    message: str


class Cap(Shape):
    label: str | None
    value: Money
    formula: str | None


class BaseLine(Shape):
    id: str
    label: str | None
    value: Money | None
    collateral: str
    collateral_value: Money
    rate: Rate
    rate_formula: str | None
    caps: list[Cap]


class Reserve(Shape):
    id: str
    label: str | None
    value: Money | None


class BorrowingBase(Shape):
    id: str
    label: str
    lines: list[BaseLine]
    reserves: list[Reserve]
    collateral: dict[str, Money | None]
    total: Money | None


class Availability(Shape):
    id: str
    tranche: str
    capacity: Money
    usage: Money
    availability: Money | None
    excess_availability: Money | None
    ended: str | None = Field(description="why nothing more is lent (terminated or accelerated), or null")


class Overadvance(Shape):
    tranche: str
    clause: str
    overadvance: Money | None
    cap: Money | None
    limit: Money | None
    discretionary: bool
    total_ceiling: Money | None


class PastDue(Shape):
    what: str
    amount: Money
    due: Day
    days_past_due: int
    clause: str


class Springing(Shape):
    """A springing covenant in force on the day, its figure and threshold in the figure's unit."""

    covenant: str
    label: str
    clause: str
    figure: str
    value: Rate
    threshold: Rate
    since: Day
    value_then: Rate
    threshold_then: Rate
    trigger: str
    message: str


class Unmatched(Shape):
    grid: str
    label: str
    clause: str
    key: str
    value: str = Field(description="the key's value on the day: a number, or a rating grid's grades")
    level: str
    detail: str


class Condition(Shape):
    document: str
    id: str
    clause: str
    text: str
    status: str
    satisfied_on: Day | None
    gates: str | None = Field(description="the amendment an open condition holds back")


class Interpretation(Shape):
    id: str
    reading: str
    text: str
    why: str


class LenderShare(Shape):
    party: str
    share: Rate
    assumption: str | None
    principal: Money = Field(description="the Lender's pro-rata part of the principal outstanding")
    interest: Money = Field(description="its part of the interest accrued and unpaid")
    fees: Money = Field(description="its part of the fees owed")


class ClauseRef(Shape):
    clause: str
    title: str
    document: str
    document_id: str
    effective: Day
    text: str | None
    source: str | None


class Explanation(Shape):
    """A figure's explanation: its value, formula, clause and inputs, down to the clause text. A key is absent
    where it says nothing (no formula, no clause ...)."""

    figure: str
    value: str = Field(description="in its unit: money, a rate or a number as a string, a date, or words")
    unit: str
    not_reported: bool | None = None
    label: str | None = None
    formula: str | None = None
    clause: ClauseRef | None = None
    interpretation: Interpretation | None = None
    source: str | None = None
    flag: str | None = None
    inputs: list[Explanation] | None = None


class StatusOut(Checked):
    """As `loanbook status --json`, and every named figure of the facility at the top (further keys)."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Rate | None] = Field(init=False)
    as_of: Day
    borrowing_base: BorrowingBase | None
    availability: Money | None
    excess_availability: Money | None
    availabilities: list[Availability]
    overadvance: Money | None
    overadvance_cap: Money | None
    overadvance_limit: Money | None
    overadvances: list[Overadvance]
    loans: dict[str, Money]
    contingents: dict[str, Money]
    interest_accrued_unpaid: Money | None
    overdue_interest: Money | None
    expenses_unpaid: Money
    breaches: list[Breach]
    past_due: list[PastDue]
    springing: list[Springing]
    unmatched: list[Unmatched]
    pending_conditions: list[Condition]
    interpretations: list[Interpretation]
    lenders: list[LenderShare]
    borrowing_bases: list[BorrowingBase] | None = Field(None, description="present when there are several")
    explanation: dict[str, Explanation] | None = Field(None, description="with explain=true")


class ShareOut(Checked):
    as_of: Day
    lenders: list[LenderShare]


# --- fees, obligations, covenants, payoff -------------------------------------------------------------

class Waiver(Shape):
    cause: str
    day: Day
    document: str | None
    where: str | None


class Installment(Shape):
    component: str
    due: Day
    amount: Money
    status: str
    paid: Money
    provisional: bool
    waived_by: str | None
    waiver: Waiver | None


class Charge(Shape):
    fee: str
    label: str
    clause: str
    kind: str
    from_: Day = Field(alias="from")
    to: Day
    days: int
    basis: Money | None
    rate: Rate | None
    amount: Money
    due: Day
    status: str
    paid: Money


class FeesOut(Checked):
    as_of: Day
    fee: str | None
    clause: str | None = Field(None, description="absent when the facility has no installment fee")
    earned: bool | None
    installments: list[Installment]
    charges: list[Charge]
    total_due: Money
    total_waived: Money
    total_paid: Money
    total_scheduled: Money
    credit: Money


class Obligation(Shape):
    id: str
    clause: str
    kind: str
    deadline: Day | None
    status: str
    satisfied_on: Day | None
    detail: str
    obligation: str
    amount: Money | None


class ObligationsOut(Checked):
    as_of: Day
    obligations: list[Obligation]
    conditions: list[Condition]


class CovenantTest(Shape):
    covenant: str
    label: str
    clause: str
    test_date: Day
    test: str
    measure: Rate | None
    threshold: Rate | None
    status: str
    certificate_due: Day | None
    detail: str


class CovenantsOut(Checked):
    as_of: Day
    covenants: list[CovenantTest]


class WaivedInstallment(Shape):
    component: str
    due: Day
    amount: Money


class CollateralPart(Shape):
    contingent: str
    open: Money
    percent: Rate
    amount: Money
    source: str


class PayoffOut(Checked):
    on: Day
    loans: dict[str, Money]
    principal: Money
    interest: Money | None
    fees: Money
    expenses: Money
    total: Money
    would_waive: list[WaivedInstallment]
    cash_collateral: Money
    to_close: Money
    cash_collateral_parts: list[CollateralPart]


class ExplanationOut(Explanation):
    checked: bool


# --- series -----------------------------------------------------------------------------------------------

class TimelineDay(Shape):
    date: Day
    capacity: Money | None
    usage: Money | None
    availability: Money | None
    overadvance: Money | None
    overadvance_limit: Money | None
    loans: dict[str, Money]
    breach: bool
    breaches: list[str]


class TimelineOut(Checked):
    from_: Day = Field(alias="from")
    to: Day
    days: list[TimelineDay]


class InterestLine(Shape):
    from_: Day = Field(alias="from")
    to: Day
    days: int
    principal: Money
    rate: Rate | None
    rate_formula: str | None
    day_basis: str | None
    interest: Exact


class OverdueInterestLine(Shape):
    what: str
    due: Day
    from_: Day = Field(alias="from")
    to: Day
    days: int
    amount: Money
    rate: Rate
    already_accruing: Rate
    rate_formula: str
    day_basis: str
    clause: str
    interest: Exact


class TrancheMonth(Shape):
    interest: Money
    lines: list[InterestLine]


class InterestMonth(Shape):
    month: str
    from_: Day = Field(alias="from")
    to: Day
    interest: Money
    paid: Money
    unpaid_at_end: Money | None
    overdue: list[OverdueInterestLine]
    classes: dict[str, TrancheMonth]


class InterestOut(Checked):
    from_: Day = Field(alias="from")
    to: Day
    priced: bool
    months: list[InterestMonth]


# --- the record -------------------------------------------------------------------------------------------

class EventRow(Shape):
    seq: int
    key: str
    type: str
    date: Day
    recorded_at: Moment | None
    recorded_by: str | None
    event: Event = Field(description="the event as given, in the format of docs/events.md")
    hash: str


class EventsOut(Shape):
    facility: str
    events: list[EventRow]


class RecordedOut(Shape):
    facility: str
    keys: list[str]
    first_seq: int
    last_seq: int
    recorded_at: Moment


class AdvanceRequest(Shape):
    id: int
    facility: str
    tranche: str
    on: Day
    amount: Money
    requested_by: str
    requested_at: Moment
    judgement: str
    reasons: list[str]
    status: str
    decided_by: str | None
    decided_at: Moment | None
    event_key: str | None


class AdvanceRequestChecked(AdvanceRequest):
    checked: bool


class AdvanceRequestsOut(Shape):
    facility: str
    requests: list[AdvanceRequest]


# (method, path) -> the model of its success response
RESPONSES: dict[tuple[str, str], type[BaseModel]] = {
    ("get", "/facilities"): FacilitiesOut,
    ("get", "/facilities/{facility_id}"): StoredFacility,
    ("get", "/facilities/{facility_id}/status"): StatusOut,
    ("get", "/facilities/{facility_id}/share"): ShareOut,
    ("get", "/facilities/{facility_id}/fees"): FeesOut,
    ("get", "/facilities/{facility_id}/obligations"): ObligationsOut,
    ("get", "/facilities/{facility_id}/covenants"): CovenantsOut,
    ("get", "/facilities/{facility_id}/payoff"): PayoffOut,
    ("get", "/facilities/{facility_id}/explain/{figure}"): ExplanationOut,
    ("get", "/facilities/{facility_id}/timeline"): TimelineOut,
    ("get", "/facilities/{facility_id}/interest"): InterestOut,
    ("get", "/facilities/{facility_id}/events"): EventsOut,
    ("post", "/facilities/{facility_id}/events"): RecordedOut,
    ("post", "/facilities/{facility_id}/advance-requests"): AdvanceRequestChecked,
    ("get", "/facilities/{facility_id}/advance-requests"): AdvanceRequestsOut,
    ("get", "/facilities/{facility_id}/advance-requests/{request_id}"): AdvanceRequest,
    ("post", "/facilities/{facility_id}/advance-requests/{request_id}/decision"): AdvanceRequestChecked,
}


def with_response_schemas(app: FastAPI) -> None:
    """Give the app's OpenAPI document a schema for each route's success response (built once, on first ask)."""
    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for (method, path), model in RESPONSES.items():
            operation = document["paths"].get(path, {}).get(method)
            if operation is None:
                continue
            # as answers are written (serialization): an event's parser-only fields are not in its JSON
            shape = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True,
                                            mode="serialization")
            schemas.update(shape.pop("$defs", {}))
            schemas[model.__name__] = shape
            success = next(code for code in operation["responses"] if code.startswith("2"))
            operation["responses"][success]["content"] = {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
