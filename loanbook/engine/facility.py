"""The facility on any day: one entry point over the rule modules, each figure computed in one place.

`Facility(agreement, events, prime)` replays the history once (pure: nothing here reads a file, a
clock or a database); every question after that is answered from the replay.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from ..agreement.model import Agreement
from ..core.errors import InputError, Problem
from ..core.money import HUNDRED, ZERO, cents, money_human
from .capacity import capacity_on
from .explain import Explanation, clause_ref, interpretation_ref, leaf
from .fees import FeeState, fees_on
from .interest import LOAN_CLASSES, InterestBook, PrimeSeries
from .ledger import known, ordered, replay
from .obligations import conditions_on, obligations_on
from .overadvance import overadvance_on


class Facility:
    def __init__(self, agreement: Agreement, events, prime_shipped, known_at: datetime | None = None):
        self.agreement = agreement
        self.ledger = replay(ordered(known(events, known_at)))
        self.prime = PrimeSeries.merge(prime_shipped, self.ledger.prime_events)
        self.interest = InterestBook(agreement, self.ledger, self.prime)
        self._check_history()

    # --- history checks that need the agreement, interest and fees ---------------------------------

    def _check_history(self) -> None:
        problems = []
        documents = {d.id for d in self.agreement.documents}
        for event in self.ledger.executions:
            if event.amendment not in documents:
                problems.append(Problem(event.source_file, event.position,
                                        "amendment", f"unknown document {event.amendment!r}; the chain has: "
                                                     f"{', '.join(sorted(documents))}"))
        if problems:
            raise InputError(problems)
        paid = ZERO
        for event in self.ledger.interest_payments:
            owed = self.interest_unpaid(event.date - timedelta(days=1), paid_through=event.date - timedelta(days=1))
            if event.amount > owed:
                problems.append(Problem(event.source_file, event.position, "amount",
                                        f"pays {money_human(event.amount)} of interest, but only {money_human(owed)} "
                                        f"is accrued and unpaid through {event.date - timedelta(days=1)}"))
            paid += event.amount
        for event in self.ledger.payoffs:
            remaining = self.payoff(event.date)
            left = [f"{k} {money_human(remaining[k])}" for k in ("principal", "interest", "fees", "expenses")
                    if remaining[k] != ZERO]
            if left:
                problems.append(Problem(event.source_file, event.position, "type",
                                        f"paid_in_full on {event.date}, but still owed: {', '.join(left)}"))
        if problems:
            raise InputError(problems)

    # --- figures ---------------------------------------------------------------------------------

    def interest_accrued(self, start: date, end: date) -> dict[str, Decimal]:
        return {c: self.interest.accrued(c, start, end) for c in LOAN_CLASSES}

    def interest_unpaid(self, through: date, *, paid_through: date | None = None) -> Decimal:
        """Interest accrued through a day (rounded half-up to the cent once) less interest paid."""
        first = self.interest.first_day()
        accrued = ZERO if first is None else sum(self.interest_accrued(first, through).values(), start=ZERO)
        paid = self.ledger.on(paid_through or through).interest_paid
        return cents(accrued) - paid

    def status(self, day: date) -> dict:
        snap = self.ledger.on(day)
        cap = capacity_on(self.agreement, snap, day)
        oa = overadvance_on(self.agreement, snap, cap, day)
        unpaid = self.interest_unpaid(day)
        return {
            "as_of": day, "maximum_limit": cap.maximum_limit,
            "receivables_borrowing_base": cap.receivables_borrowing_base, "advance_rate": cap.advance_rate,
            "iec_borrowing_capacity": cap.iec_borrowing_capacity, **cap.deductions,
            "borrowing_capacity": cap.borrowing_capacity, "advances_outstanding": snap.advances,
            "availability": cap.availability, "overadvance": oa.overadvance, "overadvance_cap": oa.cap,
            "term_loan_reserve": oa.term_loan_reserve, "overadvance_limit": oa.limit,
            "term_loan_outstanding": snap.term_loan, "interest_accrued_unpaid": unpaid,
            "expenses_unpaid": snap.expenses_demanded - snap.expenses_paid,
            "breaches": list(oa.breaches), "pending_conditions": [c for c in conditions_on(self.agreement,
                                                                                         self.ledger, day)
                                                                if c["status"] == "open"],
            "interpretations": [interpretation_ref(self.agreement, i.id) for i in self.agreement.register.items],
            "lenders": self.lender_shares(day, principal=snap.advances + snap.term_loan, interest=unpaid,
                                          fees=self._fees_due(day)),
        }

    def advance(self, day: date, amount: Decimal) -> dict:
        """The decision on a request to advance `amount` on `day`, against the state at the end of that day."""
        snap = self.ledger.on(day)
        cap = capacity_on(self.agreement, snap, day)
        oa = overadvance_on(self.agreement, snap, cap, day)
        _, term = self.agreement.terms_on("term", day)
        after = snap.advances + amount
        overadvance_after = oa.overadvance_if(after)
        reasons = []
        if day > term.initial_term_end:
            return {"decision": "refused", "overadvance_after": overadvance_after,
                    "reasons": [f"term expired: the Initial Term ended {term.initial_term_end}"]}
        if after <= cap.borrowing_capacity:
            return {"decision": "within_capacity", "overadvance_after": ZERO,
                    "reasons": [f"advances after the request {money_human(after)} are within the Borrowing Capacity "
                                f"{money_human(cap.borrowing_capacity)}"]}
        if overadvance_after > oa.limit:
            reasons.append(f"overadvance after the request {money_human(overadvance_after)} exceeds the overadvance "
                           f"limit {money_human(oa.limit)} (cap {money_human(oa.cap)}, Term Loan Reserve "
                           f"{money_human(oa.term_loan_reserve)})")
        if after > cap.maximum_limit:
            reasons.append(f"advances after the request {money_human(after)} exceed the Maximum Limit "
                           f"{money_human(cap.maximum_limit)}")
        if reasons:
            return {"decision": "refused", "overadvance_after": overadvance_after, "reasons": reasons}
        return {"decision": "overadvance_requires_approval", "overadvance_after": overadvance_after,
                "reasons": [f"creates an overadvance of {money_human(overadvance_after)} within the limit "
                            f"{money_human(oa.limit)}; Overadvances are at the Lenders' sole discretion"]}

    def fees(self, day: date, *, full_payment_day: date | None = None) -> FeeState:
        return fees_on(self.agreement, self.ledger, day, full_payment_day=full_payment_day)

    def _fees_due(self, day: date, full_payment_day: date | None = None) -> Decimal:
        """Fees due and unpaid; an agreement without an installment fee owes none."""
        if not self.agreement.all_terms("installment_schedule"):
            return ZERO
        return self.fees(day, full_payment_day=full_payment_day).total_due

    def obligations(self, day: date) -> list[dict]:
        snap = self.ledger.on(day)
        return obligations_on(self.agreement, self.ledger, day, principal=snap.advances + snap.term_loan,
                              expenses_unpaid=snap.expenses_demanded - snap.expenses_paid)

    def conditions(self, day: date) -> list[dict]:
        return conditions_on(self.agreement, self.ledger, day)

    def payoff(self, day: date) -> dict:
        """What paying in full on `day` takes, and what it would waive."""
        snap = self.ledger.on(day)
        interest = self.interest_unpaid(day - timedelta(days=1), paid_through=day)
        would_waive = []
        if self.agreement.all_terms("installment_schedule"):
            ordinary, if_paid = self.fees(day), self.fees(day, full_payment_day=day)
            would_waive = [s for s, o in zip(if_paid.installments, ordinary.installments)
                           if s.status == "waived" and o.status != "waived"]
        fees = self._fees_due(day, full_payment_day=day)
        principal = snap.advances + snap.term_loan
        expenses = snap.expenses_demanded - snap.expenses_paid
        return {"on": day, "principal": principal, "advances": snap.advances, "term_loan": snap.term_loan,
                "interest": interest, "fees": fees, "expenses": expenses,
                "total": principal + interest + fees + expenses,
                "would_waive": [{"component": s.component, "due": s.due, "amount": s.amount} for s in would_waive]}

    def lender_shares(self, day: date, **amounts: Decimal) -> list[dict]:
        """Each Lender's pro-rata share of each amount, in cents; the last Lender takes the rounding remainder."""
        rows = [{"party": lender.party, "share": lender.share, "assumption": lender.assumption}
                for lender in self.agreement.lenders]
        for name, amount in amounts.items():
            given = ZERO
            for i, lender in enumerate(self.agreement.lenders):
                last = i == len(self.agreement.lenders) - 1
                part = amount - given if last else cents(amount * lender.share / HUNDRED)
                rows[i][name] = part
                given += part
        return rows

    # --- statements and series -------------------------------------------------------------------

    def interest_statement(self, start: date, end: date) -> list[dict]:
        """Per month: per loan class the periods of constant balance and rate, days and interest."""
        months = []
        cursor = start
        while cursor <= end:
            next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
            last = min(end, next_month - timedelta(days=1))
            classes = {}
            for loan_class in LOAN_CLASSES:
                lines = []
                for lo, hi, segment in self.interest.segments_between(loan_class, cursor, last):
                    if segment.principal == ZERO:
                        continue
                    amount = self.interest.accrued(loan_class, lo, hi)
                    lines.append({"from": lo, "to": hi, "days": (hi - lo).days + 1, "principal": segment.principal,
                                  "prime": segment.prime.rate, "margin": segment.row.margin, "rate": segment.rate,
                                  "day_basis": segment.basis, "interest": amount})
                total = self.interest.accrued(loan_class, cursor, last)
                classes[loan_class] = {"lines": lines, "interest": cents(total)}
            paid = [p for p in self.ledger.interest_payments if cursor <= p.date <= last]
            months.append({"month": cursor.strftime("%Y-%m"), "from": cursor, "to": last, "classes": classes,
                           "interest": cents(sum((self.interest.accrued(c, cursor, last) for c in LOAN_CLASSES),
                                                 start=ZERO)),
                           "paid": sum((p.amount for p in paid), start=ZERO),
                           "unpaid_at_end": self.interest_unpaid(last)})
            cursor = last + timedelta(days=1)
        return months

    def timeline(self, start: date, end: date) -> list[dict]:
        rows = []
        day = start
        while day <= end:
            snap = self.ledger.on(day)
            cap = capacity_on(self.agreement, snap, day)
            oa = overadvance_on(self.agreement, snap, cap, day)
            rows.append({"date": day, "borrowing_capacity": cap.borrowing_capacity, "advances": snap.advances,
                         "availability": cap.availability, "overadvance": oa.overadvance,
                         "overadvance_limit": oa.limit, "breach": bool(oa.breaches),
                         "breaches": [b["rule"] for b in oa.breaches]})
            day += timedelta(days=1)
        return rows

    # --- explanations ----------------------------------------------------------------------------

    FIGURES = ("availability", "borrowing_capacity", "iec_borrowing_capacity", "maximum_limit",
               "advances_outstanding", "overadvance", "overadvance_cap", "overadvance_limit", "term_loan_reserve",
               "interest", "fees", "payoff")

    def explain(self, figure: str, day: date) -> Explanation:
        if figure not in self.FIGURES:
            raise ValueError(f"unknown figure {figure!r}; explainable: {', '.join(self.FIGURES)}")
        snap = self.ledger.on(day)
        if figure in ("interest", "payoff"):
            interest = self._explain_interest(day)
            if figure == "interest":
                return interest
            pay = self.payoff(day)
            fees = self.fees(day, full_payment_day=day).explanation
            return Explanation("payoff", pay["total"], formula="principal + interest + fees + expenses", inputs=(
                leaf("principal", pay["principal"], "advances and term loan outstanding at the end of the day"),
                self._explain_interest(day - timedelta(days=1), paid_through=day), fees,
                leaf("expenses", pay["expenses"], "expense_demanded less expense_payment events")))
        if figure == "fees":
            return self.fees(day).explanation
        cap = capacity_on(self.agreement, snap, day)
        if figure in cap.explanations:
            return cap.explanations[figure]
        return overadvance_on(self.agreement, snap, cap, day).explanations[figure]

    def _explain_interest(self, through: date, paid_through: date | None = None) -> Explanation:
        first = self.interest.first_day()
        inputs = []
        if first is not None and through >= first:
            accrued = self.interest_accrued(first, through)  # raises, naming the day, if one has no rate
            for loan_class in LOAN_CLASSES:
                lines = []
                for lo, hi, seg in self.interest.segments_between(loan_class, first, through):
                    if seg.principal == ZERO:
                        continue
                    used = dict((path.split(".")[-1], i) for path, i in seg.version.interpretations_used)
                    lines.append(Explanation(
                        f"{loan_class} {lo} to {hi}", self.interest.accrued(loan_class, lo, hi),
                        formula=f"{money_human(seg.principal)} x ({seg.prime.rate}% prime + {seg.row.margin}%) "
                                f"x {(hi - lo).days + 1} days / {seg.basis.split('/')[1]}",
                        inputs=(leaf("prime", seg.prime.rate, seg.prime.source),),
                        clause=clause_ref(self.agreement, seg.version),
                        interpretation=interpretation_ref(self.agreement, used["day_basis"])
                        if "day_basis" in used else None))
                inputs.append(Explanation(f"{loan_class} interest accrued", accrued[loan_class],
                                          formula="sum of daily accruals at full precision", inputs=tuple(lines)))
        paid = self.ledger.on(paid_through or through).interest_paid
        inputs.append(leaf("interest paid", paid, "interest_payment events"))
        return Explanation("interest_accrued_unpaid", self.interest_unpaid(through, paid_through=paid_through),
                           formula=f"interest accrued through {through} (rounded half-up to the cent once) "
                                   "- interest paid", inputs=tuple(inputs))
