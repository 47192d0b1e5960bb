"""The facility at the end of one day: the record's balances read through the day's figure graph.

`DayView` is the one evaluator of a facility's figures: status, explanations, advance decisions, fees,
covenants and the loan book all read it. Each figure is evaluated once from its node of the graph
(`graph.py`) and explained from the same node, its formula rendered from the tree. A name is either an input
the record gives (a tranche's principal, a collateral class's reported value, the open total of a contingent
kind, a measure, an index rate, a pricing level's value) or a figure a clause in force defines. Money figures
are rounded half-up to the cent where they are defined, so every figure built on them is in cents;
percentages are exact. Inside formulas a percentage is its fraction (85% is 0.85).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from ..agreement.definitions import Definition
from ..agreement.formula import PERCENT
from ..agreement.kinds import Availability
from ..agreement.kinds_pricing import LevelGrid, LevelValues
from ..agreement.model import ClauseVersion
from ..agreement.quantity import Quantity
from ..core.errors import RecordError
from ..core.money import HUNDRED, PRECISION, ZERO, cents
from . import availability as _availability  # noqa: F401  (each kind's module registers its lowering)
from . import borrowing_base as _borrowing_base  # noqa: F401
from . import named_figures as _named_figures  # noqa: F401
from .explain import Explanation, clause_ref, interpretation_ref, leaf
from .graph import Const, Expr, Graph, Ref, apply, references, render
from .indices import IndexBook
from .ledger import Snapshot
from .levels import LevelBook


@dataclass(frozen=True)
class QuantityOn:
    """A clause's quantity on a day, named so that no caller reads it by position."""

    value: Decimal                      # exact, in formula units: a percentage as its fraction (2.5% is 0.025)
    formula: str                        # as rendered, with the schedule entry or step it took
    inputs: tuple[Explanation, ...]     # the explanation of each name it uses


