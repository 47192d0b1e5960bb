"""What the engine answers: typed, immutable results. Words and JSON are made at the edge
(`loanbook/projection.py`), from the structured facts here, so the CLI and the API say the same."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .collateral import CollateralPart
from .explain import Explanation, InterpretationRef

BreachFact = Decimal | date | str | dict[str, Decimal]  # an amount, a day, a name, or amounts by tranche
ReasonFact = Decimal | date | str | bool                # an amount, a day, a name, or a yes/no (discretionary)


@dataclass(frozen=True)
class Figure:
    """A named figure of the facility on a day."""

    id: str
    label: str | None
    unit: str  # money | percent | number
    value: Decimal
    explanation: Explanation


@dataclass(frozen=True)
class BorrowingBaseResult:
    id: str
    label: str
    lines: tuple[Figure, ...]
    reserves: tuple[Figure, ...]
    total: Figure
    collateral: tuple[Figure, ...]  # the reported values the lines advance against
    rates: dict[str, Figure]        # each line's advance rate, by the line's id
    line_collateral: dict[str, Figure]  # the collateral value each line advances against, by the line's id
    caps: dict[str, tuple[Figure, ...]]  # each line's caps in the clause's order, by the line's id


@dataclass(frozen=True)
class AvailabilityResult:
    id: str
    tranche: str
    capacity: Decimal
    usage: Decimal
    availability: Figure
    excess_availability: Figure | None = None
    ended: Reason | None = None   # the facility was terminated or accelerated: nothing more is lent


@dataclass(frozen=True)
class OveradvanceResult:
    tranche: str
    clause: str
    overadvance: Figure
    cap: Figure
    limit: Figure
    discretionary: bool
    total_ceiling: Figure | None = None


@dataclass(frozen=True)
class Breach:
    """A limit exceeded on a day: which rule, under which clause, by how much."""

    rule: str          # overadvance_limit | a total ceiling's name | availability | amortization | matured_unpaid
    clause: str
    day: date
    amount: Decimal
    limit: Decimal
    tranche: str | None = None
    facts: dict[str, BreachFact] = field(default_factory=dict)  # further amounts the message names
    tranches: tuple[str, ...] = ()   # the tranches whose limit it is (two or more share one: `tranche` is None)


@dataclass(frozen=True)
class LenderShare:
    """A Lender's pro-rata part of the facility's principal, interest and fees, in cents."""

    party: str
    share: Decimal
    assumption: str | None
    principal: Decimal
    interest: Decimal
    fees: Decimal


@dataclass(frozen=True)
class ConditionState:
    document: str
    id: str
    clause: str
    text: str
    status: str  # satisfied | open
    satisfied_on: date | None
    gates: str | None = None  # from_satisfaction | retroactive: the document's clauses wait for its conditions


@dataclass(frozen=True)
class Status:
    as_of: date
    figures: tuple[Figure, ...]                  # every named figure in force, and the vocabulary's
    borrowing_bases: tuple[BorrowingBaseResult, ...]
    availabilities: tuple[AvailabilityResult, ...]
    overadvances: tuple[OveradvanceResult, ...]
    loans: dict[str, Decimal]
    contingents: dict[str, Decimal]
    interest_accrued_unpaid: Decimal | None      # None: the facility has no pricing clause
    expenses_unpaid: Decimal
    breaches: tuple[Breach, ...]
    pending_conditions: tuple[ConditionState, ...]
    interpretations: tuple[InterpretationRef, ...]
    lenders: tuple[LenderShare, ...]
    past_due: tuple[PastDue, ...] = ()
    springing: tuple[SpringingInForce, ...] = ()  # springing covenants in force on the day
    unmatched: tuple[Unmatched, ...] = ()
    overdue_interest: Decimal | None = None       # accrued on overdue amounts (a part of interest_accrued_unpaid)


@dataclass(frozen=True)
class Unmatched:
    """A key that falls in no level of its grid on the day (a gap the text leaves): the level taken instead, as the
    grid's `unmatched` says, and why; never a level chosen in silence."""

    grid: str
    label: str
    clause: str
    key: str          # the key as the terms write it
    value: Decimal | str  # a rating grid's: the grades
    level: str        # the level taken: the grid's unmatched
    detail: str


@dataclass(frozen=True)
class SpringingInForce:
    """A springing covenant that applies on the day: its figure is below the threshold that springs it, since
    `since` (the first day of the run of days it has been below), when the events of that day took it there."""

    covenant: str
    label: str
    clause: str
    figure: str
    unit: str               # the figure's: money | percent | number
    value: Decimal          # the figure on the day
    threshold: Decimal      # what it is below, on the day
    since: date
    value_then: Decimal     # the figure and threshold on `since`
    threshold_then: Decimal
    trigger: str            # what happened on `since`: the events of that day, or the first day of the clause


