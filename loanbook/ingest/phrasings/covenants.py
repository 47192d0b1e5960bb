"""Phrasings of financial covenants: the threshold an event of a figure falling below defines ('"Covenant Trigger
Event" means if at any time <figure> is less than the greater of (i) 10.0% of the <limit>, and (ii) $40,000,000'),
and a covenant tested at each period end against a ratio, or a ratio by period from a table ("Permit the <measure>,
as of June 30, 1996 and the last day of each Fiscal Month thereafter, to be less than the ratio set forth below
opposite the period during which such date occurs", "as reported in the Compliance Certificate").

An event is no figure: what the definition defines is its threshold, named "<event>_threshold" without the word
"Event". A covenant's measure is the vocabulary's, by its label's words; the document that reports it must be
named by the clause (a covenant whose certificate another clause gives is left to the reviewer), and every test
date must fall in one row of its table, the rows following one another test date by test date.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ...core.periods import MONTHS, add_months
from ..grammar import snake
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, W, percent, proposer
from .naming import named

_MEANS = rf"^\s*{QUOTE}\s*(?P<term>[^\"”]{{2,60}}?\s+Event)\s*{END_QUOTE}\s+means,?\s+"
_TRIGGER = re.compile(_MEANS + r"if\s+at\s+any\s+time\s+(?P<figure>[A-Z][\w ]{2,60}?)\s+(?:is\s+less\s+than|falls\s+"
                      r"below)\s+(?P<threshold>.{2,200}?)\.\s*$", re.S)
_EXTREME = re.compile(r"the\s+(?P<which>greater|lesser)\s+of\s+\(i\)\s+(?P<a>.+?),?\s+and\s+\(ii\)\s+(?P<b>.+)$", re.S)
_SHARE = re.compile(r"^(?P<rate>\d+(?:\.\d+)?)\s?%\s+of\s+the\s+(?P<of>[A-Z][\w ]{2,60}?)$")
_AMOUNT = re.compile(r"^\$(?P<amount>[\d,]+(?:\.\d\d)?)$")


def _operand(facility: Facility, words: str) -> str | None:
    said = " ".join(words.split())
    share, amount = _SHARE.match(said), _AMOUNT.match(said)
    if share is not None:
        name = facility.name(share["of"])
        return f"{percent(Decimal(share['rate']))}% * {name}" if name else None
    if amount is not None:
        value = Decimal(amount["amount"].replace(",", ""))
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    name = facility.name(re.sub(r"^the\s+", "", said))
    return name


@proposer
def trigger_threshold(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _TRIGGER.match(clause.body)
    if m is None:
        return []
    extreme = _EXTREME.match(m["threshold"].strip())
    if extreme is not None:
        operands = [_operand(facility, extreme[g]) for g in ("a", "b")]
        value = f"{'max' if extreme['which'] == 'greater' else 'min'}({', '.join(o for o in operands if o)})"
    else:
        operands = [_operand(facility, m["threshold"])]
        value = str(operands[0])
    if None in operands:
        return []
    term = " ".join(m["term"].split())
    name = snake(re.sub(r"\s+Event$", "", term)) + "_threshold"
    block = {"kind": "definitions", "figures": [{"id": name, "label": f"{term} threshold", "value": value}]}
    return [Proposal(block, [clause.span(m)])]


# --- "Permit the <measure>, as of <date> and the last day of each Fiscal Month thereafter, to be less than ..." --

_PERMIT = re.compile(r"Permit\s+(?:the\s+)?(?P<measure>[A-Z][\w ]{2,60}?),\s+as\s+of\s+(?P<first>[A-Z][a-z]+\s+\d{1,2},"
                     r"\s+\d{4})\s+and\s+the\s+last\s+day\s+of\s+each\s+(?:fiscal\s+)?(?P<every>month|quarter|year)\s+"
                     r"thereafter,\s+to\s+be\s+(?P<direction>less|greater)\s+than\s+(?P<rest>.{0,200}?)(?=[.:;](?:\s|$))",
                     re.S | re.I)
_MAINTAIN = re.compile(r"maintain,?\s+as\s+of\s+the\s+last\s+day\s+of\s+each\s+(?:fiscal\s+)?"
                       r"(?P<every>month|quarter|year)\s+ending\s+on\s+or\s+after\s+(?P<first>[A-Z][a-z]+\s+\d{1,2},\s+\d{4}),\s+an?\s+"
                       r"(?P<measure>[A-Z][\w ]{2,60}?)\s+of\s+(?P<direction>at\s+least|not\s+less\s+than|at\s+most|"
                       r"not\s+more\s+than|not\s+greater\s+than)\s+(?P<rest>.{0,200}?)(?=[.:;,](?:\s|$))", re.S | re.I)
_AT_LEAST = {"less", "at least", "not less than"}  # "Permit ... to be less than" forbids what "at least" requires
_BY_TABLE = re.compile(W("the ratio set forth below opposite the period during which such date occurs"))
_REPORTED = re.compile(r"as\s+(?:reported|shown|set\s+forth)\s+(?:in|on)\s+(?:the|each)\s+"
                       r"(?P<document>[A-Z][\w ]{2,60}?Certificate)")


@proposer
def covenant(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _PERMIT.search(clause.body) or _MAINTAIN.search(clause.body)
    reported = _REPORTED.search(clause.body)
    if m is None or reported is None:
        return []
    measure = named(facility, "measures", m["measure"])
    certificate = named(facility, "documents", reported["document"])
    first = clause.dates_in(m.start("first"), m.end("first"))
    every = m["every"].lower()
    if measure is None or measure.get("unit") != "number" or certificate is None or len(first) != 1 \
            or date.fromordinal(first[0].toordinal() + 1).day != 1:
        return []  # a test date that ends no month: the periods it starts are not the text's
    threshold: dict | str | None
    if _BY_TABLE.match(m["rest"]):
        threshold = _schedule(clause, m.end(), first[0], MONTHS[every])
        written = [f.figure.written for f in clause.figures if f.figure.kind == "ratio" and f.start >= m.end()]
    else:
        ratios = [f for f in clause.figures if f.figure.kind == "ratio" and m.start("rest") <= f.start < m.end("rest")]
        threshold = _ratio(ratios[0].figure.written) if len(ratios) == 1 else None
        written = [ratios[0].figure.written] if len(ratios) == 1 else []
    if threshold is None or not written:
        return []
    places = {len(_ratio(w).partition(".")[2]) for w in written}
    block: dict = {"kind": "covenant", "id": f"{measure['id']}_covenant", "label": " ".join(m["measure"].split()),
                   "measure": measure["id"],
                   "test": "at_least" if " ".join(m["direction"].lower().split()) in _AT_LEAST else "at_most",
                   "threshold": threshold, "every": every, "first_test": first[0], "certificate": certificate["id"]}
    assumptions = []
    if len(places) == 1:
        block["round_to"] = places.pop()
        assumptions.append({"value": str(block["round_to"]), "reason": "a ratio written to that many places is "
                            "compared at that many places"})
    return [Proposal(block, [clause.span(m), clause.span(reported)], assumptions)]


def _schedule(clause: ClauseText, start: int, first: date, months: int) -> dict | None:
    """The table's rows ("<date> through <date>   1.60 to 1.00", "<date> and thereafter   2.00 to 1.00") as a
    schedule, each row starting at the test date after the one the row before ends on; None otherwise."""
    rows: list[dict] = []
    dates: list[date] = []
    for located in clause.figures:
        if located.start < start:
            continue
        if located.figure.kind == "date" and isinstance(located.figure.value, date):
            dates.append(located.figure.value)
        elif located.figure.kind == "ratio":
            between = clause.body[start:located.start]
            if len(dates) == 2 and re.search(r"\bthrough\b", between):
                rows.append({"from": dates[0], "to": dates[1], "value": _ratio(located.figure.written)})
            elif len(dates) == 1 and re.search(r"\band\s+thereafter\b", between):
                rows.append({"from": dates[0], "value": _ratio(located.figure.written)})
            else:
                return None
            dates, start = [], located.end
    if not rows or dates or rows[0]["from"] != first:
        return None
    for row, following in zip(rows, rows[1:]):
        if "to" not in row or add_months(row["to"], months) != following["from"] or row["from"] > row["to"]:
            return None
    return {"schedule": rows} if "to" not in rows[-1] else None


def _ratio(written: str) -> str:
    """A ratio's first number as written: "1.60 to 1.00" is 1.60 (to two places, as the text states it)."""
    found = re.match(r"\D*(\d+(?:\.\d+)?)", written)
    return found.group(1) if found else written
