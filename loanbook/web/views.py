"""What each page shows, gathered from the engine's answers (`projection.py`, the JSON of the CLI and the API):
the views pick and arrange figures, and compute only what a page adds to them (a book's totals, a utilisation
ratio), in Decimal."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from .. import projection as out
from ..agreement.conformed import history, redline, terms_summary
from ..agreement.gate import FailsCheck, require
from ..core.money import ZERO, money_str
from ..engine.facility import MAX_TIMELINE_DAYS, Facility
from ..store.sessions import Session

CHART_DAYS = min(366, MAX_TIMELINE_DAYS)  # the chart's period: a year to the day shown


def default_day(replay: Facility, today: date) -> date:
    """The day a page shows unless asked for another: today, or the record's last day if that is earlier (a
    facility's figures past its record are often unknowable: no rate, no report)."""
    last = max((event.date for event in replay.events), default=replay.agreement.record_end)
    return min(today, last, replay.agreement.record_end)


def gate_problem(replay: Facility, facility_id: str) -> str | None:
    """Why nothing is computed from this facility (its terms, every version as written, fail `loanbook check`, as
    the command line and the API ask `gate.require`), or None."""
    try:
        require(replay.as_written, facility_id, unchecked=False)
    except FailsCheck as exc:
        result = exc.outcome
        return (f"{facility_id} fails `loanbook check` ({result.differences} difference(s); first: {result.first}): "
                "nothing is computed from terms that contradict their text")
    return None


def _sum(values) -> Decimal:
    return sum((Decimal(v) for v in values if v is not None), start=ZERO)


def book_row(facility_id: str, name: str, replay: Facility, day: date) -> dict:
    """One facility's line in the book (the engine's `book_line`): availability, utilisation, breaches, past-due
    amounts and the next deadline."""
    return out.book_line_json(facility_id, name, replay.book_line(day))


BOOK_SORTS = {"name": lambda r: r["name"].lower(), "availability": lambda r: Decimal(r.get("availability") or 0),
              "utilisation": lambda r: Decimal(r.get("utilisation") or -1),
              "breaches": lambda r: len(r.get("breaches") or ()), "past_due": lambda r: Decimal(r.get("past_due") or 0),
              "next_deadline": lambda r: (r.get("next_deadline") or {}).get("deadline") or "9999"}


def book_totals(rows: list[dict]) -> dict:
    computed = [r for r in rows if "error" not in r]
    return {"availability": money_str(_sum(r["availability"] for r in computed)),
            "capacity": money_str(_sum(r["capacity"] for r in computed)),
            "usage": money_str(_sum(r["usage"] for r in computed)),
            "breaches": sum(len(r["breaches"]) for r in computed),
            "past_due": money_str(_sum(r["past_due"] for r in computed)), "facilities": len(rows)}


def facility_view(replay: Facility, day: date, lenders_seen) -> dict:
    """Everything the facility page shows on a day, each part the engine's answer to one command."""
    status = out.status_answer(replay, day)
    status["lenders"] = lenders_seen(status["lenders"])
    start = max(day - timedelta(days=CHART_DAYS - 1), _first_day(replay))
    three_months_back = (day.replace(day=1) - timedelta(days=62)).replace(day=1)  # this month and the two before
    interest = out.interest_answer(replay, max(three_months_back, _first_day(replay)), day)
    tranches = sorted({t for m in interest["months"] for t in m["classes"]})
    bases = status.get("borrowing_bases") or ([status["borrowing_base"]] if status["borrowing_base"] else [])
    return {"status": status, "bases": bases, "fees": out.fees_answer(replay, day),
            "covenants": out.covenants_answer(replay, day), "obligations": out.obligations_answer(replay, day),
            "interest": interest, "interest_tranches": tranches,
            "timeline": out.timeline_answer(replay, start, day), "explainable": set(replay.explainable(day))}


def _first_day(replay: Facility) -> date:
    return min((event.date for event in replay.events), default=replay.agreement.record_end)


def chart_json(timeline: dict) -> str:
    """The chart's series as the timeline gives them (money strings; the browser only draws them), as JSON safe
    inside the page's <script type="application/json">."""
    days = timeline["days"]
    series = {"dates": [d["date"] for d in days], "capacity": [d["capacity"] for d in days],
              "usage": [d["usage"] for d in days], "overadvance_limit": [d.get("overadvance_limit") for d in days],
              "breach": [d["breach"] for d in days]}
    return json.dumps(series).replace("<", "\\u003c")


def clause_history(agreement, clause_id: str) -> list[dict]:
    """Every version of a clause (`loanbook history`), each with its redline against the version before."""
    rows = history(agreement, clause_id)
    previous: str | None = None
    for row in rows:
        row["redline"] = redline(previous, row["text"]) if previous is not None and row["text"] is not None else None
        if row["text"] is not None:
            previous = row["text"]
    return rows


def document_changes(agreement, document_id: str) -> list[dict]:
    """What one document of the chain did to each clause: its version and the redline against the text it
    replaced (where both texts are in the record)."""
    changes = []
    for clause in agreement.clauses.values():
        before = None
        for version in clause.versions:
            if version.document_id == document_id:
                changes.append({"clause": clause.id, "title": clause.title, "op": version.op,
                                "effective": version.effective.isoformat(), "text": version.text,
                                "terms": terms_summary(version) or None,
                                "redline": redline(before.text, version.text)
                                if before is not None and before.text and version.text else None,
                                "replaced_in_record": before is not None and before.text is not None})
            before = version
    return changes


def _whatif_figures(replay: Facility, day: date) -> dict:
    """Each revolving tranche's availability; the excess availability where the agreement defines one (one figure
    of the facility, under the agreement's label: DNOW's Aggregate Excess Availability); each tranche's
    overadvance; then fees, payoff, breaches."""
    status, fees = out.status_answer(replay, day), out.fees_answer(replay, day)
    label = replay.agreement.vocabulary.label_of
    figures = {f"availability of {label('tranches', a['tranche'])}": a["availability"]
               for a in status["availabilities"]}
    excess = next((a["excess_availability"] for a in status["availabilities"] if a["excess_availability"]), None)
    if excess is not None and "excess_availability" in replay.explainable(day):
        figures[replay.explain("excess_availability", day).label or "excess availability"] = excess
    figures.update({f"overadvance of {label('tranches', o['tranche'])}": o["overadvance"]
                    for o in status["overadvances"]})
    return {**figures, "fees due": fees["total_due"], "fees scheduled": fees["total_scheduled"],
            "payoff": out.payoff_json(replay.payoff(day))["total"],
            "breaches": [b["message"] for b in status["breaches"]]}


def whatif_compare(before: Facility, after: Facility, day: date) -> list[dict]:
    """The figures a what-if changes, before and after: every tranche's availability and overadvance, fees, the
    payoff, breaches."""
    old, new = _whatif_figures(before, day), _whatif_figures(after, day)
    rows = []
    for figure, was in old.items():
        now = new.get(figure)
        change = (money_str(Decimal(now) - Decimal(was))
                  if isinstance(was, str) and isinstance(now, str) else None)
        rows.append({"figure": figure, "before": was, "after": now, "change": change})
    return rows


def who_may(session: Session, facility_id: str) -> dict:
    role = session.user.role
    return {"request": role in ("borrower", "agent"), "decide": role == "agent", "role": role,
            "party": session.user.party(facility_id)}
