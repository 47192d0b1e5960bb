"""The shapes of the API's answers, for the OpenAPI document: each route's success response gets a schema.

The endpoints build their JSON once (projection.py, shared with the CLI's --json) and send it as bytes, so these
models describe that JSON rather than produce it; tests/test_openapi.py validates every answer of the seed
against its model, so a model that drifts from the JSON fails there. Money is a string with two decimals, a
rate a string in percent, a date an ISO string (CONTRACT.md). A status also carries every named figure of the
facility at its top level (the seed's `maximum_limit`, `advance_rate` ...): its model allows those keys.
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict, Field

Money = str      # "1275000.00"
Day = str        # "2002-10-15"


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Checked(Shape):
    checked: bool = Field(description="whether the facility's terms pass `loanbook check`")


class StoredFacility(Open):
    id: str
    name: str
    events: int
    imported_at: str
    imported_from: str | None = None
    head_hash: str


class FacilitiesOut(Shape):
    facilities: list[StoredFacility]


class Breach(Shape):
    rule: str
    clause: str
    tranche: str | None
    amount: Money
    limit: Money
    message: str


class BaseLine(Shape):
    id: str
    label: str | None
    value: Money | None
    collateral: str
    collateral_value: Money
    rate: str
    rate_formula: str | None
    caps: list[dict[str, Any]]


class BorrowingBase(Shape):
    id: str
    label: str
    lines: list[BaseLine]
    reserves: list[dict[str, Any]]
    collateral: dict[str, Money | None]
    total: Money | None


class LenderShare(Shape):
    party: str
    share: str
    assumption: str | None
    principal: Money = Field(description="the Lender's pro-rata part of the principal outstanding")
    interest: Money = Field(description="its part of the interest accrued and unpaid")
    fees: Money = Field(description="its part of the fees owed")


class StatusOut(Checked):
    """As `loanbook status --json`, and every named figure of the facility at the top (extra keys)."""

    model_config = ConfigDict(extra="allow")
    as_of: Day
    borrowing_base: BorrowingBase | None
    availability: Money | None
    excess_availability: Money | None
    availabilities: list[dict[str, Any]]
    overadvance: Money | None
    overadvance_cap: Money | None
    overadvance_limit: Money | None
    overadvances: list[dict[str, Any]]
    loans: dict[str, Money]
    contingents: dict[str, Money]
    interest_accrued_unpaid: Money | None
    overdue_interest: Money | None = None
    expenses_unpaid: Money
    breaches: list[Breach]
    past_due: list[dict[str, Any]]
    pending_conditions: list[dict[str, Any]]
    interpretations: list[dict[str, Any]]
    lenders: list[LenderShare]
    borrowing_bases: list[BorrowingBase] | None = None
    explanation: dict[str, dict[str, Any]] | None = None


class ShareOut(Checked):
    as_of: Day
    lenders: list[LenderShare]


class Installment(Shape):
    component: str
    due: Day
    amount: Money
    status: str
    paid: Money
    provisional: bool
    waived_by: str | None
    waiver: dict[str, Any] | None


class FeesOut(Checked):
    as_of: Day
    fee: str | None
    clause: str | None = None
    earned: bool | None
    installments: list[Installment]
    charges: list[dict[str, Any]]
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
    conditions: list[dict[str, Any]]


class CovenantTest(Shape):
    covenant: str
    label: str
    clause: str
    test_date: Day
    test: str
    measure: str | None
    threshold: str | None
    status: str
    certificate_due: Day | None
    detail: str


class CovenantsOut(Checked):
    as_of: Day
    covenants: list[CovenantTest]


class PayoffOut(Checked):
    on: Day
    loans: dict[str, Money]
    principal: Money
    interest: Money | None
    fees: Money
    expenses: Money
    total: Money
    would_waive: list[dict[str, Any]]
    cash_collateral: Money
    to_close: Money
    cash_collateral_parts: list[dict[str, Any]]


class ExplanationOut(Open):
    """A figure's explanation: its value, formula, clause and inputs, down to the clause text."""

    checked: bool
    figure: str
    value: Any
    unit: str


class TimelineOut(Checked):
    from_: Day = Field(alias="from")
    to: Day
    days: list[dict[str, Any]]


class InterestOut(Checked):
    from_: Day = Field(alias="from")
    to: Day
    priced: bool
    months: list[dict[str, Any]]


class EventRow(Shape):
    seq: int
    key: str
    type: str
    date: Day
    recorded_at: str | None
    recorded_by: str | None
    event: dict[str, Any]
    hash: str


class EventsOut(Shape):
    facility: str
    events: list[EventRow]


class RecordedOut(Shape):
    facility: str
    keys: list[str]
    first_seq: int
    last_seq: int
    recorded_at: str


class AdvanceRequest(Shape):
    id: int
    facility: str
    tranche: str
    on: Day
    amount: Money
    requested_by: str
    requested_at: str
    judgement: str
    reasons: list[str]
    status: str
    decided_by: str | None
    decided_at: str | None
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
            shape = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
            schemas.update(shape.pop("$defs", {}))
            schemas[model.__name__] = shape
            success = next(code for code in operation["responses"] if code.startswith("2"))
            operation["responses"][success]["content"] = {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
