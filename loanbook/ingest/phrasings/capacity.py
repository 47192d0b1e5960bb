"""Phrasings of what may be borrowed: a borrowing base's advance rate against a collateral class, the lesser-of
availability, and overadvances capped in dated windows."""
from __future__ import annotations

import re
from decimal import Decimal

from ..grammar import snake
from ..terms import (
    END_QUOTE,
    QUOTE,
    ClauseText,
    Facility,
    Proposal,
    money,
    percent,
    proposer,
)

# --- a borrowing base: "'X' ... shall be ... up to 85% of the <collateral>" -----------------------------------

_BASE = re.compile(rf"{QUOTE}(?P<name>[A-Z][^\"”'’\n]{{2,60}}){END_QUOTE}\s+(?:at\s+any\s+time\s+)?"
                   rf"(?:shall\s+be|means)\s+"
                   rf"(?:the\s+amount\s+equal\s+to\s+)?(?:the\s+sum\s+of\s+)?(?P<upto>up\s+to\s+)?"
                   rf"(?P<rate>\d+(?:\.\d+)?)\s?%\s+of\s+(?:the\s+)?(?P<collateral>[A-Z][\w'’ \n-]{{2,80}}?)\s*[.;]")


@proposer
def borrowing_base(clause: ClauseText, facility: Facility) -> list[Proposal]:
    found = []
    for m in _BASE.finditer(clause.body):
        collateral = facility.by_label("collateral", m["collateral"])
        if collateral is None:
            continue
        name = " ".join(m["name"].split())
        label = str(collateral["label"])
        line_label = " ".join(m.group(0)[m.start("upto" if m["upto"] else "rate") - m.start():].split()).rstrip(".;")
        block = {"kind": "borrowing_base", "id": snake(name), "label": name,
                 "figures": [{"id": "advance_rate", "label": "advance rate (up to)" if m["upto"] else "advance rate",
                              "value": percent(Decimal(m["rate"])), "unit": "percent"}],
                 "lines": [{"id": snake(re.sub(r"\s+borrowing\s+base$", "", label, flags=re.I)), "label": line_label,
                            "collateral": collateral["id"], "rate": "advance_rate"}]}
        found.append(Proposal(block, [clause.span(m)]))
    return found


# --- availability: "X shall be ... the lesser of (A) ... <Limit> of $N; or (B) ... <figure> ... subtracting
# ... the sum of (a) <contingent>, plus (b) ..." --------------------------------------------------------------

_LESSER = re.compile(r"(?P<name>[A-Z][\w ]{2,60}?)\s+(?:at\s+any\s+time\s+)?shall\s+be\s+the\s+net\s+amount\s+"
                     r"determined\s+by\s+taking\s+the\s+lesser\s+of.{0,60}?\(A\)\s+(?:The\s+)?(?:applicable\s+)?"
                     r"(?P<limit>[A-Z][\w ]{2,40}?)\s+of\s+(?P<amount>\$[\d,]+(?:\.\d\d)?)\s*;\s+or\s+\(B\)\s+"
                     r"(?:The\s+)?amount\s+equal\s+to\s+the\s+sum\s+of\s+the\s+(?P<figure>[A-Z][\w ]{2,60}?)\s+"
                     r"\(as\s+defined\s+below\)\s+and\s+subtracting\s+from\s+the\s+lesser\s+of\s+\(A\)\s+and\s+\(B\)"
                     r"\s+above,\s+the\s+sum\s+of\s+(?P<less>.{0,300}?)\.", re.S)
_LISTED = re.compile(r"\([a-z]\)\s+(?P<what>[^,()]+?)(?:,?\s+plus\s+|\s*$)", re.S)


@proposer
def availability(clause: ClauseText, facility: Facility) -> list[Proposal]:
    found = []
    for m in _LESSER.finditer(clause.body):
        parts = [facility.by_label("contingents", w["what"]) for w in _LISTED.finditer(m["less"])]
        revolving = [t for t in facility.entries("tranches") if t.get("type") == "revolving"]
        if not parts or None in parts or len(revolving) != 1:
            continue
        limit, figure, name = (snake(" ".join(m[g].split())) for g in ("limit", "figure", "name"))
        less = " + ".join(str(p["figure"]) for p in parts if p)
        amount = Decimal(m["amount"].strip("$").replace(",", ""))
        block = {"kind": "availability", "tranche": revolving[0]["id"],
                 "figures": [{"id": limit, "label": " ".join(m["limit"].split()), "value": money(amount)},
                             {"id": name, "label": " ".join(m["name"].split()),
                              "value": f"min({limit}, {figure}) - ({less})"}],
                 "capacity": name}
        found.append(Proposal(block, [clause.span(m)]))
    return found


