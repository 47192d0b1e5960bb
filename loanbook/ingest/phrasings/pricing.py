"""Phrasings of price and term: a pricing grid in a table (a margin over an index by period and loan class), the
term's end, and the default rate's margin."""
from __future__ import annotations

import re
from decimal import Decimal

from ..daybasis import assumption, for_interest
from ..grammar import snake
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, W, flat, percent, proposer, uncited
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


# --- the default rate: "upon the occurrence and during the continuation of an Event of Default ... bear interest at
# a per annum rate equal to two percentage points above the per annum rate otherwise applicable" -----------------

_DEFAULT = re.compile(r"[Dd]uring\s+the\s+continuation\s+of\s+an?\s+Event\s+of\s+Default.{0,900}?bear\s+interest\s+"
                      r"at\s+a\s+per\s+annum\s+rate\s+equal\s+to\s+(?P<margin>.{1,40}?)\s+above\s+the\s+per\s+annum\s+rate\s+"
                      r"otherwise\s+applicable", re.S)
_ABOVE = re.compile(r"(?P<margin>\S+\s+(?:\(\d+\)\s+)?percentage\s+points?)\s+above\s+the\s+per\s+annum\s+rate\s+"
                    r"otherwise\s+applicable", re.S)


@proposer
def default_rate(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _DEFAULT.search(clause.body)
    if m is None:
        return []
    margins = [f.figure.value for f in clause.figures if f.figure.kind == "percent"
               and m.start("margin") <= f.start < m.end("margin")]
    if len(margins) != 1 or not isinstance(margins[0], Decimal):
        return []
    spans = [clause.span(m)]
    fees: list[str] = []
    for other in _ABOVE.finditer(clause.body, m.end()):  # the same margin on a fee ("the Letter of Credit Fee")
        if not any(f.figure.value == margins[0] for f in clause.figures
                   if other.start("margin") <= f.start < other.end("margin")):
            continue
        raised = _RAISED_FEE.search(clause.body[max(0, other.start() - 120):other.start()])
        if raised is None or not _defines(facility.text, raised["fee"]):
            return []  # a margin raised on something the text names no fee of: never guessed
        fees.append(snake(raised["fee"]))
        spans.append(clause.span(other))
    block: dict = {"kind": "default_rate", "margin": percent(margins[0])}
    if fees:
        block["fees"] = fees
    return [Proposal(block, spans)]


# "(B) the Letter of Credit Fee shall be increased to": the fee a default raises, which the filing defines
_RAISED_FEE = re.compile(r"\bthe\s+(?P<fee>[A-Z][\w/-]*(?:\s+(?:of|for|on|[A-Z][\w/-]*))*\s+Fee)\s+"
                         r"shall\s+be\s+increased\s+(?:to|by)\s+$")


def _defines(text: str, term: str) -> bool:
    """The filing defines `term`: "(the "Letter of Credit Fee")", or a definition "Letter of Credit Fee" means."""
    quoted = rf"{QUOTE}\s*{W(term)}\s*{END_QUOTE}"
    return bool(re.search(rf"\(\s*(?:the\s+)?{quoted}\s*\)|{quoted}\s+(?:means|shall\s+mean)\b", text))


# --- a tranche's rate: "Each Revolving Loan shall bear interest at a rate per annum equal to the Term SOFR Rate plus
# the Applicable Spread", on the day basis the filing states for it -------------------------------------------------

_BEARS = re.compile(r"(?:\b(?i:all|each|the|any)\s+)?(?:outstanding\s+)?"
                    r"(?P<loans>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*\s+Loans?)"
                    r"\s+shall\s+bear\s+interest\s+at\s+a\s+(?:fluctuating\s+)?(?:rate\s+per\s+annum|per\s+annum\s+"
                    r"rate|rate)\s+equal\s+to\s+(?:the\s+)?(?P<a>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)\s+(?:plus|PLUS)\s+"
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
