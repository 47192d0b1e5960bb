"""A facility's borrowing base, availability and overadvance on a day, compiled from its own terms to a
dataframe expression, so that a whole book is computed by one query instead of one Python engine per facility.

For each facility the clauses in force that day are lowered (as `FigureBook` evaluates them: lines, caps,
reserves, borrowing bases, availability, overadvance, each money figure rounded half-up to the cent where it
is defined) to a small expression of constants, inputs and operations. The inputs are the day's balances of
the record (principal, reported collateral, open contingents, measures, index rates, pricing levels). The
constants are the terms' numbers. Facilities whose expressions have the same shape, differing only in their
numbers, share one dataframe expression over a table with a row per facility: a book written from a few
templates compiles to a few expressions, whatever its size.

Every operation is exact decimal arithmetic with its precision and scale tracked, identical on DuckDB and
Spark. What cannot be computed exactly that way (a division by a figure, a covenant's trailing sum, a figure
of more than 37 digits) is `NotCompiled`: that facility's day is evaluated by the Python engine instead, and
the run says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from ..agreement.formula import MONEY, BinOp, Call, Name, Neg, Node, Num
from ..agreement.kinds import Availability, BorrowingBase, Line, NamedFigure, Overadvance, Reserve
from ..agreement.kinds_pricing import LevelValues
from ..agreement.model import ClauseVersion
from ..agreement.quantity import Quantity
from ..core.errors import RecordError
from ..core.money import ZERO
from ..engine.availability import blocks
from ..engine.figures import FigureBook

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


# --- lowering a facility's terms ------------------------------------------------------------------

class _Lowering:
    """`FigureBook`'s evaluation, step for step, building expressions instead of values."""

    def __init__(self, book: FigureBook):
        self.book = book
        self.vocabulary = book.agreement.vocabulary.formula_units()
        self.names: dict[str, Expr] = {}
        self.inputs: dict[str, Decimal] = {}
        self.parts: dict[str, tuple[Expr, Expr]] = {}  # availability id: (capacity, usage)

    def name(self, name: str) -> Expr:
        if name not in self.names:
            self.names[name] = self._input(name) if name in self.vocabulary else self._defined(name)
        return self.names[name]

    def _input(self, name: str) -> Expr:
        self.inputs[name] = self.book.raw(name)  # the record's value that day, as formulas use it
        return Input(name)

    def _defined(self, name: str) -> Expr:
        d = self.book.definition(name)
        item, block = d.item, d.block
        if isinstance(item, NamedFigure):
            value = self.quantity(item.value, d.version, d.id)
            return Op("cents", (value,)) if d.unit == MONEY else value
        if isinstance(item, Line):
            assert isinstance(block, BorrowingBase)
            return self._line(block, item, d.version)
        if isinstance(item, Reserve):
            if self.book.reserve_off(item):
                return ZERO_EXPR
            return Op("cents", (self.quantity(item.amount, d.version, item.id),))
        if isinstance(item, LevelValues):
            return self._input(name)  # a pricing level is the record's (certificates, defaults), not a formula
        if isinstance(block, BorrowingBase):
            lines = _sum([self.name(line.id) for line in block.lines])
            return Op("sub", (lines, _sum([self.name(r.id) for r in block.reserves]))) if block.reserves else lines
        if isinstance(block, Availability):
            capacity = Op("cents", (self.quantity(block.capacity, d.version, "capacity"),))
            usage = self.quantity(self.book.usage_formula(block), d.version, "usage")
            self.parts[block.id] = (capacity, usage)
            return Op("max", (ZERO_EXPR, Op("sub", (capacity, usage))))
        assert isinstance(block, Overadvance)
        return self._overadvance(name, block, d.version)

    def _line(self, block: BorrowingBase, line: Line, version: ClauseVersion) -> Expr:
        rate = self.quantity(line.rate, version, f"rate of {line.id}")
        value: Expr = Op("cents", (Op("mul", (rate, self.name(line.collateral))),))
        for cap in line.caps:
            if cap.share_of_total is not None:
                raise NotCompiled(f"{line.id}: a cap by a share of the total divides by a rate")
            assert cap.amount is not None
            limit = Op("cents", (self.quantity(cap.amount, version, f"cap of {line.id}", {"rate": rate}),))
            value = Op("min", (value, limit))
        return value

    def _overadvance(self, name: str, block: Overadvance, version: ClauseVersion) -> Expr:
        if name == "overadvance_cap":
            return Op("cents", (self.quantity(block.cap, version, "overadvance cap"),))
        if name == "overadvance_limit":
            limits = [self.name("overadvance_cap")] + [
                Op("cents", (self.quantity(f, version, "overadvance ceiling"),)) for f in block.ceilings]
            return limits[0] if len(limits) == 1 else Op("min", tuple(limits))
        availability = self.book.availability_of(block.tranche)
        usage = self.quantity(self.book.usage_formula(availability), version, "usage")
        measure = self.quantity(block.measured_against or availability.capacity, version, "measured_against")
        return Op("max", (ZERO_EXPR, Op("sub", (usage, Op("cents", (measure,))))))

    def quantity(self, quantity: Quantity, version: ClauseVersion, what: str,
                 local: dict[str, Expr] | None = None) -> Expr:
        formula, _ = self.book.formula_on(quantity, version, what)
        return self.formula(formula.tree, local or {})

    def formula(self, node: Node, local: dict[str, Expr]) -> Expr:
        if isinstance(node, Num):
            return Const(node.value)
        if isinstance(node, Name):
            return local[node.id] if node.id in local else self.name(node.id)
        if isinstance(node, Neg):
            return Op("neg", (self.formula(node.operand, local),))
        if isinstance(node, Call):
            if node.fn not in ("min", "max"):
                raise NotCompiled(f"{node.fn}() (a covenant's periods, or a rounding to a step)")
            return Op(node.fn, tuple(self.formula(a, local) for a in node.args))
        assert isinstance(node, BinOp)
        left, right = self.formula(node.left, local), self.formula(node.right, local)
        if node.op == "/":
            reciprocal = _exact_reciprocal(right)
            if reciprocal is None:
                raise NotCompiled("a division by a figure, or by a number without a finite decimal reciprocal")
            return Op("mul", (left, Const(reciprocal)))
        return Op({"+": "add", "-": "sub", "*": "mul"}[node.op], (left, right))


