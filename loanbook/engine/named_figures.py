"""Figures a clause names ("'Maximum Limit' means $1,750,000", "'Borrowing Capacity' means the lesser of ..."):
each lowered from its quantity on the day, in its own unit. A commitment that a `commitment_reduction` clause
governs is its quantity less the reductions recorded since its version took effect ("$500,000,000, decreased by
the amount of reductions in the Revolver Commitments")."""
from __future__ import annotations

from ..agreement.definitions import Definition
from ..agreement.formula import MONEY
from ..agreement.kinds import NamedFigure
from ..core.money import ZERO
from .commitments import reductions_of
from .graph import Const, Figure, Graph, Op, lowers


@lowers("figure")
def named_figure(d: Definition, graph: Graph) -> Figure:
    item = d.item
    assert isinstance(item, NamedFigure)
    expr, note = graph.quantity(item.value, d.version, d.id)
    reductions = reductions_of(graph.agreement, graph.ledger, d.id, d.version.effective, graph.day)
    if reductions:
        total = sum((e.amount for e in reductions), start=ZERO)
        part = graph.part(Figure(f"{d.id}.reductions", Const(total, str(total)), label="reductions to date",
                                 note="commitment_reduced: " + "; ".join(
                                     f"{e.amount} on {e.date} ({e.where})" for e in reductions)))
        expr = Op("sub", (expr, part))
    return Figure(d.id, expr, item.unit, rounded=item.unit == MONEY, label=item.label, version=d.version, note=note)


