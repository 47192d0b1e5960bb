"""Covenants, deadlines, conditional obligations, scheduled principal, and conditions precedent."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ..agreement.kinds import Amortization, DeadlineObligation, RecurringObligation, Term, TriggeredObligation
from ..agreement.kinds_commitments import Prepayments
from ..agreement.kinds_pricing import Reporting
from ..agreement.model import Agreement, ClauseVersion
from ..core.money import CENT, ZERO, money_human
from ..events import types as ev
from .ledger import Ledger
from .reporting import reports_on
from .results import Breach, ConditionState, Obligation


def _row(obligation_id: str, version: ClauseVersion, deadline: date | None, status: str, detail: str,
         obligation: str, satisfied_on: date | None = None, kind: str = "deadline",
         amount: Decimal | None = None) -> Obligation:
    return Obligation(obligation_id, version.clause_id, kind, deadline, status, satisfied_on, detail,
                      " ".join(obligation.split()), amount)


# What a kind of terms block owes on a day: its obligations' rows. Each kind registers its own (`@owes`), as it
# registers its figures' lowering; a kind that owes nothing registers nothing.
Owed = Callable[[Agreement, Any, ClauseVersion, Ledger, date], list[Obligation]]
_OWED: dict[type, Owed] = {}


def owes(kind: type) -> Callable[[Owed], Owed]:
    def register(rows: Owed) -> Owed:
        _OWED[kind] = rows
        return rows
    return register


def owes_one(kind: type) -> Callable[[Callable[..., Obligation]], Callable[..., Obligation]]:
    """Register a kind that owes one obligation on a day (its row)."""
    def register(row: Callable[..., Obligation]) -> Callable[..., Obligation]:
        owes(kind)(lambda *question: [row(*question)])
        return row
    return register


def obligations_on(agreement: Agreement, ledger: Ledger, day: date) -> list[Obligation]:
    """Every obligation the clauses in force on the day set, in the clauses' order."""
    rows: list[Obligation] = []
    for version in agreement.in_force(day):
        for block in version.terms:
            owed = _OWED.get(type(block))
            if owed is not None:
                rows += owed(agreement, block, version, ledger, day)
    return rows


