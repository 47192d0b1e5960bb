"""Terms proposed for the phrasings the clause kinds know, each with the spans of the text it came from.

A proposer reads one phrasing ("'X' ... shall be ... up to 85% of the <collateral>", "exceed $300,000 from
<date> to <date>", "<period>   Prime Rate plus 3.5%") and proposes a terms block of one kind. Every name a
block uses is the facility's: a collateral class, a contingent kind, a tranche, an index, a measure or a
document is found by its label in facility.yaml's vocabulary (a document's label may cite the clause it
belongs to: "(Section 10.21)"); a figure the clause defines is named from its defined term ("IEC Borrowing
Capacity" -> iec_borrowing_capacity). Where the register has an interpretation of the clause that settles a
field (a truncated date it resolves, a day basis, the figure an overadvance is measured against), the field
names the interpretation. A phrasing with a name the vocabulary lacks proposes nothing: its figures are left
`unmapped`, never guessed.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..agreement.check import LocatedFigure, located_figures
from .grammar import snake

Span = tuple[int, int]


@dataclass
class Proposal:
    block: dict  # a terms block, as the document's YAML writes it
    spans: list[Span]  # where it came from, in the filing's cleaned text
    assumptions: list[dict] = field(default_factory=list)


@dataclass
class Condition:
    id: str
    text: str
    satisfied_by: dict
    spans: list[Span]


@dataclass
class ClauseText:
    """One clause's text as a proposer sees it: `body` is text[base:base + len(body)]."""
    clause_id: str
    title: str
    body: str
    base: int
    part_title: str  # the title of the amendment part it sits in ("Conditions"), or ""
    figures: list[LocatedFigure]  # spans relative to body

    def span(self, m: re.Match | tuple[int, int]) -> Span:
        start, end = (m.start(), m.end()) if isinstance(m, re.Match) else m
        return (self.base + start, self.base + end)

    def dates_in(self, start: int, end: int) -> list[date]:
        return [f.figure.value for f in self.figures if f.figure.kind == "date" and start <= f.start < end
                and isinstance(f.figure.value, date)]

    def amounts_in(self, start: int, end: int) -> list[Decimal]:
        return [f.figure.value for f in self.figures if f.figure.kind == "amount" and start <= f.start < end
                and isinstance(f.figure.value, Decimal)]


@dataclass(frozen=True)
class Facility:
    """What proposers may name: the facility's vocabulary and register (facility.yaml, as YAML), the document."""
    vocabulary: dict
    interpretations: list[dict]
    parties: list[dict]
    doc_id: str
    as_of: date | None

    def entries(self, kind: str) -> list[dict]:
        return [e for e in self.vocabulary.get(kind) or [] if isinstance(e, dict)]

    def by_label(self, kind: str, words: str) -> dict | None:
        """The entry of `kind` whose label (its parenthesised citation aside) is `words`, case and spacing aside,
        or, failing that, whose label is in `words` or `words` in its label (the longest label first)."""
        said = _flat(words)
        entries = self.entries(kind)
        for entry in entries:
            if _flat(_uncited(str(entry.get("label", "")))) == said:
                return entry
        ranked = sorted(entries, key=lambda e: -len(str(e.get("label", ""))))
        for entry in ranked:
            label = _flat(_uncited(str(entry.get("label", ""))))
            if label and (label in said or said in label):
                return entry
        return None

    def cited(self, kind: str, clause_said: str) -> list[dict]:
        """The entries whose label cites a clause: "(Section 10.21)", "(A.1)"."""
        return [e for e in self.entries(kind) if re.search(rf"\({re.escape(clause_said)}\)\s*$", str(e.get("label")))]

    def interpretation(self, clause_id: str, accepts: Callable[[object], bool]) -> str | None:
        """The interpretation of the register about `clause_id` whose readings' values all fit a field."""
        for item in self.interpretations:
            values = [r.get("value") for r in item.get("readings") or []]
            if item.get("clause") == clause_id and values and all(accepts(v) for v in values if v is not None):
                return str(item["id"])
        return None

    def resolving(self, clause_id: str, written: str) -> str | None:
        for item in self.interpretations:
            if item.get("clause") == clause_id and written in (item.get("resolves") or []):
                return str(item["id"])
        return None