@dataclass(frozen=True)
class PastDue:
    """An amount unpaid after the day it was due: what it is, how much, since when, under which clause."""

    what: str
    amount: Decimal
    due: date
    days_past_due: int
    clause: str


@dataclass(frozen=True)
class Reason:
    """Why an advance decision came out as it did; `code` picks the words at the edge."""

    code: str  # term_expired | within_capacity | over_limit | over_ceiling | requires_approval |
    #            no_overadvance | not_revolving | below_minimum | not_a_multiple | facility_ended
    facts: dict[str, ReasonFact]


WITHIN_CAPACITY, REQUIRES_APPROVAL, REFUSED = "within_capacity", "overadvance_requires_approval", "refused"
DECISIONS = (WITHIN_CAPACITY, REQUIRES_APPROVAL, REFUSED)  # an advance decision, from the best to the worst


@dataclass(frozen=True)
class Decision:
    day: date
    tranche: str
    amount: Decimal
    decision: str  # one of DECISIONS
    overadvance_after: Decimal
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Payoff:
    on: date
    loans: dict[str, Decimal]
    principal: Decimal
    interest: Decimal | None
    fees: Decimal
    expenses: Decimal
    total: Decimal                  # what paying in full takes (CONTRACT.md): loans, interest, fees, expenses
    would_waive: tuple[WaivedInstallment, ...]
    cash_collateral: Decimal = Decimal(0)   # cash for the contingent obligations still open
    to_close: Decimal = Decimal(0)          # total + cash_collateral: what closing the facility takes
    collateral: tuple[CollateralPart, ...] = ()  # by contingent kind


@dataclass(frozen=True)
class WaivedInstallment:
    """An installment of a fee that paying in full on the payoff's day would waive."""

    component: str
    due: date
    amount: Decimal


@dataclass(frozen=True)
class Obligation:
    id: str
    clause: str
    kind: str        # deadline | recurring | conditional | installment
    deadline: date | None
    status: str      # pending | satisfied | breached | not_applicable
    satisfied_on: date | None
    detail: str
    obligation: str
    amount: Decimal | None = None

    @property
    def needs_something(self) -> bool:
        """Pending or breached: neither satisfied nor inapplicable."""
        return self.status not in ("satisfied", "not_applicable")


@dataclass(frozen=True)
class BookLine:
    """One facility on a day as a book lists it: what may be borrowed, how much of the capacity is used, what is
    broken or late, and what falls due next."""

    as_of: date
    availability: Decimal           # every revolving tranche together
    capacity: Decimal
    usage: Decimal
    utilisation: Decimal | None     # percent: usage over capacity (None: no capacity)
    breaches: tuple[Breach, ...]
    past_due: Decimal
    next_deadline: Obligation | None  # the earliest obligation due on or after the day that still needs something


# --- statements and series ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class InterestLine:
    """Days of one tranche's month at one balance and one rate."""

    start: date
    end: date                  # inclusive
    days: int
    principal: Decimal
    rate: Decimal | None       # percent a year; None: no rate (the statement says so, never a zero rate)
    rate_formula: str | None
    day_basis: str | None
    interest: Decimal          # at full precision: only the month's total is rounded


@dataclass(frozen=True)
class TrancheMonth:
    lines: tuple[InterestLine, ...]
    interest: Decimal          # the tranche's month, rounded half-up to the cent once


@dataclass(frozen=True)
class OverdueInterestLine:
    """A past-due amount's interest over days of the month on which it, and its rates, stay the same."""

    what: str
    due: date
    start: date
    end: date                  # inclusive
    days: int
    amount: Decimal
    rate: Decimal              # the overdue rate, percent a year
    already_accruing: Decimal  # the rate the amount bears anyway (its tranche's), percent; zero for a fee
    rate_formula: str
    day_basis: str
    clause: str
    interest: Decimal          # at full precision


@dataclass(frozen=True)
class InterestMonth:
    month: str                 # YYYY-MM
    start: date
    end: date                  # the month's last day, or the statement's
    classes: dict[str, TrancheMonth]
    overdue: tuple[OverdueInterestLine, ...]
    interest: Decimal          # the loans' and the overdue amounts', rounded half-up to the cent once
    paid: Decimal
    unpaid_at_end: Decimal | None


@dataclass(frozen=True)
class TimelineDay:
    """A day of the timeline: the first revolving tranche's figures (None: no such tranche or clause)."""

    day: date
    capacity: Decimal | None
    usage: Decimal | None
    availability: Decimal | None
    overadvance: Decimal | None
    overadvance_limit: Decimal | None
    loans: dict[str, Decimal]
    breaches: tuple[str, ...]  # the rule of each breach of a borrowing limit on the day

    @property
    def breach(self) -> bool:
        return bool(self.breaches)
