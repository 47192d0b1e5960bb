"""A facility's borrowing base, availability and overadvance on a day, compiled from its figure graph to a
dataframe expression, so that a whole book is computed by one query instead of one Python engine per facility.

The day's figure graph (`engine/graph.py`, the one definition `DayView` evaluates and explains) is read a third
way here: each figure a result needs is inlined into a small expression of constants, inputs and operations,
each money figure rounded half-up to the cent where it is defined. The inputs are the day's balances of the
record (principal, reported collateral, open contingents, measures, index rates, pricing levels). The
constants are the terms' numbers. Facilities whose expressions have the same shape, differing only in their
numbers, share one dataframe expression over a table with a row per facility: a book written from a few
templates compiles to a few expressions, whatever its size. The breaches are the graph's limits, compiled.

Every operation is exact decimal arithmetic with its precision and scale tracked, identical on DuckDB and
Spark. What cannot be computed exactly that way (a division by a figure, a rounding to a step, a figure of
more than 37 digits) is `NotCompiled`: that facility's day is evaluated by the Python engine instead, and the
run says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from ..agreement.kinds import Availability, BorrowingBase
from ..core.money import ZERO
from ..engine import graph as g
from ..engine.availability import limits_in_order, overadvance_clause
from ..engine.figures import DayView

MAX_DIGITS = 37  # Spark widens a product by one digit beyond this before it rounds: stay exact on both engines


class NotCompiled(Exception):
    """A term the dataframe expression cannot compute exactly; the facility's day goes to the Python engine."""


# --- the expression -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Const:
    value: Decimal


@dataclass(frozen=True)
class Input:
    name: str   # a name of the facility's vocabulary (or a pricing level's value), as formulas use it


@dataclass(frozen=True)
class Op:
    fn: str     # add sub mul neg min max cents gt
    args: tuple[Expr, ...]


Expr = Const | Input | Op
ZERO_EXPR = Const(ZERO)


def _sum(items: list[Expr]) -> Expr:
    total: Expr = ZERO_EXPR
    for item in items:
        total = item if total == ZERO_EXPR else Op("add", (total, item))
    return total


@dataclass
class FacilityPlan:
    """What the run reports for one facility, as expressions: the sums over its borrowing bases, revolving
    tranches and overadvance clauses, and each breach rule with the condition that breaks it."""

    borrowing_base: Expr
    availability: Expr
    overadvance: Expr
    overadvance_limit: Expr | None
    breaches: tuple[tuple[str, Expr], ...]
    inputs: dict[str, Decimal] = field(default_factory=dict)  # each input's value that day


# --- inlining a facility's graph ------------------------------------------------------------------

class _Inlined:
    """The day's graph with every reference to a figure replaced by the figure's own expression."""

    def __init__(self, view: DayView):
        self.view, self.graph = view, view.graph
        self.names: dict[str, Expr] = {}
        self.inputs: dict[str, Decimal] = {}

    def name(self, name: str) -> Expr:
        if name not in self.names:
            if self.graph.is_input(name):
                self.inputs[name] = self.view.raw(name)  # the record's value that day, as formulas use it
                self.names[name] = Input(name)
            else:
                figure = self.graph.figure(name)
                try:
                    value = self.expr(figure.expr)
                except NotCompiled as exc:
                    if exc.args and str(exc).startswith("in "):
                        raise
                    raise NotCompiled(f"in {name}{f' ({figure.note})' if figure.note else ''}: {exc}") from None
                self.names[name] = Op("cents", (value,)) if figure.rounded else value
        return self.names[name]

    def expr(self, expr: g.Expr) -> Expr:
        if isinstance(expr, g.Const):
            return Const(expr.value)
        if isinstance(expr, g.Ref):
            return self.name(expr.name)
        args = tuple(self.expr(a) for a in expr.args)
        if expr.fn in ("round_up", "round_down"):
            raise NotCompiled(f"{expr.fn}() (a rounding to a step)")
        if expr.fn == "div":
            reciprocal = _exact_reciprocal(args[1])
            if reciprocal is None:
                raise NotCompiled("a division by a figure, or by a number without a finite decimal reciprocal")
            return Op("mul", (args[0], Const(reciprocal)))
        return Op(expr.fn, args)


