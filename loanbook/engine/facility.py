"""The facility on any day: one entry point over the rule modules, each figure computed in one place.

`Facility(agreement, events, prime)` replays the history once (pure: nothing here reads a file, a
clock or a database); every question after that is answered from the replay. Each public method runs
in the engine's own decimal context, so a caller's context can never change a figure.

Construction only replays: the books a question needs (pricing, interest, fees, covenants, overdue interest) are
built when first asked for, and the history's own check (payments against what is owed, payoffs that pay off)
runs once, before the first answer, so a store that keeps a replay, or a what-if that is never asked, pays for
neither. A history the check refuses is refused by every answer, with the same error.
"""
from __future__ import annotations

import functools
import threading
from bisect import bisect_right
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

from ..agreement.kinds import Amortization, Availability, InstallmentSchedule
from ..agreement.kinds_pricing import LevelGrid
from ..agreement.model import Agreement
from ..core.errors import InputError, RecordError
from ..core.money import CENT, ENGINE_CONTEXT, HUNDRED, ZERO, cents, money_human
from .availability import (
    amount_problem,
    availabilities,
    blocks,
    borrowing_bases,
    breaches,
    decide,
    figure,
    overadvances,
)
from .charges import Charges
from .collateral import cash_collateral
from .commitments import reduction_problems
from .covenants import Covenants
from .explain import Explanation, clause_ref, interpretation_ref, leaf
from .fees import FeeState, fees_on
from .figures import DayView
from .gating import gated
from .graph import Graph, evaluate, render, total_of
from .indices import IndexBook
from .interest import InterestBook
from .ledger import Ledger, corrects, effective, known, ordered, replay
from .levels import LevelBook
from .obligations import amortization_on, conditions_on, covenant_obligation, obligations_on
from .overdue import Late, OverdueInterest
from .pricing import Pricing
from .results import (
    DECISIONS,
    REFUSED,
    BookLine,
    Breach,
    Decision,
    InterestLine,
    InterestMonth,
    LenderShare,
    Obligation,
    PastDue,
    Payoff,
    Reason,
    Status,
    TimelineDay,
    TrancheMonth,
    Unmatched,
    WaivedInstallment,
)

_SEVERITY = {decision: rank for rank, decision in enumerate(DECISIONS)}
MAX_TIMELINE_DAYS = 3660     # ten years of daily rows
MAX_STATEMENT_MONTHS = 600   # fifty years of monthly interest statements
MAX_GRAPHS = 4096            # days whose figure graph a facility keeps
# What paying in full takes: one tree gives the payoff's amount and its explanation's formula.
PAYOFF = total_of("principal", "interest", "fees", "expenses")
_UNCHECKED, _CHECKING, _CHECKED = "unchecked", "checking", "checked"  # a facility's history check
_BOOKS = ("indices", "levels", "pricing", "interest", "charges", "covenants", "overdue")  # in the order they are built


def pinned(method):
    """Run an engine method in the engine's decimal context, whatever context the caller has set."""
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with localcontext(ENGINE_CONTEXT):
            return method(*args, **kwargs)
    return wrapper


def after_check(method):
    """A question to the facility, answered only once its history is checked."""
    @functools.wraps(method)
    def wrapper(self: Facility, *args, **kwargs):
        self.history_checked()
        return method(self, *args, **kwargs)
    return wrapper


def answer(method):
    """A question to the facility, in the engine's decimal context, once its history is checked."""
    return pinned(after_check(method))


class UnknownFigure(RecordError):
    """A figure the facility does not have on the day: each edge answers with the names it has (`explainable`)."""

    def __init__(self, figure: str, day: date, explainable: tuple[str, ...]):
        self.figure, self.day, self.explainable = figure, day, explainable
        super().__init__(f"unknown figure {figure!r} on {day}; explainable: {self.names}")

    @property
    def names(self) -> str:
        """The figures the facility has on the day, as a list for a person."""
        return ", ".join(self.explainable)


