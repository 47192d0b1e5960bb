"""The engine's typed results as JSON and as words: one module, shared by the CLI and the API.

Money is a string with two decimals ("1275000.00"), a percentage keeps the precision it has ("49.375",
at least two places), dates are ISO strings (CONTRACT.md). The sentences that explain a decision or a
breach are made here, from the structured facts the engine returns.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from .core.money import ZERO, money_human, money_str, number_str, percent_str
from .engine.charges import Charge
from .engine.covenants import TestResult
from .engine.explain import Explanation
from .engine.fees import FeeState, waiver_text
from .engine.results import (
    AvailabilityResult,
    BookLine,
    BorrowingBaseResult,
    Breach,
    Decision,
    Figure,
    InterestLine,
    InterestMonth,
    Obligation,
    OveradvanceResult,
    OverdueInterestLine,
    Payoff,
    Reason,
    SpringingInForce,
    Status,
    TimelineDay,
)

if TYPE_CHECKING:  # the portfolio run imports Ibis and Arrow: only its rows' type is needed here
    from .portfolio.run import PortfolioRow

_FORMAT = {"money": money_str, "percent": percent_str, "number": number_str}


def plain(value):
    """Money as strings with two decimals, dates as ISO strings, dataclasses as objects."""
    if isinstance(value, Decimal):
        return money_str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    return value


def figure_value(f: Figure | None) -> str | None:
    return None if f is None else _FORMAT.get(f.unit, money_str)(f.value)


def explanation_lines(x: Explanation, indent: str = "", seen: set | None = None) -> list[str]:
    """The tree for people, one figure a line; a clause's text is quoted the first time it appears."""
    seen = set() if seen is None else seen
    name = f"{x.figure} ({x.label})" if x.label and x.label != x.figure else x.figure
    line = f"{indent}{name} = {human_value(x.value, x.unit)}"
    if x.formula:
        line += f"    [{x.formula}]"
    lines = [line]
    if x.source:
        lines.append(f"{indent}  from {x.source}")
    if x.flag:
        lines.append(f"{indent}  FLAG: {x.flag}")
    if x.interpretation:
        lines.append(f"{indent}  interpretation {x.interpretation['id']}: {x.interpretation['reading']}")
    if x.clause:
        c = x.clause
        lines.append(f"{indent}  clause {c['clause']} ({c['title']}), {c['document']}, effective {c['effective']}")
        key = (c["clause"], c["document_id"])
        if key not in seen and c["text"]:
            text = " ".join(c["text"].split())
            lines.append(f"{indent}    \"{text[:300]}{'...' if len(text) > 300 else ''}\"")
        elif key not in seen:
            lines.append(f"{indent}    (text not in record; source: {c.get('source')})")
        seen.add(key)
    for child in x.inputs:
        lines += explanation_lines(child, indent + "  ", seen)
    return lines