def _flat(words: str) -> str:
    return " ".join(re.sub(r"[\"“”']", "", words).lower().split())


def _uncited(label: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*$", "", label)


def W(phrase: str) -> str:
    """A phrase as a pattern that any spacing and line breaks between its words match."""
    return r"\s+".join(phrase.split())


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def percent(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


_Q = r"[\"“'‘]"
_EQ = r"[\"”'’]"
_DEFINED = re.compile(rf"\(\s*(?:each,?\s+|individually,?\s+)?(?:an?\s+|the\s+)?{_Q}(?P<term>[A-Z][^\"”'’]{{1,60}}?){_EQ}")

Proposer = Callable[[ClauseText, Facility], list[Proposal]]
PROPOSERS: list[Proposer] = []
CONDITIONS: list[Callable[[ClauseText, Facility], list[Condition]]] = []


def proposer(function: Proposer) -> Proposer:
    PROPOSERS.append(function)
    return function


def propose(clause: ClauseText, facility: Facility) -> list[Proposal]:
    proposals: list[Proposal] = []
    for function in PROPOSERS:
        proposals += function(clause, facility)
    return proposals


def conditions(clause: ClauseText, facility: Facility) -> list[Condition]:
    found: list[Condition] = []
    for function in CONDITIONS:
        found += function(clause, facility)
    return found


def clause_text(clause_id: str, title: str, body: str, base: int, part_title: str = "") -> ClauseText:
    return ClauseText(clause_id, title, body, base, part_title, located_figures(body))


# --- a borrowing base: "'X' ... shall be ... up to 85% of the <collateral>" -----------------------------------

_BASE = re.compile(rf"{_Q}(?P<name>[A-Z][^\"”'’\n]{{2,60}}){_EQ}\s+(?:at\s+any\s+time\s+)?(?:shall\s+be|means)\s+"
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

_LESSER = re.compile(rf"(?P<name>[A-Z][\w ]{{2,60}}?)\s+(?:at\s+any\s+time\s+)?shall\s+be\s+the\s+net\s+amount\s+"
                     rf"determined\s+by\s+taking\s+the\s+lesser\s+of.{{0,60}}?\(A\)\s+(?:The\s+)?(?:applicable\s+)?"
                     rf"(?P<limit>[A-Z][\w ]{{2,40}}?)\s+of\s+(?P<amount>\$[\d,]+(?:\.\d\d)?)\s*;\s+or\s+\(B\)\s+"
                     rf"(?:The\s+)?amount\s+equal\s+to\s+the\s+sum\s+of\s+the\s+(?P<figure>[A-Z][\w ]{{2,60}}?)\s+"
                     rf"\(as\s+defined\s+below\)\s+and\s+subtracting\s+from\s+the\s+lesser\s+of\s+\(A\)\s+and\s+\(B\)"
                     rf"\s+above,\s+the\s+sum\s+of\s+(?P<less>.{{0,300}}?)\.", re.S)
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

_TERM = re.compile(r"Initial\s+Term:\s+To\s+expire\s+on\s+(?P<date>\w+\s+\d{1,2},\s+\d{1,4})(?P<renewal>\s+Renewal\s+Term:"
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


# --- deadlines: "deliver to Agent ... by <date> ... ("<Document>")", or a condition "shall have been delivered" --

_DELIVER_BY = re.compile(r"deliver\s+to\s+Agent(?:\s+and\s+the\s+Lenders)?\s+by\s+(?P<date>\w+\s+\d{1,2},\s+\d{4})",
                         re.S)
_UNLESS_REPAID = re.compile(r"Unless\s+the\s+Indebtedness\s+is\s+sooner\s+repaid", re.S)
_BY_DATE = re.compile(r"\bby\s+(?P<date>\w+\s+\d{1,2},\s+\d{4})")


@proposer
def deadline(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _DELIVER_BY.search(clause.body)
    if m is None:
        return []
    deadline_date = clause.dates_in(m.start("date"), m.end("date"))[0]
    defined = [d["term"] for d in _DEFINED.finditer(clause.body, m.end())]
    documents = [facility.by_label("documents", d) for d in defined[:1]]
    said = _said(clause)
    if not documents or documents[0] is None:
        documents = facility.cited("documents", said)
    documents = [d for d in documents if d is not None]
    if not documents:
        return []
    satisfied = []
    places = [_place(clause.body, document, m.end()) for document in documents]
    for n, document in enumerate(documents):
        entry = {"document": document["id"]}
        following = [p for p in places[n + 1:] if p > places[n]]
        segment_end = min(following) if following else len(clause.body)
        later = _BY_DATE.search(clause.body, places[n], segment_end) if places[n] >= 0 else None
        if later is not None:
            entry["performance_by"] = clause.dates_in(later.start("date"), later.end("date"))[0]
        satisfied.append(entry)
    name = snake(defined[0]) if defined and documents[0]["id"] == snake(defined[0]) else snake(
        re.sub(r"^sale\s+of\s+", "", clause.title, flags=re.I))
    block = {"kind": "deadline_obligation", "id": name, "obligation": _sentence(clause.body, m.start()),
             "deadline": deadline_date, "satisfied_by": satisfied}
    if _UNLESS_REPAID.search(clause.body):
        block["not_applicable_if_repaid_by_deadline"] = True
    spans = [clause.span(m)] + [clause.span(later) for later in _BY_DATE.finditer(clause.body, m.end())]
    return [Proposal(block, spans)]


def _place(body: str, document: dict, after: int) -> int:
    """Where the text first speaks of a document after `after`: the first of its label's words (its citation
    and its articles aside) that the text has."""
    for word in _uncited(str(document.get("label", ""))).split():
        if len(word) > 3 and word.lower() not in {"executed", "with", "from", "for", "the"}:
            at = body.find(word, after)
            if at != -1:
                return at
    return -1


_DELIVERED = re.compile(r"shall\s+have\s+been\s+delivered\s+to\s+Agent", re.S)


@proposer
def delivered_condition(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _DELIVERED.search(clause.body)
    if m is None:
        return []
    documents = facility.cited("documents", _said(clause))
    if len(documents) != 1:
        return []
    document = documents[0]
    block = {"kind": "deadline_obligation", "id": document["id"],
             "obligation": _sentence(clause.body, m.start()), "deadline": None,
             "satisfied_by": [{"document": document["id"]}]}
    return [Proposal(block, [clause.span(m)])]


def _said(clause: ClauseText) -> str:
    """How the text cites the clause: "Section 10.21" for section-10.21, "A.1" for an amendment's amendment-10.a-1."""
    section = re.fullmatch(r"section-(\d+(?:\.\d+)*)", clause.clause_id)
    if section:
        return f"Section {section.group(1)}"
    paragraph = re.search(r"\.([a-z])-(\d+)$", clause.clause_id)
    return f"{paragraph.group(1).upper()}.{paragraph.group(2)}" if paragraph else clause.clause_id


def _sentence(body: str, at: int) -> str:
    start = max(body.rfind(". ", 0, at) + 2, 0)
    end = body.find(".", at)
    words = " ".join(body[start:end if end != -1 else len(body)].split())
    return re.sub(r"^\d+\.\s+", "", words)


# --- obligations that something sets off --------------------------------------------------------------------------

_SALE_PROCEEDS = re.compile(r"immediately\s+upon\s+closing\s+of\s+the\s+sale.{0,200}?net\s+proceeds.{0,80}?repay\s+in\s+"
                            r"full", re.S)
_EXPENSES_OF = re.compile(r"reimburse\s+the\s+Agent.{0,40}?upon\s+demand,?\s+for\s+the\s+cost\s+and\s+expenses\s+of\s+"
                          r"(?P<who>[A-Z][\w&]+)", re.S)
_PAY_ON_DEMAND = re.compile(r"agrees\s+to\s+pay\s+on\s+demand\s+by\s+Agent\s+all\s+expenses", re.S)
_REFINANCED = re.compile(r"intends\s+to\s+refinance.{0,300}?upon\s+such\s+payment\s+of\s+the\s+(?P<loans>[A-Z]\w+).{0,80}?"
                         r"the\s+(?P<instrument>[A-Z]\w+\s+Notes)\s+of\s+the\s+\w+\s+dated\s+(?P<date>\w+\s+\d{1,2},\s+"
                         r"\d{4}).{0,80}?become\s+due\s+and\s+payable", re.S)


@proposer
def triggered(clause: ClauseText, facility: Facility) -> list[Proposal]:
    found = []
    m = _SALE_PROCEEDS.search(clause.body)
    if m:
        found.append(Proposal({"kind": "triggered_obligation", "id": "sale_proceeds_prepayment", "trigger": "sale_closed",
                               "obligation": _sentence(clause.body, m.start()), "due": "immediately"},
                              [clause.span(m)]))
    m = _EXPENSES_OF.search(clause.body)
    if m:
        found.append(Proposal({"kind": "triggered_obligation", "id": f"{snake(m['who'])}_expenses",
                               "trigger": "expense_demanded", "obligation": " ".join(m.group(0).split()),
                               "due": "on_demand"}, [clause.span(m)]))
    m = _PAY_ON_DEMAND.search(clause.body)
    if m:
        found.append(Proposal({"kind": "triggered_obligation", "id": "expenses_on_demand",
                               "trigger": "expense_demanded", "obligation": _sentence(clause.body, m.start()),
                               "due": "on_demand"}, [clause.span(m)]))
    m = _REFINANCED.search(clause.body)
    if m:
        term_tranches = [t["id"] for t in facility.entries("tranches") if t.get("type") == "term"]
        found.append(Proposal({"kind": "triggered_obligation", "id": f"{snake(m['instrument'])}_due",
                               "trigger": "refinanced", "obligation": _sentence(clause.body, m.start("instrument")),
                               "due": "immediately", "tranches": term_tranches,
                               "instrument_dated": clause.dates_in(m.start("date"), m.end("date"))[0]},
                              [clause.span(m)]))
    return found


# --- a recurring obligation: "... on a weekly basis ..." ------------------------------------------------------

_EVERY = {"daily": 1, "weekly": 7, "bi-weekly": 14, "biweekly": 14}
_RECURRING = re.compile(r"\bon\s+a\s+(?P<every>daily|weekly|bi-?weekly)\s+basis\b", re.S)


@proposer
def recurring(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _RECURRING.search(clause.body)
    if m is None:
        return []
    item_start = max(clause.body.rfind("(", 0, m.start()), 0)
    item = re.compile(r"\((?:i|ii|iii|iv|v|vi|vii|viii|ix|x)\)").finditer(clause.body, 0, m.start())
    starts = [i.start() for i in item]
    item_start = starts[-1] if starts else 0
    scope = clause.body[item_start:m.end()]
    defined = [d["term"] for d in _DEFINED.finditer(scope)]
    counterparties = [p["id"] for p in facility.parties if _flat(str(p.get("name", ""))) in _flat(scope)
                      and not set(p.get("roles") or []) & {"debtor", "agent", "lender", "guarantor"}]
    subject = snake(defined[0]) if defined else "counterparty"
    every = _EVERY[m["every"].lower().replace("-", "")] if m["every"].lower() != "bi-weekly" else 14
    block = {"kind": "recurring_obligation", "id": f"{subject}_updates",
             "obligation": " ".join(clause.body[m.start() - 80 if m.start() > 80 else 0:m.end()].split()),
             "every_days": every, "counterparties": counterparties}
    return [Proposal(block, [clause.span(m)],
                     [{"value": str(every), "reason": f'"on a {m["every"]} basis" is every {every} days'}])]


# --- a fee in installments: "$150,000 extension fee ("Extension Fee") ... earned upon execution ..." -----------

_FEE = re.compile(r"(?P<total>\$[\d,]+)\s+(?P<name>[a-z\s]+?fee)\s+\(\s*[\"“](?P<defined>[A-Z][\w\s]+?)[\"”]\s*\),?\s+with\s+"
                  r"such\s+fee\s+being\s+earned\s+upon\s+execution", re.S)
_COMPONENT = re.compile(r"(?:a|an\s+additional)\s+fee\s+amounting\s+to\s+(?P<total>\$[\d,]+)\s+in\s+the\s+aggregate\s+"
                        r"\(\s*[\"“](?P<defined>[A-Z][\w\s]+?)[\"”]\s*\)", re.S)
_PAYABLE = re.compile(r"(?P<amount>\$[\d,]+)\s+payable\s+on\s+(?:(?P<execution>the\s+date\s+of\s+execution\s+of\s+this\s+"
                      r"Amendment)|(?P<date>\w+\s+\d{1,2},\s+\d{4}))", re.S)
_DOCUMENT_WAIVER = re.compile(r"if\s+\w+\s+delivers\s+to\s+the\s+Agent.{0,40}?by\s+either\s+(?P<dates>\w+\s+\d{1,2},\s+"
                              r"\d{4}\s+or\s+\w+\s+\d{1,2},\s+\d{4})(?P<what>.{0,900}?)then\s+the\s+Agent\s+and\s+the\s+"
                              r"Lenders\s+shall\s+waive\s+payment\s+of\s+any\s+portion\s+of\s+the\s+(?P<component>[A-Z]\w+"
                              r"\s+Fee)\s+which\s+is\s+scheduled\s+to\s+be\s+payable\s+on\s+or\s+after\s+the\s+date\s+of\s+"
                              r"receipt", re.S)
_FULL_PAYMENT = re.compile(r"paid\s+in\s+full.{0,80}?prior\s+to\s+the\s+end\s+of\s+the\s+Initial\s+Term.{0,200}?"
                           r"scheduled\s+to\s+be\s+payable\s+after\s+the\s+Full\s+Payment\s+Date\s+shall\s+be\s+waived",
                           re.S)
_DEFINED_LOOSE = re.compile(r"\(\s*[\"“](?P<term>[A-Z][\w ]+?)[\"”)]")


def _money(written: str) -> Decimal:
    return Decimal(written.strip("$").replace(",", ""))


@proposer
def installment_fee(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _FEE.search(clause.body)
    if m is None:
        return []
    spans = [clause.span(m)]
    assumptions: list[dict] = []
    components = []
    found = list(_COMPONENT.finditer(clause.body, m.end()))
    for n, c in enumerate(found):
        defined = " ".join(c["defined"].split())
        heading = re.compile(W(f"The {defined} shall be due and payable as follows")).search(clause.body, c.end())
        if heading is None:
            return []
        schedule_at = heading.start()
        others = [re.compile(W(f"The {' '.join(o['defined'].split())} shall be due")).search(clause.body, schedule_at + 10)
                  for o in found]
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
        documents = [facility.by_label("documents", d["term"]) for d in _DEFINED_LOOSE.finditer(w["what"])]
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


# --- an amendment's conditions to effectiveness ----------------------------------------------------------------

_SIGNED = re.compile(r"shall\s+have\s+executed|evidenced\s+by\s+\w+'s\s+signature", re.S)


def _conditions(clause: ClauseText, facility: Facility) -> list[Condition]:
    if clause.part_title.lower() != "conditions":
        return []
    found = []
    signed = _SIGNED.search(clause.body)
    delivered = _DELIVERED.search(clause.body)
    fee = _FEE.search(clause.body)
    if signed is not None:
        if fee is not None:
            name = snake(" ".join(fee["defined"].split()))
        elif re.search(r"shall\s+have\s+executed", signed.group(0)):
            name = "executed"
        else:
            name = "undertakings"
        found.append(Condition(name, _sentence(clause.body, signed.start()), {"event": "amendment_executed"},
                               [clause.span(signed)]))
    if delivered is not None:
        documents = facility.cited("documents", _said(clause))
        if len(documents) == 1:
            found.append(Condition(documents[0]["id"], _sentence(clause.body, delivered.start()),
                                   {"event": "document_delivered", "document": documents[0]["id"]},
                                   [clause.span(delivered)]))
    return found


CONDITIONS.append(_conditions)
