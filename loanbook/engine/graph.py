"""The figure graph: each figure of a facility on a day defined once, as a small expression tree, and read three
ways.

A clause in force defines figures (a borrowing base's lines, reserves and total, availability, the overadvance
figures, the figures a clause names). Each kind lowers its own into `Figure` nodes (`@lowers(role)`, in the
kind's module: a new kind is a new module, never an `if` here): a name, a unit, an expression of constants,
references and operations, and the clause version and interpretation it came from. A reference names another
figure, or an input the record gives that day (a tranche's principal, a reported value, an open total, a
measure, an index rate, a pricing level's value). From that one tree:

- `DayView` evaluates it (exact Decimal, money rounded half-up to the cent where a figure is defined);
- `DayView.explain` renders its formula (`render`) and explains each reference: never a text written beside the
  arithmetic;
- `portfolio/plan.py` compiles it, for a whole book, to one dataframe expression.

A figure is lowered the first time it is asked for and kept; a clause that cannot give a figure that day (no
schedule window covers it) is an error when that figure is asked for, not before.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ..agreement.definitions import Definition, all_definitions, definitions_of
from ..agreement.formula import MONEY, WINDOWS, BinOp, Call, Formula, Name, Neg, Node, Num
from ..agreement.model import Agreement, ClauseVersion
from ..agreement.quantity import Quantity, Schedule, StepDown, quantity_text
from ..core.errors import RecordError
from ..core.money import HUNDRED, cents
from .event_dates import event_date

# --- expressions ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Const:
    value: Decimal  # in formula units: a percentage as its fraction (85% is 0.85)
    written: str    # as the terms wrote it: "85%", "1750000.00"


@dataclass(frozen=True)
class Ref:
    name: str       # a figure of the graph, or an input the record gives


@dataclass(frozen=True)
class Op:
    fn: str         # add sub mul div neg min max cents round_up round_down
    args: tuple[Expr, ...]


Expr = Const | Ref | Op
ZERO = Const(Decimal(0), "0")
_BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
_SIGN = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def from_formula(node: Node, local: Mapping[str, Expr] | None = None) -> Expr:
    """A formula's tree as an expression; `local` gives names of the clause's own (a cap's `rate`)."""
    local = local or {}
    if isinstance(node, Num):
        return Const(node.value, node.written)
    if isinstance(node, Name):
        return local.get(node.id, Ref(node.id))
    if isinstance(node, Neg):
        return Op("neg", (from_formula(node.operand, local),))
    if isinstance(node, Call):
        if node.fn in WINDOWS:
            raise RecordError(f"{node.fn}() sums the figures of periods: only a covenant's measure or a grid's key "
                              "read with a certificate has them")
        return Op(node.fn, tuple(from_formula(a, local) for a in node.args))
    assert isinstance(node, BinOp)
    return Op(_BINARY[node.op], (from_formula(node.left, local), from_formula(node.right, local)))


def references(expr: Expr) -> list[str]:
    """The names an expression refers to, in the order they first appear."""
    found: list[str] = []

    def walk(e: Expr) -> None:
        if isinstance(e, Ref):
            if e.name not in found:
                found.append(e.name)
        elif isinstance(e, Op):
            for arg in e.args:
                walk(arg)
    walk(expr)
    return found


def expand(expr: Expr, parts: Callable[[str], Expr | None]) -> Expr:
    """The expression with each reference to a part of a figure (`parts(name)`, None for any other name) replaced
    by the part's own expression: a figure's formula shows its parts written out, as the clause writes them."""
    if isinstance(expr, Ref):
        inner = parts(expr.name)
        return expr if inner is None else expand(inner, parts)
    if isinstance(expr, Op):
        return Op(expr.fn, tuple(expand(a, parts) for a in expr.args))
    return expr


def render(expr: Expr) -> str:
    """The formula an expression is, as the formula language writes it (`min(a, b) - (c + d)`)."""
    if isinstance(expr, Const):
        return expr.written
    if isinstance(expr, Ref):
        return expr.name
    fn, args = expr.fn, expr.args
    if fn in _SIGN:
        left, right = render(args[0]), render(args[1])
        if fn in ("mul", "div") and _sum(args[0]):
            left = f"({left})"
        if (fn == "sub" and _sum(args[1])) or (fn == "mul" and _sum(args[1])) or \
                (fn == "div" and isinstance(args[1], Op) and args[1].fn in _SIGN) or \
                right.startswith("-"):  # `a + -b` would be two signs in a row: `a + (-b)`
            right = f"({right})"
        return f"{left} {_SIGN[fn]} {right}"
    if fn == "neg":
        inner = render(args[0])
        wrap = (isinstance(args[0], Op) and args[0].fn in _SIGN) or inner.startswith("-")
        return f"-({inner})" if wrap else f"-{inner}"
    return f"{fn}({', '.join(render(a) for a in args)})"


def _sum(expr: Expr) -> bool:
    return isinstance(expr, Op) and expr.fn in ("add", "sub")


def apply(fn: str, args: list[Decimal]) -> Decimal:
    """An operation on exact values (formula units), in the caller's decimal context."""
    if fn == "add":
        return args[0] + args[1]
    if fn == "sub":
        return args[0] - args[1]
    if fn == "mul":
        return args[0] * args[1]
    if fn == "div":
        return args[0] / args[1]
    if fn == "neg":
        return -args[0]
    if fn == "min":
        return min(args)
    if fn == "max":
        return max(args)
    if fn == "cents":
        return cents(args[0])
    assert fn in ("round_up", "round_down"), fn
    steps = (args[0] / args[1]).to_integral_value(ROUND_CEILING if fn == "round_up" else ROUND_FLOOR)
    return steps * args[1]


def evaluate(expr: Expr, values: Mapping[str, Decimal]) -> Decimal:
    """An expression's value where every name it refers to is given: a sum the engine states outside the day's
    graph (a payoff's parts) is computed from the same tree its explanation renders."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Ref):
        return values[expr.name]
    return apply(expr.fn, [evaluate(a, values) for a in expr.args])


def total_of(*names: str) -> Expr:
    """`a + b + c`: the sum of the named parts, as a tree."""
    expr: Expr = Ref(names[0])
    for name in names[1:]:
        expr = Op("add", (expr, Ref(name)))
    return expr


# --- figures ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One named figure: its expression, unit and where it comes from. A part of a figure that its explanation
    shows on its own (a line's rate, a cap, availability's capacity) is a figure too, named `line.rate`."""

    name: str
    expr: Expr
    unit: str = MONEY
    rounded: bool = False       # a money figure, rounded half-up to the cent where it is defined
    label: str | None = None
    version: ClauseVersion | None = None
    interpretation: str | None = None  # the id of the interpretation whose reading gave the formula
    note: str | None = None     # what the explanation adds: why a reserve is not in force, a step-down's steps
    part: bool = False          # a part of another figure, written out in that figure's formula


@dataclass(frozen=True)
class Rule:
    """A limit: broken on the day when the figure `over` is above the figure `limit`."""

    rule: str                   # availability | overadvance_limit | the total ceiling's formula
    version: ClauseVersion
    tranche: str
    over: str
    limit: str


Lowering = Callable[[Definition, "Graph"], Figure]
_LOWERINGS: dict[str, Lowering] = {}
_RULES: list[Callable[[ClauseVersion, object, Graph], list[Rule]]] = []


def lowers(role: str) -> Callable[[Lowering], Lowering]:
    """Register a kind's lowering of the definitions of one role (`agreement/definitions.py`)."""
    def register(lowering: Lowering) -> Lowering:
        _LOWERINGS[role] = lowering
        return lowering
    return register


def limits(rule: Callable[[ClauseVersion, object, Graph], list[Rule]]):
    """Register a kind's breach rules: given a block in force, the limits it sets that day."""
    _RULES.append(rule)
    return rule


class Graph:
    """The figures of one facility on one day, each lowered from its one definition on first use and kept.
    `ledger` is read only for the conditions of the terms themselves (a reserve while a document is undelivered).
    """

    def __init__(self, agreement: Agreement, day: date, ledger):
        self.agreement, self.day, self.ledger = agreement, day, ledger
        self.units = agreement.vocabulary.formula_units()  # the inputs of the record, and their units
        self.in_force = tuple(agreement.in_force(day))  # the clause versions of the day, read once
        found: dict[str, list[Definition]] = {}
        for version in self.in_force:
            for d in definitions_of(version):
                found.setdefault(d.id, []).append(d)
        self.definitions: Mapping[str, list[Definition]] = found
        self._figures: dict[str, Figure] = {}
        self._rules: tuple[Rule, ...] | None = None

    def is_input(self, name: str) -> bool:
        """A name the record gives on the day (the vocabulary's, or a pricing level's value)."""
        return name in self.units or any(d.role == "level_value" for d in self.definitions.get(name, ()))

    def known(self, name: str) -> bool:
        return name in self.units or name in self.definitions or name in self._figures

    def unit(self, name: str) -> str:
        if name in self.units:
            return self.units[name]
        if name in self._figures:
            return self._figures[name].unit
        return self.definition(name).unit

    def definition(self, name: str) -> Definition:
        found = self.definitions.get(name, [])
        if len(found) == 1 or (found and all(d.role == "overadvance" and d.block is found[0].block for d in found)):
            return found[0]
        if found:
            where = ", ".join(f"{d.version.clause_id} ({d.version.document_id})" for d in found)
            raise RecordError(f"two clauses in force on {self.day} define {name}: {where}")
        raise RecordError(_undefined(self.agreement, name, self.day))

    def figure(self, name: str) -> Figure:
        """The figure's node, lowered by its kind on first use."""
        if name not in self._figures:
            d = self.definition(name)
            self._figures[name] = _LOWERINGS[d.role](d, self)
        return self._figures[name]

    def part(self, figure: Figure) -> Ref:
        """Keep a part of a figure as a figure of its own (its explanation shows it apart), and refer to it."""
        self._figures.setdefault(figure.name, replace(figure, part=True))
        return Ref(figure.name)

    def part_of(self, name: str) -> Expr | None:
        """A part's expression (None: the name is a figure of its own, or an input)."""
        figure = self._figures.get(name)
        return figure.expr if figure is not None and figure.part else None

    def formula(self, name: str) -> str:
        """A figure's formula as its explanation shows it: its parts written out."""
        return render(expand(self.figure(name).expr, self.part_of))

    def rules(self) -> tuple[Rule, ...]:
        """Every limit the clauses in force set that day."""
        if self._rules is None:
            found: list[Rule] = []
            for version in self.in_force:
                for block in version.terms:
                    for rule in _RULES:
                        found += rule(version, block, self)
            self._rules = tuple(found)
        return self._rules

    def blocks(self, kind: type) -> list:
        return [block for version in self.in_force for block in version.terms
                if isinstance(block, kind)]

    # --- quantities: what a term gives on the day ---------------------------------------------------------

    def quantity(self, quantity: Quantity, version: ClauseVersion, what: str,
                 local: Mapping[str, Expr] | None = None) -> tuple[Expr, str | None]:
        """A quantity's expression on the day (a schedule's entry, a step-down's rate), and a note saying which
        entry or step (None for a plain formula)."""
        formula, note = self.formula_on(quantity, version, what)
        return from_formula(formula.tree, local), note

    def formula_on(self, quantity: Quantity, version: ClauseVersion, what: str) -> tuple[Formula, str | None]:
        if isinstance(quantity, StepDown):
            rate = quantity.rate_on(self.day, self.event_date)
            note = f"{quantity_text(quantity)}: {quantity.steps_by(self.day, self.event_date)} step(s) by {self.day}"
            if isinstance(quantity.first_step, str):
                first = quantity.first_on(self.event_date)
                note += f"; {quantity.first_step} " + (f"is {first}" if first else "has not come")
            return Formula(note, Num(rate / HUNDRED, f"{rate}%", percent=True)), note
        if isinstance(quantity, Schedule):
            entry = quantity.entry_on(self.day, self.event_date)
            if entry is None:
                raise RecordError(f"{version.clause_id}: no {what} is in force on {self.day} (the schedule of "
                                  f"{version.document_id} does not cover the day)")
            start = entry.start if isinstance(entry.start, date) else \
                f"{entry.start} ({entry.start_on(self.event_date)})"
            return entry.value, f"from {start}" + (f" to {entry.end}" if entry.end else "")
        return quantity, None

    def event_date(self, name: str) -> date | None:
        """A date the agreement defines by an event, as the record sets it by the day."""
        return event_date(self.agreement, self.ledger, name, self.day)


def _undefined(agreement: Agreement, name: str, day: date) -> str:
    later = sorted((d for d in all_definitions(agreement) if d.id == name), key=lambda d: d.version.effective)
    if later and day < later[0].version.effective:
        version = later[0].version
        title = agreement.clauses[version.clause_id].title
        return (f"{title} ({version.clause_id}) before {version.effective} is not in the record "
                f"(asked for {day}: {name})")
    if later:
        return f"{name} is not defined on {day}: no clause in force defines it"
    return f"{name} is not a figure of this facility"
