"""Replay: events in date order (same day: file order) into end-of-day balances, built once per history.

The Ledger holds one snapshot per day on which something happened; a question about any day finds
the last snapshot on or before it by bisection, so warm as-of queries cost O(log events). Rules that
need the whole history (a repayment above the balance, closing an obligation never opened, an opening
balance after the record began) are checked here, naming the event that breaks them.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, fields, replace
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


@dataclass
class Default:
    """An Event of Default: declared on `start`, ended (cured or waived) on `end`, or continuing."""

    start: date
    declared: ev.DefaultDeclared
    end: date | None = None
    ended: ev.DefaultEnded | None = None


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
    index_events: list[ev.IndexRate] = field(default_factory=list)
    reports: list[ev.DocumentDelivered] = field(default_factory=list)   # deliveries that name their period
    defaults: list[Default] = field(default_factory=list)
    terminations: list[ev.Terminated] = field(default_factory=list)
    reductions: list[ev.CommitmentReduced] = field(default_factory=list)
    repayments: list[ev.Repayment] = field(default_factory=list)
    base_reports: list[ev.BorrowingBaseReport] = field(default_factory=list)
    accelerations: list[ev.Accelerated] = field(default_factory=list)
    issuances: list[ev.ContingentIssued] = field(default_factory=list)
    tail: _Tail | None = field(default=None, repr=False)  # the replay's state after its last event

    @property
    def last_day(self) -> date | None:
        return self.days[-1] if self.days else None

    def _copy(self) -> Ledger:
        """A copy that extending cannot change through this one (defaults are changed in place when ended)."""
        lists: dict[str, list] = {f.name: list(getattr(self, f.name)) for f in fields(self) if f.name != "tail"}
        lists["defaults"] = [replace(d) for d in self.defaults]
        return Ledger(**lists)  # type: ignore[arg-type]

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

    def default_on(self, day: date) -> Default | None:
        """The Event of Default continuing on a day, if any (from its declaration to the day before it ended)."""
        return next((d for d in self.defaults if d.start <= day and (d.end is None or day < d.end)), None)

    def lending_ended(self, day: date) -> tuple[date, str, str] | None:
        """The day the right to borrow ended by a day (the commitments terminated, or the Obligations
        accelerated), how, and the event: None while it continues."""
        ended = [(e.date, "terminated", e.where) for e in self.terminations if e.date <= day]
        ended += [(e.date, "accelerated", e.where) for e in self.accelerations if e.date <= day]
        return min(ended) if ended else None

    def fee_payments_of(self, fee: str | None, day: date) -> list[ev.FeePayment]:
        return [p for p in self.fee_payments if p.fee == fee and p.date <= day]


def balances_ledger(day: date, loans: dict[str, Decimal], repaid: dict[str, Decimal],
                    collateral: dict[str, Reported], contingents: tuple[Contingent, ...]) -> Ledger:
    """The ledger of a record of balance events only (opening balances, advances, repayments, borrowing base
    reports of values, contingents opened and closed), given as its balances at the end of `day` (an aggregate
    over the record's rows up to that day, `store/balances.py`). For `day` and what is appended on it, it
    answers as the record's replay does; it holds no other day, and none of the facts such a record has none of
    (payments, deliveries, defaults, rates). A report appended on `day` continues it as it continues a replay."""
    work = _Working(loans=dict(loans), repaid=dict(repaid), collateral=dict(collateral),
                    contingents={c.id: c for c in contingents})
    ledger = Ledger(snapshots=[work.freeze(day)], days=[day])
    ledger.tail = _Tail(work, day, None)
    return ledger


def known(events, known_at: datetime | None):
    """The events recorded by a time (an event without a recording time counts from the end of its day, UTC)."""
    if known_at is None:
        return tuple(events)
    return tuple(e for e in events if (e.recorded_at or end_of_day_utc(e.date)) <= known_at)


def effective(events, known_at: datetime | None = None) -> tuple:
    """The history as known at a time: the events recorded by then, less those a correction recorded by then
    supersedes; a voiding leaves nothing in its place. The record itself keeps every event."""
    seen = known(events, known_at)
    superseded = {e.supersedes for e in seen if e.supersedes is not None}
    if not superseded:
        return seen
    return tuple(e for e in seen if e.key not in superseded and not isinstance(e, ev.Voided))


def corrects(event) -> bool:
    """Whether an event changes what came before it in the record (a correction or a voiding)."""
    return event.supersedes is not None


def ordered(events) -> tuple:
    """Date order, stable: events of one day keep their file order."""
    return tuple(sorted(events, key=lambda e: e.date))


class _Refused(Exception):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field_name = field_name
        self.message = message


@dataclass
class _Working:
    """The balances while replaying: changed in place, frozen into a Snapshot once per day."""

    loans: dict[str, Decimal] = field(default_factory=dict)
    repaid: dict[str, Decimal] = field(default_factory=dict)
    collateral: dict[str, Reported] = field(default_factory=dict)
    measures: dict[str, Reported] = field(default_factory=dict)
    contingents: dict[str, Contingent] = field(default_factory=dict)
    fee_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    expenses_demanded: Decimal = ZERO
    expenses_paid: Decimal = ZERO

    def copy(self) -> _Working:
        return replace(self, loans=dict(self.loans), repaid=dict(self.repaid), collateral=dict(self.collateral),
                       measures=dict(self.measures), contingents=dict(self.contingents))

    def freeze(self, day: date) -> Snapshot:
        return Snapshot(day, dict(self.loans), dict(self.repaid), dict(self.collateral), dict(self.measures),
                        tuple(self.contingents.values()), self.fee_paid, self.interest_paid, self.expenses_demanded,
                        self.expenses_paid)


@dataclass(frozen=True)
class _Tail:
    work: _Working
    day: date | None
    started: ev.EventBase | None  # the first event of _STARTS_THE_RECORD


def replay(events, onto: Ledger | None = None) -> Ledger:
    """Apply every event; a history that cannot have happened is refused with the event named. With `onto`,
    the events continue that ledger's replay (none may be dated before its last day); `onto` is unchanged."""
    if onto is not None and onto.tail is not None:
        ledger, tail = onto._copy(), onto.tail
        work, day, started = tail.work.copy(), tail.day, tail.started
        if day is not None:  # the last day is frozen again once its new events are applied
            ledger.days.pop()
            ledger.snapshots.pop()
    else:
        ledger, work, day, started = Ledger(), _Working(), None, None
    problems: list[Problem] = []
    for event in events:
        if day is not None and event.date != day:
            if event.date < day:
                raise ValueError(f"replay continued with an event of {event.date}, before {day}")
            ledger.days.append(day)
            ledger.snapshots.append(work.freeze(day))
        day = event.date
        try:
            if isinstance(event, ev.OpeningBalance) and started is not None and event.date > started.date:
                raise _Refused("date", f"an opening balance comes where the record starts ({started.date}, "
                                       f"{started.position}); this one is dated {event.date}: record an advance "
                                       "instead")
            if started is None and isinstance(event, _STARTS_THE_RECORD):
                started = event
            _apply(work, event, ledger)
        except _Refused as exc:
            problems.append(event.problem(exc.field_name, exc.message))
    if day is not None:
        ledger.days.append(day)
        ledger.snapshots.append(work.freeze(day))
    if problems:
        raise InputError(problems)
    ledger.tail = _Tail(work, day, started)
    return ledger


# Events that move a balance or the base start the record; rates, documents and certificates may come before.
_STARTS_THE_RECORD = (ev.OpeningBalance, ev.Advance, ev.Repayment, ev.ContingentIssued, ev.ContingentClosed,
                      ev.BorrowingBaseReport, ev.MeasureReported, ev.FeePayment, ev.InterestPayment,
                      ev.ExpenseDemanded, ev.ExpensePayment)


def _decimal(value: object) -> Decimal:
    """A measure's value, which the parser has already read as a Decimal of the measure's unit."""
    assert isinstance(value, Decimal), value
    return value


def _add(amounts: dict[str, Decimal], key: str, amount: Decimal) -> None:
    amounts[key] = amounts.get(key, ZERO) + amount


def _no_lending_after_the_end(ledger: Ledger, what: str) -> None:
    """After the commitments are terminated, or the Obligations accelerated, nothing more is lent (repayments are
    what both call for, and stay allowed)."""
    ended = ledger.lending_ended(date.max)
    if ended:
        day, how, where = ended
        raise _Refused("type", f"{what} after the facility was {how} on {day} ({where}): nothing more is lent")


def _apply(work: _Working, event, ledger: Ledger) -> None:
    """Apply one event in place; every check comes before any change, so a refused event changes nothing."""
    where = event.where
    match event:
        case ev.OpeningBalance():
            if event.loan in work.loans:
                raise _Refused("loan", f"{event.loan} already has an opening balance or advances")
            _add(work.loans, event.loan, event.amount)
        case ev.BorrowingBaseReport():
            ledger.base_reports.append(event)
            for name, amount in (event.values or {}).items():
                work.collateral[name] = Reported(amount, where, event.date)
            for name, measured in (event.measures or {}).items():
                work.measures[name] = Reported(_decimal(measured), where, event.date)
        case ev.MeasureReported():
            work.measures[event.measure] = Reported(_decimal(event.value), where, event.date)
        case ev.Advance():
            _no_lending_after_the_end(ledger, "an advance")
            _add(work.loans, event.loan or "", event.amount)
        case ev.Repayment():
            outstanding = work.loans.get(event.loan, ZERO)
            if event.amount > outstanding:
                raise _Refused("amount", f"repays {money_human(event.amount)} of {event.loan}, but only "
                                         f"{money_human(outstanding)} is outstanding")
            _add(work.loans, event.loan, -event.amount)
            _add(work.repaid, event.loan, event.amount)
            ledger.repayments.append(event)
        case ev.ContingentIssued():
            _no_lending_after_the_end(ledger, f"a new {event.kind.replace('_', ' ')}")
            if event.id in work.contingents:
                raise _Refused("id", f"{event.id!r} is already open")
            work.contingents[event.id] = Contingent(event.id, event.kind, event.amount, event.date, where)
            ledger.issuances.append(event)
        case ev.ContingentClosed():
            if event.id not in work.contingents:
                raise _Refused("id", f"closes {event.id!r}, which is not an open contingent obligation")
            del work.contingents[event.id]
        case ev.FeePayment():
            ledger.fee_payments.append(event)
            work.fee_paid += event.amount
        case ev.InterestPayment():
            ledger.interest_payments.append(event)
            work.interest_paid += event.amount
        case ev.ExpenseDemanded():
            ledger.expense_demands.append(event)
            work.expenses_demanded += event.amount
        case ev.ExpensePayment():
            unpaid = work.expenses_demanded - work.expenses_paid
            if event.amount > unpaid:
                raise _Refused("amount", f"pays {money_human(event.amount)} of expenses, but only "
                                         f"{money_human(unpaid)} is demanded and unpaid")
            work.expenses_paid += event.amount
        case ev.PrimeRate():
            ledger.prime_events.append(event)
        case ev.IndexRate():
            ledger.index_events.append(event)
        case ev.DefaultDeclared():
            if ledger.defaults and ledger.defaults[-1].end is None:
                raise _Refused("type", f"an Event of Default is already continuing (declared "
                                       f"{ledger.defaults[-1].start}); end it first (default_ended)")
            ledger.defaults.append(Default(event.date, event))
        case ev.DefaultEnded():
            if not ledger.defaults or ledger.defaults[-1].end is not None:
                raise _Refused("type", "no Event of Default is continuing to end")
            ledger.defaults[-1].end, ledger.defaults[-1].ended = event.date, event
        case ev.Terminated():
            ledger.terminations.append(event)
        case ev.CommitmentReduced():
            ledger.reductions.append(event)
        case ev.Accelerated():
            ledger.accelerations.append(event)
        case ev.AmendmentExecuted():
            ledger.executions.append(event)
        case ev.DocumentDelivered():
            ledger.deliveries.append(event)
            if event.period_end is not None:
                ledger.reports.append(event)
        case ev.Refinanced():
            ledger.refinancings.append(event)
        case ev.PaidInFull():
            ledger.payoffs.append(event)
        case ev.SaleClosed():
            ledger.sales.append(event)
        case ev.Voided():
            pass  # `effective` has already taken out the event it withdraws
