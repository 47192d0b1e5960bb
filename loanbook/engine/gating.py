"""Amendments whose conditions precedent gate them: until every condition is met (by the record's events), the
document's clause versions are not in force; once they are, from the day the last one was met
(`from_satisfaction`), or from the document's effective date (`retroactive`, where its text makes effectiveness
date back: "effective as of April 1, 2024 upon the satisfaction of the conditions").

The agreement is read once from its folder; the agreement in force for a history is derived here from the
record, so a question asked `--known-at` before the conditions were met sees the amendment absent."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from ..agreement.model import Agreement, Clause, ClauseVersion, Condition, Document
from .ledger import Ledger


def condition_met_on(document: Document, condition: Condition, ledger: Ledger) -> date | None:
    """The day the record first satisfies a condition of a document (None: not yet)."""
    if condition.satisfied_by_event == "amendment_executed":
        event = ledger.executed(document.id, date.max)
        return event.date if event else None
    found = ledger.delivered((condition.satisfied_by_document or "",), date.max)
    return min((e.date for e in found), default=None)


def conditions_met_on(document: Document, ledger: Ledger) -> date | None:
    """The day the last of a document's conditions was met (None: one is still open)."""
    days = [condition_met_on(document, c, ledger) for c in document.conditions]
    if not days or any(d is None for d in days):
        return None
    return max(d for d in days if d is not None)


def in_force_from(document: Document, ledger: Ledger) -> date | None:
    """The day a gated document's operations take effect on this record (None: never yet)."""
    met = conditions_met_on(document, ledger)
    if met is None:
        return None
    return document.effective if document.conditions_gate == "retroactive" else max(document.effective, met)


def gated(agreement: Agreement, ledger: Ledger) -> Agreement:
    """The agreement in force on this record: each gated document's versions left out until its conditions are
    met, or moved to the day they take effect."""
    moved: dict[str, date | None] = {d.id: in_force_from(d, ledger) for d in agreement.documents if d.conditions_gate}
    if all(moved[doc.id] == doc.effective for doc in agreement.documents if doc.id in moved):
        return agreement
    clauses: dict[str, Clause] = {}
    for clause_id, clause in agreement.clauses.items():
        if not any(v.document_id in moved for v in clause.versions):
            clauses[clause_id] = clause
            continue
        kept: list[ClauseVersion] = []
        for version in clause.versions:
            if version.document_id not in moved:
                kept.append(version)
                continue
            day = moved[version.document_id]
            if day is not None:
                kept.append(replace(version, effective=max(version.effective, day)))
        kept.sort(key=lambda v: v.effective)
        chained = [replace(v, until=later.effective) for v, later in zip(kept, kept[1:])]
        chained += [replace(kept[-1], until=None)] if kept else []
        clauses[clause_id] = replace(clause, versions=tuple(chained))
    return replace(agreement, clauses=clauses)
