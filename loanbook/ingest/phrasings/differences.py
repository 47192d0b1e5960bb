"""Defined figures that are what is left over: '"X" means (a) <limit>, minus (b) the sum of <usage> plus <usage>'
(an excess availability), and a reserve '"X" means ... an amount ... sufficient to reduce the advance rate against
<collateral> by 1 percentage point for each percentage point by which <measure> is in excess of 5%'.

A defined excess availability is named `excess_availability`, the figure the status reports as the facility's
excess availability (docs/agreement-format.md), where the document defines one such term; the reserve takes off
the excess of the measure over its level from every class whose label has the words the clause gives
("Eligible Accounts of US Loan Parties": each class of those accounts). A proviso after the definition ("provided,
however, that ...") is not read: its figures stay for the reviewer.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..grammar import snake
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, W, percent, proposer, uncited
from .naming import named, words

_MEANS = rf"^\s*{QUOTE}\s*(?P<term>[^\"”]{{2,60}}?)\s*{END_QUOTE}\s+means,?\s+"
_DIFFERENCE = re.compile(_MEANS + r"(?:\(a\)\s+)?(?P<minuend>[^,;]{2,80}?),?\s+minus\s+(?:\(b\)\s+)?"
                                  r"(?P<subtrahend>[^;]{2,200}?)(?=;\s+provided\b|\.\s*$)", re.S | re.I)
_REDUCING = (rf"{QUOTE}\s*(?P<term>[^\"”]{{2,60}}?)\s*{END_QUOTE}\s+means,?\s+(?:as\s+of\s+any\s+date\s+of\s+"
             r"determination,\s+)?an\s+amount,?\s+(?:without\s+duplication\s+of\s+any\s+other\s+reserve,\s+)?"
             + W("sufficient to reduce the advance rate") + r"\s+against\s+(?P<what>[^.]{2,120}?)\s+by\s+"
             r"(?P<points>\S+)\s+percentage\s+points?\s+" + W("for each percentage point by which")
             + r"\s+(?P<measure>[A-Z][^.]{1,60}?)\s+is\s+in\s+excess\s+of\s+(?P<level>\d+(?:\.\d+)?)\s?%\s*\.")
_REDUCE = re.compile(r"^\s*" + _REDUCING + r"\s*$", re.S)


def _against(facility: Facility, what: str) -> list[dict]:
    """The classes whose labels have every word of `what` ("Eligible Accounts of US Loan Parties")."""
    said = words(what)
    return [c for c in facility.entries("collateral") if said <= words(uncited(str(c.get("label", ""))))]


def reserve_against(facility: Facility, term: str) -> list[str] | None:
    """The classes a reserve the document defines as lowering an advance rate lowers it against; None where the
    document defines it otherwise, or not at all."""
    for m in re.finditer(_REDUCING, facility.text, re.S):
        if " ".join(m["term"].split()).lower() == " ".join(term.split()).lower():
            return [str(c["id"]) for c in _against(facility, m["what"])]
    return None


def _name(facility: Facility, phrase: str) -> str | None:
    return facility.name(re.sub(r"^\s*the\s+", "", " ".join(phrase.split()), flags=re.I))


def _figure_id(facility: Facility, term: str) -> str:
    excess = [name for name in facility.defined if name.endswith("excess_availability")]
    return "excess_availability" if snake(term).endswith("excess_availability") and len(excess) == 1 else snake(term)


@proposer
def difference(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _DIFFERENCE.match(clause.body)
    if m is None:
        return []
    minuend = _name(facility, m["minuend"])
    summed = re.match(r"\s*the\s+sum\s+of\s+(?P<parts>.+)$", m["subtrahend"], re.S)
    parts = re.split(r",?\s+plus\s+", summed["parts"]) if summed else [m["subtrahend"]]
    names = [_name(facility, part) for part in parts]
    if minuend is None or None in names:
        return []
    less = " + ".join(n for n in names if n)
    value = f"{minuend} - ({less})" if len(names) > 1 else f"{minuend} - {less}"
    term = " ".join(m["term"].split())
    block = {"kind": "definitions", "figures": [{"id": _figure_id(facility, term), "label": term, "value": value}]}
    return [Proposal(block, [clause.span(m)])]


@proposer
def advance_rate_reserve(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _REDUCE.match(clause.body)
    if m is None:
        return []
    classes = _against(facility, m["what"])
    measure = named(facility, "measures", m["measure"])
    points = [f.figure.value for f in clause.figures if f.figure.kind == "percent"
              and m.start("points") <= f.start < m.end("points")]
    if not classes or measure is None or measure.get("unit") != "percent" or len(points) != 1 \
            or not isinstance(points[0], Decimal):
        return []
    excess = f"max(0, {measure['id']} - {percent(Decimal(m['level']))}%)"
    slope = "" if points[0] == 1 else f" * {percent(points[0])}"
    against = " + ".join(str(c["id"]) for c in classes)
    value = f"{excess}{slope} * ({against})" if len(classes) > 1 else f"{excess}{slope} * {against}"
    term = " ".join(m["term"].split())
    block = {"kind": "definitions", "figures": [{"id": snake(term), "label": term, "value": value}]}
    return [Proposal(block, [clause.span(m)])]
