"""Commitments that events reduce: which clause governs a `commitment_reduced` event, the reductions of a
figure to a day (lowered into the figure graph, so every figure built on the commitment follows), and the
reductions the clause does not allow, refused with the event named."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ..agreement.kinds_commitments import CommitmentReduction
from ..agreement.model import Agreement, ClauseVersion
from ..core.errors import Problem
from ..core.money import ZERO, money_human
from ..events import types as ev
from .ledger import Ledger

if TYPE_CHECKING:
    from .figures import DayView


def governing(agreement: Agreement, event: ev.CommitmentReduced) -> tuple[ClauseVersion, CommitmentReduction] | None:
    """The reduction clause in force on the event's day that governs it: the one naming its `commitment`, or the
    only one in force when the event names none. None: no clause (the event then only feeds a termination fee)."""
    found = agreement.terms_in_force(CommitmentReduction, event.date)
    if event.commitment is not None:
        found = [(v, b) for v, b in found if b.commitment == event.commitment]
    return found[0] if len(found) == 1 else None


def reductions_of(agreement: Agreement, ledger: Ledger, commitment: str, since: date,
                  day: date) -> list[ev.CommitmentReduced]:
    """The reductions of a figure from `since` (the day its version took effect: an amendment that restates the
    figure starts afresh) through a day."""
    found = []
    for event in ledger.reductions:
        if since <= event.date <= day:
            clause = governing(agreement, event)
            if clause is not None and clause[1].commitment == commitment:
                found.append(event)
    return found


def reduction_problems(agreement: Agreement, ledger: Ledger, book: Callable[[date], DayView]) -> list[Problem]:
    """Each reduction the clause does not allow: naming a commitment no clause governs, below the minimum, off the
    multiple, or leaving the commitment below its floor (or below zero) at the end of the day. `book(day)` is the
    facility's DayView of a day."""
    problems: list[Problem] = []
    for event in ledger.reductions:
        clause = governing(agreement, event)
        if clause is None:
            named = sorted(b.commitment for _, b in agreement.terms_in_force(CommitmentReduction, event.date))
            if event.commitment is not None:
                problems.append(event.problem("commitment",
                                              f"no commitment_reduction clause in force on {event.date} reduces "
                                              f"{event.commitment!r}; the clauses in force reduce: "
                                              f"{', '.join(named) or 'none'}"))
            elif len(named) > 1:
                problems.append(event.problem("commitment", f"{len(named)} commitment_reduction clauses are in force "
                                                            f"on {event.date} ({', '.join(named)}): name the "
                                                            "commitment it reduces"))
            continue
        version, block = clause
        day_view = book(event.date)
        after = day_view.value(block.commitment)
        why = _size_problem(block, event.amount, after + event.amount)
        if why:
            problems.append(event.problem("amount",
                                          f"a reduction of {money_human(event.amount)} is refused: {why} "
                                          f"({version.clause_id})"))
            continue
        floor = ZERO
        if block.floor is not None:
            floor = day_view.quantity(block.floor, version, "floor").value
        if after < floor:
            problems.append(event.problem("amount",
                                          f"a reduction of {money_human(event.amount)} leaves {block.commitment} at "
                                          f"{money_human(after)} on {event.date}, below "
                                          + (f"its floor {block.floor.text} = {money_human(floor)}" if block.floor
                                             else "zero") + f" ({version.clause_id})"))
    return problems


def _size_problem(block: CommitmentReduction, amount: Decimal, before: Decimal) -> str | None:
    """Why an amount is not a reduction the clause allows (None: it is). `before`: the commitment before it."""
    if block.whole_allowed and amount == before:
        return None
    minimum = block.minimum or ZERO
    if amount < minimum:
        return f"a reduction is at least {money_human(minimum)}"
    if block.multiple is not None:
        base = minimum if block.counted_from == "minimum" else ZERO
        if (amount - base) % block.multiple != 0:
            return (f"a reduction is {money_human(minimum)} or more in whole multiples of "
                    f"{money_human(block.multiple)} above it" if block.counted_from == "minimum"
                    else f"a reduction is a whole multiple of {money_human(block.multiple)}")
    return None
