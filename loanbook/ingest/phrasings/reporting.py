"""A document due every period: "within 45 days after the end of each Fiscal Quarter (commencing as of June 30,
1996), a Pricing Certificate ...", "not later than twenty (20) days after the end of each calendar month, commencing
with the month ending March 31, 2024, a Borrowing Base Certificate ...".

The document is the vocabulary's whose label's words the sentence gives; the days are the figure the text writes;
the first period end is the date the text commences with. Without that date nothing is proposed: a fiscal period's
first end is not the calendar's to guess. The obligation's id is the document's, in the plural (what is owed:
each period's "pricing_certificates").
"""
from __future__ import annotations

import re
from datetime import date

from ..terms import ClauseText, Facility, Proposal, proposer
from .naming import named

_PERIOD = r"(?:fiscal\s+|calendar\s+)?(?P<period>month|quarter|year)s?"
_EVERY = re.compile(rf"(?:within|not\s+later\s+than|no\s+later\s+than)\s+(?P<days>[\w()\s-]{{1,30}}?)\s+days\s+after\s+"
                    rf"the\s+end\s+of\s+each\s+(?:of\s+[\w'’]+\s+)?{_PERIOD}\b", re.S | re.I)
_COMMENCING = re.compile(r"\s*,?\s*\(?\s*commencing\s+(?:as\s+of|with)\s+(?:the\s+\w+\s+ending\s+(?:on\s+)?)?"
                         r"(?P<first>[A-Z][a-z]+\s+\d{1,2},\s+\d{4})\s*\)?\s*,\s+", re.S)
_WHAT = re.compile(r"(?:an?\s+|the\s+)?(?P<document>(?:[A-Z][\w-]*\s+){0,5}[A-Z][\w-]*)\b")


@proposer
def reporting(clause: ClauseText, facility: Facility) -> list[Proposal]:
    found = []
    for m in _EVERY.finditer(clause.body):
        days = [f.figure.value for f in clause.figures if f.figure.kind == "days" and m.start() <= f.start < m.end()]
        commencing = _COMMENCING.match(clause.body, m.end())
        if len(days) != 1 or commencing is None:
            continue
        what = _WHAT.match(clause.body, commencing.end())
        document = named(facility, "documents", what["document"]) if what else None
        first = clause.dates_in(commencing.start("first"), commencing.end("first"))
        if document is None or len(first) != 1 or not _ends(first[0], m["period"].lower()):
            continue
        block = {"kind": "reporting", "id": f"{document['id']}s", "document": document["id"],
                 "every": m["period"].lower(), "first_period_end": first[0], "due_days_after": int(str(days[0])),
                 "label": " ".join(what["document"].split()) if what else None}
        found.append(Proposal(block, [clause.span((m.start(), what.end() if what else commencing.end()))]))
    return found


def _ends(day: date, period: str) -> bool:
    """The date a text commences with ends a period: a month's last day (a fiscal quarter or year may end in any
    month, so no more is asked of it)."""
    return date.fromordinal(day.toordinal() + 1).day == 1
