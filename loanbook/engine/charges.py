"""Fees computed from the facility's use: a rate on a daily amount accrued over each period (an unused
line fee, a letter of credit fee), and termination fees; each charge with its period, basis, rate,
amount, due date and status, paid by the fee payments that name it (oldest due first)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext

from ..agreement.kinds import Term
from ..agreement.kinds_fees import ComputedFee, TerminationFee
from ..agreement.model import Agreement, ClauseVersion
from ..core.dates import LAST_DAY, next_business_day, year_length
from ..core.money import HUNDRED, ZERO, cents, money_human, percent_str
from .explain import Explanation, clause_ref, leaf
from .figures import DayView
from .ledger import Ledger
from .reporting import MONTHS, add_months


@dataclass(frozen=True)
class Charge:
    """One fee for one period (or one termination), as of a day."""

    fee: str
    label: str
    clause: str
    kind: str                     # periodic | termination
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


def _period_end(start: date, every: str) -> date:
    """The last day of the calendar month or quarter a day falls in."""
    months = MONTHS[every]
    first = start.replace(day=1)
    first = first.replace(month=(first.month - 1) // months * months + 1)
    return add_months(first, months) - timedelta(days=1)


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
        self._daily: dict[tuple[str, date], tuple[Decimal, Decimal, Decimal]] = {}

    def blocks(self) -> list[tuple[ClauseVersion, ComputedFee | TerminationFee]]:
        found: list[tuple[ClauseVersion, ComputedFee | TerminationFee]] = []
        found += self.agreement.all_terms(ComputedFee)
        found += self.agreement.all_terms(TerminationFee)
        return found

    def on(self, day: date) -> list[Charge]:
        """Every charge of every fee that has begun by the end of a day, payments applied."""
        charges: list[Charge] = []
        for version, block in self.blocks():
            if isinstance(block, ComputedFee):
                charges += self._periodic(version, block, day)
            else:
                charges += self._termination(version, block, day)
        return self._apply_payments(charges, day)

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
            end = min(_period_end(start, block.every), last)
            charges.append(self._period(version, block, start, end, day))
            start = end + timedelta(days=1)
        return charges

    def _accrual(self, version: ClauseVersion, block: ComputedFee, d: date) -> tuple[Decimal, Decimal, Decimal]:
        """The day's base (money), rate (percent) and accrual (exact): base x rate / the year."""
        key = (block.id, d)
        if key not in self._daily:
            book = self.book_of(d)
            base_value, _, _ = book.quantity(block.base, version, f"base of {block.id}")
            rate_value, _, _ = book.quantity(block.rate, version, f"rate of {block.id}")
            base = max(ZERO, cents(base_value))
            with localcontext() as ctx:
                ctx.prec = 50
                accrual = base * rate_value / year_length(block.day_basis, d.year)
            self._daily[key] = (base, rate_value * HUNDRED, accrual)
        return self._daily[key]

    def _period(self, version: ClauseVersion, block: ComputedFee, start: date, end: date, day: date) -> Charge:
        through = min(end, day)
        days = (through - start).days + 1
        rows = [self._accrual(version, block, start + timedelta(days=n)) for n in range(days)]
        with localcontext() as ctx:
            ctx.prec = 50
            accrued = sum((r[2] for r in rows), start=ZERO)
            base_sum = sum((r[0] for r in rows), start=ZERO)
        rates = {r[1] for r in rows}
        rate = rates.pop() if len(rates) == 1 else None
        average = cents(base_sum / days)
        amount = cents(accrued)
        due = _due(block, end)
        status = "accruing" if day < end else ("due" if day >= due else "scheduled")
        ref = clause_ref(self.agreement, version)
        book = self.book_of(through)
        base_x = book.quantity(block.base, version, "base")
        rate_x = book.quantity(block.rate, version, "rate")
        year = year_length(block.day_basis, start.year)
        formula = (f"{block.rate.text} x ({block.base.text}), each day from {start} to {through}, over {year} "
                   f"days ({block.day_basis}); average base {money_human(average)}"
                   + (f" at {percent_str(rate)}%" if rate is not None else ", the rate changing in the period"))
        explanation = Explanation(f"{block.id} {start} to {end}", amount, formula=formula, clause=ref,
                                  label=block.label,
                                  inputs=(Explanation(f"base on {through}", cents(base_x[0]), formula=base_x[1],
                                                      inputs=base_x[2]),
                                          Explanation(f"rate on {through}", rate_x[0] * HUNDRED, formula=rate_x[1],
                                                      inputs=rate_x[2], unit="percent")))
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
                value, text, inputs = self.book_of(when).quantity(block.of, version, f"{block.id} base")
                amount, base_x = cents(value), Explanation(text, cents(value), formula=text, inputs=inputs)
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


