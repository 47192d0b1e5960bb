"""Fees as charges: a rate on a daily amount accrued over each period and paid in arrears (an unused line fee, a
letter of credit fee), a rate on a letter of credit's face for its whole term paid in advance at issuance,
termination fees, and flat fees (upfront, extension, agency); each charge with its period, basis, rate, amount,
due date and status, paid by the fee payments that name it (oldest due first)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import NamedTuple

from ..agreement.kinds import Term
from ..agreement.kinds_fees import ComputedFee, FlatFee, IssuanceFee, TerminationFee
from ..agreement.kinds_pricing import DefaultRate
from ..agreement.model import Agreement, ClauseVersion
from ..core.dates import LAST_DAY, next_business_day, year_length
from ..core.errors import RecordError
from ..core.money import HUNDRED, PRECISION, ZERO, cents, money_human, percent_str
from .accrual import Accrual
from .explain import Explanation, clause_ref, leaf
from .figures import DayView, QuantityOn
from .ledger import Ledger
from .reporting import MONTHS, add_months

FeeBlock = ComputedFee | TerminationFee | FlatFee | IssuanceFee


@dataclass(frozen=True)
class Charge:
    """One fee for one period (or one termination), as of a day."""

    fee: str
    label: str
    clause: str
    kind: str                     # periodic | termination | flat | in_advance
    start: date
    end: date                     # inclusive; for a termination, its day
    days: int                     # days accrued so far (a period not over yet accrues to the as-of day)
    base: Decimal | None          # the average daily amount the rate applied to
    rate: Decimal | None          # percent a year when constant over the period, else None
    amount: Decimal               # accrued so far, rounded half-up to the cent
    due: date
    status: str                   # accruing | scheduled | due | paid
    paid: Decimal
    explanation: Explanation

    @property
    def unpaid(self) -> Decimal:
        return self.amount - self.paid


def _period_end(start: date, every: str, end_months: tuple[int, ...] = ()) -> date:
    """The last day of the month or quarter a day falls in: calendar quarters, or quarters ending with the months
    the clause names (February, May, August and November)."""
    if end_months:
        month = next((m for m in sorted(end_months) if m >= start.month), min(end_months))
        year = start.year if month >= start.month else start.year + 1
        return add_months(date(year, month, 1), 1) - timedelta(days=1)
    months = MONTHS[every]
    first = start.replace(day=1)
    first = first.replace(month=(first.month - 1) // months * months + 1)
    return add_months(first, months) - timedelta(days=1)


class DayAccrued(NamedTuple):
    """A day of a computed fee: its base (money), its rate (percent) and what the base accrues at it (exact)."""

    base: Decimal
    rate: Decimal
    accrued: Decimal


def _percent(rate: Decimal) -> Decimal:
    """A rate as formulas hold it (2.5% is 0.025) in percent, exactly: an accrual at it comes to what the rate gives."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return rate * HUNDRED


def _due(block: ComputedFee, end: date) -> date:
    if block.due == "last_day":
        return end
    if block.due == "first_day_after":
        return end + timedelta(days=1)
    return next_business_day(end + timedelta(days=1))


