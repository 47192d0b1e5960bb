"""A quantity of the terms: a formula, a schedule of formulas by date, or a rate that steps down; and what
each field of the terms holds.

Rates, caps, reserves and limits all change over time in real agreements ("85% until March 31, then
80%", "reduced by 1% on the first day of each month, to no less than 75%"). One shape covers them
all, so each kind of clause that needs a number takes a quantity and never re-invents dated windows.

Each field declares what it holds (`Holds`): its unit, which settles what a bare number means (the one unit
rule, in `parse_formula`), and the values its kind allows, so that a term that cannot be meant (an advance
rate of 850%, a negative cap, a sublimit of 120% of the commitment) is refused when the folder is loaded.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Union

from pydantic import PlainSerializer, PlainValidator
from pydantic_core import core_schema

from ..core.dates import parse_iso_date
from .formula import (
    MONEY,
    NUMBER,
    PERCENT,
    BinOp,
    Call,
    Formula,
    FormulaError,
    Neg,
    Node,
    Num,
    decimal_context,
    evaluate,
    parse_formula,
    unit_of,
)

HUNDRED = Decimal(100)
RATE_PLACES = 6  # a rate in percent: 53.125% has three; a seventh place is a typo


@dataclass(frozen=True)
class Holds:
    """What a field of the terms holds: its unit, and the constant values its kind allows (in the field's
    unit as written: a percentage as 85, not 0.85). `above_100`: a percentage inside the formula may pass
    100%, as in a reserve of "285% of the Term Loan"; a rate, a cap or a sublimit never does."""

    unit: str
    low: Decimal | None = Decimal(0)
    high: Decimal | None = None
    low_open: bool = False
    above_100: bool = True
    what: str = "this field"

    def range_text(self) -> str:
        unit = "%" if self.unit == PERCENT else ""
        low = None if self.low is None else f"{'above' if self.low_open else 'at least'} {self.low}{unit}"
        high = None if self.high is None else f"at most {self.high}{unit}"
        return " and ".join(part for part in (low, high) if part) or "any value"


ADVANCE_RATE = Holds(PERCENT, high=HUNDRED, low_open=True, above_100=False, what="an advance rate")
RATE = Holds(PERCENT, high=HUNDRED, above_100=False, what="a rate")
AMOUNT = Holds(MONEY, what="an amount")
CAP = Holds(MONEY, above_100=False, what="a cap or a sublimit")
SIGNED = {unit: Holds(unit, low=None, what="a threshold") for unit in (MONEY, PERCENT, NUMBER)}
FIGURE = {MONEY: AMOUNT, PERCENT: Holds(PERCENT, high=HUNDRED, what="a percentage"),
          NUMBER: Holds(NUMBER, low=None, what="a number")}


def within(formula: Formula, holds: Holds) -> str | None:
    """Why a formula's numbers cannot be meant in a field that holds `holds`: a constant outside the kind's
    range, or a percentage above 100% where the kind forbids it. None when they can."""
    if not formula.names:
        try:
            value = evaluate(formula, lambda name: Decimal(0))
        except ZeroDivisionError:
            return f"{formula.text!r} divides by zero"
        shown = _plain(value * HUNDRED if holds.unit == PERCENT else value)
        too_low = holds.low is not None and (shown < holds.low or (holds.low_open and shown == holds.low))
        if too_low or (holds.high is not None and shown > holds.high):
            unit = "%" if holds.unit == PERCENT else ""
            return f"{formula.text!r} is {shown}{unit}: {holds.what} is {holds.range_text()}"
    for node in _nodes(formula.tree):
        if isinstance(node, Num) and node.percent and node.value > 1 and not holds.above_100:
            return f"{node.written} in {formula.text!r}: {holds.what} is never above 100%"
    return None


def _in_percent(number: Num) -> Decimal:
    """A percentage as written, in percent ("100.00%" is 100.00, "50bp" is 0.50), keeping its places."""
    if number.written.endswith("bp"):
        return Decimal(number.written[:-2]) / HUNDRED
    return Decimal(number.written.rstrip("%"))


def _plain(value: Decimal) -> Decimal:
    """A number without the trailing zeros arithmetic leaves (0.25 x 100 is 25.00): 25, 0.25, 100."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def _nodes(node: Node):
    yield node
    if isinstance(node, BinOp):
        yield from _nodes(node.left)
        yield from _nodes(node.right)
    elif isinstance(node, Neg):
        yield from _nodes(node.operand)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from _nodes(arg)


