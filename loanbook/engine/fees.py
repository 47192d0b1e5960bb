"""Installment fees with waivers and payment application (the Extension Fee: RULES.md 5)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ..agreement.kinds import InstallmentSchedule
from ..agreement.model import Agreement, ClauseVersion
from ..core.money import ZERO
from .explain import Explanation, clause_ref, leaf
from .ledger import Ledger


@dataclass(frozen=True)
class InstallmentState:
    component: str
    due: date
    amount: Decimal
    status: str  # waived | paid | due | scheduled
    paid: Decimal
    provisional: bool = False
    waived_by: str | None = None

    @property
    def unpaid(self) -> Decimal:
        return ZERO if self.status == "waived" else self.amount - self.paid


@dataclass(frozen=True)
class FeeState:
    version: ClauseVersion
    terms: InstallmentSchedule
    installments: tuple[InstallmentState, ...]
    total_due: Decimal
    total_waived: Decimal
    total_paid: Decimal
    total_scheduled: Decimal
    credit: Decimal
    earned: bool
    explanation: Explanation


def _waivers(agreement: Agreement, terms: InstallmentSchedule, ledger: Ledger, day: date,
             full_payment_day: date | None):
    """For each component, the day from which its installments are waived and why (or none)."""
    rules: list[tuple[set[str], date, bool, str]] = []  # (components, day, inclusive, reason)
    for waiver in terms.waivers:
        if waiver.kind == "document_received":
            received = ledger.delivered(waiver.documents, day)
            if received and received[0].date <= waiver.received_by:
                event = received[0]
                rules.append((set(waiver.components), event.date, True,
                              f"{event.document} received {event.date} ({event.where})"))
        elif waiver.kind == "full_payment" and full_payment_day is not None:
            before = waiver.before
            if before == "initial_term_end":
                _, term = agreement.terms_on("term", full_payment_day)
                before = term.initial_term_end
            if full_payment_day < before:
                rules.append((set(waiver.components), full_payment_day, False,
                              f"Full Payment on {full_payment_day}"))
    return rules


def fees_on(agreement: Agreement, ledger: Ledger, day: date, *, full_payment_day: date | None = None,
            fee_paid: Decimal | None = None) -> FeeState:
    """The installments at the end of a day. `full_payment_day` asks what paying in full would waive."""
    version, terms = agreement.terms_on("installment_schedule", day)
    execution = ledger.executed(version.document_id, day)
    if full_payment_day is None:
        paid_event = ledger.paid_in_full(day)
        full_payment_day = paid_event.date if paid_event else None
    rules = _waivers(agreement, terms, ledger, day, full_payment_day)

    rows = []
    for component in terms.components:
        for item in component.installments:
            provisional = item.due == "execution" and execution is None
            due = (execution.date if execution else item.provisional_due) if item.due == "execution" else item.due
            waived_by = None
            for components, from_day, inclusive, reason in rules:
                if component.id in components and (due >= from_day if inclusive else due > from_day):
                    waived_by = reason
                    break
            rows.append((component.id, due, item.amount, provisional, waived_by))
    order = sorted(range(len(rows)), key=lambda i: (rows[i][1], i))

    pool = sum((p.amount for p in ledger.fee_payments if p.date <= day), start=ZERO) if fee_paid is None else fee_paid
    applied: dict[int, Decimal] = {}
    for i in order:
        if rows[i][4] is None:
            take = min(pool, rows[i][2])
            applied[i] = take
            pool -= take
    states = []
    for i in order:
        component, due, amount, provisional, waived_by = rows[i]
        paid = applied.get(i, ZERO)
        if waived_by:
            status = "waived"
        elif paid == amount:
            status = "paid"
        elif due <= day:
            status = "due"
        else:
            status = "scheduled"
        states.append(InstallmentState(component, due, amount, status, paid, provisional, waived_by))

    total_waived = sum((s.amount for s in states if s.status == "waived"), start=ZERO)
    total_paid = sum((s.paid for s in states), start=ZERO)
    total_due = sum((s.amount - s.paid for s in states if s.status == "due"), start=ZERO)
    total_scheduled = sum((s.amount - s.paid for s in states if s.status == "scheduled"), start=ZERO)
    ref = clause_ref(agreement, version)
    explanation = Explanation(
        "fees_due", total_due,
        formula="sum of unpaid installments due on or before the day, not waived; payments applied oldest due first",
        inputs=tuple(Explanation(f"{s.component} {s.due}{' (provisional)' if s.provisional else ''}",
                                 s.amount - s.paid if s.status != "waived" else ZERO,
                                 formula=f"{s.status}" + (f": {s.waived_by}" if s.waived_by else ""))
                     for s in states) + (leaf("fee payments to date", total_paid + pool,
                                              "fee_payment events"),),
        clause=ref)
    return FeeState(version, terms, tuple(states), total_due, total_waived, total_paid, total_scheduled, pool,
                    execution is not None, explanation)
