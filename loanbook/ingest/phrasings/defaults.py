"""The default rate (`default_rate`), read item by item: each "<loans> shall bear interest ..." of a clause on an
Event of Default or on amounts "not paid when due", and each fee it "shall be increased" by the same margin.

An item's subject names its loans: a tranche by its label ("each Base Rate Loan", "the Term Loan"), every tranche
("all Loans", "the Loans"), or no loan at all ("any fee or other amount payable hereunder"). Its predicate is a
margin ("two percentage points above the per annum rate otherwise applicable", "2% per annum above the rate
otherwise applicable"), a rate in lieu ("in lieu of the rate otherwise applicable, at a rate per annum equal to
12%"), or, for an overdue amount that is no loan, a rate with its own day basis ("at the Prime Rate plus 3.5% per
annum, computed on the basis of a 360-day year"). A fee the default raises ("the Letter of Credit Fee shall be
increased to two percentage points above ...") is named where the filing defines it and joins the block with the
same margin. An item this cannot read makes the whole clause propose nothing: never half a default rate.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ..grammar import snake
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, W, flat, percent, proposer, uncited
from .grids import figure_of

_BEARS = re.compile(r"\b(?:shall\s+(?:thereafter\s+)?)?bears?\s+interest\b", re.I)
_ITEM_START = re.compile(r"\([A-Za-z]{1,3}\)\s+|;\s+|\.\s+(?=[A-Z])|,\s+(?:and\s+)?(?=\([A-Za-z]{1,3}\)\s)")
_ITEM_END = re.compile(r",?\s+(?:and\s+)?\([A-Za-z]{1,3}\)\s|;\s|\.\s+(?=[A-Z])|\.\s*$")
_EVENT_OF_DEFAULT = re.compile(r"Event\s+of\s+Default", re.I)
_OVERDUE = re.compile(r"\bnot\s+paid\s+(?:when\s+due|in\s+full\s+when\s+due)\b", re.I)
_LOANS = re.compile(r"\b(?:each|any|all|the)\s+(?:installment\s+of\s+principal\s+of\s+(?:the\s+|any\s+)?)?"
                    r"(?P<loans>(?:[A-Z][\w-]*\s+)*Loans?)\b")
_ABOVE = re.compile(r"(?P<margin>\S+(?:\s+\(\d+(?:\.\d+)?%?\))?(?:\s+(?:percentage\s+points?|percent))?"
                    r"(?:\s+per\s+annum)?)\s+(?:above|in\s+excess\s+of)\s+the\s+(?:per\s+annum\s+)?rate\s+"
                    r"otherwise\s+applicable", re.I)
_IN_LIEU = re.compile(r"in\s+lieu\s+of\s+the\s+(?:per\s+annum\s+)?rate\s+otherwise\s+applicable,?\s+at\s+a\s+rate\s+"
                      r"per\s+annum\s+equal\s+to\s+(?P<rate>[^,;]+?)(?=\s*(?:,|;|\.\s|\.$|$))", re.I)
_AT_RATE = re.compile(r"\bat\s+(?:a\s+rate\s+per\s+annum\s+equal\s+to\s+)?(?:the\s+)?"
                      r"(?P<index>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)\s+plus\s+(?P<plus>\d+(?:\.\d+)?\s?%)(?:\s+per\s+annum)?")
_RAISED_FEE = re.compile(r"\bthe\s+(?P<fee>[A-Z][\w/-]*(?:\s+(?:of|for|on|[A-Z][\w/-]*))*\s+Fee)\s+"
                         r"shall\s+be\s+increased\s+(?:to|by)\s+(?P<rest>[^;]{1,160})", re.S)
_ALL = {"loan", "loans"}


@proposer
def default_rate(clause: ClauseText, facility: Facility) -> list[Proposal]:
    body = clause.body
    on_default = bool(_EVENT_OF_DEFAULT.search(body))
    items = list(_BEARS.finditer(body))
    if not items or not (on_default or _OVERDUE.search(body)):
        return []
    blocks: list[dict] = []
    spans = []
    for m in items:
        start = max([s.end() for s in _ITEM_START.finditer(body, 0, m.start())], default=0)
        end_at = _ITEM_END.search(body, m.end())
        end = end_at.start() if end_at else len(body)
        subject, predicate = body[start:m.start()], body[m.end():end]
        overdue = bool(_OVERDUE.search(subject))
        if not overdue and not (on_default and "otherwise applicable" in " ".join(predicate.split())):
            continue  # an ordinary rate ("bears interest at the Prime Rate plus 1.5%"): not a default rate
        block = _item(clause, facility, subject, predicate, m.end(), overdue)
        if block is None:
            return []
        blocks.append(block)
        spans.append(clause.span((start, end)))
    if not blocks:
        return []
    for raised in _RAISED_FEE.finditer(body):
        fee = " ".join(raised["fee"].split())
        margin = _percent_in(clause, raised.start("rest"), raised.end("rest"))
        owners = [b for b in blocks if b.get("margin") == (percent(margin) if margin is not None else None)]
        if not _defines(facility.text, fee) or len(owners) != 1:
            return []  # a fee the filing does not define, or raised by a margin no item gives
        owners[0]["fees"] = owners[0].get("fees", []) + [snake(fee)]
        spans.append(clause.span(raised))
    return [Proposal(_ordered(b), spans) for b in blocks]


def _item(clause: ClauseText, facility: Facility, subject: str, predicate: str, at: int, overdue: bool) -> dict | None:
    loans = [" ".join(m["loans"].split()) for m in _LOANS.finditer(subject)]
    tranches = []
    for words in loans:
        if flat(words) in _ALL:
            continue
        found = [t["id"] for t in facility.entries("tranches") if re.sub(r"s$", "", flat(uncited(str(t.get(
            "label", ""))))) == re.sub(r"s$", "", flat(words))]
        if len(found) != 1:
            return None  # loans the vocabulary does not name
        tranches.append(found[0])
    block: dict = {"kind": "default_rate"}
    above, in_lieu, at_rate = _ABOVE.search(predicate), _IN_LIEU.search(predicate), _AT_RATE.search(predicate)
    if above is not None and in_lieu is None:
        margin = _percent_in(clause, at + above.start("margin"), at + above.end("margin"))
        if margin is None:
            return None
        block["margin"] = percent(margin)
    elif in_lieu is not None:
        rate = _rate(clause, facility, in_lieu["rate"], at + in_lieu.start("rate"), at + in_lieu.end("rate"))
        if rate is None:
            return None
        block["rate"] = rate
    elif overdue and at_rate is not None and not loans:
        rate = _rate(clause, facility, at_rate.group(0)[3:], at + at_rate.start() + 3, at + at_rate.end())
        years = [f.figure.value for f in clause.figures if f.figure.kind == "day_basis" and at <= f.start <
                 at + len(predicate)]
        if rate is None or len(years) != 1:
            return None  # an overdue fee's rate needs its own day basis
        block["rate"] = rate
        block["day_basis"] = f"actual/{years[0]}"
    else:
        return None
    if tranches:
        block["tranches"] = tranches
    if overdue:
        block["overdue"] = True
    return block


def _percent_in(clause: ClauseText, start: int, end: int) -> Decimal | None:
    values = [f.figure.value for f in clause.figures if f.figure.kind == "percent" and start <= f.start < end]
    return values[0] if len(values) == 1 and isinstance(values[0], Decimal) else None


def _rate(clause: ClauseText, facility: Facility, said: str, start: int, end: int) -> str | None:
    """A rate formula: a percentage ("12%"), or an index or named figure plus one ("the Prime Rate plus 5%")."""
    words = " ".join(said.split())
    plus = re.fullmatch(r"(?:the\s+)?(?P<index>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)\s+plus\s+\S+.*", words)
    value = _percent_in(clause, start, end)
    if plus is None:
        return f"{percent(value)}%" if value is not None and re.fullmatch(r"[\d.]+\s?%(?:\s+per\s+annum)?", words) \
            else None
    name = figure_of(plus["index"], facility)
    return f"{name} + {percent(value)}%" if name is not None and value is not None else None


def _defines(text: str, term: str) -> bool:
    """The filing defines `term`: "(the "Letter of Credit Fee")", a definition "Letter of Credit Fee" means, or a
    clause that charges it under that name ("shall pay a Letter of Credit Fee at the rate of")."""
    quoted = rf"{QUOTE}\s*{W(term)}\s*{END_QUOTE}"
    return bool(re.search(rf"\(\s*(?:the\s+)?{quoted}\s*\)|{quoted}\s+(?:means|shall\s+mean)\b|"
                          rf"\bshall\s+pay\s+(?:to\s+\w+\s+)?an?\s+{W(term)}\b", text))


def _ordered(block: dict) -> dict:
    return {k: block[k] for k in ("kind", "margin", "rate", "tranches", "fees", "overdue", "day_basis") if k in block}
