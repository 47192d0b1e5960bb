"""A fee computed on a daily amount (`computed_fee`): 'a commitment fee equal to the Applicable Commitment Fee Rate
per annum times the average daily amount by which the Line A Commitment exceeds the sum of (a) ... plus (b) ...,
payable quarterly in arrears on the first day of each quarter'.

Read: the fee's name (the term it defines, or its words), its rate (a percentage, or a figure the vocabulary or the
filing names), its base (a name, or one name less the sum of others, each a name of the vocabulary or the filing, or
the loans the notes it names evidence), its period and due day (the words of the clause, or the definition of the
payment date it names: a day of each quarter, or four quarter ends; where the clause says none, the filing's
clause on payment that makes the fee its subject: "(ii) all Letter of Credit Fees ... shall be due and payable, in
arrears, on the first Business Day of each quarter"), its day basis (daybasis.py: the clause's own,
or the filing's clause on computation, cited as an assumption) and the day it accrues from (a Closing Date the
filing defines as a date, else this document's date, an assumption). A fee without one of them is not proposed: a
base the vocabulary does not name, a rate without its base, no day basis.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ...agreement.check import located_figures
from ..daybasis import assumption, for_fees
from ..grammar import snake
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, W, percent, proposer
from .definitions import operand_words
from .grids import figure_of

_FEE = re.compile(rf"\b(?:an?)\s+(?P<words>(?:[A-Za-z/-]+\s+){{0,5}}fee)\s*(?:\(\s*(?:the\s+)?{QUOTE}\s*"
                  rf"(?P<defined>[A-Z][^\"”]{{0,60}}?Fee)\s*{END_QUOTE}\s*\)\s*)?(?P<between>.{{0,300}}?)"
                  r"\b(?:equal\s+to|at\s+a\s+per\s+annum\s+rate\s+equal\s+to|at\s+the\s+rate\s+of|of)\s+"
                  r"(?P<rate>.{1,80}?)\s+(?:per\s+annum\s+)?(?:times\s+(?:the\s+times\s+)?|on\s+)(?P<base>.{1,500}?)"
                  r"(?P<end>\.\s|\.$|,\s+(?:which|payable|due|from|computed|monthly|quarterly)\b)",
                  re.S | re.I)
_EXCEEDS = re.compile(r"^(?:the\s+)?average\s+(?:daily\s+)?amount\s+by\s+which\s+(?P<a>.+?)\s+exceeds\s+"
                      r"(?:the\s+sum\s+of\s+)?(?P<rest>.+)$", re.S | re.I)
_LESS = re.compile(r"^(?:the\s+)?result\s+of\s+(?:\(i\)\s+)?(?P<a>.+?),?\s+less\s+(?:-\s+|\(ii\)\s+)?the\s+sum\s+of\s+"
                   r"(?P<rest>.+)$", re.S | re.I)
_AMOUNT_OF = re.compile(r"^(?:the\s+)?average\s+(?:daily\s+)?(?:(?:amount|balance)\s+of\s+)?(?P<a>.+)$", re.S | re.I)
_PLUS = re.compile(r",?\s+(?:plus|and)\s+(?=\([a-z]\)|-\s|the\b|[A-Z])", re.I)
_DURING = re.compile(r"\s+(?:during|in\s+respect\s+of|for\s+the)\b.*$", re.S | re.I)

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_LAST_DAY = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February (index 1) is refused: 28 or 29
_DUE = re.compile(r"(?:payable\s*,?\s+(?:(?P<every>quarterly|monthly)\s+)?|(?P<every2>quarterly|monthly)\s+)"
                  r"(?:in\s+arrears\s*,?\s+)?on\s+(?:the\s+)?"
                  r"(?P<on>(?:first|last)\s+(?:Business\s+)?day\s+of\s+each\s+(?:calendar\s+)?(?:fiscal\s+)?"
                  r"(?:quarter|month|(?P<months>(?:[A-Z][a-z]+,?\s+){3}and\s+[A-Z][a-z]+))|"
                  r"each\s+(?P<date_term>[A-Z]\w+(?:\s+[A-Z]\w+)*\s+Date))", re.S | re.I)
_SUBJECT_START = r"(?:^|[;,:]\s*|\.\s+|\n\s*|\([a-z]{1,4}\)\s*)"  # a sentence's, a list item's: no "(other than"
_FROM_DATE = re.compile(r"\bfrom\s+(?:and\s+(?:after|including)\s+)?(?P<date>[A-Z][a-z]+\s+\d{1,2},\s+\d{4})")
_CLOSING = re.compile(r"\bfrom\s+and\s+(?:after|including)\s+the\s+Closing\s+Date", re.I)


@proposer
def computed_fee(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _FEE.search(clause.body)
    if m is None:
        return []
    name = " ".join(m["defined"].split()) if m["defined"] else " ".join(m["words"].split()).title()
    rate = _rate(clause, m, facility)
    base = _base(m["base"], facility)
    due = _due(clause.body, facility) or _paid_as_said_elsewhere(name, facility)
    basis = for_fees(facility.text, name)
    if rate is None or base is None or due is None or basis is None or facility.as_of is None:
        return []
    accrues, assumed = _accrues_from(clause.body, facility)
    if accrues is None:
        return []
    block = {"kind": "computed_fee", "id": snake(name), "label": name, "base": base, "rate": rate,
             "day_basis": basis.basis} | due | {"accrues_from": accrues}
    block = {k: block[k] for k in ("kind", "id", "label", "base", "rate", "day_basis", "every", "quarter_ends",
                                   "accrues_from", "due") if k in block}
    start = clause.base
    return [Proposal(block, [clause.span(m)], assumed + assumption(basis, start, start + len(clause.body)))]


def _rate(clause: ClauseText, m: re.Match, facility: Facility) -> str | None:
    said = m["rate"]
    figures = [f.figure.value for f in clause.figures if f.figure.kind == "percent" and m.start("rate") <= f.start <
               m.end("rate")]
    if figures:
        return percent(figures[0]) if len(figures) == 1 and isinstance(figures[0], Decimal) else None
    return None if re.search(r"\d", said) else figure_of(said, facility)


def _base(said: str, facility: Facility) -> str | None:
    words = " ".join(said.split())
    for pattern in (_EXCEEDS, _LESS):
        m = pattern.match(words)
        if m:
            first = _name(m["a"], facility)
            parts = [_name(_DURING.sub("", re.sub(r"^\s*(?:\([a-z]\)|-)\s*", "", part)), facility)
                     for part in _PLUS.split(m["rest"])]
            if first is None or len(parts) < 2 or None in parts:
                return None
            return f"{first} - ({' + '.join(p for p in parts if p)})"
    m = _AMOUNT_OF.match(words)
    return _name(_DURING.sub("", m["a"]), facility) if m else None


def _name(words: str, facility: Facility) -> str | None:
    """A figure's name from the words of an operand ("the Average US Revolver Usage (without ...)" -> the defined
    US Revolver Usage; "the Aggregate Effective Amount of all Line A Letters of Credit outstanding" -> the contingent
    kind's figure)."""
    said = operand_words(words)
    said = re.sub(r"^(?:aggregate\s+(?:principal\s+)?amount\s+of\s+(?:the\s+|all\s+)?|average\s+daily\s+|"
                  r"average\s+)", "", said, flags=re.I)
    said = re.sub(r"\s+outstanding$", "", said)
    named = figure_of(said, facility)
    notes = re.match(r"^(?:aggregate\s+)?(?:principal\s+)?(?:outstanding\s+)?Indebtedness\s+evidenced\s+by\s+"
                     r"(?:the\s+)?(?P<notes>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*\s+Notes)$", said)
    if named is None and notes:
        named = _evidenced(notes["notes"], facility)
    if named is None:
        effective = re.match(r"^Aggregate\s+Effective\s+Amount\s+of\s+(?:all\s+)?(?P<what>.+)$", said)
        if effective:
            kinds = [c for c in facility.entries("contingents") if str(c.get("label", "")).lower().startswith(
                effective["what"].lower()) and "aggregate effective amount" in str(c.get("label", "")).lower()]
            named = str(kinds[0].get("figure") or kinds[0]["id"]) if len(kinds) == 1 else None
    return named