def parse_bounded(raw: object, holds: Holds) -> Formula:
    """One formula, read by the one unit rule and checked against the field's range."""
    try:
        formula = parse_formula(raw, unit=holds.unit)
    except FormulaError as exc:
        raise ValueError(str(exc)) from None
    if not formula.names:  # a formula of numbers alone: its units are checked now (at load, with the names)
        try:
            unit_of(formula, lambda name: None)
        except FormulaError as exc:
            raise ValueError(str(exc)) from None
    problem = within(formula, holds)
    if problem:
        raise ValueError(problem)
    return formula


def parse_constant(raw: object, holds: Holds = RATE) -> Decimal:
    """A constant in its field's unit as written (a rate in percent: 85 for 85%), read by the one unit rule:
    "85", "85%" and "8500bp" are all 85% in a field that holds a rate."""
    if isinstance(raw, str):
        return _constant_text(raw, holds, *decimal_context())
    return _constant(raw, holds)


@lru_cache(maxsize=8192)
def _constant_text(raw: str, holds: Holds, *_context: object) -> Decimal:
    """`parse_constant` of a text, kept by text, field and decimal context (a book's agreements write the same
    rates many times: "85", "2.5"); a refusal is not kept."""
    return _constant(raw, holds)


def _constant(raw: object, holds: Holds) -> Decimal:
    formula = parse_bounded(raw, holds)
    if formula.names or not isinstance(formula.tree, Num):
        raise ValueError(f"{formula.text!r}: a number is wanted here, like 85 or 85% or 50bp")
    value = _in_percent(formula.tree) if holds.unit == PERCENT else formula.tree.value
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -RATE_PLACES:
        raise ValueError(f"{formula.text!r} has more than {RATE_PLACES} decimal places (in percent)")
    return value


# A date the terms name instead of writing it: an `event_date` clause's id ("reduction_date"), which the record's
# events set. `resolve(name)` gives its day on the day asked (None: not yet).
Resolve = Callable[[str], "date | None"]


@dataclass(frozen=True)
class ScheduleEntry:
    start: date | str  # a date, or the name of an event date: the window starts when the event happens
    end: date | None   # inclusive; None: open-ended
    value: Formula

    def start_on(self, resolve: Resolve | None) -> date | None:
        if isinstance(self.start, date):
            return self.start
        return resolve(self.start) if resolve else None

    def covers(self, day: date, resolve: Resolve | None = None) -> bool:
        start = self.start_on(resolve)
        return start is not None and start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Schedule:
    """A value by dated window (`to` inclusive, the last may be open-ended). A window that starts on an event date
    ("from the date the Compliance Certificate is delivered") takes over, from that day, from the window in force
    then."""

    entries: tuple[ScheduleEntry, ...]

    def entry_on(self, day: date, resolve: Resolve | None = None) -> ScheduleEntry | None:
        covering = [e for e in self.entries if e.covers(day, resolve)]
        by_event = [e for e in covering if isinstance(e.start, str)]
        if by_event:
            return max(by_event, key=lambda e: e.start_on(resolve) or date.min)
        return covering[0] if covering else None


@dataclass(frozen=True)
class StepDown:
    """A rate (percent) of `start`, less `step` on `first_step` and every `every_months` months after,
    never below `floor`. `first_step` may name an event date ("commencing on the Reduction Date")."""

    start: Decimal
    step: Decimal
    every_months: int
    first_step: date | str
    floor: Decimal

    def first_on(self, resolve: Resolve | None = None) -> date | None:
        if isinstance(self.first_step, date):
            return self.first_step
        return resolve(self.first_step) if resolve else None

    def steps_by(self, day: date, resolve: Resolve | None = None) -> int:
        first = self.first_on(resolve)
        if first is None or day < first:
            return 0
        months = (day.year - first.year) * 12 + day.month - first.month
        if day.day < first.day:
            months -= 1
        return months // self.every_months + 1

    def rate_on(self, day: date, resolve: Resolve | None = None) -> Decimal:
        return max(self.floor, self.start - self.step * self.steps_by(day, resolve))


