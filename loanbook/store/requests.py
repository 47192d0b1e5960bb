"""Advance requests: the borrower asks, the engine judges, the Agent decides what the engine leaves to it.

Each request is judged in one transaction holding the facility's lock, against the record with every
advance approved before it: two requests at the same moment are judged one after the other, so they can
never together pass a limit that each alone would pass. A request within capacity is approved and its
advance recorded at once; an overadvance the agreement leaves to the Agent waits for the Agent; one the
agreement forbids is declined. An Agent's approval judges the request again on the record as it then is.

A request keeps the engine's reasons as codes and facts (`reasons_text`), never as sentences: the words are made
at the edge when read, so they can change without the record changing. Rows stored before kept sentences; those
read back as the sentences they are.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Connection, insert, select, update

from ..engine.facility import Facility
from ..engine.results import REFUSED, REQUIRES_APPROVAL, WITHIN_CAPACITY, Reason, ReasonFact
from . import schema
from .errors import Conflict, NoLongerAllowed
from .store import Store


class NoSuchRequest(LookupError):
    """No advance request of that number for that facility."""



@dataclass(frozen=True)
class AdvanceRequest:
    id: int
    facility: str
    tranche: str
    day: date
    amount: Decimal
    requested_by: str
    requested_at: datetime
    judgement: str
    reasons: tuple[Reason | str, ...]  # a str: a sentence, as rows stored before codes were kept it
    status: str                 # pending | approved | declined
    decided_by: str | None
    decided_at: datetime | None
    event_key: str | None


def submit(store: Store, facility_id: str, *, day: date, amount: Decimal, tranche: str | None, by: str
           ) -> AdvanceRequest:
    with store.writing() as connection:
        asked, replay = submit_in(connection, store, facility_id, day=day, amount=amount, tranche=tranche, by=by)
    if replay is not None:
        store.remember(facility_id, replay)
    return asked


def submit_in(connection: Connection, store: Store, facility_id: str, *, day: date, amount: Decimal,
              tranche: str | None, by: str) -> tuple[AdvanceRequest, Facility | None]:
    """Judge and keep a request inside the caller's writing transaction; an approved one's advance is recorded
    with it. Returns the request and, if an advance was recorded, the replay to remember once committed."""
    replay = store.locked(connection, facility_id)
    decision = replay.advance_to_record(day, amount, tranche)
    now = datetime.now(UTC)
    status = {WITHIN_CAPACITY: "approved", REQUIRES_APPROVAL: "pending", REFUSED: "declined"}[decision.decision]
    values = dict(facility_id=facility_id, tranche=decision.tranche, day=day, amount=amount, requested_by=by,
                  requested_at=now, judgement=decision.decision,
                  reasons=reasons_text(decision.reasons), status=status,
                  decided_by="engine" if status != "pending" else None,
                  decided_at=now if status != "pending" else None)
    inserted = connection.execute(insert(schema.advance_requests).values(**values)).inserted_primary_key
    assert inserted is not None
    request_id = inserted[0]
    funded = None
    if status == "approved":
        key, funded = _fund(store, connection, facility_id, request_id, decision.tranche, day, amount, by)
        connection.execute(update(schema.advance_requests).where(schema.advance_requests.c.id == request_id)
                           .values(event_key=key))
    return _row(connection, facility_id, request_id), funded


def decide(store: Store, facility_id: str, request_id: int, *, approve: bool, by: str) -> AdvanceRequest:
    with store.writing() as connection:
        decided, replay = decide_in(connection, store, facility_id, request_id, approve=approve, by=by)
    if replay is not None:
        store.remember(facility_id, replay)
    return decided


def decide_in(connection: Connection, store: Store, facility_id: str, request_id: int, *, approve: bool, by: str
              ) -> tuple[AdvanceRequest, Facility | None]:
    """The Agent's decision on a pending request; an approval judges it again on the record as it is now."""
    replay = store.locked(connection, facility_id)
    request = _row(connection, facility_id, request_id)
    if request.status != "pending":
        raise Conflict(f"advance request {request_id} is already {request.status}"
                       + (f" by {request.decided_by}" if request.decided_by else ""))
    values: dict = {"decided_by": by, "decided_at": datetime.now(UTC), "status": "approved" if approve else "declined"}
    funded = None
    if approve:
        again = replay.advance_to_record(request.day, request.amount, request.tranche)
        if again.decision == REFUSED:
            raise NoLongerAllowed(again.reasons)
        values["event_key"], funded = _fund(store, connection, facility_id, request_id, request.tranche,
                                            request.day, request.amount, by)
    connection.execute(update(schema.advance_requests).where(schema.advance_requests.c.id == request_id)
                       .values(**values))
    return _row(connection, facility_id, request_id), funded


def requests(store: Store, facility_id: str, status: str | None = None) -> list[AdvanceRequest]:
    r = schema.advance_requests.c
    query = select(schema.advance_requests).where(r.facility_id == facility_id).order_by(r.id)
    if status is not None:
        query = query.where(r.status == status)
    with store.reading() as connection:
        return [_request(row) for row in connection.execute(query).all()]


def request(store: Store, facility_id: str, request_id: int) -> AdvanceRequest:
    with store.reading() as connection:
        return _row(connection, facility_id, request_id)


def _fund(store: Store, connection: Connection, facility_id: str, request_id: int, tranche: str, day: date,
          amount: Decimal, by: str) -> tuple[str, Facility]:
    event = {"date": day.isoformat(), "type": "advance", "loan": tranche, "amount": f"{amount:.2f}",
             "note": f"advance request {request_id}"}
    recorded, replay = store.append(connection, facility_id, [event], by=by, source=f"advance request {request_id}")
    return recorded.keys[0], replay


def _row(connection: Connection, facility_id: str, request_id: int) -> AdvanceRequest:
    r = schema.advance_requests.c
    row = connection.execute(select(schema.advance_requests).where(r.id == request_id, r.facility_id == facility_id)
                             ).first()
    if row is None:
        raise NoSuchRequest(f"no advance request {request_id} for {facility_id}")
    return _request(row)


def _request(row) -> AdvanceRequest:
    return AdvanceRequest(row.id, row.facility_id, row.tranche, row.day, row.amount, row.requested_by,
                          row.requested_at, row.judgement, reasons_from(row.reasons), row.status,
                          row.decided_by, row.decided_at, row.event_key)


# --- reasons as stored ---------------------------------------------------------------------------------------
# Each reason is {"code": ..., "facts": {...}}; a fact that JSON has no type for is tagged, so it reads back as
# the very value the engine gave (a Decimal with its digits, a date), and the words made from it are the same.

def reasons_text(reasons: tuple[Reason, ...]) -> str:
    """The facts in the engine's order: the words list some of them in that order."""
    return json.dumps([{"code": r.code, "facts": {name: _fact_json(name, value) for name, value in r.facts.items()}}
                       for r in reasons])


def reasons_from(text: str) -> tuple[Reason | str, ...]:
    return tuple(item if isinstance(item, str) else
                 Reason(item["code"], {name: _fact_value(value) for name, value in item["facts"].items()})
                 for item in json.loads(text))


def _fact_json(name: str, value: ReasonFact) -> object:
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, (str, bool)):
        return value
    raise TypeError(f"a reason's fact {name!r} is a {type(value).__name__}, which the store does not keep")


def _fact_value(value: object) -> ReasonFact:
    if isinstance(value, dict):
        if "decimal" in value:
            return Decimal(value["decimal"])
        return date.fromisoformat(value["date"])
    assert isinstance(value, (str, bool)), value  # what _fact_json writes untagged
    return value