def _exact_reciprocal(expr: Expr) -> Decimal | None:
    """1/x as a finite decimal (1/80% = 1.25), or None: multiplying by it is then exactly dividing by x."""
    if not isinstance(expr, Const) or expr.value == 0:
        return None
    reciprocal = Decimal(1) / expr.value
    return reciprocal if reciprocal * expr.value == 1 and _digits(reciprocal)[1] <= 12 else None


def plan_of(book: FigureBook) -> FacilityPlan:
    """The facility's figures on the book's day as expressions, refused (RecordError) exactly where `status`
    refuses the day. Raises NotCompiled for terms outside exact dataframe arithmetic."""
    lower = _Lowering(book)
    bases = [lower.name(block.id) for block in blocks(book, BorrowingBase)]
    availability = [lower.name(block.id) for block in blocks(book, Availability)]
    found = blocks(book, Overadvance)
    if len(found) > 1:
        raise RecordError(f"two overadvance clauses are in force on {book.day}; a facility has one")
    breaches: list[tuple[str, Expr]] = []
    overadvance: list[Expr] = []
    limits: list[Expr] = []
    for block in found:
        over, limit = lower.name("overadvance"), lower.name("overadvance_limit")
        overadvance.append(over)
        limits.append(limit)
        breaches.append(("overadvance_limit", Op("gt", (over, limit))))
        if block.total_ceiling is not None:
            version = book.definition("overadvance").version
            _, text = book.formula_on(block.total_ceiling, version, "total_ceiling")
            ceiling = Op("cents", (lower.quantity(block.total_ceiling, version, "total_ceiling"),))
            usage = lower.parts[book.availability_of(block.tranche).id][1]
            breaches.append((text, Op("gt", (usage, ceiling))))
    with_overadvance = {block.tranche for block in found}
    for block in blocks(book, Availability):
        if block.tranche not in with_overadvance:
            capacity, usage = lower.parts[block.id]
            breaches.append(("availability", Op("gt", (usage, capacity))))
    return FacilityPlan(_sum(bases), _sum(availability), _sum(overadvance), _sum(limits) if found else None,
                        tuple(breaches), lower.inputs)


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
    whole = max((_digits(v)[0] for v in values), default=1)
    places = max((_digits(v)[1] for v in values), default=0)
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