def _exact_reciprocal(expr: Expr) -> Decimal | None:
    """1/x as a finite decimal (1/80% = 1.25), or None: multiplying by it is then exactly dividing by x."""
    if not isinstance(expr, Const) or expr.value == 0:
        return None
    reciprocal = Decimal(1) / expr.value
    return reciprocal if reciprocal * expr.value == 1 and _digits(reciprocal)[1] <= 12 else None


@dataclass(frozen=True)
class RowFigures:
    """The figures of the day's graph that a book's row sums for a facility, by name: each borrowing base's total,
    each revolving tranche's availability, the overadvance and its limit (None: no overadvance clause). The
    compiled expression and the Python engine's row both read these."""

    borrowing_base: tuple[str, ...]
    availability: tuple[str, ...]
    overadvance: tuple[str, ...]
    overadvance_limit: tuple[str, ...] | None


def row_figures(graph: g.Graph) -> RowFigures:
    overadvance = overadvance_clause(graph) is not None  # refuses a day with two, as `status` does
    return RowFigures(tuple(block.id for block in graph.blocks(BorrowingBase)),
                      tuple(block.id for block in graph.blocks(Availability)),
                      ("overadvance",) if overadvance else (), ("overadvance_limit",) if overadvance else None)


def plan_of(view: DayView) -> FacilityPlan:
    """The facility's figures on the view's day as expressions, refused (RecordError) exactly where `status`
    refuses the day. Raises NotCompiled for terms outside exact dataframe arithmetic."""
    inlined = _Inlined(view)
    row = row_figures(view.graph)

    def total(names: tuple[str, ...]) -> Expr:
        return _sum([inlined.name(name) for name in names])

    breaches = tuple((rule.rule, Op("gt", (inlined.name(rule.over), inlined.name(rule.limit))))
                     for rule in limits_in_order(view.graph))
    return FacilityPlan(total(row.borrowing_base), total(row.availability), total(row.overadvance),
                        None if row.overadvance_limit is None else total(row.overadvance_limit), breaches,
                        inlined.inputs)


# --- shapes: facilities that differ only in their numbers ----------------------------------------------

@dataclass(frozen=True)
class Shape:
    """A plan with its constants and inputs replaced by numbered slots; the key facilities are grouped by."""

    outputs: tuple            # (borrowing_base, availability, overadvance, overadvance_limit or None) as slot trees
    breaches: tuple           # ((rule, slot tree), ...)
    constants: int
    inputs: int


def shape_of(plan: FacilityPlan) -> tuple[Shape, list[Decimal], list[Decimal]]:
    """The plan's shape, its constants and its input values, in slot order."""
    constants: list[Decimal] = []
    inputs: dict[str, int] = {}

    def walk(expr: Expr | None):
        if expr is None:
            return None
        if isinstance(expr, Const):
            constants.append(expr.value)
            return ("c", len(constants) - 1)
        if isinstance(expr, Input):
            return ("v", inputs.setdefault(expr.name, len(inputs)))
        return (expr.fn,) + tuple(walk(a) for a in expr.args)

    outputs = tuple(walk(e) for e in (plan.borrowing_base, plan.availability, plan.overadvance,
                                      plan.overadvance_limit))
    breaches = tuple((rule, walk(e)) for rule, e in plan.breaches)
    values = [plan.inputs[name] for name in inputs]
    return Shape(outputs, breaches, len(constants), len(inputs)), constants, values


# --- exact decimal types -------------------------------------------------------------------------------

def _digits(value: Decimal) -> tuple[int, int]:
    """(integer digits, decimal places) of a value, exactly."""
    sign, digits, exponent = value.normalize().as_tuple()
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    return whole, places


def _slot_type(values: list[Decimal]) -> tuple[int, int]:
    """The exact type of a column: each distinct value measured once (a book repeats its rates and limits; equal
    Decimals such as 1.0 and 1.00 have the same digits once normalized)."""
    found = [_digits(v) for v in set(values)]
    whole = max((w for w, _ in found), default=1)
    places = max((p for _, p in found), default=0)
    return max(1, whole) + places, places