Quantity = Union[Formula, Schedule, StepDown]


def parse_quantity(raw: object, holds: Holds) -> Quantity:
    """A quantity as written in a facility file, in a field that holds `holds`."""
    if isinstance(raw, (Formula, Schedule, StepDown)):
        return raw
    if isinstance(raw, dict) and set(raw) == {"schedule"}:
        return _schedule(raw["schedule"], holds)
    if isinstance(raw, dict) and set(raw) == {"step_down"}:
        if holds.unit != PERCENT:
            raise ValueError("a step_down is a rate; use a schedule for amounts")
        return _step_down(raw["step_down"], holds)
    if isinstance(raw, dict):
        raise ValueError(f"expected a formula, {{schedule: [...]}} or {{step_down: {{...}}}}, got the keys "
                         f"{sorted(map(str, raw))}")
    return parse_bounded(raw, holds)


def _schedule(rows: object, holds: Holds) -> Schedule:
    if not isinstance(rows, list) or not rows:
        raise ValueError("a schedule is a list of {from, to, value} entries")
    entries = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not {"from", "value"} <= set(row) or set(row) - {"from", "to", "value"}:
            raise ValueError(f"schedule entry {i}: expected the fields from, to (optional) and value")
        start = _date_or_event(row["from"], what=f"schedule entry {i} 'from'")
        end = parse_iso_date(row["to"], what=f"schedule entry {i} 'to'") if row.get("to") is not None else None
        if end is not None and isinstance(start, date) and end < start:
            raise ValueError(f"schedule entry {i} ends ({end}) before it starts ({start})")
        try:
            value = parse_bounded(row["value"], holds)
        except ValueError as exc:
            raise ValueError(f"schedule entry {i}: {exc}") from None
        entries.append(ScheduleEntry(start, end, value))
    dated = sorted((e for e in entries if isinstance(e.start, date)), key=lambda e: e.start)
    for a, b in zip(dated, dated[1:]):
        if a.end is None or b.start <= a.end:  # type: ignore[operator]
            raise ValueError(f"schedule windows overlap: one starting {b.start} begins before the previous "
                             f"ends ({a.end or 'open-ended'})")
    return Schedule(tuple(dated + [e for e in entries if not isinstance(e.start, date)]))


_EVENT_DATE = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _date_or_event(raw: object, what: str) -> date | str:
    """A date, or the name of an event date (an `event_date` clause's id)."""
    if isinstance(raw, str) and _EVENT_DATE.fullmatch(raw):
        return raw
    return parse_iso_date(raw, what=what)


def event_dates_named(quantity: Quantity) -> list[str]:
    """The event dates a quantity names (a window's start, a step-down's first step)."""
    if isinstance(quantity, Schedule):
        return [e.start for e in quantity.entries if isinstance(e.start, str)]
    if isinstance(quantity, StepDown) and isinstance(quantity.first_step, str):
        return [quantity.first_step]
    return []


def _step_down(raw: object, holds: Holds) -> StepDown:
    fields = {"start", "step", "every_months", "first_step", "floor"}
    if not isinstance(raw, dict) or set(raw) != fields:
        raise ValueError(f"a step_down has exactly the fields {', '.join(sorted(fields))}")
    months = raw["every_months"]
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise ValueError("step_down every_months is a whole number of months from 1 to 120")
    rates = {}
    for name in ("start", "step", "floor"):
        try:
            rates[name] = parse_constant(raw[name], holds if name != "step" else RATE)
        except ValueError as exc:
            raise ValueError(f"step_down {name}: {exc}") from None
    step = StepDown(rates["start"], rates["step"], months,
                    _date_or_event(raw["first_step"], what="step_down first_step"), rates["floor"])
    if step.floor > step.start:
        raise ValueError(f"step_down floor {step.floor} is above its start {step.start}")
    return step