class DayView:
    """The figures at the end of one day. `extra` adds to tranche principal (what-if: an advance requested)."""

    def __init__(self, graph: Graph, snap: Snapshot, *, extra: Mapping[str, Decimal] | None = None,
                 indices: IndexBook | None = None, levels: LevelBook | None = None):
        self.graph, self.snap = graph, snap
        self.extra = dict(extra or {})
        self.indices, self.levels = indices, levels
        self._raw: dict[str, Decimal] = {}
        self._explained: dict[str, Explanation] = {}
        self._stack: list[str] = []

    @property
    def agreement(self):
        return self.graph.agreement

    @property
    def day(self):
        return self.graph.day

    @property
    def ledger(self):
        return self.graph.ledger

    def with_extra(self, tranche: str, amount: Decimal) -> DayView:
        """The same day with `amount` of a tranche requested on top of its principal: the same graph, evaluated
        again."""
        return DayView(self.graph, self.snap, extra={**self.extra, tranche: amount}, indices=self.indices,
                       levels=self.levels)

    # --- names ----------------------------------------------------------------------------------------

    def definitions(self) -> Mapping[str, list[Definition]]:
        return self.graph.definitions

    def defined(self, name: str) -> bool:
        return name in self.graph.definitions or name in self.graph.units

    def definition(self, name: str) -> Definition:
        return self.graph.definition(name)

    def unit(self, name: str) -> str:
        return self.graph.unit(name)

    # --- values ---------------------------------------------------------------------------------------

    def value(self, name: str) -> Decimal:
        """In the figure's own unit: dollars, or percent (85 for 85%)."""
        raw = self.raw(name)
        return raw * HUNDRED if self.unit(name) == PERCENT else raw

    def raw(self, name: str) -> Decimal:
        """As formulas use it: percentages as fractions."""
        if name not in self._raw:
            if name in self._stack:
                raise RecordError(f"the figure {name} depends on itself: {' -> '.join(self._stack + [name])}")
            self._stack.append(name)
            try:
                with localcontext() as ctx:
                    ctx.prec = PRECISION
                    self._raw[name] = self._input(name)[0] if self.graph.is_input(name) else self._figure(name)
            finally:
                self._stack.pop()
        return self._raw[name]

    def _figure(self, name: str) -> Decimal:
        figure = self.graph.figure(name)
        value = self.evaluate(figure.expr, where=figure.version)
        return cents(value) if figure.rounded else value

    def evaluate(self, expr: Expr, local: Mapping[str, Decimal] | None = None,
                 where: ClauseVersion | None = None) -> Decimal:
        """An expression's exact value on the day (formula units)."""
        if isinstance(expr, Const):
            return expr.value
        if isinstance(expr, Ref):
            return local[expr.name] if local and expr.name in local else self.raw(expr.name)
        args = [self.evaluate(a, local, where) for a in expr.args]
        if expr.fn == "div" and args[1] == 0:
            raise RecordError(f"{where.clause_id if where else render(expr)} on {self.day}: "
                              f"{render(expr)}: division by zero")
        return apply(expr.fn, args)

    # --- explanations -----------------------------------------------------------------------------------

    def explain(self, name: str) -> Explanation:
        if name not in self._explained:
            self._explained[name] = self._input(name)[1] if self.graph.is_input(name) else self._explain(name)
        return self._explained[name]

    def _explain(self, name: str) -> Explanation:
        figure = self.graph.figure(name)
        value = self.value(name)
        version = figure.version
        return Explanation(name, value, formula=self.graph.formula(name),
                           inputs=tuple(self.explain(n) for n in references(figure.expr)),
                           clause=clause_ref(self.agreement, version) if version else None,
                           interpretation=interpretation_ref(self.agreement, figure.interpretation)
                           if figure.interpretation else None,
                           source=figure.note, unit=figure.unit, label=figure.label)

    def quantity(self, quantity: Quantity, version: ClauseVersion, what: str,
                 local: Mapping[str, Decimal] | None = None) -> QuantityOn:
        """A quantity of a clause that names no figure (a fee's rate, a covenant's threshold): its exact value on
        the day (formula units), its formula as rendered, and the explanation of each name it uses."""
        expr, note = self.graph.quantity(quantity, version, what)
        with localcontext() as ctx:
            ctx.prec = PRECISION
            value = self.evaluate(expr, local, version)
        text = render(expr) + (f" ({note})" if note else "")
        return QuantityOn(value, text, tuple(self.explain(n) for n in references(expr) if not (local and n in local)))

    # --- the record's inputs ------------------------------------------------------------------------------

    def _input(self, name: str) -> tuple[Decimal, Explanation]:
        """An input's value as formulas use it (percent as fractions), and its explanation in its own unit."""
        value, explanation = self._given(name)
        return (value / HUNDRED if self.unit(name) == PERCENT else value), explanation

    def _given(self, name: str) -> tuple[Decimal, Explanation]:
        vocabulary = self.agreement.vocabulary
        for tranche in vocabulary.tranches:
            if tranche.name == name:
                amount = self.snap.loan(tranche.id) + self.extra.get(tranche.id, ZERO)
                source = f"replay of opening balances, advances and repayments of {tranche.id}"
                if tranche.id in self.extra:
                    source += f", with the requested {self.extra[tranche.id]} added"
                return amount, Explanation(name, amount, source=source, label=tranche.label)
        for kind in vocabulary.contingents:
            if kind.name == name:
                open_items = self.snap.open_contingents(kind.id)
                total = sum((c.amount for c in open_items), start=ZERO)
                return total, Explanation(name, total, formula=f"sum of open {kind.label}" if open_items else None,
                                          inputs=tuple(leaf(c.id, c.amount, c.where) for c in open_items),
                                          source=None if open_items else f"no open {kind.label}", label=kind.label)
        for collateral in vocabulary.collateral:
            if collateral.id == name:
                reported = self.snap.collateral.get(name)
                value = reported.value if reported else ZERO
                return value, Explanation(name, value, label=collateral.label,
                                          source=reported.where if reported else "no borrowing base report yet: 0")
        index = vocabulary.get("indices", name)
        if index is not None:
            if self.indices is None:
                raise RecordError(f"{name} is an index: its rate is not known to this computation")
            change = self.indices.on(name, self.day)
            return change.rate, Explanation(name, change.rate, unit="percent", label=index.label, source=change.source)
        measure = vocabulary.get("measures", name)
        if measure is not None:
            reported = self.snap.measures.get(name)
            value = reported.value if reported else ZERO
            return value, Explanation(name, value, unit=measure.unit, label=measure.label,
                                      source=reported.where if reported else f"not reported yet: 0 until a report "
                                                                             f"gives {name}",
                                      reported=reported is not None)
        return self._level_value(name)

    def _level_value(self, name: str) -> tuple[Decimal, Explanation]:
        """A grid column's value: the level in force that day (certificates, defaults, late reports) gives it."""
        d = self.definition(name)
        if self.levels is None:
            raise RecordError(f"{name} is a pricing level's value: levels are not known to this computation")
        column, grid = d.item, d.block
        assert isinstance(column, LevelValues) and isinstance(grid, LevelGrid)
        state = self.levels.level_on(grid, self.day)
        value = column.value(state.level)
        return value, Explanation(name, value, unit=column.unit, label=column.label,
                                  clause=clause_ref(self.agreement, d.version),
                                  formula=f"level {state.level} of {grid.label}: {state.detail}", source=state.source,
                                  inputs=state.inputs,
                                  flag=f"{grid.key_text} {state.measure} falls in no level of {grid.label}; level "
                                       f"{state.level} is taken as the grid's unmatched says" if state.unmatched
                                  else None)

    # --- availability's parts -----------------------------------------------------------------------------

    def availability_of(self, tranche: str) -> Availability:
        """The availability clause of a tranche in force on the day."""
        for defs in self.definitions().values():
            for d in defs:
                if isinstance(d.block, Availability) and d.block.tranche == tranche:
                    return d.block
        raise RecordError(f"no availability clause of {tranche} is in force on {self.day}")

    def capacity_and_usage(self, block: Availability) -> tuple[Decimal, Decimal]:
        capacity, usage = _availability.parts(self.graph, block)
        return self.evaluate(capacity), self.evaluate(usage)
