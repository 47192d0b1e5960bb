"""Phrasings of obligations: a deadline to deliver a document, obligations something sets off (a sale, a refinancing,
a demand for expenses), a recurring one, and an amendment's conditions to effectiveness."""
from __future__ import annotations

import re

from ..grammar import snake
from ..terms import (
    DEFINED,
    ClauseText,
    Condition,
    Facility,
    Proposal,
    condition_reader,
    flat,
    proposer,
    uncited,
)
from .fees import FEE

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
    defined = [d["term"] for d in DEFINED.finditer(clause.body, m.end())]
    named = facility.by_label("documents", defined[0]) if defined else None
    documents = [named] if named is not None else facility.cited("documents", _said(clause))
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
    for word in uncited(str(document.get("label", ""))).split():
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


# A sentence ends at a full stop after a word of two letters or more, before a capital or a quote: not at
# "S. de R.L.", "Inc. (" or "Section 10.19".
_SENTENCE_END = re.compile(r"(?<=[A-Za-z]{2}\.)\s+(?=[A-Z\"“])|(?<=[A-Za-z]{2}\.)\s*$")


def _sentence(body: str, at: int) -> str:
    """The sentence of the clause that holds `at`, spacing made single, its paragraph number left out: the words
    of an obligation or a condition, as the text gives them."""
    ends = [m.end() for m in _SENTENCE_END.finditer(body)]
    start = max([e for e in ends if e <= at], default=0)
    end = min([e for e in ends if e > at], default=len(body))
    words = " ".join(body[start:end].split()).rstrip(".")
    return re.sub(r"^\d+\.\s+", "", words)


# --- obligations that something sets off --------------------------------------------------------------------------

_SALE_PROCEEDS = re.compile(r"immediately\s+upon\s+closing\s+of\s+the\s+sale.{0,200}?net\s+proceeds.{0,80}?"
                            r"repay\s+in\s+"
                            r"full", re.S)
_EXPENSES_OF = re.compile(r"reimburse\s+the\s+Agent.{0,40}?upon\s+demand,?\s+for\s+the\s+cost\s+and\s+expenses\s+of\s+"
                          r"(?P<who>[A-Z][\w&]+)", re.S)
_PAY_ON_DEMAND = re.compile(r"agrees\s+to\s+pay\s+on\s+demand\s+by\s+Agent\s+all\s+expenses", re.S)
_REFINANCED = re.compile(r"intends\s+to\s+refinance.{0,300}?upon\s+such\s+payment\s+of\s+the\s+(?P<loans>[A-Z]\w+)"
                         r".{0,80}?"
                         r"the\s+(?P<instrument>[A-Z]\w+\s+Notes)\s+of\s+the\s+\w+\s+dated\s+(?P<date>\w+\s+\d{1,2},\s+"
                         r"\d{4}).{0,80}?become\s+due\s+and\s+payable", re.S)


@proposer
def triggered(clause: ClauseText, facility: Facility) -> list[Proposal]:
    found = []
    m = _SALE_PROCEEDS.search(clause.body)
    if m:
        found.append(Proposal({"kind": "triggered_obligation", "id": "sale_proceeds_prepayment",
                               "trigger": "sale_closed",
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

_EVERY = {"daily": 1, "weekly": 7, "biweekly": 14}
_DUTY = re.compile(r"\b(?:communicat|deliver|report|advis|provid|meet|furnish|send)\w*", re.I)
_ROMAN_ITEM = re.compile(r"\((?:i|ii|iii|iv|v|vi|vii|viii|ix|x)\)")
_RECURRING = re.compile(r"\bon\s+a\s+(?P<every>daily|weekly|bi-?weekly)\s+basis\b", re.S)


@proposer
def recurring(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _RECURRING.search(clause.body)
    if m is None or not _DUTY.search(clause.body, max(0, m.start() - 160), m.start()):
        return []  # "determined on a daily basis" says how, not that something is owed
    items = [i.start() for i in _ROMAN_ITEM.finditer(clause.body, 0, m.start())]
    scope = clause.body[items[-1] if items else 0:m.end()]  # the enumerated item "(iv) ..." it is part of
    defined = [d["term"] for d in DEFINED.finditer(scope)]
    counterparties = [p["id"] for p in facility.parties if flat(str(p.get("name", ""))) in flat(scope)
                      and not set(p.get("roles") or []) & {"debtor", "agent", "lender", "guarantor"}]
    subject = snake(defined[0]) if defined else "counterparty"
    every = _EVERY[m["every"].lower().replace("-", "")]
    block = {"kind": "recurring_obligation", "id": f"{subject}_updates",
             "obligation": " ".join(scope.split()),
             "every_days": every, "counterparties": counterparties}
    return [Proposal(block, [clause.span(m)],
                     [{"value": str(every), "reason": f'"on a {m["every"]} basis" is every {every} days'}])]


# --- an amendment's conditions to effectiveness ----------------------------------------------------------------

_SIGNED = re.compile(r"shall\s+have\s+executed|evidenced\s+by\s+\w+'s\s+signature", re.S)


@condition_reader
def conditions(clause: ClauseText, facility: Facility) -> list[Condition]:
    if clause.part_title.lower() != "conditions":
        return []
    found = []
    signed = _SIGNED.search(clause.body)
    delivered = _DELIVERED.search(clause.body)
    fee = FEE.search(clause.body)
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