class Charges:
    """Every computed and termination fee of the facility, from the daily figures of its history."""

    def __init__(self, agreement: Agreement, ledger: Ledger, book_of: Callable[[date], DayView]):
        self.agreement = agreement
        self.ledger = ledger
        self.book_of = book_of
        self._daily: dict[tuple[str, date], DayAccrued] = {}

    def blocks(self) -> list[tuple[ClauseVersion, FeeBlock]]:
        found: list[tuple[ClauseVersion, FeeBlock]] = []
        for kind in (ComputedFee, TerminationFee, FlatFee, IssuanceFee):
            found += self.agreement.all_terms(kind)
        return found

    def on(self, day: date) -> list[Charge]:
        """Every charge of every fee that has begun by the end of a day (a flat fee: fallen due), payments
        applied."""
        charges: list[Charge] = []
        for version, block in self.blocks():
            if isinstance(block, ComputedFee):
                charges += self._periodic(version, block, day)
            elif isinstance(block, TerminationFee):
                charges += self._termination(version, block, day)
            elif isinstance(block, FlatFee):
                charges += self._flat(version, block, day)
            else:
                charges += self._issuance(version, block, day)
        return self._apply_payments(charges, day)

    def upcoming(self, day: date) -> list[Charge]:
        """The flat fees that fall due after a day (`scheduled`): what `fees` lists ahead of its due date. A fee due
        every year is listed to the end of the term, or, with no end known, its next due date only."""
        found = []
        last = self._last_day()
        for version, block in self.agreement.all_terms(FlatFee):
            until = last if last < LAST_DAY else add_months(day, 12)
            later = [c for c in self._flat(version, block, until, day) if c.due > day]
            found += later if last < LAST_DAY else later[:1]
        return sorted(found, key=lambda c: (c.due, c.fee))

    # --- flat fees and fees paid in advance -------------------------------------------------------------

    def _flat(self, version: ClauseVersion, block: FlatFee, until: date, day: date | None = None) -> list[Charge]:
        """A flat fee's charges due by `until`: its date, and each anniversary of it (every: year) while the facility
        runs and the clause is in force; each is `due` from its date on (as of `day`), `scheduled` before it."""
        day = day or until
        ref = clause_ref(self.agreement, version)
        dues = [block.due] if block.due <= until else []
        if block.every == "year":
            last = min(until, self._last_day())
            n = 1
            while add_months(block.due, 12 * n) <= last and version.in_force_on(add_months(block.due, 12 * n)):
                dues.append(add_months(block.due, 12 * n))
                n += 1
        yearly = " (due each year from then)" if block.every == "year" else ""
        return [Charge(block.id, block.label, version.clause_id, "flat", due, due, 0, None, None, block.amount, due,
                       "due" if due <= day else "scheduled", ZERO,
                       Explanation(f"{block.id} due {due}", block.amount, label=block.label, clause=ref,
                                   formula=f"a flat fee of {money_human(block.amount)} due {block.due}{yearly}"))
                for due in dues]

    def _issuance(self, version: ClauseVersion, block: IssuanceFee, day: date) -> list[Charge]:
        """Each contingent obligation of the kinds named, issued by the day while the clause is in force: rate x
        face x the days of its term over the year, due the day it is issued (in advance, for the whole term)."""
        charges = []
        ref = clause_ref(self.agreement, version)
        for event in self.ledger.issuances:
            if event.kind not in block.contingents or event.date > day or not version.in_force_on(event.date):
                continue
            if event.expires is None:
                raise RecordError(f"{block.id} ({version.clause_id}) is paid for the term of each "
                                  f"{event.kind.replace('_', ' ')} at its issuance: {event.id} ({event.where}) "
                                  "gives no expires date")
            rate_on = self.book_of(event.date).quantity(block.rate, version, f"rate of {block.id}")
            fee = Accrual(event.amount, _percent(rate_on.value), rate_on.formula, (event.expires - event.date).days,
                          year_length(block.day_basis, event.date.year))
            amount = cents(fee.value())
            explanation = Explanation(
                f"{block.id} on {event.id}", amount, label=block.label, clause=ref,
                formula=f"{fee.words(f'from {event.date} to {event.expires}')} ({block.day_basis}), paid in advance "
                        "at issuance",
                inputs=(leaf(event.id, event.amount, event.where),
                        Explanation("rate", fee.rate, formula=rate_on.formula, inputs=rate_on.inputs, unit="percent")))
            charges.append(Charge(block.id, block.label, version.clause_id, "in_advance", event.date,
                                  event.expires - timedelta(days=1), fee.days, event.amount, fee.rate, amount,
                                  event.date, "due", ZERO, explanation))
        return charges

    # --- periodic fees ---------------------------------------------------------------------------------

    def _last_day(self) -> date:
        """A fee accrues until the term ends (the latest term of the agreement), the facility is terminated,
        or the loans are paid in full."""
        ends = [LAST_DAY] + [b.initial_term_end for _, b in self.agreement.all_terms(Term) if not b.tranches]
        ends += [event.date for event in self.ledger.terminations + self.ledger.payoffs]
        return min(ends)

    def _periodic(self, version: ClauseVersion, block: ComputedFee, day: date) -> list[Charge]:
        charges = []
        start = max(block.accrues_from, version.effective)
        last = min(self._last_day(), version.until - timedelta(days=1) if version.until else LAST_DAY)
        while start <= min(day, last):
            end = min(_period_end(start, block.every, block.end_months()), last)
            charges.append(self._period(version, block, start, end, day))
            start = end + timedelta(days=1)
        return charges

    def _accrual(self, version: ClauseVersion, block: ComputedFee, d: date) -> DayAccrued:
        """The day's base, rate and accrual: the base accruing at the rate for one day."""
        key = (block.id, d)
        if key not in self._daily:
            book = self.book_of(d)
            base_value = book.quantity(block.base, version, f"base of {block.id}").value
            rate_value = book.quantity(block.rate, version, f"rate of {block.id}").value
            rate_value, _ = self._with_default(block, d, rate_value)
            day = Accrual(max(ZERO, cents(base_value)), _percent(rate_value), block.rate.text, 1,
                          year_length(block.day_basis, d.year))
            self._daily[key] = DayAccrued(day.amount, day.rate, day.value())
        return self._daily[key]

    def _with_default(self, block: ComputedFee, d: date, rate: Decimal) -> tuple[Decimal, Explanation | None]:
        """The fee's rate on a day (as formulas hold it: 2.5% is 0.025) while an Event of Default continues, where a
        default_rate clause in force names the fee: raised by its margin, or its own rate in lieu; and why."""
        default = self.ledger.default_on(d)
        if default is None:
            return rate, None
        for version, rule in self.agreement.terms_in_force(DefaultRate, d):
            if block.id not in rule.fees:
                continue
            why = f"{version.clause_id}: an Event of Default continues since {default.start}"
            if rule.margin is not None:
                return rate + rule.margin / HUNDRED, leaf("default margin", rule.margin, why, unit="percent")
            assert rule.rate is not None
            in_lieu = self.book_of(d).quantity(rule.rate, version, f"default rate of {block.id}")
            return in_lieu.value, Explanation("default rate, in lieu of the rate", in_lieu.value * HUNDRED,
                                              formula=in_lieu.formula, inputs=in_lieu.inputs, source=why,
                                              unit="percent")
        return rate, None

    def _period(self, version: ClauseVersion, block: ComputedFee, start: date, end: date, day: date) -> Charge:
        through = min(end, day)
        days = (through - start).days + 1
        rows = [self._accrual(version, block, start + timedelta(days=n)) for n in range(days)]
        with localcontext() as ctx:
            ctx.prec = PRECISION
            accrued = sum((r.accrued for r in rows), start=ZERO)
            base_sum = sum((r.base for r in rows), start=ZERO)
        rates = {r.rate for r in rows}
        rate = rates.pop() if len(rates) == 1 else None
        average = cents(base_sum / days)
        amount = cents(accrued)
        due = _due(block, end)
        status = "accruing" if day < end else ("due" if day >= due else "scheduled")
        ref = clause_ref(self.agreement, version)
        book = self.book_of(through)
        base_x = book.quantity(block.base, version, "base")
        rate_x = book.quantity(block.rate, version, "rate")
        rate_then, default = self._with_default(block, through, rate_x.value)
        if default is not None:
            rate_x = QuantityOn(rate_then, f"{rate_x.formula}, while an Event of Default continues",
                                rate_x.inputs + (default,))
        year = year_length(block.day_basis, start.year)
        formula = (f"{block.rate.text} x ({block.base.text}), each day from {start} to {through}, over {year} "
                   f"days ({block.day_basis}); average base {money_human(average)}"
                   + (f" at {percent_str(rate)}%" if rate is not None else ", the rate changing in the period"))
        explanation = Explanation(f"{block.id} {start} to {end}", amount, formula=formula, clause=ref,
                                  label=block.label,
                                  inputs=(Explanation(f"base on {through}", cents(base_x.value),
                                                      formula=base_x.formula, inputs=base_x.inputs),
                                          Explanation(f"rate on {through}", rate_x.value * HUNDRED,
                                                      formula=rate_x.formula, inputs=rate_x.inputs, unit="percent")))
        return Charge(block.id, block.label, version.clause_id, "periodic", start, end, days, average, rate, amount,
                      due, status, ZERO, explanation)

    # --- termination fees -----------------------------------------------------------------------------

    def _termination(self, version: ClauseVersion, block: TerminationFee, day: date) -> list[Charge]:
        charges = []
        triggers: list[tuple[str, date, Decimal | None, str]] = []
        if "termination" in block.triggers:
            triggers += [("termination", e.date, None, e.where) for e in self.ledger.terminations]
        if "acceleration" in block.triggers:
            triggers += [("acceleration", e.date, None, e.where) for e in self.ledger.accelerations]
        if "reduction" in block.triggers:
            triggers += [("reduction", e.date, e.amount, e.where) for e in self.ledger.reductions]
        for cause, when, amount, where in sorted(triggers, key=lambda t: t[1]):
            if when > day or not version.in_force_on(when):
                continue
            window = next((w for w in block.windows if (w.start is None or w.start <= when)
                           and (w.end is None or when <= w.end)), None)
            if window is None:
                continue  # outside every window: no fee
            if amount is None:
                base_on = self.book_of(when).quantity(block.of, version, f"{block.id} base")
                amount = cents(base_on.value)
                base_x = Explanation(base_on.formula, amount, formula=base_on.formula, inputs=base_on.inputs)
            else:
                base_x = leaf("commitment reduced", amount, where)
            fee = cents(amount * window.percent / HUNDRED)
            span = f"{window.start or 'the start'} to {window.end or 'the end'}"
            explanation = Explanation(f"{block.id} on {when}", fee, label=block.label,
                                      formula=f"{window.percent}% (the window {span}) x {base_x.figure}, on {cause}",
                                      inputs=(base_x, leaf(cause, when, where)),
                                      clause=clause_ref(self.agreement, version))
            charges.append(Charge(block.id, block.label, version.clause_id, "termination", when, when, 1, amount,
                                  window.percent, fee, when, "due", ZERO, explanation))
        return charges

    # --- payments ---------------------------------------------------------------------------------------

    def _apply_payments(self, charges: list[Charge], day: date) -> list[Charge]:
        """Each fee's payments pay its charges oldest due first, then what the charge still accruing has accrued
        (paid ahead: it is not owed again at a payoff); a payment beyond them all is a credit (`credit`)."""
        out = []
        for fee in dict.fromkeys(c.fee for c in charges):
            pool = self._paid_toward(fee, day)
            for charge in sorted((c for c in charges if c.fee == fee), key=lambda c: (c.due, c.start)):
                paid = min(pool, max(charge.amount, ZERO))
                pool -= paid
                settled = charge.amount > 0 and paid == charge.amount and charge.status != "accruing"
                status = "paid" if settled else charge.status
                out.append(Charge(**{**charge.__dict__, "paid": paid, "status": status}))
        return sorted(out, key=lambda c: (c.due, c.fee, c.start))

    def _paid_toward(self, fee: str, day: date) -> Decimal:
        return sum((p.amount for p in self.ledger.fee_payments_of(fee, day)), start=ZERO)

    def credit(self, day: date) -> Decimal:
        """Payments toward these fees beyond every charge to date: the borrower's credit."""
        fees = {block.id for _, block in self.blocks()}
        return sum((self._paid_toward(fee, day) for fee in fees), start=ZERO) - sum((c.paid for c in self.on(day)),
                                                                                   start=ZERO)
