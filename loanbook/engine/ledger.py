"""Replay: events in date order (same day: file order) into end-of-day balances, built once per history.

The Ledger holds one snapshot per day on which something happened; a question about any day finds
the last snapshot on or before it by bisection, so warm as-of queries cost O(log events). Rules that
need the whole history (a repayment above the balance, closing an obligation never opened, an opening
balance after the record began) are checked here, naming the event that breaks them.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from ..core.dates import end_of_day_utc
from ..core.errors import InputError, Problem
from ..core.money import ZERO, money_human
from ..events import types as ev


@dataclass(frozen=True)
class Contingent:
    id: str
    kind: str
    amount: Decimal
    issued: date
    where: str


@dataclass(frozen=True)
class Reported:
    """A value a report gave (a collateral class's value, a measure) and the event that gave it."""

    value: Decimal
    where: str
    day: date


@dataclass(frozen=True)
class Snapshot:
    """The facility's balances at the end of a day, and the event that set each reported value."""

    day: date
    loans: dict[str, Decimal] = field(default_factory=dict)       # tranche -> principal outstanding
    repaid: dict[str, Decimal] = field(default_factory=dict)      # tranche -> principal repaid to date
    collateral: dict[str, Reported] = field(default_factory=dict)  # collateral class -> last reported value
    measures: dict[str, Reported] = field(default_factory=dict)    # measure -> last reported value
    contingents: tuple[Contingent, ...] = ()
    fee_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    expenses_demanded: Decimal = ZERO
    expenses_paid: Decimal = ZERO

    def loan(self, tranche: str) -> Decimal:
        return self.loans.get(tranche, ZERO)

    @property
    def principal(self) -> Decimal:
        return sum(self.loans.values(), start=ZERO)

    @property
    def expenses_unpaid(self) -> Decimal:
        return self.expenses_demanded - self.expenses_paid

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
    """The events recorded by a time (an event without a recording time counts from the end of its day, UTC)."""
    if known_at is None:
        return tuple(events)
    return tuple(e for e in events if (e.recorded_at or end_of_day_utc(e.date)) <= known_at)


def ordered(events) -> tuple:
    """Date order, stable: events of one day keep their file order."""
    return tuple(sorted(events, key=lambda e: e.date))


class _Refused(Exception):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field_name = field_name
        self.message = message


def replay(events) -> Ledger:
    """Apply every event; a history that cannot have happened is refused with the event named."""
    ledger = Ledger()
    problems: list[Problem] = []
    state = EMPTY
    first_day: date | None = None
    for event in events:
        first_day = first_day or event.date
        try:
            if isinstance(event, ev.OpeningBalance) and event.date > first_day:
                raise _Refused("date", f"an opening balance is where the record starts ({first_day}); this one is "
                                       f"dated {event.date}: record an advance instead")
            state = _apply(replace(state, day=event.date), event, ledger)
        except _Refused as exc:
            problems.append(Problem(event.source_file, event.position, exc.field_name, exc.message))
            continue
        if ledger.days and ledger.days[-1] == event.date:
            ledger.snapshots[-1] = state
        else:
            ledger.days.append(event.date)
            ledger.snapshots.append(state)
    if problems:
        raise InputError(problems)
    return ledger


def _add(amounts: dict[str, Decimal], key: str, amount: Decimal) -> dict[str, Decimal]:
    return {**amounts, key: amounts.get(key, ZERO) + amount}


def _apply(state: Snapshot, event, ledger: Ledger) -> Snapshot:
    where = event.where
    match event:
        case ev.OpeningBalance():
            if event.loan in state.loans:
                raise _Refused("loan", f"{event.loan} already has an opening balance or advances")
            return replace(state, loans=_add(state.loans, event.loan, event.amount))
        case ev.BorrowingBaseReport():
            collateral = dict(state.collateral)
            for name, value in (event.values or {}).items():
                collateral[name] = Reported(value, where, event.date)
            measures = dict(state.measures)
            for name, value in (event.measures or {}).items():
                measures[name] = Reported(value, where, event.date)
            return replace(state, collateral=collateral, measures=measures)
        case ev.MeasureReported():
            return replace(state, measures={**state.measures, event.measure: Reported(event.value, where, event.date)})
        case ev.Advance():
            return replace(state, loans=_add(state.loans, event.loan, event.amount))
        case ev.Repayment():
            outstanding = state.loan(event.loan)
            if event.amount > outstanding:
                raise _Refused("amount", f"repays {money_human(event.amount)} of {event.loan}, but only "
                                         f"{money_human(outstanding)} is outstanding")
            return replace(state, loans=_add(state.loans, event.loan, -event.amount),
                           repaid=_add(state.repaid, event.loan, event.amount))
        case ev.ContingentIssued():
            if any(c.id == event.id for c in state.contingents):
                raise _Refused("id", f"{event.id!r} is already open")
            return replace(state, contingents=state.contingents + (
                Contingent(event.id, event.kind, event.amount, event.date, where),))
        case ev.ContingentClosed():
            if not any(c.id == event.id for c in state.contingents):
                raise _Refused("id", f"closes {event.id!r}, which is not an open contingent obligation")
            return replace(state, contingents=tuple(c for c in state.contingents if c.id != event.id))
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
            if event.amount > state.expenses_unpaid:
                raise _Refused("amount", f"pays {money_human(event.amount)} of expenses, but only "
                                         f"{money_human(state.expenses_unpaid)} is demanded and unpaid")
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