def _evidenced(notes: str, facility: Facility) -> str | None:
    """The loans a filing's notes evidence: "The Line A Advances made by each Bank shall be evidenced by that Bank's
    Line A Note" gives the Line A Advances; advances are named as the loans they make up where the filing defines a
    Loan as "the aggregate of the Advances" made together (the Line A Loans)."""
    note = re.sub(r"s$", "", notes)
    said = [m["what"] for m in re.finditer(rf"\b(?:the\s+)?(?P<what>[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)\s+(?:made\s+by\s+"
                                          rf"each\s+\w+\s+)?shall\s+be\s+evidenced\s+by\s+(?:that\s+\w+['’]s\s+|"
                                          rf"its\s+|the\s+)?{W(note)}s?\b", facility.text)]
    if len(set(said)) != 1:
        return None  # no sentence says what the notes evidence, or two say different things
    what = " ".join(said[0].split())
    named = figure_of(what, facility)
    made_of = re.search(rf"{QUOTE}\s*LOANS?\s*{END_QUOTE}\s+means\s+the\s+aggregate\s+of\s+the\s+Advances\b",
                        facility.text, re.I)
    if named is None and made_of and what.endswith("Advances"):
        named = figure_of(what[:-len("Advances")] + "Loans", facility)
    return named


def _due(body: str, facility: Facility) -> dict | None:
    m = _DUE.search(body)
    if m is None:
        return None
    on = " ".join(m["on"].split()).lower()
    if m["date_term"]:
        definition = re.search(rf"{QUOTE}\s*{W(m['date_term'])}\s*{END_QUOTE}\s+means\s+(?:each\s+|the\s+)?"
                               r"(?P<on>(?:first|last)\s+(?:Business\s+)?day\s+of\s+each\s+(?:calendar\s+)?"
                               r"(?:quarter|month))", facility.text, re.I)
        if definition is None:
            return _dates_due(m, facility)  # a payment date defined as four days of the year, or not at all
        on = " ".join(definition["on"].split()).lower()
    said_every = (m["every"] or m["every2"] or "").lower()
    every = "quarter" if "quarter" in on or m["months"] else "month"
    if said_every and said_every != {"quarter": "quarterly", "month": "monthly"}[every]:
        return None
    due = "last_day" if on.startswith("last") else "first_business_day_after" if "business" in on else \
        "first_day_after"
    found: dict = {"every": every, "due": due}
    if m["months"]:  # "on the first day of each March, June, September and December": quarters ending before
        named = [w.lower() for w in re.findall(r"[A-Z][a-z]+", m["months"])]
        if any(w not in _MONTHS for w in named):
            return None
        ends = [_MONTHS[(_MONTHS.index(w) - (0 if due == "last_day" else 1)) % 12] for w in named]
        order = sorted(_MONTHS.index(e) for e in ends)
        if len(order) != 4 or any(b - a != 3 for a, b in zip(order, order[1:])):
            return None
        if order != [2, 5, 8, 11]:  # calendar quarters need no quarter_ends
            found["quarter_ends"] = [_MONTHS[i] for i in order]
    return found


