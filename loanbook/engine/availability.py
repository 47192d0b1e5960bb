"""What a borrower may borrow: borrowing bases, availability per revolving tranche, overadvances, the
breaches of their limits, and the decision on an advance request (RULES.md 2-3, in general form).

Every figure comes from `FigureBook`, the one evaluator of the facility's definitions; a request is
judged by evaluating the same definitions with the requested amount added to the tranche, so the
decision can never measure against a different figure than the status shows.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..agreement.kinds import Availability, BorrowingBase, Overadvance
from ..core.errors import RecordError
from ..core.money import ZERO, cents
from .explain import Explanation
from .figures import FigureBook, single
from .results import (
    REFUSED,
    REQUIRES_APPROVAL,
    WITHIN_CAPACITY,
    AvailabilityResult,
    BorrowingBaseResult,
    Breach,
    Decision,
    Figure,
    OveradvanceResult,
    Reason,
)


def figure(book: FigureBook, name: str, label: str | None = None) -> Figure:
    explanation = book.explain(name)
    return Figure(name, label or explanation.label, book.unit(name), book.value(name), explanation)


def blocks(book: FigureBook, kind: type) -> list:
    return [block for version in book.agreement.in_force(book.day) for block in version.terms
            if isinstance(block, kind)]


def borrowing_bases(book: FigureBook) -> tuple[BorrowingBaseResult, ...]:
    return tuple(BorrowingBaseResult(
        block.id, block.label, tuple(figure(book, line.id) for line in block.lines),
        tuple(figure(book, r.id) for r in block.reserves), figure(book, block.id),
        tuple(figure(book, c) for c in dict.fromkeys(line.collateral for line in block.lines)))
        for block in blocks(book, BorrowingBase))


def availabilities(book: FigureBook) -> tuple[AvailabilityResult, ...]:
    out = []
    for block in blocks(book, Availability):
        result = figure(book, block.id)
        capacity, usage = book.parts[block.id]
        excess = figure(book, "excess_availability") if "excess_availability" in book.definitions() else None
        out.append(AvailabilityResult(block.id, block.tranche, capacity, usage, result, excess))
    return tuple(out)


def overadvances(book: FigureBook) -> tuple[OveradvanceResult, ...]:
    found = blocks(book, Overadvance)
    if len(found) > 1:
        raise RecordError(f"two overadvance clauses are in force on {book.day}; a facility has one")
    out = []
    for block in found:
        clause = book.definition("overadvance").version.clause_id
        ceiling = None
        if block.total_ceiling is not None:
            value, text, inputs = book.quantity(block.total_ceiling, book.definition("overadvance").version,
                                                "total_ceiling")
            explanation = single(inputs, text) or Explanation(text, cents(value), formula=text, inputs=inputs)
            ceiling = Figure(text, explanation.label, "money", cents(value), explanation)
        out.append(OveradvanceResult(block.tranche, clause, figure(book, "overadvance"),
                                     figure(book, "overadvance_cap"), figure(book, "overadvance_limit"),
                                     block.discretionary, ceiling))
    return tuple(out)


def breaches(book: FigureBook, avail: tuple[AvailabilityResult, ...],
             over: tuple[OveradvanceResult, ...]) -> list[Breach]:
    found = []
    with_overadvance = {o.tranche for o in over}
    for o in over:
        if o.overadvance.value > o.limit.value:
            facts = {x.figure: x.value for x in o.limit.explanation.inputs}
            found.append(Breach("overadvance_limit", o.clause, book.day, o.overadvance.value, o.limit.value,
                                o.tranche, facts))
        if o.total_ceiling is not None:
            usage = next(a.usage for a in avail if a.tranche == o.tranche)
            if usage > o.total_ceiling.value:
                found.append(Breach(o.total_ceiling.id, o.clause, book.day, usage, o.total_ceiling.value, o.tranche,
                                    {"ceiling": o.total_ceiling.id}))
    for a in avail:
        if a.tranche not in with_overadvance and a.usage > a.capacity:
            found.append(Breach("availability", book.definition(a.id).version.clause_id, book.day, a.usage,
                                a.capacity, a.tranche, {}))
    return found


def decide(book: FigureBook, tranche: str, amount: Decimal, last_day: date | None) -> Decision:
    """The decision on a request to advance `amount` of a tranche, against the state at the end of the day;
    `last_day` is the last day the term allows an advance (None: no term)."""
    day = book.day
    block = next((b for b in blocks(book, Availability) if b.tranche == tranche), None)
    if block is None:
        return Decision(day, tranche, amount, REFUSED, ZERO, (Reason("not_revolving", {"tranche": tranche}),))
    before = availabilities(book)
    current = next(a for a in before if a.tranche == tranche)
    after_book = FigureBook(book.agreement, book.snap, day, book.ledger, {**book.extra, tranche: amount},
                            book.indices, book.levels)
    after = next(a for a in availabilities(after_book) if a.tranche == tranche)
    over_after = next((o for o in overadvances(after_book) if o.tranche == tranche), None)
    overadvance_after = over_after.overadvance.value if over_after else max(ZERO, after.usage - after.capacity)
    if last_day is not None and day > last_day:
        return Decision(day, tranche, amount, REFUSED, overadvance_after,
                        (Reason("term_expired", {"last_day": last_day}),))
    if amount <= current.availability.value:
        return Decision(day, tranche, amount, WITHIN_CAPACITY, ZERO,
                        (Reason("within_capacity", {"usage_after": after.usage, "capacity": after.capacity}),))
    if over_after is None:
        return Decision(day, tranche, amount, REFUSED, overadvance_after,
                        (Reason("no_overadvance", {"usage_after": after.usage, "capacity": after.capacity}),))
    reasons = []
    if overadvance_after > over_after.limit.value:
        reasons.append(Reason("over_limit", {"overadvance_after": overadvance_after, "limit": over_after.limit.value,
                                             **{x.figure: x.value for x in over_after.limit.explanation.inputs}}))
    ceiling = over_after.total_ceiling
    if ceiling is not None and after.usage > ceiling.value:
        reasons.append(Reason("over_ceiling", {"usage_after": after.usage, "ceiling": ceiling.id,
                                               "limit": ceiling.value}))
    if reasons:
        return Decision(day, tranche, amount, REFUSED, overadvance_after, tuple(reasons))
    return Decision(day, tranche, amount, REQUIRES_APPROVAL, overadvance_after,
                    (Reason("requires_approval", {"overadvance_after": overadvance_after,
                                                  "limit": over_after.limit.value,
                                                  "discretionary": over_after.discretionary}),))
