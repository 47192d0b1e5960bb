"""Phrasings of fees: a fee in installments, with the waivers of its installments."""
from __future__ import annotations

import re
from decimal import Decimal

from ..grammar import snake
from ..terms import (
    ClauseText,
    Facility,
    Proposal,
    W,
    money,
    proposer,
)

# --- a fee in installments: "$150,000 extension fee ("Extension Fee") ... earned upon execution ..." -----------

FEE = re.compile(r"(?P<total>\$[\d,]+)\s+(?P<name>[a-z\s]+?fee)\s+\(\s*[\"“](?P<defined>[A-Z][\w\s]+?)[\"”]\s*\),?\s+"
                 r"with\s+"
                  r"such\s+fee\s+being\s+earned\s+upon\s+execution", re.S)
_COMPONENT = re.compile(r"(?:a|an\s+additional)\s+fee\s+amounting\s+to\s+(?P<total>\$[\d,]+)\s+in\s+the\s+aggregate\s+"
                        r"\(\s*[\"“](?P<defined>[A-Z][\w\s]+?)[\"”]\s*\)", re.S)
_PAYABLE = re.compile(r"(?P<amount>\$[\d,]+)\s+payable\s+on\s+"
                      r"(?:(?P<execution>the\s+date\s+of\s+execution\s+of\s+this\s+"
                      r"Amendment)|(?P<date>\w+\s+\d{1,2},\s+\d{4}))", re.S)
_DOCUMENT_WAIVER = re.compile(r"if\s+\w+\s+delivers\s+to\s+the\s+Agent.{0,40}?by\s+either\s+(?P<dates>\w+\s+\d{1,2},\s+"
                              r"\d{4}\s+or\s+\w+\s+\d{1,2},\s+\d{4})(?P<what>.{0,900}?)then\s+the\s+Agent\s+and\s+the\s+"
                              r"Lenders\s+shall\s+waive\s+payment\s+of\s+any\s+portion\s+of\s+the\s+(?P<component>[A-Z]\w+"
                              r"\s+Fee)\s+which\s+is\s+scheduled\s+to\s+be\s+payable\s+on\s+or\s+after\s+the\s+date\s+of\s+"
                              r"receipt", re.S)
_FULL_PAYMENT = re.compile(r"paid\s+in\s+full.{0,80}?prior\s+to\s+the\s+end\s+of\s+the\s+Initial\s+Term.{0,200}?"
                           r"scheduled\s+to\s+be\s+payable\s+after\s+the\s+Full\s+Payment\s+Date\s+shall\s+be\s+waived",
                           re.S)
DEFINED_LOOSE = re.compile(r"\(\s*[\"“](?P<term>[A-Z][\w ]+?)[\"”)]")


def _money(written: str) -> Decimal:
    return Decimal(written.strip("$").replace(",", ""))


@proposer
def installment_fee(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = FEE.search(clause.body)
    if m is None:
        return []
    spans = [clause.span(m)]
    assumptions: list[dict] = []
    components = []
    found = list(_COMPONENT.finditer(clause.body, m.end()))
    for c in found:
        defined = " ".join(c["defined"].split())
        heading = re.compile(W(f"The {defined} shall be due and payable as follows")).search(clause.body, c.end())
        if heading is None:
            return []
        schedule_at = heading.start()
        others = [re.compile(W(f"The {' '.join(o['defined'].split())} shall be due")).search(
            clause.body, schedule_at + 10) for o in found]
        end = min([o.start() for o in others if o is not None] + [len(clause.body)])
        installments = []
        for p in _PAYABLE.finditer(clause.body, schedule_at, end):
            if p["execution"] and facility.as_of is not None:
                installments.append({"due": "execution", "provisional_due": facility.as_of, "amount": money(
                    _money(p["amount"]))})
                assumptions.append({"value": facility.as_of.isoformat(), "reason": "until the execution date is "
                                    "recorded, the installment due on execution is dated as of the amendment's "
                                    "\"as of\" date, and shown as provisional"})
            elif p["date"]:
                installments.append({"due": clause.dates_in(p.start("date"), p.end("date"))[0],
                                     "amount": money(_money(p["amount"]))})
            else:
                return []
            spans.append(clause.span(p))
        components.append({"id": snake(re.sub(r"\s+Fee$", "", defined)), "total": money(_money(c["total"])),
                           "installments": installments})
        spans.append(clause.span(c))
    if not components:
        return []
    block: dict = {"kind": "installment_schedule", "fee": snake(" ".join(m["defined"].split())),
                   "total": money(_money(m["total"])), "earned_on": "execution", "components": components}
    waivers = []
    w = _DOCUMENT_WAIVER.search(clause.body)
    if w is not None:
        documents = [facility.by_label("documents", d["term"]) for d in DEFINED_LOOSE.finditer(w["what"])]
        named = re.findall(r"the\s+([A-Z]\w+\s+[A-Z]\w+)\s+required", w["what"])
        documents = [facility.by_label("documents", n) for n in named] + documents
        ids = list(dict.fromkeys(d["id"] for d in documents if d is not None))
        if ids:
            waivers.append({"kind": "document_received",
                            "components": [snake(re.sub(r"\s+Fee$", "", w["component"]))],
                            "documents": ids, "received_by": clause.dates_in(w.start("dates"), w.end("dates"))[-1],
                            "waives": "due_on_or_after_receipt"})
            spans.append(clause.span(w))
    f = _FULL_PAYMENT.search(clause.body)
    if f is not None:
        waivers.append({"kind": "full_payment", "components": [c["id"] for c in components],
                        "before": "initial_term_end", "waives": "due_after_payment"})
        spans.append(clause.span(f))
    if waivers:
        block["waivers"] = waivers
    return [Proposal(block, spans, assumptions[:1])]