# --- overadvances: "permit Debtor to borrow in excess of the X (each, an "Overadvance") ... exceed $N from D1 to
# D2; ... from and after D no Overadvances shall be permitted ... exceed the amount of the <measure>" -----------

_OVER = re.compile(r"(?P<discretion>in\s+their\s+sole\s+discretion,\s+)?may\s+from\s+time\s+to\s+time\s+permit\s+"
                   r"\w+\s+to\s+borrow\s+in\s+excess\s+of\s+the\s+(?P<against>[A-Z][\w\s]{2,60}?)\s+\(each,\s+an\s+"
                   r"[\"“]Overadvance", re.S)
_WINDOW = re.compile(r"exceed\s+(?P<amount>\$[\d,]+(?:\.\d\d)?)\s+from\s+(?P<dates>\w+\s+\d{1,2},\s+\d{4}\s+to\s+"
                     r"\w+\s+\d{1,2},\s+\d{4})", re.S)
_NONE_AFTER = re.compile(r"from\s+and\s+after\s+(?P<date>\w+\s+\d{1,2},\s+\d{4})\s+no\s+Overadvances\s+shall\s+be\s+"
                         r"permitted", re.S)
_TOTAL = re.compile(r"aggregate\s+amount\s+of\s+all\s+Advances\s+and\s+all\s+such\s+Overadvances\s+outstanding\s+at\s+"
                    r"any\s+one\s+time\s+exceed\s+the\s+(?P<limit>[A-Z][\w\s]{2,40}?)\s*[,;.]", re.S)
_CEILING = re.compile(r"Overadvances\s+outstanding\s+at\s+any\s+one\s+time\s+ever\s+exceed\s+the\s+amount\s+of\s+the\s+"
                      r"(?P<measure>[A-Z][\w\s]{2,60}?)\s+then\s+in\s+effect", re.S)


@proposer
def overadvance(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _OVER.search(clause.body)
    revolving = [t for t in facility.entries("tranches") if t.get("type") == "revolving"]
    if m is None or len(revolving) != 1:
        return []
    spans = [clause.span(m)]
    windows: list[dict] = []
    assumptions: list[dict] = []
    for w in _WINDOW.finditer(clause.body, m.end()):
        start, end = clause.dates_in(w.start("dates"), w.end("dates"))
        windows.append({"from": start, "to": end, "value": money(Decimal(w["amount"].strip("$").replace(",", "")))})
        spans.append(clause.span(w))
    none = _NONE_AFTER.search(clause.body, m.end())
    if none is not None:
        windows.append({"from": clause.dates_in(none.start("date"), none.end("date"))[0], "value": "0.00"})
        spans.append(clause.span(none))
        assumptions.append({"value": "0.00", "reason": f'"{" ".join(none.group(0).split())}" is a cap of 0.00'})
    if not windows:
        return []
    against = facility.interpretation(clause.clause_id, lambda v: isinstance(v, str) and re.fullmatch(r"[a-z]\w*", v)
                                      is not None)
    block: dict = {"kind": "overadvance", "tranche": revolving[0]["id"],
                   "measured_against": {"interpretation": against} if against else snake(m["against"]),
                   "cap": {"schedule": windows}}
    ceilings = []
    for c in _CEILING.finditer(clause.body):
        measure = facility.by_label("measures", c["measure"])
        if measure is not None:
            ceilings.append(measure["id"])
            spans.append(clause.span(c))
    if ceilings:
        block["ceilings"] = ceilings
    total = _TOTAL.search(clause.body)
    if total is not None:
        block["total_ceiling"] = snake(" ".join(total["limit"].split()))
        spans.append(clause.span(total))
    block["discretionary"] = bool(m["discretion"]) or "discretionary" in clause.body
    return [Proposal(block, spans, assumptions)]
