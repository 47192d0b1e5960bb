"""Phrasings of price and term: a pricing grid in a table (a margin over an index by period and loan class), the
term's end, and the default rate's margin."""
from __future__ import annotations

import re
from decimal import Decimal

from ..daybasis import assumption, for_interest
from ..terms import ClauseText, Facility, Proposal, flat, percent, proposer, uncited
from .grids import figure_of

# --- a pricing grid in a table: "<from> - <to>   <Index> plus 3.5%   None" under a tranche's heading -----------

_GRID_ROW = re.compile(r"(?m)^[ \t]*(?P<from>\d{1,2}/\d{1,2}/\d{2,4})\s*-\s*(?P<to>\d{1,2}/\d{1,2}/\d{2,4})\s{2,}"
                       r"(?P<index>[A-Z][\w ]+?)\s+plus\s+(?P<margin>\d+(?:\.\d+)?)\s?%(?P<rest>.*)$")
_GRID_HEADING = re.compile(r"(?m)^[ \t]*[A-Z]\.\s+(?P<label>[A-Z][A-Z ]+?)\s*$")
_OPTION = re.compile(r"(?P<name>[A-Z]\w+)\s+Rate\s+Option")


@proposer
def pricing_grid(clause: ClauseText, facility: Facility) -> list[Proposal]:
    rows, spans, unavailable = [], [], []
    for m in _GRID_ROW.finditer(clause.body):
        headings = [h for h in _GRID_HEADING.finditer(clause.body, 0, m.start())]
        tranche = facility.by_label("tranches", headings[-1]["label"]) if headings else None
        index = facility.by_label("indices", m["index"])
        if tranche is None or index is None:
            return []
        start, end = clause.dates_in(m.start("from"), m.end("to"))
        rows.append({"from": start, "to": end, "loan_class": tranche["id"], "index": index["id"],
                     "margin": m["margin"]})
        spans.append(clause.span(m))
        if re.fullmatch(r"\s+None\.?\s*", m["rest"]):
            header = clause.body.rfind("Option", 0, m.start())
            options = _OPTION.findall(clause.body[clause.body.rfind("\n", 0, header - 60):header + 6])
            unavailable += [o.lower() for o in options[1:] if o.lower() not in unavailable]
    if not rows:
        return []
    basis = facility.interpretation(clause.clause_id, lambda v: v in ("actual/360", "actual/365"))
    years = [f.figure.value for f in clause.figures if f.figure.kind == "day_basis"]
    if basis is not None:
        day_basis: object = {"interpretation": basis}
    elif len(years) == 1:
        day_basis = f"actual/{years[0]}"
    else:
        return []  # no day basis in the text and none in the register: never guessed
    block = {"kind": "pricing_grid", "day_basis": day_basis, "rows": rows}
    if unavailable:
        block["unavailable_options"] = unavailable
    return [Proposal(block, spans)]


# --- the term: "Initial Term: To expire on <date>   Renewal Term: NONE" ----------------------------------------

_TERM = re.compile(r"Initial\s+Term:\s+To\s+expire\s+on\s+(?P<date>\w+\s+\d{1,2},\s+\d{1,4})"
                   r"(?P<renewal>\s+Renewal\s+Term:"
                   r"\s+(?P<none>NONE|None))?", re.S)


@proposer
def term(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _TERM.search(clause.body)
    if m is None:
        return []
    dates = clause.dates_in(m.start("date"), m.end("date"))
    written = " ".join(m["date"].split())
    resolved = facility.resolving(clause.clause_id, written)
    if dates:
        end: object = dates[0]
    elif resolved:
        end = {"interpretation": resolved}
    else:
        return []
    block = {"kind": "term", "initial_term_end": end, "renewal_term": None, "maturity_obligation": "maturity"}
    return [Proposal(block, [clause.span(m)])]


# --- a tranche's rate: "Each Revolving Loan shall bear interest at a rate per annum equal to the Term SOFR Rate plus
# the Applicable Spread", on the day basis the filing states for it -------------------------------------------------

_BEARS = re.compile(r"(?:\b(?i:all|each|the|any)\s+)?(?:outstanding\s+)?"
                    r"(?P<loans>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*\s+Loans?)"
                    r"\s+(?:shall\s+bear|bears?)\s+interest\s+at\s+(?:a\s+(?:fluctuating\s+)?(?:rate\s+per\s+annum|"
                    r"per\s+annum\s+rate|rate)\s+equal\s+to\s+)?(?:the\s+)?(?P<a>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)\s+(?:plus|PLUS)\s+"
                    r"(?:the\s+)?(?P<b>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*|\d+(?:\.\d+)?\s?%|[a-z]+(?:\s+and\s+[\w-]+)?"
                    r"\s+percent(?:age\s+points?)?)(?=\s*(?:per\s+annum)?\s*[.,;])", re.S)
_OPTIONS = re.compile(r"shall\s+bear\s+interest\s+as\s+follows|\bif\s+the\s+relevant\b|\bat\s+the\s+option\s+of\b",
                      re.I)


@proposer
def interest_rate(clause: ClauseText, facility: Facility) -> list[Proposal]:
    found = list(_BEARS.finditer(clause.body))
    if len(found) != 1 or _OPTIONS.search(clause.body):
        return []  # two rates, or a rate per option: which loans bear which is not one tranche's rate
    m = found[0]
    loans = " ".join(m["loans"].split())
    tranches = [t for t in facility.entries("tranches") if re.sub(r"s$", "", flat(uncited(str(t.get("label", "")))))
                == re.sub(r"s$", "", flat(loans))]
    index = figure_of(m["a"], facility)
    margins = [f.figure.value for f in clause.figures if f.figure.kind == "percent" and m.start("b") <= f.start <
               m.end("b")]
    margin = f"{percent(margins[0])}%" if len(margins) == 1 and isinstance(margins[0], Decimal) else \
        None if margins or re.search(r"\d", m["b"]) else figure_of(m["b"], facility)
    basis = for_interest(facility.text, [loans, m["a"], m["b"]])
    if len(tranches) != 1 or index is None or margin is None or basis is None:
        return []
    block = {"kind": "interest_rate", "tranche": tranches[0]["id"], "rate": f"{index} + {margin}",
             "day_basis": basis.basis}
    return [Proposal(block, [clause.span(m)], assumption(basis, clause.base, clause.base + len(clause.body)))]
