"""Replay: events in date order (same day: file order) into end-of-day balances, built once per history.

The Ledger holds one snapshot per day on which something happened; a question about any day finds
the last snapshot on or before it by bisection, so warm as-of queries cost O(log events).
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal

from ..core.errors import InputError, Problem
from ..core.money import ZERO
from ..events import types as ev


@dataclass(frozen=True)
class Contingent:
    id: str
    kind: str
    amount: Decimal
    issued: date
    where: str


@dataclass(frozen=True)
class Snapshot:
    """The facility's balances at the end of a day, and the event that set each one."""

    day: date
    advances: Decimal = ZERO
    term_loan: Decimal = ZERO
    receivables_borrowing_base: Decimal = ZERO
    base_source: str | None = None
    term_loan_reserve: Decimal = ZERO
    reserve_source: str | None = None
    contingents: tuple[Contingent, ...] = ()
    fee_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    expenses_demanded: Decimal = ZERO
    expenses_paid: Decimal = ZERO

    def open_contingents(self, kind: str) -> tuple[Contingent, ...]:
        return tuple(c for c in self.contingents if c.kind == kind)


EMPTY = Snapshot(day=date.min)


@dataclass
class Ledger:
    """Snapshots by day plus the dated facts that rules read directly (deliveries, execution, payoff)."""

    snapshots: list[Snapshot] = field(default_factory=list)
    days: list[date] = field(default_factory=list)
    deliveries: list[ev.DocumentDelivered] = field(default_factory=list)
    executions: list[ev.AmendmentExecuted] = field(default_factory=list)
    fee_payments: list[ev.FeePayment] = field(default_factory=list)
    interest_payments: list[ev.InterestPayment] = field(default_factory=list)
    expense_demands: list[ev.ExpenseDemanded] = field(default_factory=list)
    prime_events: list[ev.PrimeRate] = field(default_factory=list)
    refinancings: list[ev.Refinanced] = field(default_factory=list)
    payoffs: list[ev.PaidInFull] = field(default_factory=list)
    sales: list[ev.SaleClosed] = field(default_factory=list)

    def on(self, day: date) -> Snapshot:
        """The balances at the end of a day."""
        i = bisect_right(self.days, day)
        return self.snapshots[i - 1] if i else replace(EMPTY, day=day)

    def executed(self, amendment: str, day: date) -> ev.AmendmentExecuted | None:
        for event in self.executions:
            if event.amendment == amendment and event.date <= day:
                return event
        return None

    def paid_in_full(self, day: date) -> ev.PaidInFull | None:
        return next((e for e in self.payoffs if e.date <= day), None)

    def delivered(self, documents: tuple[str, ...], day: date) -> list[ev.DocumentDelivered]:
        return [e for e in self.deliveries if e.document in documents and e.accepted and e.date <= day]


def known(events, known_at: datetime | None):
    """The events recorded by a time (an event without a recording time counts from the end of its day)."""
    if known_at is None:
        return tuple(events)
    return tuple(e for e in events
                 if (e.recorded_at or datetime.combine(e.date, time.max)).replace(tzinfo=None) <= known_at)


def ordered(events) -> tuple:
    """Date order, stable: events of one day keep their file order."""
    return tuple(sorted(events, key=lambda e: e.date))


def replay(events) -> Ledger:
    """Apply every event; a history that cannot have happened is refused with the event named."""
    ledger = Ledger()
    problems: list[Problem] = []
    state = EMPTY
    for event in events:
        try:
            state = _apply(replace(state, day=event.date), event, ledger)
        except ValueError as exc:
            field_name, message = exc.args
            problems.append(Problem(event.source_file, event.position, field_name, message))
            continue
        if ledger.days and ledger.days[-1] == event.date:
            ledger.snapshots[-1] = state
        else:
            ledger.days.append(event.date)
            ledger.snapshots.append(state)
    if problems:
        raise InputError(problems)
    return ledger


def _apply(state: Snapshot, event, ledger: Ledger) -> Snapshot:
    where = event.where
    match event:
        case ev.OpeningBalance(loan="advances"):
            return replace(state, advances=state.advances + event.amount)
        case ev.OpeningBalance():
            return replace(state, term_loan=state.term_loan + event.amount)
        case ev.BorrowingBaseReport():
            return replace(state, receivables_borrowing_base=event.receivables_borrowing_base, base_source=where)
        case ev.Advance():
            return replace(state, advances=state.advances + event.amount)
        case ev.Repayment():
            outstanding = state.advances if event.loan == "advances" else state.term_loan
            if event.amount > outstanding:
                raise ValueError("amount", f"repays {event.amount} of {event.loan}, but only {outstanding} "
                                           "is outstanding")
            if event.loan == "advances":
                return replace(state, advances=state.advances - event.amount)
            return replace(state, term_loan=state.term_loan - event.amount)
        case ev.ContingentIssued():
            if any(c.id == event.id for c in state.contingents):
                raise ValueError("id", f"{event.id!r} is already open")
            return replace(state, contingents=state.contingents + (
                Contingent(event.id, event.kind, event.amount, event.date, where),))
        case ev.ContingentClosed():
            if not any(c.id == event.id for c in state.contingents):
                raise ValueError("id", f"closes {event.id!r}, which is not an open contingent obligation")
            return replace(state, contingents=tuple(c for c in state.contingents if c.id != event.id))
        case ev.TermLoanReserve():
            return replace(state, term_loan_reserve=event.amount, reserve_source=where)
        case ev.FeePayment():
            ledger.fee_payments.append(event)
            return replace(state, fee_paid=state.fee_paid + event.amount)
        case ev.InterestPayment():
            ledger.interest_payments.append(event)
            return replace(state, interest_paid=state.interest_paid + event.amount)
        case ev.ExpenseDemanded():
            ledger.expense_demands.append(event)
            return replace(state, expenses_demanded=state.expenses_demanded + event.amount)
        case ev.ExpensePayment():
            unpaid = state.expenses_demanded - state.expenses_paid
            if event.amount > unpaid:
                raise ValueError("amount", f"pays {event.amount} of expenses, but only {unpaid} is demanded "
                                           "and unpaid")
            return replace(state, expenses_paid=state.expenses_paid + event.amount)
        case ev.PrimeRate():
            ledger.prime_events.append(event)
        case ev.AmendmentExecuted():
            ledger.executions.append(event)
        case ev.DocumentDelivered():
            ledger.deliveries.append(event)
        case ev.Refinanced():
            ledger.refinancings.append(event)
        case ev.PaidInFull():
            ledger.payoffs.append(event)
        case ev.SaleClosed():
            ledger.sales.append(event)
    return state