def quantity_text(quantity: Quantity) -> str:
    """How a quantity reads in a summary or an explanation."""
    if isinstance(quantity, Formula):
        return quantity.text
    if isinstance(quantity, Schedule):
        return "; ".join(f"{e.value.text} from {e.start}" + (f" to {e.end}" if e.end else "")
                         for e in quantity.entries)
    return (f"{quantity.start}% less {quantity.step}% every {quantity.every_months} month(s) from "
            f"{quantity.first_step}, not below {quantity.floor}%")


def formulas_of(quantity: Quantity) -> tuple[Formula, ...]:
    if isinstance(quantity, Formula):
        return (quantity,)
    if isinstance(quantity, Schedule):
        return tuple(e.value for e in quantity.entries)
    return ()


def _serialize(quantity: Quantity) -> object:
    if isinstance(quantity, Formula):
        return quantity.text
    if isinstance(quantity, Schedule):
        return {"schedule": [{"from": e.start, "to": e.end, "value": e.value.text} for e in quantity.entries]}
    return {"step_down": {"start": quantity.start, "step": quantity.step, "every_months": quantity.every_months,
                          "first_step": quantity.first_step, "floor": quantity.floor}}


class ReadBy:
    """A field read by one function of ours, and written by its PlainSerializer. Unlike PlainValidator, pydantic is
    not asked for a schema of the Python type behind the field (a formula's tree, built twice for each field only
    to be replaced by the serializer): the kinds a facility uses are built in a fraction of the time."""

    def __init__(self, read: Callable[[object], object]):
        self.read = read

    def __get_pydantic_core_schema__(self, source: object, handler: object) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.read,
                                                            json_schema_input_schema=core_schema.any_schema())


def quantity_field(holds: Holds):
    """The type of a field that takes a quantity (a formula, a schedule, a step-down) holding `holds`."""
    return Annotated[Quantity, ReadBy(lambda v: parse_quantity(v, holds)), PlainSerializer(_serialize)]


def formula_field(holds: Holds | None):
    """The type of a field that takes one formula holding `holds` (None: its unit is settled at load, from the
    figure or measure it is compared with)."""
    def read(raw: object) -> Formula:
        if isinstance(raw, Formula):
            return raw
        if holds is not None:
            return parse_bounded(raw, holds)
        try:
            return parse_formula(raw)
        except FormulaError as exc:
            raise ValueError(str(exc)) from None
    return Annotated[Formula, ReadBy(read), PlainSerializer(lambda f: f.text)]


def rate_field(holds: Holds = RATE):
    """The type of a field that takes a constant rate in percent ("2", "2%", "200bp" are all 2%)."""
    return Annotated[Decimal, PlainValidator(lambda v: parse_constant(v, holds))]


def figure_value(raw: object, unit: str) -> Quantity:
    """A named figure's value, read in the figure's own unit (a percent figure's "85" is 85%)."""
    return parse_quantity(raw, FIGURE.get(unit, AMOUNT))


def threshold_value(raw: object, unit: str) -> Quantity:
    """A covenant's threshold, read in the covenant's unit; it may be negative (a net loss of at most ...)."""
    return parse_quantity(raw, SIGNED.get(unit, SIGNED[NUMBER]))


QuantityValue = Annotated[Quantity, PlainSerializer(_serialize)]


AdvanceRateQuantity = quantity_field(ADVANCE_RATE)
AmountQuantity = quantity_field(AMOUNT)
CapQuantity = quantity_field(CAP)
AmountFormula = formula_field(AMOUNT)
CapFormula = formula_field(CAP)
RateFormula = formula_field(RATE)
SettledFormula = formula_field(None)
Rate = rate_field()
# cash collateral for an open letter of credit: often above the whole (105%), never above twice it
CollateralRate = rate_field(Holds(PERCENT, high=Decimal(200), what="a cash collateral percentage"))
