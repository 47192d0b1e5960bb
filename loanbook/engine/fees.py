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
class WaivedBy:
    """Why an installment is waived: a document received on a day, or Full Payment on a day."""

    cause: str  # document_received | full_payment
    day: date
    document: str | None = None
    where: str | None = None


@dataclass(frozen=True)
class _Rule:
    components: frozenset[str]
    start: date
    inclusive: bool  # waives installments due on or after `start` (else: after it)
    waived_by: WaivedBy

    def waives(self, component: str, due: date) -> bool:
        return component in self.components and (due >= self.start if self.inclusive else due > self.start)


@dataclass(frozen=True)
class InstallmentState:
    component: str
    due: date
    amount: Decimal
    status: str  # waived | paid | due | scheduled
    paid: Decimal
    provisional: bool = False
    waived_by: WaivedBy | None = None

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
             full_payment_day: date | None) -> list[_Rule]:
    rules = []
    for waiver in terms.waivers:
        if waiver.kind == "document_received":
            received = ledger.delivered(waiver.documents, day)
            if received and received[0].date <= waiver.received_by:
                event = received[0]
                rules.append(_Rule(frozenset(waiver.components), event.date, True,
                                   WaivedBy("document_received", event.date, event.document, event.where)))
        elif waiver.kind == "full_payment" and full_payment_day is not None:
            before = waiver.before
            if before == "initial_term_end":
                before = agreement.term_end(full_payment_day) or date.max
            if full_payment_day < before:
                rules.append(_Rule(frozenset(waiver.components), full_payment_day, False,
                                   WaivedBy("full_payment", full_payment_day)))
    return rules


@dataclass(frozen=True)
class _Scheduled:
    component: str
    due: date
    amount: Decimal
    provisional: bool
    waived_by: WaivedBy | None


def fees_on(agreement: Agreement, ledger: Ledger, day: date, *, full_payment_day: date | None = None) -> FeeState:
    """The installments at the end of a day. `full_payment_day` asks what paying in full then would waive;
    a Full Payment already recorded earlier always stands (a later payoff never un-waives)."""
    version, terms = agreement.terms_on(InstallmentSchedule, day)
    execution = ledger.executed(version.document_id, day)
    paid_event = ledger.paid_in_full(day)
    if paid_event is not None:
        full_payment_day = paid_event.date
    rules = _waivers(agreement, terms, ledger, day, full_payment_day)

    scheduled = []
    for component in terms.components:
        for item in component.installments:
            provisional = item.due == "execution" and execution is None
            if item.due == "execution":
                due = execution.date if execution else item.provisional_due
            else:
                due = item.due
            assert isinstance(due, date)
            waived_by = next((r.waived_by for r in rules if r.waives(component.id, due)), None)
            scheduled.append(_Scheduled(component.id, due, item.amount, provisional, waived_by))
    scheduled.sort(key=lambda s: s.due)  # stable: components in their order on a day

    pool = sum((p.amount for p in ledger.fee_payments if p.date <= day and p.fee in (None, terms.fee)), start=ZERO)
    states = []
    for entry in scheduled:
        paid = ZERO
        if entry.waived_by is None:
            paid = min(pool, entry.amount)
            pool -= paid
        if entry.waived_by:
            status = "waived"
        elif paid == entry.amount:
            status = "paid"
        elif entry.due <= day:
            status = "due"
        else:
            status = "scheduled"
        states.append(InstallmentState(entry.component, entry.due, entry.amount, status, paid, entry.provisional,
                                       entry.waived_by))

    total_waived = sum((s.amount for s in states if s.status == "waived"), start=ZERO)
    total_paid = sum((s.paid for s in states), start=ZERO)
    total_due = sum((s.amount - s.paid for s in states if s.status == "due"), start=ZERO)
    total_scheduled = sum((s.amount - s.paid for s in states if s.status == "scheduled"), start=ZERO)
    explanation = Explanation(
        "fees_due", total_due,
        formula="sum of unpaid installments due on or before the day, not waived; payments applied oldest due first",
        inputs=tuple(Explanation(f"{s.component} {s.due}{' (provisional)' if s.provisional else ''}",
                                 s.unpaid, formula=s.status + (f": {waiver_text(s.waived_by)}" if s.waived_by else ""))
                     for s in states) + (leaf("fee payments to date", total_paid + pool, "fee_payment events"),),
        clause=clause_ref(agreement, version))
    return FeeState(version, terms, tuple(states), total_due, total_waived, total_paid, total_scheduled, pool,
                    execution is not None, explanation)


def waiver_text(waived_by: WaivedBy) -> str:
    if waived_by.cause == "full_payment":
        return f"Full Payment on {waived_by.day}"
    return f"{waived_by.document} received {waived_by.day} ({waived_by.where})"