class _book(functools.cached_property):
    """A book built on first use and kept. Unlike functools.cached_property in Python 3.11, it takes no lock shared
    by every facility: one facility building its interest book never waits on another's (the books are pure, so
    two threads building one at once build the same)."""

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        found = instance.__dict__.get(self.attrname, _book)
        if found is _book:
            found = instance.__dict__[self.attrname] = self.func(instance)
        return found


class Facility:
    @pinned
    def __init__(self, agreement: Agreement, events, prime_shipped, known_at: datetime | None = None, *,
                 _ledger: Ledger | None = None):
        if known_at is not None and known_at.tzinfo is None:
            known_at = known_at.replace(tzinfo=UTC)  # a time without a zone is UTC
        self.events, self.prime_shipped, self.known_at = tuple(events), prime_shipped, known_at
        self.ledger = _ledger or replay(ordered(effective(self.events, known_at)))
        self.as_written = agreement  # every version, whatever the record; `agreement`: those this record puts in force
        self.agreement = gated(agreement, self.ledger)
        self._graphs: dict[date, Graph] = {}
        self._by_day: dict[date, list] | None = None
        self._history = _UNCHECKED
        self._history_lock = threading.RLock()  # re-entered by the check's own questions, in its thread only

    # --- the books, each built when first needed -------------------------------------------------------

    @_book
    def indices(self) -> IndexBook:
        return IndexBook(self.agreement, self.prime_shipped, self.ledger.prime_events, self.ledger.index_events)

    @_book
    def levels(self) -> LevelBook:
        return LevelBook(self.agreement, self.ledger, self.book)

    @_book
    def pricing(self) -> Pricing:
        return Pricing(self.agreement, self.ledger, self.indices, self.levels, self.book)

    @_book
    def interest(self) -> InterestBook:
        return InterestBook(self.agreement.vocabulary.ids("tranches"), self.ledger, self.pricing)

    @_book
    def charges(self) -> Charges:
        return Charges(self.agreement, self.ledger, self.book)

    @_book
    def covenants(self) -> Covenants:
        return Covenants(self.agreement, self.ledger, self.book)

    @_book
    def overdue(self) -> OverdueInterest:
        return OverdueInterest(self.agreement, self.ledger, self.pricing, self.book, self._late_items)

    @property
    def priced(self) -> bool:
        """Whether the agreement prices its loans at all (a folder may leave pricing out): an interest statement
        says so rather than show a zero rate."""
        return self.pricing.priced

    def history_checked(self) -> Facility:
        """This facility, once its history is checked (the check runs once; every answer asks for it first). A
        writer calls it to refuse a history before keeping it. A refused history is refused again each time."""
        if self._history is _CHECKED:
            return self
        with self._history_lock:
            if self._history is _UNCHECKED:
                self._history = _CHECKING  # the check's own questions, in this thread, answer without it
                try:
                    with localcontext(ENGINE_CONTEXT):
                        self._check_history()
                except BaseException:
                    self._history = _UNCHECKED
                    raise
                self._history = _CHECKED
        return self

    @pinned
    def extended(self, appended) -> Facility:
        """This facility with events appended to its record. Events dated on or after the last day replayed,
        correcting nothing, continue the replay; any other append replays the whole record again."""
        appended = tuple(appended)
        visible = known(appended, self.known_at)
        if not visible:
            return Facility(self.as_written, self.events + appended, self.prime_shipped, self.known_at,
                            _ledger=self.ledger)
        last = self.ledger.last_day
        if any(corrects(e) for e in visible) or (last is not None and min(e.date for e in visible) < last):
            return Facility(self.as_written, self.events + appended, self.prime_shipped, self.known_at)
        return Facility(self.as_written, self.events + appended, self.prime_shipped, self.known_at,
                        _ledger=replay(ordered(visible), onto=self.ledger))

    # --- history checks that need the agreement, interest and fees ---------------------------------

    def _check_history(self) -> None:
        """Payments over the whole history: each checked against what is owed once the earlier ones are
        applied, so two payments that each look fine cannot together pay more than is owed. Every book is built
        first, in the order construction built them before they were lazy, so a history that one of them refuses
        gives the error it always gave."""
        for name in _BOOKS:
            getattr(self, name)
        problems = reduction_problems(self.agreement, self.ledger, self.book)
        if problems:
            raise InputError(problems)
        paid_before = ZERO
        for event in self.ledger.interest_payments:
            through = event.date - timedelta(days=1)
            accrued = self._accrued_through(through)
            owed = (cents(accrued) if accrued is not None else ZERO) - paid_before
            if event.amount > owed:
                problems.append(event.problem("amount",
                                              f"pays {money_human(event.amount)} of interest, but only "
                                              f"{money_human(owed)} is accrued and unpaid through {through}"
                                              + (" after the earlier interest payments" if paid_before else "")))
            paid_before += event.amount
        if problems:
            raise InputError(problems)
        for payoff in self.ledger.payoffs:
            remaining = self._payoff(payoff.date)
            left = [f"{name} {money_human(amount)}" for name, amount in
                    (("principal", remaining.principal), ("interest", remaining.interest or ZERO),
                     ("fees", remaining.fees), ("expenses", remaining.expenses)) if amount != ZERO]
            if left:
                problems.append(payoff.problem("type",
                                               f"paid_in_full on {payoff.date}, but still owed: {', '.join(left)}"))
        if problems:
            raise InputError(problems)

    # --- figures ---------------------------------------------------------------------------------

    @after_check
    def book(self, day: date) -> DayView:
        """The facility at the end of a day: the record's balances through the day's figure graph (lowered once
        per day, and kept)."""
        graph = self._graphs.get(day)
        if graph is None:
            if len(self._graphs) >= MAX_GRAPHS:
                self._graphs.clear()
            graph = self._graphs[day] = Graph(self.agreement, day, self.ledger)
        return DayView(graph, self.ledger.on(day), indices=self.indices, levels=self.levels)

    def _accrued_through(self, through: date) -> Decimal | None:
        """The loans' interest and the interest on overdue amounts, at full precision; None when neither is
        priced."""
        if not self.interest.priced and not self.overdue.active:
            return None
        first = self.interest.first_day()
        loans = ZERO if first is None or not self.interest.priced else self.interest.accrued_total(first, through)
        return loans + self.overdue.accrued(date.min, through)

    @answer
    def overdue_interest(self, through: date) -> Decimal | None:
        """Interest accrued on overdue amounts through a day (a part of the interest accrued), rounded half-up to
        the cent; None when the agreement charges none."""
        return cents(self.overdue.accrued(date.min, through)) if self.overdue.active else None

    @answer
    def interest_unpaid(self, through: date, *, paid_through: date | None = None) -> Decimal | None:
        """Interest accrued through a day (rounded half-up to the cent once) less interest paid;
        None when the agreement prices nothing."""
        accrued = self._accrued_through(through)
        if accrued is None:
            return None
        return cents(accrued) - self.ledger.on(paid_through or through).interest_paid

    @answer
    def status(self, day: date) -> Status:
        book = self.book(day)
        snap = book.snap
        bases = borrowing_bases(book)
        avail = availabilities(book)
        self.require_availability(book)
        over = overadvances(book)
        found = breaches(book) + self.other_breaches(day)
        unpaid = self.interest_unpaid(day)
        return Status(
            as_of=day, figures=tuple(figure(book, n) for n in self._figure_names(book)), borrowing_bases=bases,
            availabilities=avail, overadvances=over,
            loans={t: snap.loan(t) for t in self.agreement.vocabulary.ids("tranches")},
            contingents={k.id: book.value(k.name) for k in self.agreement.vocabulary.contingents},
            interest_accrued_unpaid=unpaid, expenses_unpaid=snap.expenses_unpaid, breaches=tuple(found),
            pending_conditions=tuple(c for c in conditions_on(self.agreement, self.ledger, day) if c.status == "open"),
            interpretations=tuple(interpretation_ref(self.agreement, i.id) for i in self.agreement.register.items),
            lenders=self.lender_shares(principal=snap.principal, interest=unpaid or ZERO, fees=self._fees_owed(day)),
            past_due=self.past_due(day), springing=self.springing(day), unmatched=self.unmatched(day),
            overdue_interest=self.overdue_interest(day))

    @answer
    def springing(self, day: date):
        """The springing covenants in force on a day: which test, since when, and what sprang it."""
        first = self.ledger.days[0] if self.ledger.days else None
        return tuple(self.covenants.springing(day, first, self._events_on))

    def _events_on(self, day: date) -> list:
        """The record's events of a day, as replayed (corrections applied), in their order."""
        if self._by_day is None:
            self._by_day = {}
            for event in ordered(effective(self.events, self.known_at)):
                self._by_day.setdefault(event.date, []).append(event)
        return self._by_day.get(day, [])

    @answer
    def unmatched(self, day: date) -> tuple[Unmatched, ...]:
        """The grids in force whose key falls in no level on the day, each with the level it took instead."""
        found = []
        for version, grid in self.agreement.terms_in_force(LevelGrid, day):
            try:
                state = self.levels.level_on(grid, day)
            except RecordError:
                continue  # a grid with no level that day is an error where its values are used, not here
            if state.unmatched:
                assert state.measure is not None
                found.append(Unmatched(grid.id, grid.label, version.clause_id, grid.key_text, state.measure,
                                       state.level, state.detail))
        return tuple(found)

    @answer
    def past_due(self, day: date) -> tuple[PastDue, ...]:
        """Everything unpaid after the day it fell due, oldest first: fee installments, computed fees, scheduled
        principal, and principal unpaid at maturity. (Interest is past due only where the agreement gives its
        payment dates, which no kind holds yet: it is not listed.)"""
        return tuple(late.item for late in self._late_items(day))

    def _late_items(self, day: date) -> list[Late]:
        """The past-due amounts of a day, each with the tranche whose principal it is (None: a fee)."""
        found: list[Late] = []

        def late(what: str, amount: Decimal, due: date, clause: str, tranche: str | None = None,
                 matured: bool = False) -> None:
            if amount > ZERO and due < day:
                found.append(Late(PastDue(what, amount, due, (day - due).days, clause), tranche, matured))

        state = self.fees(day)
        if state is not None:
            clause = next(v.clause_id for v, b in self.agreement.all_terms(InstallmentSchedule) if b is state.terms)
            for s in state.installments:
                if s.status == "due":
                    late(f"{state.terms.fee} {s.component} installment", s.amount - s.paid, s.due, clause)
        for charge in self.charges_on(day):
            if charge.status == "due":
                what = {"flat": charge.label, "in_advance": f"{charge.label} for {charge.start} to {charge.end}"}.get(
                    charge.kind, f"{charge.label} from {charge.start} to {charge.end}")
                late(what, charge.amount - charge.paid, charge.due, charge.clause)
        for version, block in self.agreement.terms_in_force(Amortization, day):
            for _, breach in amortization_on(self.agreement, block, version, self.ledger, day):
                if breach is not None:
                    late(f"{block.tranche} principal installment", breach.amount, breach.facts["due"],  # type: ignore[arg-type]
                         version.clause_id, block.tranche)
        for breach in self.matured_unpaid(day):
            late(f"{breach.tranche} principal at maturity", breach.amount, breach.facts["maturity"],  # type: ignore[arg-type]
                 breach.clause, breach.tranche, matured=True)
        return sorted(found, key=lambda late: (late.item.due, late.item.what))

    @after_check
    def other_breaches(self, day: date) -> list[Breach]:
        """The breaches that are not of a borrowing limit: scheduled principal unpaid, covenants failed."""
        found = []
        for version, block in self.agreement.terms_in_force(Amortization, day):
            rows = amortization_on(self.agreement, block, version, self.ledger, day)
            found += [breach for _, breach in rows if breach]
        return found + self.matured_unpaid(day) + self.covenants.breaches(day)

    @after_check
    def matured_unpaid(self, day: date) -> list[Breach]:
        """Principal still outstanding after its term ended: matured, unpaid."""
        found = []
        snap = self.ledger.on(day)
        for tranche in self.agreement.vocabulary.ids("tranches"):
            matured = self.pricing.matured(tranche, day)
            if matured is not None and snap.loan(tranche) > ZERO:
                version, term = matured
                found.append(Breach("matured_unpaid", version.clause_id, day, snap.loan(tranche), ZERO, tranche,
                                    {"maturity": term.initial_term_end}))
        return found

    @after_check
    def require_availability(self, book: DayView) -> None:
        """A tranche whose availability clause starts later (or ended) has no figures that day: say so."""
        covered = {block.tranche for block in blocks(book, Availability)}
        for _, block in self.agreement.all_terms(Availability):
            if block.tranche not in covered:
                book.definition(block.id)  # raises, naming the clause and the day

    @answer
    def advance(self, day: date, amount: Decimal, tranche: str | None = None) -> Decision:
        """The decision on a request to advance `amount` on `day`, against the state at the end of that day
        (RULES.md section 3: what the borrower may ask for on that day). An amount of zero or less is asked for
        by no one: refused as input, never judged."""
        problem = amount_problem(amount)
        if problem:
            raise RecordError(f"an advance's amount {problem}, got {amount}")
        tranche = self._tranche_of_request(tranche)
        book = self.book(day)
        self.require_availability(book)
        return decide(book, tranche, amount, self.agreement.last_advance_day(day, tranche))

    @answer
    def advance_to_record(self, day: date, amount: Decimal, tranche: str | None = None) -> Decision:
        """The decision on an advance that is to be recorded: dated before the record's last day, it is
        outstanding on every later day too, so it must fit each day on which the record changes, and the worst
        answer stands (a back-dated request cannot slip past a later, tighter state)."""
        decision = self.advance(day, amount, tranche)
        for later in self.ledger.days[bisect_right(self.ledger.days, day):]:
            if decision.decision == REFUSED:
                break
            other = decide(self.book(later), decision.tranche, amount, None, lent_on=day)
            if _SEVERITY[other.decision] > _SEVERITY[decision.decision]:
                decision = replace(other, day=day, reasons=other.reasons + (Reason("on_later_day", {"day": later}),))
        return decision

    def _tranche_of_request(self, tranche: str | None) -> str:
        if tranche is None:
            revolving = self.agreement.vocabulary.revolving()
            if len(revolving) != 1:
                raise RecordError("name the tranche of the request: this facility has "
                                  f"{len(revolving)} revolving tranches")
            return revolving[0].id
        if self.agreement.vocabulary.unknown("tranches", tranche):
            raise RecordError(str(self.agreement.vocabulary.unknown("tranches", tranche)))
        return tranche

    @answer
    def fees(self, day: date, *, full_payment_day: date | None = None) -> FeeState | None:
        """The installment fee on a day; None when the agreement has none."""
        if not self.agreement.has_kind(InstallmentSchedule):
            return None
        return fees_on(self.agreement, self.ledger, day, full_payment_day=full_payment_day)

    def _fees_owed(self, day: date, *, payoff: bool = False) -> Decimal:
        """Fees due and unpaid, or everything accrued at a payoff: one rule for the figure and its explanation."""
        value = self._explain_fees(day, payoff=payoff).value
        assert isinstance(value, Decimal)
        return value

    @answer
    def charges_on(self, day: date):
        """Every computed, termination, flat and in-advance fee charge by a day (unused line fees, letter of credit
        fees ...), and the flat fees scheduled after it."""
        return sorted(self.charges.on(day) + self.charges.upcoming(day), key=lambda c: (c.due, c.fee, c.start))

    @after_check
    def charges_credit(self, day: date) -> Decimal:
        """Fee payments beyond every computed and termination fee charge by a day."""
        return self.charges.credit(day)

    @answer
    def covenant_tests(self, day: date):
        return self.covenants.on(day)

    @answer
    def obligations(self, day: date) -> list[Obligation]:
        """Deadlines, conditions, scheduled principal, recurring reports, and each covenant test."""
        return obligations_on(self.agreement, self.ledger, day) + [
            covenant_obligation(r) for r in self.covenants.on(day)]

    @answer
    def book_line(self, day: date) -> BookLine:
        """The facility's line in a book on the day, from its status and its obligations."""
        status = self.status(day)
        capacity = sum((cents(a.capacity) for a in status.availabilities), ZERO)  # each as its tranche shows it
        usage = sum((cents(a.usage) for a in status.availabilities), ZERO)
        # a ratio shown beside the figures, not a figure of the agreement: to a hundredth of a percent, half to even
        utilisation = (usage * HUNDRED / capacity).quantize(CENT, ROUND_HALF_EVEN) if capacity > 0 else None
        ahead = [o for o in self.obligations(day) if o.deadline is not None and o.deadline >= day and o.needs_something]
        return BookLine(day, sum((a.availability.value for a in status.availabilities), ZERO), capacity, usage,
                        utilisation, status.breaches, sum((cents(p.amount) for p in status.past_due), ZERO),
                        min(ahead, key=lambda o: o.deadline or day, default=None))

    @answer
    def conditions(self, day: date):
        return conditions_on(self.agreement, self.ledger, day)

    @answer
    def payoff(self, day: date) -> Payoff:
        return self._payoff(day)

    def _payoff(self, day: date) -> Payoff:
        """What paying in full on `day` takes, and what it would waive (an earlier Full Payment stands)."""
        snap = self.ledger.on(day)
        interest = self.interest_unpaid(day - timedelta(days=1), paid_through=day)
        would_waive: tuple[WaivedInstallment, ...] = ()
        ordinary, if_paid = self.fees(day), self.fees(day, full_payment_day=day)
        if ordinary and if_paid:
            would_waive = tuple(WaivedInstallment(s.component, s.due, s.amount)
                                for s, o in zip(if_paid.installments, ordinary.installments)
                                if s.status == "waived" and o.status != "waived")
        fees = self._fees_owed(day, payoff=True)
        loans = {t: snap.loan(t) for t in self.agreement.vocabulary.ids("tranches")}
        total = evaluate(PAYOFF, {"principal": snap.principal, "interest": interest or ZERO, "fees": fees,
                                  "expenses": snap.expenses_unpaid})
        collateral = cash_collateral(self.agreement, snap, day)
        cash = sum((part.amount for part in collateral), start=ZERO)
        return Payoff(day, loans, snap.principal, interest, fees, snap.expenses_unpaid, total, would_waive,
                      cash_collateral=cash, to_close=total + cash, collateral=collateral)

    @after_check
    def lender_shares(self, principal: Decimal, interest: Decimal, fees: Decimal) -> tuple[LenderShare, ...]:
        """Each Lender's pro-rata share of each amount, in cents."""
        lenders = self.agreement.lenders
        shares = [lender.share for lender in lenders]
        parts = zip(_pro_rata(principal, shares), _pro_rata(interest, shares), _pro_rata(fees, shares), strict=True)
        return tuple(LenderShare(lender.party, lender.share, lender.assumption, principal=p, interest=i, fees=f)
                     for lender, (p, i, f) in zip(lenders, parts, strict=True))

    # --- statements and series -------------------------------------------------------------------

    @answer
    def interest_statement(self, start: date, end: date) -> list[InterestMonth]:
        """Per month: per tranche the periods of constant balance and rate, days and interest. A facility
        whose terms price nothing has no statement (an empty list), never a zero rate."""
        if not self.interest.priced and not self.overdue.active:
            return []
        months = []
        cursor = start
        while cursor <= end:
            next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
            last = min(end, next_month - timedelta(days=1))
            classes = {}
            for tranche in self.interest.tranches:
                lines = []
                for lo, hi, segment in self.interest.segments_between(tranche, cursor, last):
                    if segment.principal == ZERO:
                        continue
                    amount = self.interest.accrued(tranche, lo, hi)
                    rate = segment.rate
                    lines.append(InterestLine(lo, hi, (hi - lo).days + 1, segment.principal,
                                              rate.rate if rate else None, rate.formula if rate else None,
                                              rate.basis if rate else None, amount))
                total = self.interest.accrued(tranche, cursor, last)
                classes[tranche] = TrancheMonth(tuple(lines), cents(total))
            paid = [p for p in self.ledger.interest_payments if cursor <= p.date <= last]
            overdue = tuple(part.row() for line in self.overdue.lines(last) if (part := line.clipped(cursor, last)))
            months.append(InterestMonth(
                cursor.strftime("%Y-%m"), cursor, last, classes, overdue,
                interest=cents(self.interest.accrued_total(cursor, last) + self.overdue.accrued(cursor, last)),
                paid=sum((p.amount for p in paid), start=ZERO), unpaid_at_end=self.interest_unpaid(last)))
            cursor = last + timedelta(days=1)
        return months

    @answer
    def timeline(self, start: date, end: date) -> list[TimelineDay]:
        """One row a day: each revolving tranche's capacity, usage and availability, the overadvance and its
        limit, and the breaches of the day."""
        rows = []
        day = start
        while day <= end:
            book = self.book(day)
            avail = availabilities(book)
            over = overadvances(book)
            found = breaches(book)
            first = avail[0] if avail else None
            oa = over[0] if over else None
            rows.append(TimelineDay(
                day, capacity=first.capacity if first else None, usage=first.usage if first else None,
                availability=first.availability.value if first else None,
                overadvance=oa.overadvance.value if oa else None, overadvance_limit=oa.limit.value if oa else None,
                loans={t: book.snap.loan(t) for t in self.agreement.vocabulary.ids("tranches")},
                breaches=tuple(b.rule for b in found)))
            day += timedelta(days=1)
        return rows

    # --- explanations ----------------------------------------------------------------------------

    def _figure_names(self, book: DayView) -> list[str]:
        """The vocabulary's figures (indices aside: they are rates, not figures of a day's balance), then
        every figure the clauses in force define."""
        indices = set(self.agreement.vocabulary.ids("indices"))
        names = [n for n in self.agreement.vocabulary.formula_units() if n not in indices]
        return names + [n for n in book.definitions() if n not in names]

    @after_check
    def explainable(self, day: date) -> list[str]:
        fees = [block.id for _, block in self.charges.blocks()]
        return self._figure_names(self.book(day)) + ["interest", "fees", "payoff"] + list(dict.fromkeys(fees))

    @answer
    def explain(self, name: str, day: date) -> Explanation:
        if name not in self.explainable(day):
            raise UnknownFigure(name, day, tuple(self.explainable(day)))
        if name == "interest":
            return self._explain_interest(day)
        if name == "fees":
            return self._explain_fees(day)
        if name in {block.id for _, block in self.charges.blocks()}:
            charges = [c for c in self.charges.on(day) if c.fee == name]
            unpaid = sum((c.unpaid for c in charges), start=ZERO)
            return Explanation(name, unpaid, formula="the charges of the fee so far, less what was paid toward them",
                               inputs=tuple(c.explanation for c in charges),
                               label=charges[0].label if charges else None)
        if name == "payoff":
            pay = self._payoff(day)
            fees = self._explain_fees(day, payoff=True)
            return Explanation("payoff", pay.total, formula=render(PAYOFF), inputs=(
                leaf("principal", pay.principal, "loans outstanding at the end of the day, every tranche"),
                self._explain_interest(day - timedelta(days=1), paid_through=day), fees,
                leaf("expenses", pay.expenses, "expense_demanded less expense_payment events")))
        return self.book(day).explain(name)

    def _explain_fees(self, day: date, *, payoff: bool = False) -> Explanation:
        """Fees due and unpaid (the status's), or at a payoff on `day` everything accrued through the day before
        (the payoff's): the installment fee and each computed or termination fee."""
        state = self.fees(day, full_payment_day=day if payoff else None)
        inputs = [state.explanation] if state else []
        through = day - timedelta(days=1) if payoff else day
        charges = self.charges.on(through)
        if payoff:  # a fee that falls due on the payoff day (a termination fee, a flat fee) is paid with it
            charges += [c for c in self.charges.on(day) if c.kind != "periodic" and c.due == day]
        for fee in dict.fromkeys(c.fee for c in charges):
            owed = [c for c in charges if c.fee == fee and (payoff or c.status == "due")]
            paid = leaf(f"paid toward {fee}", ZERO - sum((c.paid for c in owed), start=ZERO), "fee_payment events")
            inputs.append(Explanation(
                fee, sum((c.unpaid for c in owed), start=ZERO), label=owed[0].label if owed else None,
                formula=f"{'accrued through' if payoff else 'due by'} {through}, less what was paid",
                inputs=(*(c.explanation for c in owed), paid)))
        if not inputs:
            return leaf("fees_due", ZERO, "the agreement has no fee")
        if state and len(inputs) == 1:
            return state.explanation
        total = sum((x.value for x in inputs), start=ZERO)
        return Explanation("fees_due", total, formula=" + ".join(x.figure for x in inputs), inputs=tuple(inputs))

    def _explain_interest(self, through: date, paid_through: date | None = None) -> Explanation:
        if not self.interest.priced and not self.overdue.active:
            return leaf("interest_accrued_unpaid", ZERO, "the agreement has no pricing clause")
        first = self.interest.first_day()
        inputs = []
        if first is not None and through >= first and self.interest.priced:
            for tranche in self.interest.tranches:
                accrued = self.interest.accrued(tranche, first, through)  # raises, naming the day, if unpriced
                lines = []
                for lo, hi, seg in self.interest.segments_between(tranche, first, through):
                    rate = seg.rate
                    if seg.principal == ZERO or rate is None:
                        continue
                    used = dict((path.split(".")[-1], i) for path, i in rate.version.interpretations_used)
                    lines.append(Explanation(
                        f"{tranche} {lo} to {hi}", self.interest.accrued(tranche, lo, hi),
                        formula=seg.accrual((hi - lo).days + 1).words(),
                        inputs=rate.inputs, clause=clause_ref(self.agreement, rate.version),
                        interpretation=interpretation_ref(self.agreement, used["day_basis"])
                        if "day_basis" in used else None))
                inputs.append(Explanation(f"{tranche} interest accrued", accrued,
                                          formula="sum of daily accruals at full precision", inputs=tuple(lines)))
        overdue = self.overdue.lines(through)
        if overdue:
            inputs.append(Explanation("interest on overdue amounts", self.overdue.accrued(date.min, through),
                                      formula="each amount unpaid after its due date, from the day after until "
                                              "paid, at the overdue rate less what it already accrues",
                                      inputs=tuple(line.explanation(self.agreement) for line in overdue)))
        paid = self.ledger.on(paid_through or through).interest_paid
        inputs.append(leaf("interest paid", paid, "interest_payment events"))
        return Explanation("interest_accrued_unpaid", self.interest_unpaid(through, paid_through=paid_through),
                           formula=f"interest accrued through {through} (rounded half-up to the cent once) "
                                   "- interest paid", inputs=tuple(inputs))


def _pro_rata(amount: Decimal, shares: list[Decimal]) -> list[Decimal]:
    """An amount parted by percentage shares, in cents; the last part takes the rounding remainder, so the parts
    add up to the amount."""
    parts = [cents(amount * share / HUNDRED) for share in shares[:-1]]
    return [*parts, amount - sum(parts, start=ZERO)] if shares else []