def human_value(value: Decimal | date | str, unit: str = "money") -> str:
    """A figure's value in words: an amount with separators, a rate with its percent sign, a day, or words."""
    if isinstance(value, Decimal):
        if unit == "percent":
            return f"{percent_str(value)}%"
        if unit == "number":
            return number_str(value)
        return money_human(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def explanation_json(e: Explanation) -> dict:
    """A figure's explanation tree (`explain --json`, `status --explain --json`): a key only where it holds
    something, the inputs each a tree of their own."""
    out: dict = {"figure": e.figure, "value": _explained_value(e), "unit": e.unit}
    if not e.reported:
        out["not_reported"] = True
    for key in ("label", "formula", "clause", "interpretation", "source", "flag"):
        if getattr(e, key):
            out[key] = getattr(e, key)
    if e.inputs:
        out["inputs"] = [explanation_json(i) for i in e.inputs]
    return out


def _explained_value(e: Explanation) -> str:
    """An amount, rate or number in its unit's form; a day as an ISO date; words (a grade) as they are."""
    if isinstance(e.value, Decimal):
        return _FORMAT.get(e.unit, money_str)(e.value)
    if isinstance(e.value, date):
        return e.value.isoformat()
    return e.value


# --- status --------------------------------------------------------------------------------------

def status_json(s: Status, *, explanations: dict[str, Explanation] | None = None) -> dict:
    """The general form, with every named figure of the facility also at the top (the seed's keys)."""
    out: dict = {"as_of": s.as_of.isoformat()}
    out.update({f.id: figure_value(f) for f in s.figures})
    first = s.availabilities[0] if s.availabilities else None
    over = s.overadvances[0] if s.overadvances else None
    out.update({
        "borrowing_base": _base_json(s.borrowing_bases[0]) if s.borrowing_bases else None,
        "availability": figure_value(first.availability) if first else None,
        "excess_availability": figure_value(first.excess_availability) if first else None,
        "availabilities": [_availability_json(a) for a in s.availabilities],
        "overadvance": figure_value(over.overadvance) if over else None,
        "overadvance_cap": figure_value(over.cap) if over else None,
        "overadvance_limit": figure_value(over.limit) if over else None,
        "overadvances": [_overadvance_json(o) for o in s.overadvances],
        "loans": plain(s.loans),
        "contingents": plain(s.contingents),
        "interest_accrued_unpaid": plain(s.interest_accrued_unpaid),
        "overdue_interest": plain(s.overdue_interest),
        "expenses_unpaid": plain(s.expenses_unpaid),
        "breaches": [breach_json(b) for b in s.breaches],
        "past_due": plain(list(s.past_due)),
        "springing": [springing_json(x) for x in s.springing],
        "unmatched": [{**plain(u), "value": number_str(u.value) if isinstance(u.value, Decimal) else u.value}
                      for u in s.unmatched],
        "pending_conditions": plain(list(s.pending_conditions)),
        "interpretations": list(s.interpretations),
        "lenders": [{"party": x.party, "share": percent_str(x.share), "assumption": x.assumption,
                     "principal": money_str(x.principal), "interest": money_str(x.interest),
                     "fees": money_str(x.fees)} for x in s.lenders],
    })
    if len(s.borrowing_bases) > 1:
        out["borrowing_bases"] = [_base_json(b) for b in s.borrowing_bases]
    if explanations is not None:
        out["explanation"] = {name: explanation_json(tree) for name, tree in explanations.items()}
    return out


def springing_json(x: SpringingInForce) -> dict:
    fmt = _FORMAT.get(x.unit, money_str)
    return {"covenant": x.covenant, "label": x.label, "clause": x.clause, "figure": x.figure,
            "value": fmt(x.value), "threshold": fmt(x.threshold), "since": x.since.isoformat(),
            "value_then": fmt(x.value_then), "threshold_then": fmt(x.threshold_then),
            "trigger": x.trigger, "message": springing_message(x)}


def springing_message(x: SpringingInForce) -> str:
    def shown(value: Decimal) -> str:
        return money_human(value) if x.unit == "money" else _FORMAT.get(x.unit, number_str)(value)
    return (f"{x.label} applies: {x.figure.replace('_', ' ')} {shown(x.value)} is below {shown(x.threshold)}, "
            f"since {x.since} ({shown(x.value_then)} below {shown(x.threshold_then)} then; {x.trigger})")


def _base_json(b: BorrowingBaseResult) -> dict:
    return {"id": b.id, "label": b.label, "lines": [_line_json(b, line) for line in b.lines],
            "reserves": [{"id": r.id, "label": r.label, "value": figure_value(r)} for r in b.reserves],
            "collateral": {c.id: figure_value(c) for c in b.collateral},
            "total": figure_value(b.total)}


def _line_json(b: BorrowingBaseResult, line: Figure) -> dict:
    rate, collateral = b.rates[line.id], b.line_collateral[line.id]
    return {"id": line.id, "label": line.label, "value": figure_value(line),
            "collateral": collateral.id, "collateral_value": money_str(collateral.value),
            "rate": percent_str(rate.value), "rate_formula": rate.explanation.formula,
            "caps": [{"label": c.label, "value": money_str(c.value), "formula": c.explanation.formula}
                     for c in b.caps[line.id]]}


def _availability_json(a: AvailabilityResult) -> dict:
    return {"id": a.id, "tranche": a.tranche, "capacity": money_str(a.capacity), "usage": money_str(a.usage),
            "availability": figure_value(a.availability),
            "excess_availability": figure_value(a.excess_availability),
            "ended": reason_text(a.ended) if a.ended else None}


def _overadvance_json(o: OveradvanceResult) -> dict:
    return {"tranche": o.tranche, "clause": o.clause, "overadvance": figure_value(o.overadvance),
            "cap": figure_value(o.cap), "limit": figure_value(o.limit), "discretionary": o.discretionary,
            "total_ceiling": figure_value(o.total_ceiling)}


def breach_json(b: Breach) -> dict:
    return {"rule": b.rule, "clause": b.clause, "tranche": b.tranche,
            "tranches": list(b.tranches or ((b.tranche,) if b.tranche else ())), "amount": money_str(b.amount),
            "limit": money_str(b.limit), "message": breach_message(b)}


def breach_message(b: Breach) -> str:
    if b.rule == "overadvance_limit":
        parts = ", ".join(f"{name.replace('_', ' ')} {money_human(value)}" for name, value in b.facts.items()
                          if isinstance(value, Decimal))
        return (f"Overadvance {money_human(b.amount)} exceeds the overadvance limit {money_human(b.limit)}"
                + (f" ({parts})" if parts else "") + f" on {b.day}")
    if len(b.tranches) > 1:
        loans = b.facts.get("shared_by", {})
        assert isinstance(loans, dict)
        parts = ", ".join(f"{t} {money_human(loans[t])}" for t in b.tranches)
        limit = "their shared capacity" if b.rule == "availability" else f"the {b.rule.replace('_', ' ')}"
        return (f"the combined usage of {' and '.join(b.tranches)}, {money_human(b.amount)} (of which {parts}), "
                f"exceeds {limit} {money_human(b.limit)} on {b.day}")
    if b.rule == "availability":
        return (f"{b.tranche} outstanding {money_human(b.amount)} exceeds its capacity {money_human(b.limit)} on "
                f"{b.day}, and the agreement permits no overadvance")
    if b.rule == "covenant":
        return (f"{b.facts.get('label')}: {b.amount} is not {str(b.facts.get('test')).replace('_', ' ')} "
                f"{b.limit} for the test date {b.day}")
    if b.rule == "matured_unpaid":
        return (f"{b.tranche}: {money_human(b.amount)} unpaid after its term ended on {b.facts.get('maturity')}: "
                "matured, unpaid")
    if b.rule == "amortization":
        return (f"{money_human(b.amount)} of {b.tranche} principal due {b.facts.get('due')} is unpaid on {b.day}")
    return (f"{b.tranche} outstanding {money_human(b.amount)} exceeds the {b.rule.replace('_', ' ')} "
            f"{money_human(b.limit)} on {b.day}")


# --- advance decisions -------------------------------------------------------------------------------

def decision_json(d: Decision) -> dict:
    return {"on": d.day.isoformat(), "tranche": d.tranche, "amount": money_str(d.amount), "decision": d.decision,
            "overadvance_after": money_str(d.overadvance_after), "reasons": [reason_text(r) for r in d.reasons],
            "reason_codes": [r.code for r in d.reasons]}


def reason_text(r: Reason | str) -> str:
    """A reason in words; a str is a sentence already (an advance request stored before reasons were kept as
    codes)."""
    if isinstance(r, str):
        return r
    f = r.facts

    def money(name: str) -> str:
        value = f[name]
        assert isinstance(value, Decimal), (r.code, name)
        return money_human(value)

    if r.code == "below_minimum":
        return f"an advance is at least {money('minimum')}"
    if r.code == "not_a_multiple":
        step = f"whole multiples of {money('multiple')}"
        return (f"an advance is {money('minimum')} or more, in {step} above it" if f["minimum"]
                else f"an advance is in {step}")
    if r.code == "facility_ended":
        return f"the facility was {f['how']} on {f['on']} ({f['event']}): no more is lent"
    if r.code == "term_expired":
        return f"term expired: the last day for an advance was {f['last_day']}"
    if r.code == "within_capacity":
        return (f"outstanding after the request {money('usage_after')} is within the capacity "
                f"{money('capacity')}")
    if r.code == "no_overadvance":
        return (f"outstanding after the request {money('usage_after')} exceeds the capacity "
                f"{money('capacity')}, and the agreement permits no overadvance")
    if r.code == "over_limit":
        parts = ", ".join(f"{name.replace('_', ' ')} {money_human(value)}" for name, value in f.items()
                          if name not in ("overadvance_after", "limit") and isinstance(value, Decimal))
        return (f"overadvance after the request {money('overadvance_after')} exceeds the overadvance "
                f"limit {money('limit')}" + (f" ({parts})" if parts else ""))
    if r.code == "over_ceiling":
        return (f"outstanding after the request {money('usage_after')} exceeds the "
                f"{str(f['ceiling']).replace('_', ' ')} {money('limit')}")
    if r.code == "requires_approval":
        return (f"creates an overadvance of {money('overadvance_after')} within the limit "
                f"{money('limit')}" + ("; Overadvances are at the Lenders' sole discretion"
                                                if f.get("discretionary") else "; the Agent approves it"))
    if r.code == "on_later_day":
        return f"judged again on {f['day']}, a later day of the record, when the advance would still be outstanding"
    if r.code == "not_revolving":
        return f"{f['tranche']} is not a revolving tranche with an availability clause"
    return r.code


def conflict_text(exc: Exception) -> str:
    """A request the store cannot decide as asked, in words: an approval the record no longer allows names the
    engine's reasons."""
    reasons = getattr(exc, "reasons", None)
    if reasons is None:
        return str(exc)
    return "the record no longer allows this advance: " + "; ".join(reason_text(r) for r in reasons)


# --- fees, obligations, payoff ---------------------------------------------------------------------

def charge_json(c: Charge) -> dict:
    return {"fee": c.fee, "label": c.label, "clause": c.clause, "kind": c.kind, "from": c.start.isoformat(),
            "to": c.end.isoformat(), "days": c.days, "basis": plain(c.base),
            "rate": percent_str(c.rate) if c.rate is not None else None, "amount": money_str(c.amount),
            "due": c.due.isoformat(), "status": c.status, "paid": money_str(c.paid)}


def fees_json(state: FeeState | None, day: date, charges: Sequence[Charge] = (), credit: Decimal = ZERO) -> dict:
    """The installment fee (the seed's Extension Fee) and every computed or termination fee charge, with `credit`,
    what was paid toward those charges beyond them; the totals cover them all."""
    charged = [charge_json(c) for c in charges]
    due = sum((c.unpaid for c in charges if c.status == "due"), start=ZERO)
    paid = sum((c.paid for c in charges), start=ZERO)
    scheduled = sum((c.unpaid for c in charges if c.status in ("scheduled", "accruing")), start=ZERO)
    if state is None:
        return {"as_of": day.isoformat(), "fee": None, "earned": None, "installments": [], "charges": charged,
                "total_due": money_str(due), "total_waived": "0.00", "total_paid": money_str(paid),
                "total_scheduled": money_str(scheduled), "credit": money_str(credit)}
    rows = [{"component": s.component, "due": s.due.isoformat(), "amount": money_str(s.amount), "status": s.status,
             "paid": money_str(s.paid), "provisional": s.provisional,
             "waived_by": waiver_text(s.waived_by) if s.waived_by else None,
             "waiver": plain(s.waived_by)} for s in state.installments]
    return {"as_of": day.isoformat(), "fee": state.terms.fee, "clause": state.version.clause_id,
            "earned": state.earned, "installments": rows, "charges": charged,
            "total_due": money_str(state.total_due + due), "total_waived": money_str(state.total_waived),
            "total_paid": money_str(state.total_paid + paid),
            "total_scheduled": money_str(state.total_scheduled + scheduled), "credit": money_str(state.credit + credit)}


def covenant_json(r: TestResult) -> dict:
    fmt = _FORMAT.get(r.unit, number_str)
    return {"covenant": r.covenant, "label": r.label, "clause": r.clause, "test_date": r.test_date.isoformat(),
            "test": r.test, "measure": fmt(r.measure) if r.measure is not None else None,
            "threshold": fmt(r.threshold) if r.threshold is not None else None, "status": r.status,
            "certificate_due": plain(r.certificate_due), "detail": r.detail}


_COVENANT_WORDS = {"compliant": "met", "breached": "not met", "waived": "not met, waived",
                   "not_applicable": "not tested", "not_reported": "not reported",
                   "certificate_late": "certificate late"}


def covenant_sentence(r: TestResult) -> str:
    """A test as a sentence: "Fixed Charge Coverage Ratio for 2023-03-31: 1.10, at least 1.00: met"; the
    engine's detail follows where the status needs a reason (not tested, not reported, late, waived)."""
    shown = covenant_json(r)
    test = r.test.replace("_", " ")
    threshold = f"{test} {shown['threshold']}" if shown["threshold"] is not None else test
    measured = f": {shown['measure']}, {threshold}" if shown["measure"] is not None else f" ({threshold})"
    sentence = f"{r.label} for {r.test_date}{measured}: {_COVENANT_WORDS.get(r.status, r.status)}"
    if r.status in ("compliant", "breached", "waived"):
        return sentence + (f"; certificate due {r.certificate_due}" if r.certificate_due else "")
    return f"{sentence} ({r.detail})"


def interest_json(start: date, end: date, priced: bool, months: Sequence[InterestMonth]) -> dict:
    """The interest statement; each line's rate is a percentage and keeps its precision, and its interest its full
    precision (the month's total is in cents)."""
    return {"from": start.isoformat(), "to": end.isoformat(), "priced": priced,
            "months": [{"month": m.month, "from": m.start.isoformat(), "to": m.end.isoformat(),
                        "interest": money_str(m.interest), "paid": money_str(m.paid),
                        "unpaid_at_end": plain(m.unpaid_at_end),
                        "overdue": [_overdue_line_json(r) for r in m.overdue],
                        "classes": {t: {"interest": money_str(c.interest),
                                        "lines": [_interest_line_json(x) for x in c.lines]}
                                    for t, c in m.classes.items()}} for m in months]}


def _interest_line_json(x: InterestLine) -> dict:
    return {"from": x.start.isoformat(), "to": x.end.isoformat(), "days": x.days, "principal": money_str(x.principal),
            "rate": percent_str(x.rate) if x.rate is not None else None, "rate_formula": x.rate_formula,
            "day_basis": x.day_basis, "interest": str(x.interest)}


def _overdue_line_json(r: OverdueInterestLine) -> dict:
    return {"what": r.what, "due": r.due.isoformat(), "from": r.start.isoformat(), "to": r.end.isoformat(),
            "days": r.days, "amount": money_str(r.amount), "rate": percent_str(r.rate),
            "already_accruing": percent_str(r.already_accruing), "rate_formula": r.rate_formula,
            "day_basis": r.day_basis, "clause": r.clause, "interest": str(r.interest)}


def obligation_json(o: Obligation) -> dict:
    return plain(o)


def book_line_json(facility_id: str, name: str, line: BookLine) -> dict:
    """A facility's line of the web app's book."""
    return {"id": facility_id, "name": name, "as_of": line.as_of.isoformat(),
            "availability": money_str(line.availability), "capacity": money_str(line.capacity),
            "usage": money_str(line.usage),
            "utilisation": percent_str(line.utilisation) if line.utilisation is not None else None,
            "breaches": [breach_message(b) for b in line.breaches], "past_due": money_str(line.past_due),
            "next_deadline": obligation_json(line.next_deadline) if line.next_deadline else None}


def payoff_json(p: Payoff) -> dict:
    return {"on": p.on.isoformat(), "loans": plain(p.loans), "principal": money_str(p.principal),
            "interest": plain(p.interest), "fees": money_str(p.fees), "expenses": money_str(p.expenses),
            "total": money_str(p.total), "would_waive": plain(list(p.would_waive)),
            "cash_collateral": money_str(p.cash_collateral), "to_close": money_str(p.to_close),
            "cash_collateral_parts": [plain(part) for part in p.collateral]}


# --- a command's whole answer (the CLI's --json and the API's body are the same) --------------------------

def checked_answer(checked: bool, answer: dict) -> dict:
    """An answer computed from the terms, opening with whether they passed `loanbook check` (false: computed
    unchecked, from terms that contradict their text)."""
    return {"checked": checked, **answer}


def fees_answer(engine, day: date) -> dict:
    return fees_json(engine.fees(day), day, engine.charges_on(day), engine.charges_credit(day))


def obligations_answer(engine, day: date) -> dict:
    return {"as_of": day.isoformat(), "obligations": [obligation_json(r) for r in engine.obligations(day)],
            "conditions": plain(engine.conditions(day))}


def covenants_answer(engine, day: date) -> dict:
    return {"as_of": day.isoformat(), "covenants": [covenant_json(r) for r in engine.covenant_tests(day)]}


def interest_answer(engine, start: date, end: date) -> dict:
    return interest_json(start, end, engine.priced, engine.interest_statement(start, end))


def timeline_answer(engine, start: date, end: date) -> dict:
    return timeline_json(start, end, engine.timeline(start, end))


def timeline_json(start: date, end: date, days: Sequence[TimelineDay]) -> dict:
    return {"from": start.isoformat(), "to": end.isoformat(),
            "days": [{"date": d.day.isoformat(), "capacity": plain(d.capacity), "usage": plain(d.usage),
                      "availability": plain(d.availability), "overadvance": plain(d.overadvance),
                      "overadvance_limit": plain(d.overadvance_limit), "loans": plain(d.loans), "breach": d.breach,
                      "breaches": list(d.breaches)} for d in days]}


def explain_answer(engine, figure: str, day: date) -> dict:
    return explanation_json(engine.explain(figure, day))


def status_answer(engine, day: date, *, explain: bool = False) -> dict:
    result = engine.status(day)
    return status_json(result, explanations=status_explanations(engine, result) if explain else None)


def share_answer(engine, day: date, seen: Callable[[list[dict]], list[dict]]) -> dict:
    """The Lenders' shares on a day, those `seen` keeps (a lender sees its own, the agent every one)."""
    return {"as_of": day.isoformat(), "lenders": seen(status_answer(engine, day)["lenders"])}


def status_explanations(engine, result: Status) -> dict[str, Explanation]:
    """The explanation of each figure a status leads with, computed once for JSON and for people alike."""
    names = [a.id for a in result.availabilities] + (["overadvance", "overadvance_limit"]
                                                     if result.overadvances else [])
    if result.interest_accrued_unpaid is not None:
        names.append("interest")
    return {n: engine.explain(n, result.as_of) for n in names}


def period_problem(start: date, end: date, max_days: int) -> str | None:
    """Why a period cannot be asked for (backwards, or longer than one answer shows), or None."""
    if end < start:
        return f"the period ends ({end}) before it starts ({start})"
    if (end - start).days + 1 > max_days:
        return (f"{start} to {end} spans {(end - start).days + 1:,} days; the most one answer shows is "
                f"{max_days:,} days: ask for a shorter period")
    return None


# --- the portfolio run -------------------------------------------------------------------------------------

def portfolio_answer(day: date, rows: Sequence[PortfolioRow], *, from_store: bool) -> dict:
    """The book on a day (`portfolio run --json`): each facility's row, and, for a store's run, how the balances
    were read."""
    found: dict[str, object] = {"as_of": day.isoformat(), "facilities": [portfolio_row_json(r) for r in rows]}
    if from_store:
        found["balances"] = portfolio_balances_json(rows)
    return found


def portfolio_row_json(r: PortfolioRow) -> dict:
    """A row's keys in `--json` (docs/json-keys.md): money with two places, dates as ISO text."""
    return plain({"facility_id": r.facility, "name": r.name, "aging": r.aging, "collateral": r.collateral,
                  "gross": r.gross, "eligible": r.eligible, "value": r.value, "borrowing_base": r.borrowing_base,
                  "availability": r.availability, "overadvance": r.overadvance,
                  "overadvance_limit": r.overadvance_limit, "breaches": list(r.breaches), "problem": r.problem,
                  "computed_by": r.computed_by, "rules_without_column": list(r.rules_without_column),
                  "source": r.source, "source_date": r.source_date, "checked": r.checked})


def portfolio_balances_json(rows: Sequence[PortfolioRow]) -> dict:
    """How a store's run read the balances: how many from the aggregate, and each facility replayed, with why."""
    return {"aggregate": sum(1 for r in rows if r.balances == "aggregate"),
            "replayed": {r.facility: r.balances.removeprefix("replay (").removesuffix(")")
                         for r in rows if r.balances != "aggregate"}}


def portfolio_totals(rows: Sequence[PortfolioRow]) -> str:
    """The book's totals over every facility computed (one with a problem has no figures to add)."""
    def total(name: str) -> Decimal:
        return sum((getattr(r, name) for r in rows if getattr(r, name) is not None), start=ZERO)

    computed = sum(1 for r in rows if r.borrowing_base is not None)
    return (f"totals of {computed:,} facilities: collateral value {money_human(total('value'))}, borrowing base "
            f"{money_human(total('borrowing_base'))}, availability {money_human(total('availability'))}, overadvance "
            f"{money_human(total('overadvance'))}")


# --- the store ---------------------------------------------------------------------------------------

def stored_json(f) -> dict:
    return {"id": f.id, "name": f.name, "events": f.events, "imported_at": f.imported_at.isoformat(),
            "imported_from": f.imported_from, "head_hash": f.head_hash}


def recorded_json(r) -> dict:
    return {"facility": r.facility, "keys": list(r.keys), "first_seq": r.first_seq, "last_seq": r.last_seq,
            "recorded_at": r.recorded_at.isoformat()}


def event_row_json(row) -> dict:
    return {"seq": row.seq, "key": row.key, "type": row.type, "date": row.effective.isoformat(),
            "recorded_at": row.recorded_at.isoformat() if row.recorded_at else None, "recorded_by": row.recorded_by,
            "event": plain(row.as_given()), "hash": row.hash}


def advance_request_json(r) -> dict:
    return {"id": r.id, "facility": r.facility, "tranche": r.tranche, "on": r.day.isoformat(),
            "amount": money_str(r.amount), "requested_by": r.requested_by, "requested_at": r.requested_at.isoformat(),
            "judgement": r.judgement, "reasons": [reason_text(x) for x in r.reasons], "status": r.status,
            "decided_by": r.decided_by,
            "decided_at": r.decided_at.isoformat() if r.decided_at else None, "event_key": r.event_key}


def item_certificate_json(cert, collateral: str, label: str, clause: str) -> dict:
    """A certificate computed from an item list that is not an aging (loanbook.portfolio.items.ItemCertificate)."""
    from .portfolio.items import LABELS

    return {"as_of": cert.as_of.isoformat(), "collateral": collateral, "label": label, "clause": clause,
            "items": cert.rows, "gross": money_str(cert.gross),
            "ineligible": [{"category": c, "label": LABELS[c], "amount": money_str(cert.categories[c]),
                            "count": cert.counts[c]} for c in cert.shown_categories],
            "eligible": money_str(cert.eligible), "value_before_group_caps": money_str(cert.before_groups),
            "group_cap": money_str(cert.group_cap), "value": money_str(cert.value),
            "unmatched_ratings": [i.item_id for i in cert.unmatched_ratings],
            "lines": [{"item_id": i.item_id, "category": i.category, "group": i.group_id,
                       "amount": money_str(i.amount), "ineligible": i.ineligible,
                       "concentration": money_str(i.concentration), "eligible": money_str(i.eligible),
                       "rate": percent_str(i.rate), "value": money_str(i.value), "rating_row": i.rating_row}
                      for i in cert.items],
            "groups": [{"group": g.group_id, "value": money_str(g.value), "cap": money_str(g.cap),
                        "excess": money_str(g.excess)} for g in cert.groups]}


def certificate_json(cert, collateral: str, label: str, clause: str) -> dict:
    """A borrowing base certificate computed from an aging (loanbook.portfolio.rules.Certificate)."""
    from .portfolio.aging import RULE_COLUMN
    from .portfolio.rules import LABELS

    return {"as_of": cert.as_of.isoformat(), "collateral": collateral, "label": label, "clause": clause,
            "invoices": cert.invoices, "gross": money_str(cert.gross),
            "ineligible": [{"category": c, "label": LABELS[c], "amount": money_str(cert.categories[c]),
                            "count": cert.counts[c]} for c in cert.shown_categories],
            "eligible": money_str(cert.eligible), "dilution_reserve": money_str(cert.dilution),
            "advance_rate": percent_str(cert.advance_percent) if cert.advance_percent is not None else None,
            "value": money_str(cert.value),
            "debtors": [{"debtor_id": d.debtor_id, "debtor_name": d.debtor_name, "ineligible": money_str(d.ineligible),
                         "categories": {k: money_str(v) for k, v in d.categories.items()}}
                        for d in cert.ineligible_debtors],
            "rules_without_column": [{"rule": rule, "column": RULE_COLUMN[rule]} for rule in cert.rules_without_column]}
