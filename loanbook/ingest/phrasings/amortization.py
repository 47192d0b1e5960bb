"""A term tranche's installments from a table of amounts by payment date: '"X Amount" means, with respect to each
X Date, the amount set forth below opposite that X Date or opposite the period during which such X Date occurs',
rows of a date, a period ("June 30, 1997 through December 31, 1997") or dates ("March 31, 1999 and June 30, 1999")
each with its amount; and, in another clause, '"X Date" means <date> and each Quarterly Payment Date thereafter
through and including the <Tranche> Maturity Date', with that maturity date defined.

The payment dates run from the first every one, three, six or twelve months (a month end stays a month end) to
the maturity date. Each falls in exactly one row, and each row holds at least one: a period's dates between its
ends are assumptions the reviewer sees. Where the document defines the tranche's commitment, the installments
must add up to it. Anything else (a date off the run, a row with no date of it, a sum that is not the commitment)
proposes nothing.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from ...agreement.check import located_figures
from ...core.periods import add_months
from ..terms import END_QUOTE, QUOTE, ClauseText, Facility, Proposal, W, money, proposer
from .naming import tranche_named

_AMOUNTS = re.compile(rf"^\s*{QUOTE}\s*(?P<term>[^\"”]{{2,60}}?)\s*{END_QUOTE}\s+means,?\s+"
                      rf"{W('with respect to each')}\s+"
                      rf"(?P<dates>[A-Z][\w ]{{2,40}}?),\s+{W('the amount set forth below opposite')}\s+", re.S | re.I)
_EVERY = {"monthly": 1, "quarterly": 3, "semi-annual": 6, "semiannual": 6, "annual": 12}
_MONTH_DATE = r"[A-Z][a-z]+\s+\d{1,2},\s+\d{4}"


def _definition(facility: Facility, term: str, rest: str) -> re.Match | None:
    said = W(" ".join(map(re.escape, term.split())))
    return re.search(rf"{QUOTE}\s*{said}\s*{END_QUOTE}\s+means,?\s+{rest}", facility.text, re.I | re.S)


@proposer
def installments(clause: ClauseText, facility: Facility) -> list[Proposal]:
    m = _AMOUNTS.match(clause.body)
    if m is None:
        return []
    rows = _rows(clause, m.end())
    runs = _definition(facility, " ".join(m["dates"].split()),
                       rf"(?P<first>{_MONTH_DATE})\s+and\s+each\s+(?P<kind>(?P<every>[\w-]+)\s+[\w\s]{{0,30}}?Date)\s+thereafter\s+"
                       r"through\s+and\s+including\s+the\s+(?P<last>[A-Z][\w\s]{2,40}?\s+Maturity\s+Date)\b")
    if rows is None or runs is None or runs["every"].lower() not in _EVERY:
        return []
    maturity = _definition(facility, " ".join(runs["last"].split()), rf"(?P<date>{_MONTH_DATE})")
    prefix = re.sub(r"\s+Maturity\s+Date$", "", " ".join(runs["last"].split()))
    tranche = tranche_named(facility, prefix)
    if maturity is None or tranche is None or tranche.get("type") != "term":
        return []
    first, last = _date(runs["first"]), _date(maturity["date"])
    dates = _run(first, last, _EVERY[runs["every"].lower()]) if first and last else []
    if not dates or dates[-1] != last:
        return []
    held = [(due, [row for row in rows if _holds(row, due)]) for due in dates]
    if any(len(rows_) != 1 for _, rows_ in held) or any(not any(_holds(row, due) for due in dates) for row in rows) \
            or any(d not in dates for row in rows for d in row[1]):
        return []  # a payment date in no row or in two, a row with none, or a date of the table off the run
    commitment = _definition(facility, f"{prefix} Commitment", r"(?:subject\s+to\s+[^,$]{1,80},\s+)?"
                                                                r"(?P<amount>\$[\d,]+(?:\.\d\d)?)")
    if commitment is not None and sum(r[0][2] for _, r in held) != _amount(commitment["amount"]):
        return []  # installments that do not repay the commitment: a row misread, or a table cut
    schedule = [{"due": due, "amount": money(r[0][2])} for due, r in held]
    kind = " ".join(runs["kind"].split())
    assumptions = [{"value": due.isoformat(), "reason": f'a {kind} within "{r[0][3]}"'}
                   for due, r in held if r[0][0] == "period" and due not in r[0][1]]
    block = {"kind": "amortization", "id": f"{tranche['id']}_amortization", "tranche": tranche["id"],
             "installments": schedule}
    spans = [clause.span((m.start(), len(clause.body.rstrip()))), (runs.start(), runs.end()),
             (maturity.start("date"), maturity.end("date"))]
    return [Proposal(block, spans, assumptions)]


def _rows(clause: ClauseText, start: int) -> list[tuple[str, list[date], Decimal, str]] | None:
    """The table's rows in order: (single | period | dates, their dates, the amount, the words), from the clause's
    dates and amounts; a row is closed by its amount. None where the words between dates are neither "through"
    nor "and", or an amount has no date."""
    rows: list[tuple[str, list[date], Decimal, str]] = []
    pending: list[tuple[date, int, int]] = []
    for located in clause.figures:
        if located.start < start:
            continue
        value = located.figure.value
        if located.figure.kind == "date" and isinstance(value, date):
            pending.append((value, located.start, located.end))
        elif located.figure.kind == "amount" and isinstance(value, Decimal):
            if not pending:
                return None
            gaps = {" ".join(clause.body[a[2]:b[1]].split()) for a, b in zip(pending, pending[1:])}
            words = " ".join(clause.body[pending[0][1]:pending[-1][2]].split())
            if len(pending) == 1:
                rows.append(("single", [pending[0][0]], value, words))
            elif gaps == {"through"} and len(pending) == 2:
                rows.append(("period", [pending[0][0], pending[1][0]], value, words))
            elif gaps <= {"and", ",", ", and"}:
                rows.append(("dates", [p[0] for p in pending], value, words))
            else:
                return None
            pending = []
    return rows if rows and not pending else None


def _holds(row: tuple[str, list[date], Decimal, str], due: date) -> bool:
    return row[1][0] <= due <= row[1][1] if row[0] == "period" else due in row[1]


def _run(first: date, last: date, months: int) -> list[date]:
    dates = [first]
    while add_months(first, months * len(dates)) <= last:
        dates.append(add_months(first, months * len(dates)))
    return dates if first <= last else []


def _date(written: str) -> date | None:
    found = [f.figure.value for f in located_figures(written) if isinstance(f.figure.value, date)]
    return found[0] if found else None


def _amount(written: str) -> Decimal:
    return Decimal(written.strip("$").replace(",", ""))