@owes(RecurringObligation)
def _recurring(agreement: Agreement, block: RecurringObligation, version: ClauseVersion, ledger: Ledger,
               day: date) -> list[Obligation]:
    elapsed = (day - version.effective).days
    periods = -(-elapsed // block.every_days)  # the next occurrence on or after the day
    next_day = version.effective + timedelta(days=periods * block.every_days)
    return [_row(block.id, version, next_day, "pending",
                 f"every {block.every_days} days from {version.effective}; next on {next_day}", block.obligation,
                 kind="recurring")]


@owes(Amortization)
def _amortization(agreement: Agreement, block: Amortization, version: ClauseVersion, ledger: Ledger,
                  day: date) -> list[Obligation]:
    return [row for row, _ in amortization_on(agreement, block, version, ledger, day)]


_REPORT_STATUS = {"delivered": "satisfied", "delivered_late": "satisfied", "late": "breached", "pending": "pending"}


@owes(Reporting)
def _reports(agreement: Agreement, block: Reporting, version: ClauseVersion, ledger: Ledger, day: date
             ) -> list[Obligation]:
    rows = []
    for row in reports_on(block, ledger, day):
        delivered = row.delivered
        detail = {"delivered": f"delivered {delivered.date if delivered else ''}",
                  "delivered_late": f"delivered late on {delivered.date if delivered else ''}",
                  "late": f"not delivered; it was due {row.due}",
                  "pending": f"due {row.due}"}[row.status]
        rows.append(_row(f"{block.id}:{row.period_end}", version, row.due, _REPORT_STATUS[row.status], detail,
                         f"{block.label or block.document} for the period ended {row.period_end}",
                         delivered.date if delivered else None, kind="report"))
    return rows


_COVENANT_STATUS = {"compliant": "satisfied", "waived": "satisfied", "breached": "breached",
                    "not_applicable": "not_applicable", "not_reported": "pending", "certificate_late": "breached"}


def covenant_obligation(result) -> Obligation:
    """A covenant test as an obligation row (the covenants command gives the whole of it)."""
    return Obligation(f"{result.covenant}:{result.test_date}", result.clause, "covenant", result.certificate_due,
                      _COVENANT_STATUS[result.status], None, f"{result.status}: {result.detail}", result.label)


@owes_one(DeadlineObligation)
def _deadline(agreement: Agreement, block: DeadlineObligation, version: ClauseVersion, ledger: Ledger,
              day: date) -> Obligation:
    paid = ledger.paid_in_full(day)
    documents = tuple(d.document for d in block.satisfied_by)
    delivered = ledger.delivered(documents, day)
    in_time = [e for e in delivered if block.deadline is None or e.date <= block.deadline]
    if in_time:
        event = in_time[0]
        return _row(block.id, version, block.deadline, "satisfied",
                    f"{event.document} delivered and accepted on {event.date} ({event.where})",
                    block.obligation, event.date)
    if block.not_applicable_if_repaid_by_deadline and paid and block.deadline and paid.date <= block.deadline:
        return _row(block.id, version, block.deadline, "not_applicable",
                    f"the Indebtedness was paid in full on {paid.date}, before the deadline", block.obligation)
    if block.deadline is not None and day > block.deadline:
        late = f"; delivered late on {delivered[0].date}" if delivered else ""
        return _row(block.id, version, block.deadline, "breached",
                    f"nothing that satisfies it was delivered by {block.deadline}{late}", block.obligation)
    return _row(block.id, version, block.deadline, "pending", f"awaiting one of: {', '.join(documents)}",
                block.obligation)


@owes_one(Term)
def _maturity(agreement: Agreement, block: Term, version: ClauseVersion, ledger: Ledger, day: date) -> Obligation:
    end = block.initial_term_end
    tranches = block.tranches or agreement.vocabulary.ids("tranches")
    text = (f"{', '.join(tranches)} repaid at the end of the term" if block.tranches
            else "all Indebtedness repaid at the end of the Initial Term") + (
        "" if block.renewal_term else "; no Renewal Term")
    paid = ledger.paid_in_full(day)
    if paid and paid.date <= end:
        return _row(block.maturity_obligation, version, end, "satisfied", f"paid in full on {paid.date}", text,
                    paid.date)
    at_end = ledger.on(end)
    if block.tranches and day > end and all(at_end.loan(t) == ZERO for t in tranches):
        return _row(block.maturity_obligation, version, end, "satisfied", f"nothing outstanding on {end}", text, end)
    if day > end:
        return _row(block.maturity_obligation, version, end, "breached",
                    f"the term ended {end}; {'it is' if block.tranches else 'the Indebtedness is'} not paid in full",
                    text)
    return _row(block.maturity_obligation, version, end, "pending", f"{(end - day).days} day(s) to the end of the term",
                text)


@owes_one(TriggeredObligation)
def _triggered(agreement: Agreement, block: TriggeredObligation, version: ClauseVersion, ledger: Ledger,
               day: date) -> Obligation:
    snap = ledger.on(day)
    if block.trigger == "expense_demanded":
        demands = [e for e in ledger.expense_demands if e.date <= day]
        if not demands:
            return _row(block.id, version, None, "not_applicable", "not triggered: no expense demanded",
                        block.obligation, kind="conditional")
        if snap.expenses_unpaid > ZERO:
            return _row(block.id, version, demands[0].date, "pending",
                        f"{money_human(snap.expenses_unpaid)} demanded and unpaid (payable on demand)",
                        block.obligation, kind="conditional")
        return _row(block.id, version, demands[0].date, "satisfied", "every demanded expense is paid",
                    block.obligation, kind="conditional")
    triggers = ledger.sales if block.trigger == "sale_closed" else ledger.refinancings
    fired = [e for e in triggers if e.date <= day]
    if not fired:
        return _row(block.id, version, None, "not_applicable", f"not triggered: no {block.trigger} event",
                    block.obligation, kind="conditional")
    trigger = fired[0]
    tranches = block.tranches or agreement.vocabulary.ids("tranches")
    outstanding = sum((snap.loan(t) for t in tranches), start=ZERO)
    if outstanding == ZERO or ledger.paid_in_full(day):
        return _row(block.id, version, trigger.date, "satisfied", f"triggered {trigger.date}; repaid",
                    block.obligation, kind="conditional")
    status = "breached" if day > trigger.date else "pending"
    return _row(block.id, version, trigger.date, status,
                f"triggered on {trigger.date} ({trigger.where}); {money_human(outstanding)} due immediately",
                block.obligation, kind="conditional", amount=outstanding)


def amortization_on(agreement: Agreement, block: Amortization, version: ClauseVersion, ledger: Ledger,
                    day: date) -> list[tuple[Obligation, Breach | None]]:
    """Each scheduled installment of principal, paid by the tranche's repayments to date (`installments_paid`)."""
    if ledger.paid_in_full(day):
        return []
    paid = installments_paid(agreement, block, ledger, day)
    rows: list[tuple[Obligation, Breach | None]] = []
    for item, covered in zip(block.installments, paid):
        unpaid = item.amount - covered
        row_id = f"{block.id}:{item.due}"
        obligation = f"{money_human(item.amount)} of {block.tranche} principal due {item.due}"
        if unpaid == ZERO:
            rows.append((_row(row_id, version, item.due, "satisfied", "paid by repayments of the tranche",
                              obligation, kind="installment", amount=item.amount), None))
        elif day > item.due:
            breach = Breach("amortization", version.clause_id, day, unpaid, ZERO, block.tranche,
                            {"due": item.due, "installment": item.amount})
            rows.append((_row(row_id, version, item.due, "breached", f"{money_human(unpaid)} unpaid after {item.due}",
                              obligation, kind="installment", amount=unpaid), breach))
        else:
            rows.append((_row(row_id, version, item.due, "pending",
                              f"{money_human(unpaid)} due on {item.due}", obligation, kind="installment",
                              amount=unpaid), None))
    return rows


def installments_paid(agreement: Agreement, block: Amortization, ledger: Ledger, day: date) -> list[Decimal]:
    """What the tranche's repayments by a day paid of each installment. Each repayment pays first what is already
    due (due on or before its day), earliest first; the rest is a prepayment, applied to the installments not yet
    due in the order the `prepayments` clause in force that day gives (earliest first where none does)."""
    paid = [ZERO for _ in block.installments]
    for repayment in ledger.repayments:
        if repayment.loan != block.tranche or repayment.date > day:
            continue
        left = repayment.amount
        due = [i for i, item in enumerate(block.installments) if item.due <= repayment.date]
        later = [i for i, item in enumerate(block.installments) if item.due > repayment.date]
        for i in due:
            part = min(left, block.installments[i].amount - paid[i])
            paid[i] += part
            left -= part
        order = next((b.order for _, b in agreement.terms_in_force(Prepayments, repayment.date)
                      if b.tranche == block.tranche), "earliest_first")
        for i, part in _prepaid(order, left, [block.installments[i].amount - paid[i] for i in later]):
            paid[later[i]] += part
    return paid


def _prepaid(order: str, amount: Decimal, unpaid: list[Decimal]) -> list[tuple[int, Decimal]]:
    """A prepayment spread over the unpaid amounts of the installments not yet due (in date order): the earliest
    first, the most remote first (inverse order of maturity), or pro rata to each unpaid amount, each share
    rounded down to the cent and the cents left over going to the most remote installments first."""
    positions = list(range(len(unpaid)))
    if order == "pro_rata":
        total = sum(unpaid, start=ZERO)
        amount = min(amount, total)
        if total == ZERO:
            return []
        shares = [(amount * u / total).quantize(CENT, rounding=ROUND_DOWN) for u in unpaid]
        left = amount - sum(shares, start=ZERO)
        for i in reversed(positions):
            extra = min(left, unpaid[i] - shares[i])
            shares[i] += extra
            left -= extra
        return list(zip(positions, shares))
    if order == "inverse_order_of_maturity":
        positions.reverse()
    out = []
    for i in positions:
        part = min(amount, unpaid[i])
        out.append((i, part))
        amount -= part
    return out


def conditions_on(agreement: Agreement, ledger: Ledger, day: date) -> list[ConditionState]:
    """The conditions of every document in effect: satisfied (with the event) or open."""
    rows = []
    for doc in agreement.documents:
        if doc.effective > day:
            continue
        for condition in doc.conditions:
            event: ev.AmendmentExecuted | ev.DocumentDelivered | None
            if condition.satisfied_by_event == "amendment_executed":
                event = ledger.executed(doc.id, day)
            else:
                found = ledger.delivered((condition.satisfied_by_document or "",), day)
                event = found[0] if found else None
            rows.append(ConditionState(doc.id, condition.id, condition.clause, condition.text,
                                       "satisfied" if event else "open", event.date if event else None,
                                       doc.conditions_gate))
    return rows