def _result_type(fn: str, types: list[tuple[int, int]]) -> tuple[int, int]:
    scale = max(s for _, s in types)
    whole = max(p - s for p, s in types)
    if fn == "mul":  # Ibis multiplies decimals of one type: both operands in their common type first
        return 2 * (whole + scale), 2 * scale
    if fn in ("add", "sub"):
        whole += 1
    if fn == "cents":
        return whole + 1 + 2, 2
    return whole + scale, scale


# --- to a dataframe ------------------------------------------------------------------------------------

def group_table(shape: Shape, rows: list[tuple[str, list[Decimal], list[Decimal]]]) -> pa.Table:
    """The facilities of one shape: an id, then each constant (c0 ...) and input (v0 ...) as exact decimals."""
    columns: dict[str, pa.Array] = {"facility_id": pa.array([r[0] for r in rows], pa.string())}
    for prefix, count, of in (("c", shape.constants, lambda r: r[1]), ("v", shape.inputs, lambda r: r[2])):
        for k in range(count):
            values = [of(r)[k] for r in rows]
            precision, scale = _slot_type(values)
            if precision > MAX_DIGITS:
                raise NotCompiled(f"a number of {precision} digits")
            columns[f"{prefix}{k}"] = pa.array(values, pa.decimal128(precision, scale))
    return pa.table(columns)


def group_expr(shape: Shape, table) -> ibis.Table:
    """One row per facility of the shape: facility_id, the four figures, and the breaches as one text (each
    rule broken, then a new line)."""
    types: dict[tuple, tuple[int, int]] = {}
    built: dict[tuple, ibis.Value] = {}

    def build(tree: tuple) -> ibis.Value:
        if tree in built:
            return built[tree]
        if tree[0] in ("c", "v") and len(tree) == 2 and isinstance(tree[1], int):
            column = table[f"{tree[0]}{tree[1]}"]
            kind = column.type()
            types[tree] = (kind.precision, kind.scale)
            built[tree] = column
            return column
        fn, args = tree[0], [build(a) for a in tree[1:]]
        if fn == "gt":
            built[tree] = args[0] > args[1]
            return built[tree]
        precision, scale = _result_type(fn, [types[a] for a in tree[1:]])
        if precision > MAX_DIGITS:
            raise NotCompiled(f"a figure of {precision} digits")
        kind = dt.Decimal(precision, scale)
        if fn in ("add", "sub", "min", "max"):  # each operand in the result's type first: exact, and one type
            args = [a.cast(kind) for a in args]
        if fn == "mul":
            # both in the operands' common type, the left one wider: DuckDB multiplies 128-bit decimals (two
            # narrower ones overflow 64 bits), Spark keeps every digit (its product has at most 38)
            common = precision // 2
            if common > 18:
                raise NotCompiled(f"a product of {common}-digit figures")
            args = [args[0].cast(dt.Decimal(19, scale // 2)), args[1].cast(dt.Decimal(common, scale // 2))]
        if fn == "add":
            value = args[0] + args[1]
        elif fn == "sub":
            value = args[0] - args[1]
        elif fn == "mul":
            value = args[0] * args[1]
        elif fn == "neg":
            value = -args[0]
        elif fn == "min":
            value = ibis.least(*args)
        elif fn == "max":
            value = ibis.greatest(*args)
        else:
            assert fn == "cents"
            # room for the carry and at least two places first (Ibis types a rounded decimal as its input's
            # precision with the new scale); then half away from zero on both engines: Python's ROUND_HALF_UP
            p, s = types[tree[1]]
            value = args[0].cast(dt.Decimal(p - s + 1 + max(s, 2), max(s, 2))).round(2)
        types[tree] = (precision, scale)
        built[tree] = value.cast(kind)
        return built[tree]

    money = dt.Decimal(38, 2)
    figures = {name: (build(tree).cast(money) if tree is not None else ibis.null(money))
               for name, tree in zip(("borrowing_base", "availability", "overadvance", "overadvance_limit"),
                                     shape.outputs)}
    text: ibis.Value = ibis.literal("")
    for rule, tree in shape.breaches:
        text = text + ibis.ifelse(build(tree), ibis.literal(rule + "\n"), ibis.literal(""))
    return table.select(facility_id=table.facility_id, **figures, breaches=text)

