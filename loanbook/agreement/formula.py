"""The small formula language of terms: numbers, percentages, names, + - * /, min and max.

A formula is parsed once, when the facility is loaded, into a tree of five node types. From that one
tree come the figure's value (`evaluate`), its explanation (the formula as written and the inputs it
names) and, for the loan book, a dataframe expression: so the three cannot drift apart.

Parsing uses Python's own `ast` with a whitelist; nothing is ever evaluated as Python. `85%` is the
number 0.85. Names are the facility's own (collateral classes, tranches, measures, figures); which
exist, and what unit each has, is checked at load time, so a typo in a formula is refused with its
file and line, never read as zero.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, DivisionByZero, InvalidOperation, getcontext
from functools import lru_cache
from typing import Union

MONEY, PERCENT, NUMBER = "money", "percent", "number"
ANY = "any"  # a formula of plain numbers (and rates scaled by them): it takes the unit of its field
UNITS = (MONEY, PERCENT, NUMBER)
MAX_FORMULA = 2000  # characters

# a number with its unit: 85% (a percentage), 50bp or 50 bps (basis points: 0.50%)
_UNIT_LITERAL = re.compile(r"(?<![\w.])([0-9]+(?:\.[0-9]+)?)\s*(%|bps?\b)")
_TWO_SIGNS = re.compile(r"[-+*/]\s*[-+]")
_FUNCTIONS = ("min", "max")  # and trailing(name, periods) / annualised(name, periods), for period figures
WINDOWS = ("trailing", "annualised")  # sums of a period figure over the periods ending with the one read
ROUNDING = ("round_up", "round_down")  # round_up(x, step): up to the next multiple of a step (1/100 of 1%: 0.01%)


class FormulaError(ValueError):
    """A formula that cannot be read, or that names what the facility does not declare."""


class UnknownName(FormulaError):
    def __init__(self, message: str, name: str):
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class Num:
    value: Decimal       # a percentage is held as its fraction: 85% -> 0.85
    written: str
    percent: bool = False


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Call:
    fn: str  # min | max
    args: tuple[Node, ...]


Node = Union[Num, Name, BinOp, Neg, Call]


@dataclass(frozen=True)
class Formula:
    """A parsed formula and the text it was written as."""

    text: str
    tree: Node

    @property
    def names_called(self) -> tuple[str, ...]:
        """The functions the formula calls."""
        found: list[str] = []

        def walk(node: Node) -> None:
            if isinstance(node, Call):
                found.append(node.fn)
            for child in (node.left, node.right) if isinstance(node, BinOp) else \
                    (node.operand,) if isinstance(node, Neg) else node.args if isinstance(node, Call) else ():
                walk(child)
        walk(self.tree)
        return tuple(dict.fromkeys(found))

    @property
    def names(self) -> tuple[str, ...]:
        """The names the formula uses, in the order they first appear."""
        found: list[str] = []

        def walk(node: Node) -> None:
            if isinstance(node, Name) and node.id not in found:
                found.append(node.id)
            elif isinstance(node, BinOp):
                walk(node.left)
                walk(node.right)
            elif isinstance(node, Neg):
                walk(node.operand)
            elif isinstance(node, Call):
                for arg in node.args:
                    walk(arg)

        walk(self.tree)
        return tuple(found)

    @property
    def constant(self) -> Decimal | None:
        """The value of a formula that is only a number (a plain amount or rate), else None."""
        return self.tree.value if isinstance(self.tree, Num) else None


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def parse_formula(text: object, *, unit: str | None = None) -> Formula:
    """Parse a formula written in a field that holds `unit` (money, percent or number; None where the field's
    unit is settled when the facility is loaded: `unit_problem` then applies the same rule).

    The one unit rule (docs/agreement-format.md, Values): a number may carry its unit (`0.5%`, `50bp`); a bare
    number means the unit of its field, so in a field that holds a rate `"0.5"` is 0.5%, as `"85"` is 85%, in
    every kind. Inside a longer formula a bare number is a plain number: it may scale (`0.5 * prime`), but added
    to or compared with a percentage it is refused (`prime + 0.5` could be 0.5% or 50%)."""
    if isinstance(text, (int, Decimal)) and not isinstance(text, bool):
        text = str(text)
    if isinstance(text, dict) and ({"schedule", "step_down"} & set(text)):
        raise FormulaError("this field takes one formula, not a schedule or a step-down (those are for the fields "
                           "that hold an amount or a rate: docs/agreement-format.md, Quantities)")
    if not isinstance(text, str):
        raise FormulaError(f"a formula is a text or a number, got {type(text).__name__}")
    return _parse_text(text, unit, *decimal_context())


def decimal_context() -> tuple[object, ...]:
    """What of the current decimal context a reading depends on: the key beside the text of a reading kept."""
    context = getcontext()
    return context.prec, context.rounding, tuple(sorted(trap.__name__ for trap, on in context.traps.items() if on))


@lru_cache(maxsize=8192)
def _parse_text(text: str, unit: str | None, *_context: object) -> Formula:
    """`parse_formula` of a text, kept by text, unit and the decimal context it was read in (a percentage is
    divided by 100): a formula is immutable, and a book's agreements write the same ones many times ("85",
    "min(maximum_credit, accounts_base) - letters_of_credit"); a refusal is not kept."""
    source = text.strip()
    if not source:
        raise FormulaError("the formula is empty")
    if len(source) > MAX_FORMULA:
        raise FormulaError(f"the formula is longer than {MAX_FORMULA} characters")
    if "\0" in source:
        raise FormulaError("the formula holds a NUL character")
    signs = _TWO_SIGNS.search(source)
    if signs:
        raise FormulaError(f"in {source!r}: two signs in a row ({signs.group(0)!r}); write one, or put the signed "
                           "number in parentheses")
    python = _UNIT_LITERAL.sub(lambda m: f"__{'percent' if m.group(2) == '%' else 'bp'}__({m.group(1)})",
                               source.replace("×", "*"))
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"cannot read {source!r}: {exc.msg}") from None
    formula = Formula(source, _convert(tree.body, python, source))
    if unit == PERCENT and isinstance(formula.tree, Num) and not formula.tree.percent:
        number = formula.tree  # a bare number in a rate field is a percentage: "85" is 85%
        return Formula(source, Num(number.value / 100, number.written + "%", percent=True))
    problem = unit_problem(formula, unit)
    if problem:
        raise FormulaError(problem)
    return formula


def unit_problem(formula: Formula, unit: str | None) -> str | None:
    """Why a formula cannot be read in a field of `unit`, by the one unit rule: bare numbers alone (`1/2`,
    `0.25 + 0.25`) in a field that holds a rate could be percent or fractions; each reading is named."""
    if unit != PERCENT or not _bare(formula.tree) or _is_zero(formula.tree):
        return None
    if isinstance(formula.tree, Num):  # a field whose unit was settled at load: the same rule as at parse
        number = formula.tree.value
        return (f"{formula.text!r} is a bare number where a rate is held: write {_percent(number)}% "
                f"({_percent(number)} percent) or {_percent(number * 100)}% ({_percent(number)} as a fraction)")
    try:
        value = evaluate(formula, lambda name: Decimal(0))
    except ZeroDivisionError:
        return f"{formula.text!r} divides by zero"
    return (f"{formula.text!r} is made of bare numbers where a rate is held: write each with its unit, as "
            f"{_percent(value)}% ({_percent(value)} percent) or {_percent(value * 100)}% ({_percent(value)} as a "
            "fraction)")


def _percent(value: Decimal) -> str:
    """A number as a reading of it is written: 0.5, 50, 33.333333 (at most six places)."""
    return format(value.quantize(Decimal("0.000001")).normalize(), "f")


def _is_zero(node: Node) -> bool:
    return isinstance(node, Num) and node.value == 0


def _convert(node: ast.AST, python: str, source: str) -> Node:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        written = ast.get_source_segment(python, node) or str(node.value)
        if not re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", written):
            raise FormulaError(f"in {source!r}: write numbers plainly (like 1750000.00), not {written!r}")
        return Num(Decimal(written), written)
    if isinstance(node, ast.Name):
        if node.id in _FUNCTIONS or node.id.startswith("__"):
            raise FormulaError(f"in {source!r}: {node.id!r} is a function; call it, like min(a, b)")
        return Name(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return BinOp(_OPS[type(node.op)], _convert(node.left, python, source), _convert(node.right, python, source))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _convert(node.operand, python, source)
        return Neg(operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id in ("__percent__", "__bp__") and len(node.args) == 1 \
                and isinstance(node.args[0], ast.Constant):
            written = ast.get_source_segment(python, node.args[0]) or ""
            if node.func.id == "__bp__":  # a basis point is 1/100 of 1%
                return Num(Decimal(written) / 10000, written + "bp", percent=True)
            return Num(Decimal(written) / 100, written + "%", percent=True)
        if node.func.id in _FUNCTIONS and len(node.args) >= 2:
            return Call(node.func.id, tuple(_convert(a, python, source) for a in node.args))
        if node.func.id in ROUNDING and len(node.args) == 2:
            value, step = (_convert(a, python, source) for a in node.args)
            if not isinstance(step, Num) or step.value <= 0:
                raise FormulaError(f"in {source!r}: {node.func.id}(value, step) takes a step above zero written as "
                                   "a number, like 0.01% (1/100 of 1%) or 1000.00")
            return Call(node.func.id, (value, step))
        if node.func.id in WINDOWS and len(node.args) == 2 and isinstance(node.args[0], ast.Name) \
                and isinstance(node.args[1], ast.Constant) and type(node.args[1].value) is int \
                and 1 <= node.args[1].value <= 60:
            return Call(node.func.id, (Name(node.args[0].id), Num(Decimal(node.args[1].value),
                                                                  str(node.args[1].value))))
        raise FormulaError(f"in {source!r}: only min(a, b, ...), max(a, b, ...), round_up(value, step), "
                           "round_down(value, step), trailing(name, periods) and annualised(name, periods) "
                           "may be called")
    what = type(node).__name__
    if isinstance(node, ast.BinOp):
        what = {ast.Mod: "%", ast.Pow: "**", ast.FloorDiv: "//"}.get(type(node.op), type(node.op).__name__)
    raise FormulaError(f"in {source!r}: {what!r} is not part of the formula language "
                       "(numbers, percentages, names, + - * /, min, max)")


def subtrahend(formula: Formula) -> str:
    """A formula's text placed after a minus sign: in parentheses when it is a sum or a difference, so that
    `capacity - (outstanding + letters_of_credit)` is not shown as `capacity - outstanding + letters_of_credit`."""
    tree = formula.tree
    return f"({formula.text})" if isinstance(tree, BinOp) and tree.op in "+-" else formula.text


def _bare(node: Node) -> bool:
    """Numbers only, none of them a percentage: `0.5`, `1/2`, `-(1 + 0.5)`."""
    if isinstance(node, Num):
        return not node.percent
    if isinstance(node, Neg):
        return _bare(node.operand)
    return isinstance(node, BinOp) and _bare(node.left) and _bare(node.right)


def _source(node: Node) -> str:
    """A bare-number subtree as written (near enough for a message)."""
    if isinstance(node, Num):
        return node.written
    if isinstance(node, Neg):
        return f"-{_source(node.operand)}"
    assert isinstance(node, BinOp)
    return f"{_source(node.left)}{node.op}{_source(node.right)}"


# --- units --------------------------------------------------------------------------------------

def unit_of(formula: Formula, units: Callable[[str], str | None]) -> str:
    """The unit a formula gives (money, percent, number, or any for plain numbers), checking every name
    exists and every operation makes sense: money x money, or money + a percentage, is refused."""

    def infer(node: Node) -> str | None:  # None: a plain number, which takes its neighbour's unit
        if isinstance(node, Num):
            return PERCENT if node.percent else None
        if isinstance(node, Name):
            unit = units(node.id)
            if unit is None:
                raise UnknownName(f"in {formula.text!r}: unknown name {node.id!r}", node.id)
            return unit
        if isinstance(node, Neg):
            return infer(node.operand)
        if isinstance(node, Call) and node.fn in WINDOWS:
            return infer(node.args[0])
        if isinstance(node, Call):  # min, max, and a rounding's step in its value's unit (0.01% for a rate)
            return _beside_percent(node.args, _same([infer(a) for a in node.args], f"{node.fn}()"))
        left, right = infer(node.left), infer(node.right)
        if node.op in "+-":
            return _beside_percent((node.left, node.right), _same([left, right], node.op), complement=node.op == "-")
        if node.op == "*":
            if left is None or right is None:  # a plain number scales: 0.85 x money is money, but
                other = left or right           # 2,500,000 x a rate may be money or a rate: left free
                return MONEY if other == MONEY else None
            if MONEY in (left, right) and PERCENT in (left, right):
                return MONEY
            if left == right == PERCENT:
                return PERCENT
            if NUMBER in (left, right):
                return left if right == NUMBER else right
            raise FormulaError(f"in {formula.text!r}: {left} x {right} has no meaning")
        # division
        if right is None or right == NUMBER:
            return left
        if left == right or left is None:
            return NUMBER if left == right else None
        if left == MONEY and right == PERCENT:
            return MONEY  # grossing up: 100 / 80% = 125
        raise FormulaError(f"in {formula.text!r}: {left} / {right} has no meaning")

    def _beside_percent(operands: tuple[Node, ...], unit: str | None, *, complement: bool = False) -> str | None:
        """A bare number added to, or compared with, a percentage is ambiguous: `federal_funds + 0.5` (or `+ 1/2`)
        would add 50%, where the text's "1/2 of 1%" is 0.5%. Refused, unless it is 0, or the 1 of a complement
        (`1 - advance_rate`, the rest of the whole)."""
        if unit != PERCENT:
            return unit
        for i, operand in enumerate(operands):
            if not _bare(operand) or (isinstance(operand, Num) and operand.value == 0):
                continue
            if complement and i == 0 and isinstance(operand, Num) and operand.value == 1:
                continue
            written = _source(operand)
            readings = ""
            if isinstance(operand, Num):
                readings = (f": write {_percent(operand.value)}% ({written} percent) or "
                            f"{_percent(operand.value * 100)}% ({written} as a fraction)")
            raise FormulaError(f"in {formula.text!r}: {written} beside a percentage is ambiguous{readings or ''}"
                               + ("" if readings else ": write a percentage with its % sign (0.5% is half a "
                                  "percent, 50% is a half)"))
        return unit

    def _same(units_: list[str | None], what: str) -> str | None:
        known = {u for u in units_ if u is not None}
        if len(known) > 1:
            raise FormulaError(f"in {formula.text!r}: {what} mixes {' and '.join(sorted(known))}")
        return known.pop() if known else None

    return infer(formula.tree) or ANY


# --- evaluation -----------------------------------------------------------------------------------

def evaluate(formula: Formula, value_of: Callable[[str], Decimal],
             window: Callable[[str, str, int], Decimal] | None = None) -> Decimal:
    """The exact value of a formula, each name's value given by `value_of` (percentages as fractions);
    `trailing(name, n)` and `annualised(name, n)`, sums of a period figure over the periods ending with the one
    read, by `window(fn, name, n)` (only keys read with a certificate have periods: engine/keys.py)."""

    def ev(node: Node) -> Decimal:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Name):
            return value_of(node.id)
        if isinstance(node, Neg):
            return -ev(node.operand)
        if isinstance(node, Call) and node.fn in WINDOWS:
            name, count = node.args
            assert isinstance(name, Name) and isinstance(count, Num)
            if window is None:
                raise FormulaError(f"{formula.text}: {node.fn}() sums the figures of periods; only a covenant's "
                                   "measure or a grid's key read with a certificate has them")
            return window(node.fn, name.id, int(count.value))
        if isinstance(node, Call) and node.fn in ROUNDING:
            value, step = (ev(a) for a in node.args)
            steps = (value / step).to_integral_value(ROUND_CEILING if node.fn == "round_up" else ROUND_FLOOR)
            return steps * step
        if isinstance(node, Call):
            values = [ev(a) for a in node.args]
            return min(values) if node.fn == "min" else max(values)
        left, right = ev(node.left), ev(node.right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        if right == 0:
            raise ZeroDivisionError(f"{formula.text}: division by zero")
        return left / right

    try:
        return ev(formula.tree)
    except (DivisionByZero, InvalidOperation) as exc:  # pragma: no cover - division is checked above
        raise ZeroDivisionError(f"{formula.text}: {exc}") from None
