"""Covenants, deadlines and conditional obligations (RULES.md 1 and 6), and conditions precedent."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from ..agreement.model import Agreement
from ..core.money import ZERO, money_human
from .ledger import Ledger


def _row(obligation_id, version, deadline, status, detail, obligation, satisfied_on=None, kind="deadline"):
    return {"id": obligation_id, "clause": version.clause_id, "kind": kind,
            "deadline": deadline.isoformat() if deadline else None, "status": status,
            "satisfied_on": satisfied_on.isoformat() if satisfied_on else None,
            "detail": detail, "obligation": " ".join(obligation.split())}


def obligations_on(agreement: Agreement, ledger: Ledger, day: date, *, principal: Decimal,
                   expenses_unpaid: Decimal) -> list[dict]:
    rows = []
    paid = ledger.paid_in_full(day)
    for version in agreement.in_force(day):
        for block in version.terms:
            if block.kind == "deadline_obligation":
                documents = tuple(d.document for d in block.satisfied_by)
                delivered = ledger.delivered(documents, day)
                in_time = [e for e in delivered if block.deadline is None or e.date <= block.deadline]
                if in_time:
                    event = in_time[0]
                    rows.append(_row(block.id, version, block.deadline, "satisfied",
                                     f"{event.document} delivered and accepted on {event.date} ({event.where})",
                                     block.obligation, event.date))
                elif block.not_applicable_if_repaid_by_deadline and paid and block.deadline \
                        and paid.date <= block.deadline:
                    rows.append(_row(block.id, version, block.deadline, "not_applicable",
                                     f"the Indebtedness was paid in full on {paid.date}, before the deadline",
                                     block.obligation))
                elif block.deadline is not None and day > block.deadline:
                    late = f"; delivered late on {delivered[0].date}" if delivered else ""
                    rows.append(_row(block.id, version, block.deadline, "breached",
                                     f"nothing that satisfies it was delivered by {block.deadline}{late}",
                                     block.obligation))
                else:
                    rows.append(_row(block.id, version, block.deadline, "pending",
                                     f"awaiting one of: {', '.join(documents)}", block.obligation))
            elif block.kind == "term":
                end = block.initial_term_end
                text = "all Indebtedness repaid at the end of the Initial Term" + (
                    "" if block.renewal_term else "; no Renewal Term")
                if paid and paid.date <= end:
                    rows.append(_row(block.maturity_obligation, version, end, "satisfied",
                                     f"paid in full on {paid.date}", text, paid.date))
                elif day > end:
                    rows.append(_row(block.maturity_obligation, version, end, "breached",
                                     f"the Initial Term ended {end}; the Indebtedness is not paid in full", text))
                else:
                    rows.append(_row(block.maturity_obligation, version, end, "pending",
                                     f"{(end - day).days} day(s) to the end of the Initial Term", text))
            elif block.kind == "triggered_obligation":
                rows.append(_triggered(block, version, ledger, day, principal, expenses_unpaid))
            elif block.kind == "recurring_obligation":
                elapsed = (day - version.effective).days
                periods = -(-elapsed // block.every_days)  # the next occurrence on or after the day
                next_day = version.effective + timedelta(days=periods * block.every_days)
                rows.append(_row(block.id, version, next_day, "pending",
                                 f"every {block.every_days} days from {version.effective}; next on {next_day}",
                                 block.obligation, kind="recurring"))
    return rows


def _triggered(block, version, ledger: Ledger, day: date, principal: Decimal, expenses_unpaid: Decimal) -> dict:
    if block.trigger == "expense_demanded":
        demands = [e for e in ledger.expense_demands if e.date <= day]
        if not demands:
            return _row(block.id, version, None, "not_applicable", "not triggered: no expense demanded",
                        block.obligation, kind="conditional")
        if expenses_unpaid > ZERO:
            return _row(block.id, version, demands[0].date, "pending",
                        f"{money_human(expenses_unpaid)} demanded and unpaid (payable on demand)",
                        block.obligation, kind="conditional")
        return _row(block.id, version, demands[0].date, "satisfied", "every demanded expense is paid",
                    block.obligation, kind="conditional")
    triggers = {"sale_closed": ledger.sales, "refinanced": ledger.refinancings}[block.trigger]
    fired = [e for e in triggers if e.date <= day]
    if not fired:
        return _row(block.id, version, None, "not_applicable", f"not triggered: no {block.trigger} event",
                    block.obligation, kind="conditional")
    trigger = fired[0]
    outstanding = principal if block.trigger == "sale_closed" else _term_loan(ledger, day)
    if outstanding == ZERO or ledger.paid_in_full(day):
        return _row(block.id, version, trigger.date, "satisfied", f"triggered {trigger.date}; repaid",
                    block.obligation, kind="conditional")
    status = "breached" if day > trigger.date else "pending"
    return _row(block.id, version, trigger.date, status,
                f"triggered on {trigger.date} ({trigger.where}); {money_human(outstanding)} due immediately",
                block.obligation, kind="conditional")


def _term_loan(ledger: Ledger, day: date) -> Decimal:
    return ledger.on(day).term_loan


def conditions_on(agreement: Agreement, ledger: Ledger, day: date) -> list[dict]:
    """The conditions of every document in effect: satisfied (with the event) or open."""
    rows = []
    for doc in agreement.documents:
        if doc.effective > day:
            continue
        for condition in doc.conditions:
            if condition.satisfied_by_event == "amendment_executed":
                event = ledger.executed(doc.id, day)
            else:
                found = ledger.delivered((condition.satisfied_by_document,), day)
                event = found[0] if found else None
            rows.append({"document": doc.id, "id": condition.id, "clause": condition.clause,
                         "text": condition.text, "status": "satisfied" if event else "open",
                         "satisfied_on": event.date.isoformat() if event else None})
    return rows