def _paid_as_said_elsewhere(fee: str, facility: Facility) -> dict | None:
    """The period and due day of a fee whose clause says none, from the sentence of the filing that makes it the
    subject ("(ii) all Letter of Credit Fees payable hereunder, and all fronting fees ..., shall be due and payable,
    in arrears, on the first Business Day of each quarter"; "The Standby Fee shall be payable quarterly in arrears
    on ..."). A fee named only in passing ("(other than Letter of Credit Fees)", "such Letter of Credit Fees" of a
    proviso) is no subject; two such sentences that say different days say none."""
    named = r"\s+".join(re.escape(word) for word in fee.split())
    subject = re.compile(rf"{_SUBJECT_START}(?i:all\s+(?:the\s+)?|the\s+){named}s?\b(?:[^;.]|\.(?=\d)){{0,400}}?"
                         r"\bshall\s+be\s+(?:due\s+and\s+)?(?=payable\b)")
    said = []
    for m in subject.finditer(facility.text):
        due = _DUE.match(facility.text, m.end())
        found = _due(due[0], facility) if due else None
        if found is not None and found not in said:
            said.append(found)
    return said[0] if len(said) == 1 else None


def _dates_due(m: re.Match, facility: Facility) -> dict | None:
    """A payment date the filing defines as four days of the year ('"Quarterly Payment Date" means each December 31,
    March 31, June 30 and September 30'): due on the last day of each quarter where each is its month's last day and
    they are three months apart; the quarters end in those months. Anything else (a first or a middle day, February's
    end, months not three apart) is not read."""
    definition = re.search(rf"{QUOTE}\s*(?i:{W(m['date_term'])})\s*{END_QUOTE}\s+means\s+each\s+"
                           r"(?P<days>(?:[A-Z][a-z]+\s+\d{1,2},?\s+){3}and\s+[A-Z][a-z]+\s+\d{1,2})(?P<after>[^\n]?)",
                           facility.text)
    if definition is None or definition["after"] not in (".", ";", ""):
        return None
    days = re.findall(r"([A-Z][a-z]+)\s+(\d{1,2})", definition["days"])
    months = [_MONTHS.index(d[0].lower()) if d[0].lower() in _MONTHS else -1 for d in days]
    if -1 in months or 1 in months or any(int(day) != _LAST_DAY[month] for month, (_, day) in zip(months, days)):
        return None
    order = sorted(months)
    if len(set(order)) != 4 or any(b - a != 3 for a, b in zip(order, order[1:])):
        return None
    said_every = (m["every"] or m["every2"] or "quarterly").lower()
    if said_every != "quarterly":
        return None
    found: dict = {"every": "quarter", "due": "last_day"}
    if order != [2, 5, 8, 11]:
        found["quarter_ends"] = [_MONTHS[i] for i in order]
    return found


def _accrues_from(body: str, facility: Facility) -> tuple[date | None, list[dict]]:
    """A Closing Date the filing defines as a date, where the clause runs from it and it is not before this
    document; otherwise this document's date: a clause version charges nothing before it is in force."""
    assert facility.as_of is not None
    written = _FROM_DATE.search(body)
    if written is not None:  # "from January 2, 2024"
        dates = [f.figure.value for f in located_figures(written["date"]) if isinstance(f.figure.value, date)]
        return (dates[0], []) if dates else (None, [])
    if _CLOSING.search(body):
        defined = re.search(rf"{QUOTE}\s*Closing\s+Date\s*{END_QUOTE}\s+means\s+(?P<date>[A-Z][a-z]+\s+\d{{1,2}},\s+"
                            r"\d{4})", facility.text)
        if defined:
            dates = [f.figure.value for f in located_figures(defined["date"]) if isinstance(f.figure.value, date)]
            if dates and dates[0] >= facility.as_of:
                return dates[0], []
    return facility.as_of, [{"value": facility.as_of.isoformat(),
                             "reason": "the fee accrues from this document's date, when the clause as it states "
                                       "it comes into force"}]
