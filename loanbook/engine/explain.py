"""Explanation: every figure carries its formula, its inputs and the clause version each came from."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypedDict

from ..agreement.model import Agreement, ClauseVersion

Value = Decimal | date | str  # what an explained figure is: an amount, rate or number, a day, or words (grades)


class ClauseRef(TypedDict):
    """The clause version a figure came from, as the explanation shows it (and its JSON)."""

    clause: str
    title: str
    document: str
    document_id: str
    effective: str     # ISO date
    text: str | None   # None: the text is not in the record
    source: str | None


class InterpretationRef(TypedDict):
    """The reading of an interpretation a figure used, and why it is read so."""

    id: str
    reading: str
    text: str
    why: str


@dataclass(frozen=True)
class Explanation:
    figure: str
    value: Value
    formula: str | None = None
    inputs: tuple[Explanation, ...] = ()
    clause: ClauseRef | None = None
    interpretation: InterpretationRef | None = None
    source: str | None = None
    unit: str = "money"
    label: str | None = None
    reported: bool = True  # False: a measure no report has given yet (its value is the documented 0)
    flag: str | None = None  # what needs a person's eye: a key that fell in no level of its grid


def clause_ref(agreement: Agreement, version: ClauseVersion) -> ClauseRef:
    doc = agreement.document(version.document_id)
    return {"clause": version.clause_id, "title": version.title, "document": doc.title,
            "document_id": doc.id, "effective": version.effective.isoformat(), "text": version.text,
            "source": version.source}


def interpretation_ref(agreement: Agreement, interpretation_id: str) -> InterpretationRef:
    item = agreement.register.get(interpretation_id)
    reading = item.reading()
    return {"id": item.id, "reading": reading.id, "text": reading.text, "why": " ".join(item.why.split())}


def leaf(figure: str, value: Value, source: str | None = None, unit: str = "money") -> Explanation:
    return Explanation(figure, value, source=source, unit=unit)
