"""A facility's dates as an iCalendar feed (RFC 5545): every deadline, fee installment and computed fee's due
date, report due date, overadvance cap change, covenant test date (and its certificate's due date), recurring
obligation and scheduled principal installment, and the maturity, through the facility's record end.

Each entry's UID is made from what the date is of (the obligation's id, the fee and its installment, the covenant
and its test date), never from the date alone or the order of the list: a client that subscribed keeps one
event per thing, and an installment whose day moves (the Extension Fee's first, due on execution) moves in place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ..agreement.kinds import Amortization, DeadlineObligation, Overadvance, RecurringObligation, Term
from ..agreement.kinds_pricing import Reporting
from ..agreement.quantity import Schedule
from ..core.money import money_human
from ..engine.event_dates import event_date
from ..engine.obligations import amortization_on
from ..engine.reporting import reports_on
from .documents import clause_title, tranche_label

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Entry:
    day: date
    kind: str        # deadline | maturity | fee | report | cap | covenant_test | certificate | recurring | principal
    summary: str
    description: str
    key: str         # what the date is of; the UID is made from it

    def uid(self, facility_id: str) -> str:
        return f"{_UNSAFE.sub('-', self.key)}.{_UNSAFE.sub('-', facility_id)}@loanbook"


def calendar_entries(engine) -> list[Entry]:
    """Every dated thing of the facility through its record end, in date order."""
    agreement = engine.agreement
    horizon = agreement.record_end
    entries: list[Entry] = []

    def add(day: date | None, kind: str, summary: str, description: str, key: str) -> None:
        if day is not None:
            entries.append(Entry(day, kind, summary, description, key))

    for version, block in agreement.all_terms(DeadlineObligation):
        add(block.deadline, "deadline", f"Deadline: {_short(block.obligation)}",
            f"{' '.join(block.obligation.split())} ({clause_title(agreement, version.clause_id)})",
            f"deadline-{block.id}")
    for version, term in agreement.all_terms(Term):
        if not version.in_force_on(term.initial_term_end):
            continue  # an end of the term that a later version moved before it came
        add(term.initial_term_end, "maturity", "Maturity: the end of the term",
            f"the term ends; {'the named tranches' if term.tranches else 'all Indebtedness'} to be repaid "
            f"({clause_title(agreement, version.clause_id)}, as {agreement.document(version.document_id).title} "
            "set it)", f"maturity-{term.maturity_obligation}-{version.clause_id}-{version.document_id}")
    for version, report in agreement.all_terms(Reporting):
        name = report.label or report.document.replace("_", " ")
        for period in reports_on(report, engine.ledger, horizon):
            add(period.due, "report", f"Due: {name} for the period ended {period.period_end}",
                f"{name} for the period ended {period.period_end}, due {report.due_days_after} days after it "
                f"({clause_title(agreement, version.clause_id)})", f"report-{report.id}-{period.period_end}")
    for version, recurring in agreement.all_terms(RecurringObligation):
        last = min(horizon, (version.until - timedelta(days=1)) if version.until else horizon)
        day = version.effective
        while day <= last:
            add(day, "recurring", _short(recurring.obligation), " ".join(recurring.obligation.split()),
                f"recurring-{recurring.id}-{day}")
            day += timedelta(days=recurring.every_days)
    for version, amortization in agreement.all_terms(Amortization):
        for row, _ in amortization_on(agreement, amortization, version, engine.ledger, horizon):
            add(row.deadline, "principal", f"{tranche_label(agreement, amortization.tranche)} principal "
                f"installment" + (f" of {money_human(row.amount)}" if row.amount is not None else ""),
                row.obligation, f"principal-{row.id}-{row.deadline}")
    for version, over in agreement.all_terms(Overadvance):
        if isinstance(over.cap, Schedule):
            for entry in over.cap.entries:
                start = entry.start if isinstance(entry.start, date) else event_date(agreement, engine.ledger,
                                                                                      entry.start, horizon)
                if start is None:
                    continue  # a window that opens on an event that has not happened by the horizon
                add(start, "cap", f"Overadvance cap of {tranche_label(agreement, over.tranche)} becomes "
                    f"{_amount(entry.value.text)}",
                    f"the overadvance cap from {start}" + (f" to {entry.end}" if entry.end else "")
                    + f" ({clause_title(agreement, version.clause_id)})", f"cap-{over.tranche}-{start}")
    state = engine.fees(horizon)
    if state is not None:
        fee = state.terms
        counts: dict[str, int] = {}
        for installment in state.installments:
            counts[installment.component] = counts.get(installment.component, 0) + 1
            add(installment.due, "fee", f"{fee.named}: {fee.component_named(installment.component)} installment "
                f"of {money_human(installment.amount)}",
                f"{fee.named}, {fee.component_named(installment.component)}, installment "
                f"{counts[installment.component]}" + (" (its date is provisional)" if installment.provisional else ""),
                f"fee-{fee.fee}-{installment.component}-{counts[installment.component]}")
    for charge in engine.charges_on(horizon):
        add(charge.due, "fee", f"{charge.label} due ({charge.start} to {charge.end})",
            f"{charge.label} for {charge.start} to {charge.end} ({clause_title(agreement, charge.clause)})",
            f"charge-{charge.fee}-{charge.start}")
    for test in engine.covenant_tests(horizon):
        threshold = f" {test.threshold}" if test.threshold is not None else ""
        add(test.test_date, "covenant_test", f"Covenant test: {test.label}",
            f"{test.label}, {test.test.replace('_', ' ')}{threshold} ({clause_title(agreement, test.clause)})",
            f"covenant-{test.covenant}-{test.test_date}")
        add(test.certificate_due, "certificate", f"Due: the certificate of {test.label} for {test.test_date}",
            f"the certificate of {test.label} for the test date {test.test_date}",
            f"certificate-{test.covenant}-{test.test_date}")
    return sorted(entries, key=lambda e: (e.day, e.kind, e.key))


def _short(text: str, limit: int = 90) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 3].rsplit(" ", 1)[0] + "..."


def _amount(text: str) -> str:
    try:
        from decimal import Decimal

        return money_human(Decimal(text))
    except ArithmeticError:
        return text


def facility_calendar(engine, *, stamp: datetime | None = None) -> bytes:
    """The feed's bytes (text/calendar): one all-day event per entry, its UID stable across runs."""
    return calendar_feed([engine], engine.agreement.name, stamp=stamp)


def calendar_feed(engines, name: str, *, stamp: datetime | None = None) -> bytes:
    """One feed of several facilities (a user's, in the web app): each event's summary names its facility when
    there is more than one; the UIDs are each facility's own, so an event is the same in either feed."""
    from icalendar import Calendar, Event

    made = stamp or datetime.now(UTC).replace(microsecond=0)
    feed = Calendar()
    feed.add("prodid", "-//loanbook//facility calendar//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", name)
    for engine in engines:
        agreement = engine.agreement
        prefix = f"{agreement.name}: " if len(engines) > 1 else ""
        for entry in calendar_entries(engine):
            event = Event()
            event.add("uid", entry.uid(agreement.facility_id))
            event.add("dtstamp", made)
            event.add("dtstart", entry.day)
            event.add("dtend", entry.day + timedelta(days=1))
            event.add("summary", prefix + entry.summary)
            event.add("description", entry.description)
            event.add("categories", [entry.kind])
            event.add("transp", "TRANSPARENT")
            feed.add_component(event)
    return feed.to_ical()
