"""A borrowing base: lines (a collateral class's value times an advance rate, capped), less reserves.

Each line is the cents of rate x collateral, then the least of that and each cap; a cap that is a share of the
base's total caps the line so that it is at most that share of all the lines, itself included. A reserve is
taken off only while in force (its dates, or a document undelivered after its due date)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..agreement.definitions import Definition
from ..agreement.formula import MONEY, PERCENT
from ..agreement.kinds import BorrowingBase, Line, Reserve
from ..agreement.model import ClauseVersion
from .graph import ZERO, Const, Expr, Figure, Graph, Op, Ref, lowers

HUNDRED = Decimal(100)


@lowers("line")
def line(d: Definition, graph: Graph) -> Figure:
    item, block = d.item, d.block
    assert isinstance(item, Line) and isinstance(block, BorrowingBase)
    rate = advance_rate(item, d.version, graph)
    value: Expr = Op("cents", (Op("mul", (rate, Ref(item.collateral))),))
    for cap, name in zip(item.caps, cap_names(item)):
        if cap.share_of_total is not None:
            others = _total([Ref(other.id) for other in block.lines if other.id != item.id])
            share = cap.share_of_total / HUNDRED
            limit: Expr = Op("cents", (Op("div", (Op("mul", (others, Const(share, f"{cap.share_of_total}%"))),
                                                  Const(1 - share, f"{HUNDRED - cap.share_of_total}%"))),))
            cap_note: str | None = (f"a share of the total: {cap.share_of_total}% of the lines' total, this line "
                                    "included")
        else:
            assert cap.amount is not None
            cap_expr, cap_note = graph.quantity(cap.amount, d.version, f"cap of {item.id}", {"rate": rate})
            limit = Op("cents", (cap_expr,))
        value = Op("min", (value, graph.part(Figure(name, limit, MONEY, label=cap.label, note=cap_note))))
    return Figure(item.id, value, MONEY, label=item.label, version=d.version)


def advance_rate(item: Line, version: ClauseVersion, graph: Graph) -> Ref:
    """A line's advance rate as one name: the figure the clause names, or a part of the line's own
    (`{line}.rate`); the line multiplies by it, and a status shows it beside the line."""
    expr, note = graph.quantity(item.rate, version, f"rate of {item.id}")
    if isinstance(expr, Ref):
        return expr
    return graph.part(Figure(f"{item.id}.rate", expr, PERCENT, label=f"advance rate of {item.label}", note=note))


def cap_names(item: Line) -> list[str]:
    """The names of a line's caps, in the clause's order: parts of the line's own (`{line}.cap_1`, ...), so a
    status reads each cap by name."""
    return [f"{item.id}.cap_{i}" for i in range(1, len(item.caps) + 1)]


@lowers("reserve")
def reserve(d: Definition, graph: Graph) -> Figure:
    item = d.item
    assert isinstance(item, Reserve)
    why = reserve_off(item, graph.day, graph.ledger)
    if why:
        return Figure(item.id, ZERO, MONEY, label=item.label, version=d.version, note=f"not in force: {why}")
    expr, note = graph.quantity(item.amount, d.version, item.id)
    return Figure(item.id, expr, MONEY, rounded=True, label=item.label, version=d.version, note=note)


@lowers("borrowing_base")
def borrowing_base(d: Definition, graph: Graph) -> Figure:
    block = d.block
    assert isinstance(block, BorrowingBase)
    total = _total([Ref(line.id) for line in block.lines])
    if block.reserves:
        total = Op("sub", (total, _total([Ref(r.id) for r in block.reserves])))
    return Figure(block.id, total, MONEY, label=block.label, version=d.version)


def reserve_off(reserve: Reserve, day: date, ledger) -> str | None:
    """Why a reserve is not in force on the day (its dates, or its document delivered); None: it is."""
    if not reserve.in_force_by_date(day):
        return f"in force from {reserve.start or 'the start'} to {reserve.end or 'the end'}"
    condition = reserve.while_undelivered
    if condition is not None:
        if day <= condition.due:
            return f"applies only if {condition.document} is not delivered by {condition.due}"
        delivered = ledger.delivered((condition.document,), day)
        if delivered:
            return f"{condition.document} delivered on {delivered[0].date} ({delivered[0].where})"
    return None


def _total(items: list[Expr]) -> Expr:
    total = items[0] if items else ZERO
    for item in items[1:]:
        total = Op("add", (total, item))
    return total
