"""Figures a clause names ("'Maximum Limit' means $1,750,000", "'Borrowing Capacity' means the lesser of ..."):
each lowered from its quantity on the day, in its own unit."""
from __future__ import annotations

from ..agreement.definitions import Definition
from ..agreement.formula import MONEY
from ..agreement.kinds import NamedFigure
from .graph import Figure, Graph, lowers


@lowers("figure")
def named_figure(d: Definition, graph: Graph) -> Figure:
    item = d.item
    assert isinstance(item, NamedFigure)
    expr, note = graph.quantity(item.value, d.version, d.id)
    return Figure(d.id, expr, item.unit, rounded=item.unit == MONEY, label=item.label, version=d.version, note=note)
