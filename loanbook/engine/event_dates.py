"""Dates the agreement defines by events ("'Reduction Date' means the date of the first reduction of the
Commitments"; "the date the first Compliance Certificate is delivered"): each `event_date` clause's day, as the
record's events set it by the day asked."""
from __future__ import annotations

from datetime import date, timedelta

from ..agreement.kinds_commitments import EventDate
from ..agreement.model import Agreement
from ..core.errors import RecordError
from .ledger import Ledger


def happened(block: EventDate, ledger: Ledger, day: date) -> list[date]:
    """The days, in order, the clause's event happened by a day."""
    if block.event == "document_delivered":
        days = [e.date for e in ledger.delivered((block.document or "",), day)]
    elif block.event == "amendment_executed":
        days = [e.date for e in ledger.executions if e.amendment == block.document and e.date <= day]
    elif block.event == "borrowing_base_report":
        days = [e.date for e in ledger.base_reports if e.date <= day]
    elif block.event == "commitment_reduced":
        days = [e.date for e in ledger.reductions if e.date <= day]
    elif block.event == "default_declared":
        days = [d.start for d in ledger.defaults if d.start <= day]
    else:
        days = [e.date for e in ledger.terminations if e.date <= day]
    return sorted(days)


def event_date(agreement: Agreement, ledger: Ledger, name: str, day: date) -> date | None:
    """An event date on a day (None: its event has not happened and it has no `otherwise`)."""
    blocks = [b for _, b in agreement.terms_in_force(EventDate, day) if b.id == name]
    if not blocks:
        raise RecordError(f"no event_date clause named {name!r} is in force on {day}")
    return blocks[0].resolve(happened(blocks[0], ledger, day))


def event_date_days(agreement: Agreement, ledger: Ledger, name: str) -> set[date]:
    """Every day an event date may fall on over the record (each of its event's days moved by the offset, and
    `otherwise`): where a figure dated by it may change, for whatever day is asked."""
    days: set[date] = set()
    for clause in agreement.clauses.values():
        for version in clause.versions:
            for block in version.terms_of(EventDate):
                if block.id == name:
                    days.update(d + timedelta(days=block.offset_days)
                                for d in happened(block, ledger, agreement.record_end))
                    if block.otherwise is not None:
                        days.add(block.otherwise)
    return days
