"""Phrasings of a defined figure: "X" means $N; "X Maturity Date" means <date>; "X" means the sum of (a) ... plus
(b) ...; "X" means the lesser of (a) ... and (b) ...; a rate "equal to the higher of (a) the <index> and (b) the
<index> plus 1/2 of 1%", rounded upwards to a step. Each name of a formula is the vocabulary's or a term the
document defines; one that is neither proposes nothing."""
from __future__ import annotations

import re
from decimal import Decimal

from ..grammar import snake
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, W, flat, money, proposer, uncited

_MONTH_DATE = r"[A-Z][a-z]+\s+\d{1,2},\s+\d{4}"
_MEANS = rf"^\s*{QUOTE}\s*(?P<term>[^\"”]+?)\s*{END_QUOTE}\s+means\s*,?\s+"
_AMOUNT = re.compile(_MEANS + r"(?:subject\s+to\s+[^,$]{1,80},\s+)?(?P<amount>\$[\d,]+(?:\.\d\d)?)(?=[\s.,;])")
_MATURITY = re.compile(rf"^\s*{QUOTE}\s*(?P<term>(?P<prefix>[^\"”]*?)\s*maturity\s+date)\s*{END_QUOTE}\s+means\s+"
                       rf"(?P<date>{_MONTH_DATE})\.\s*$", re.I)
_DETERMINED = r"(?:as\s+of\s+any\s+date\s+of\s+determination,\s+)?"
_SUM = re.compile(_MEANS + _DETERMINED + r"the\s+sum\s+of\s+(?P<parts>.+?)\.\s*$", re.S)
_LESSER = re.compile(_MEANS + _DETERMINED + r"the\s+lesser\s+of\s+(?P<parts>.+?)\.\s*$", re.S)
_ITEM = re.compile(r"(?:^|,?\s+(?:plus|and)\s+)(?:-|\([a-z]\))\s+")
_HIGHER = re.compile(_MEANS + _DETERMINED + r"the\s+rate\s+per\s+annum\s+\(rounded\s+upwards,\s+if\s+necessary,\s+"
                     r"to\s+the\s+next\s+(?P<step>[^)]+?)\)\s+equal\s+to\s+the\s+higher\s+of\s+\(a\)\s+the\s+"
                     r"(?P<a>[A-Z][\w ]+?)\s+in\s+effect\s+on\s+such\s+date\s+and\s+\(b\)\s+the\s+(?P<b>[A-Z][\w ]+?)"
                     r"\s+in\s+effect\s+on\s+"
                     r"such\s+date\s+plus\s+(?P<plus>[^.]+?\.?\d*%?)\.\s*$", re.S | re.I)


def defined_label(term: str) -> str:
    """A defined term as a figure's label: written in capitals in the filing, it is labelled in title case."""
    words = " ".join(term.split())
    return words.title() if words.isupper() else words


def _named(block: dict, term: str, value: str, unit: str | None = None) -> dict:
    figure = {"id": snake(term), "label": defined_label(term)}
    if unit:
        figure["unit"] = unit
    figure["value"] = value
    return {"kind": "definitions", "figures": [figure]} | block


@proposer
def amount(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _AMOUNT.match(clause.body)
    if m is None or _MATURITY.match(clause.body):
        return []
    value = money(Decimal(m["amount"].strip("$").replace(",", "")))
    return [Proposal(_named({}, m["term"], value), [clause.span(m)])]


@proposer
def maturity(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _MATURITY.match(clause.body)
    if m is None:
        return []
    end = clause.dates_in(m.start("date"), m.end("date"))
    if not end:
        return []
    block: dict = {"kind": "term", "initial_term_end": end[0]}
    prefix = " ".join(m["prefix"].split())
    if prefix:
        tranches = [t for t in facility.entries("tranches")
                    if flat(uncited(str(t.get("label", "")))).startswith(flat(prefix) + " ")]
        if len(tranches) != 1:
            return []
        block |= {"tranches": [tranches[0]["id"]], "maturity_obligation": f"{snake(prefix)}_maturity"}
    else:
        block["renewal_term"] = None
    if re.search(r"\bto,?\s+but\s+excluding,?\s+the\s+" + W(" ".join(m["term"].split())), facility.text, re.I):
        block["advances"] = "before_end"  # advances are made "to, but excluding, the X Maturity Date" (another clause)
    return [Proposal(block, [clause.span(m)])]


def operands(parts: str, facility: Facility) -> list[str] | None:
    """The vocabulary's names of a listed sum's items ("(a) ..., plus (b) ..."): None unless there are two or more and
    every one names an entry."""
    items = [i for i in _ITEM.split(parts.strip()) if i.strip()]
    names = [facility.name(operand_words(item)) for item in items]
    return None if len(items) < 2 or None in names else [n for n in names if n]


def operand_words(item: str) -> str:
    """The name an operand gives: "the amount of outstanding US Revolving Loans (inclusive of ...)" -> "US Revolving
    Loans"; "the Dollar Equivalent of the Canadian Borrowing Base (...)" -> "Canadian Borrowing Base"."""
    words = re.sub(r"\([^()]*(?:\([^()]*\)[^()]*)*\)", " ", item)
    words = re.sub(r"\bas\s+of\s+such\s+date\s+of\s+determination\b", " ", words)
    words = re.sub(r"^\s*(?:the\s+)?(?:amount\s+of\s+)?(?:outstanding\s+)?(?:the\s+)?(?:dollar\s+equivalent\s+of\s+)?"
                   r"(?:the\s+)?", "", words, flags=re.I)
    return " ".join(words.split()).rstrip(",;")


@proposer
def sum_of(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _SUM.match(clause.body)
    names = operands(m["parts"], facility) if m else None
    if m is None or names is None:
        return []
    return [Proposal(_named({}, m["term"], " + ".join(names)), [clause.span(m)])]


@proposer
def lesser_of(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _LESSER.match(clause.body)
    if m is None:
        return []
    items = [i for i in _ITEM.split(m["parts"].strip()) if i.strip()]
    operands = []
    for item in items:
        inner = re.match(r"\s*the\s+sum\s+of\s+(?P<rest>.+)$", item, re.S)
        if inner:
            names = [facility.name(operand_words(w)) for w in re.split(r"\s+plus\s+", inner["rest"])]
            if None in names:
                return []
            operands.append(" + ".join(n for n in names if n))
        else:
            name = facility.name(operand_words(item))
            if name is None:
                return []
            operands.append(name)
    if len(operands) < 2:
        return []
    return [Proposal(_named({}, m["term"], f"min({', '.join(operands)})"), [clause.span(m)])]


def _percent_of(clause: ClauseText, start: int, end: int) -> Decimal | None:
    values = [f.figure.value for f in clause.figures if f.figure.kind == "percent" and start <= f.start < end]
    return values[0] if len(values) == 1 and isinstance(values[0], Decimal) else None


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


@proposer
def higher_of_indices(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _HIGHER.match(clause.body)
    if m is None:
        return []
    a, b = facility.by_label("indices", m["a"]), facility.by_label("indices", m["b"])
    step = _percent_of(clause, m.start("step"), m.end("step"))
    plus = _percent_of(clause, m.start("plus"), m.end("plus"))
    if a is None or b is None or step is None or plus is None:
        return []
    value = f"round_up(max({a['id']}, {b['id']} + {_plain(plus)}%), {_plain(step)}%)"
    return [Proposal(_named({}, m["term"], value, unit="percent"), [clause.span(m)])]
