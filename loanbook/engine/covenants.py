"""Financial covenants: each test date's measure, from the figures a certificate reports for the period,
against its threshold; status compliant, breached, waived, not applicable (a springing test off), not yet
reported, or certificate late."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..agreement.kinds_covenants import Covenant, CovenantWaiver
from ..agreement.kinds_pricing import Reporting
from ..agreement.model import Agreement, ClauseVersion
from ..core.errors import RecordError
from ..core.money import HUNDRED, cents, money_human
from ..events import types as ev
from .explain import Explanation, clause_ref
from .figures import DayView
from .keys import Missing, Period, read_key
from .ledger import Ledger
from .reporting import period_ends, report_for
from .results import Breach, SpringingInForce

STATUSES = ("compliant", "breached", "waived", "not_applicable", "not_reported", "certificate_late")


@dataclass(frozen=True)
class TestResult:
    covenant: str
    label: str
    clause: str
    test_date: date
    test: str                         # at_least | at_most
    unit: str
    measure: Decimal | None
    threshold: Decimal | None
    status: str
    certificate_due: date | None
    detail: str
    explanation: Explanation


class Covenants:
    def __init__(self, agreement: Agreement, ledger: Ledger, book_of: Callable[[date], DayView]):
        self.agreement = agreement
        self.ledger = ledger
        self.book_of = book_of

    def on(self, day: date) -> list[TestResult]:
        """Every test date of every covenant in force, up to a day (the covenants as the agreement in force
        on that day states them, each test date under the version in force on it)."""
        results = []
        for version, block in self.agreement.all_terms(Covenant):
            for test_date in period_ends(block.first_test, block.every, day):
                if version.in_force_on(test_date) and self._current(block, version, test_date):
                    results.append(self._test(version, block, test_date, day))
        return sorted(results, key=lambda r: (r.test_date, r.covenant))

    def _current(self, block: Covenant, version: ClauseVersion, test_date: date) -> bool:
        """A later version of the same covenant in force on the test date replaces this one there."""
        others = [v for v, b in self.agreement.all_terms(Covenant) if b.id == block.id and v.in_force_on(test_date)]
        return others[-1] is version

    def springing(self, day: date, first_day: date | None,
                  events_on: Callable[[date], list]) -> list[SpringingInForce]:
        """Each springing covenant in force on a day whose figure is below its threshold: since when (walking back
        day by day to the first day it was not, the clause's first day, or the record's), and what took it there."""
        found = []
        for version, block in self.agreement.terms_in_force(Covenant, day):
            springing = block.applies_while
            if springing is None or not self._current(block, version, day):
                continue
            below = self._below(version, block, day)
            if below is None:
                continue
            since, then = day, below
            start = max(version.effective, first_day or version.effective)
            while since > start:
                try:
                    earlier = self._below(version, block, since - timedelta(days=1))
                except RecordError:  # a figure it needs is not defined that day: the run starts after it
                    earlier = None
                if earlier is None:
                    break
                since, then = since - timedelta(days=1), earlier
            events = events_on(since)
            if events:
                trigger = "sprung by the events of that day: " + "; ".join(_event_words(e, self.agreement)
                                                                             for e in events)
            else:
                trigger = ("below from the day the clause took effect" if since == version.effective
                           else "below from the first day of the record")
            found.append(SpringingInForce(block.id, block.label, version.clause_id, springing.figure,
                                          self.book_of(day).unit(springing.figure), below[0], below[1], since,
                                          then[0], then[1], trigger))
        return found

    def _below(self, version: ClauseVersion, block: Covenant, day: date) -> tuple[Decimal, Decimal] | None:
        """The springing figure and its threshold on a day, if the figure is below it (the covenant applies)."""
        assert block.applies_while is not None
        book = self.book_of(day)
        value = book.value(block.applies_while.figure)
        below = book.quantity(block.applies_while.below, version, "springing threshold").value
        return (value, cents(below)) if value < cents(below) else None

    def breaches(self, day: date) -> list[Breach]:
        return [Breach("covenant", r.clause, r.test_date, r.measure or Decimal(0), r.threshold or Decimal(0), None,
                       {"covenant": r.covenant, "label": r.label, "test": r.test, "unit": r.unit})
                for r in self.on(day) if r.status == "breached"]

    def _due(self, block: Covenant, test_date: date, day: date) -> date | None:
        reporting = [b for _, b in self.agreement.terms_in_force(Reporting, day) if b.document == block.certificate]
        return test_date + timedelta(days=reporting[0].due_days_after) if reporting else None

    def _test(self, version: ClauseVersion, block: Covenant, test_date: date, day: date) -> TestResult:
        ref = clause_ref(self.agreement, version)
        due = self._due(block, test_date, day)
        report = report_for(self.ledger, block.certificate, test_date, day)

        def result(status: str, detail: str, measure=None, threshold=None, inputs=()) -> TestResult:
            explanation = Explanation(f"{block.id} for {test_date}", measure if measure is not None else status,
                                      formula=f"{block.measure.text} {_WORDS[block.test]} the threshold: {detail}",
                                      inputs=tuple(inputs), clause=ref, unit=block.unit, label=block.label)
            return TestResult(block.id, block.label, version.clause_id, test_date, block.test, block.unit, measure,
                              threshold, status, due, detail, explanation)

        springing = block.applies_while
        if springing is not None:
            book = self.book_of(test_date)
            value = book.value(springing.figure)
            below = book.quantity(springing.below, version, "springing threshold")
            if value >= cents(below.value):
                return result("not_applicable", f"{springing.figure} {value} on {test_date} is not below "
                                                f"{below.formula} = {cents(below.value)}: the test does not apply")
        threshold_on = self.book_of(test_date).quantity(block.threshold, version, "threshold")
        threshold = threshold_on.value * HUNDRED if block.unit == "percent" else threshold_on.value
        if report is None:
            if due is not None and day > due:
                return result("certificate_late", f"the {block.certificate} for {test_date} was due {due}",
                              threshold=threshold)
            return result("not_reported", f"no {block.certificate} for {test_date} yet"
                                          + (f" (due {due})" if due else ""), threshold=threshold)
        inputs: list[Explanation] = []
        try:
            measure = self._measure(block, test_date, report, day, inputs)
        except _Missing as missing:
            return result("not_reported", str(missing), threshold=threshold)
        waiver = self._waiver(block, test_date, day)
        passes = measure >= threshold if block.test == "at_least" else measure <= threshold
        detail = f"{measure} {_WORDS[block.test]} {threshold} ({threshold_on.formula}) for {test_date}"
        if passes:
            return result("compliant", detail, measure, threshold, inputs)
        if waiver is not None:
            floor_ok = waiver.floor is None or (measure >= waiver.floor if block.test == "at_least"
                                                else measure <= waiver.floor)
            if floor_ok:
                return result("waived", f"{detail}: not met, waived ({waiver.label or 'covenant waiver'})"
                              + (f"; the floor {waiver.floor} holds" if waiver.floor is not None else ""),
                              measure, threshold, inputs)
            return result("breached", f"{detail}: waived, but not the floor {waiver.floor}", measure,
                          waiver.floor, inputs)
        return result("breached", f"{detail}: not met", measure, threshold, inputs)

    def _measure(self, block: Covenant, test_date: date, report: ev.DocumentDelivered, day: date,
                 inputs: list[Explanation]) -> Decimal:
        """The measure for a test date: the certificate's figures for the period and the engine's own figures at
        the end of the test date (engine/keys.py)."""
        period = Period(block.certificate, block.every, test_date, report, block.periods_from or block.first_test)
        try:
            value, read = read_key(block.measure, self.agreement, self.ledger, self.book_of, at=test_date,
                                   known_by=day, period=period)
        except Missing as missing:
            raise _Missing(str(missing)) from None
        inputs.extend(read)
        if block.unit == "percent":
            value *= HUNDRED
        return value.quantize(Decimal(1).scaleb(-block.round_to), rounding=ROUND_HALF_UP) \
            if block.round_to is not None else value

    def _waiver(self, block: Covenant, test_date: date, day: date) -> CovenantWaiver | None:
        for _, waiver in self.agreement.terms_in_force(CovenantWaiver, day):
            if waiver.covenant != block.id or test_date not in waiver.test_dates:
                continue
            condition = waiver.condition
            if condition is not None and not [e for e in self.ledger.delivered((condition.document,), day)
                                              if e.date <= condition.by]:
                continue
            return waiver
        return None


def _event_words(event, agreement: Agreement) -> str:
    """An event as a springing covenant's trigger names it: its type, its amount if it has one, the tranche in the
    agreement's words, and its key in the record (its id, or type@date#n), which a folder and the store give
    alike."""
    amount = getattr(event, "amount", None)
    loan = getattr(event, "loan", None)
    return (f"{event.type}" + (f" of {money_human(amount)}" if isinstance(amount, Decimal) else "")
            + (f" ({agreement.vocabulary.label_of('tranches', loan)})" if loan else "") + f", {event.key}")


class _Missing(Exception):
    """A figure the measure needs that no certificate reports."""


_WORDS = {"at_least": "at least", "at_most": "at most"}
