"""A quantity of the terms: a formula, a schedule of formulas by date, or a rate that steps down.

Rates, caps, reserves and limits all change over time in real agreements ("85% until March 31, then
80%", "reduced by 1% on the first day of each month, to no less than 75%"). One shape covers them
all, so each kind of clause that needs a number takes a quantity and never re-invents dated windows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Union

from pydantic import PlainSerializer, PlainValidator

from ..core.dates import parse_iso_date
from ..core.money import parse_percent
from .formula import Formula, FormulaError, parse_formula


@dataclass(frozen=True)
class ScheduleEntry:
    start: date
    end: date | None  # inclusive; None: open-ended
    value: Formula

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class Schedule:
    """A value by dated window (`to` inclusive, the last may be open-ended)."""

    entries: tuple[ScheduleEntry, ...]

    def entry_on(self, day: date) -> ScheduleEntry | None:
        for entry in self.entries:
            if entry.covers(day):
                return entry
        return None


@dataclass(frozen=True)
class StepDown:
    """A rate (percent) of `start`, less `step` on `first_step` and every `every_months` months after,
    never below `floor`."""

    start: Decimal
    step: Decimal
    every_months: int
    first_step: date
    floor: Decimal

    def steps_by(self, day: date) -> int:
        if day < self.first_step:
            return 0
        months = (day.year - self.first_step.year) * 12 + day.month - self.first_step.month
        if day.day < self.first_step.day:
            months -= 1
        return months // self.every_months + 1

    def rate_on(self, day: date) -> Decimal:
        return max(self.floor, self.start - self.step * self.steps_by(day))


Quantity = Union[Formula, Schedule, StepDown]


def parse_quantity(raw: object, *, percent: bool) -> Quantity:
    """A quantity as written in a facility file; `percent`: a bare number means a percentage."""
    if isinstance(raw, (Formula, Schedule, StepDown)):
        return raw
    if isinstance(raw, dict) and set(raw) == {"schedule"}:
        return _schedule(raw["schedule"], percent)
    if isinstance(raw, dict) and set(raw) == {"step_down"}:
        if not percent:
            raise ValueError("a step_down is a rate; use a schedule for amounts")
        return _step_down(raw["step_down"])
    if isinstance(raw, dict):
        raise ValueError(f"expected a formula, {{schedule: [...]}} or {{step_down: {{...}}}}, got the keys "
                         f"{sorted(map(str, raw))}")
    try:
        return parse_formula(raw, percent_default=percent)
    except FormulaError as exc:
        raise ValueError(str(exc)) from None


def _schedule(rows: object, percent: bool) -> Schedule:
    if not isinstance(rows, list) or not rows:
        raise ValueError("a schedule is a list of {from, to, value} entries")
    entries = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not {"from", "value"} <= set(row) or set(row) - {"from", "to", "value"}:
            raise ValueError(f"schedule entry {i}: expected the fields from, to (optional) and value")
        start = parse_iso_date(row["from"], what=f"schedule entry {i} 'from'")
        end = parse_iso_date(row["to"], what=f"schedule entry {i} 'to'") if row.get("to") is not None else None
        if end is not None and end < start:
            raise ValueError(f"schedule entry {i} ends ({end}) before it starts ({start})")
        try:
            value = parse_formula(row["value"], percent_default=percent)
        except FormulaError as exc:
            raise ValueError(f"schedule entry {i}: {exc}") from None
        entries.append(ScheduleEntry(start, end, value))
    entries.sort(key=lambda e: e.start)
    for a, b in zip(entries, entries[1:]):
        if a.end is None or b.start <= a.end:
            raise ValueError(f"schedule windows overlap: one starting {b.start} begins before the previous "
                             f"ends ({a.end or 'open-ended'})")
    return Schedule(tuple(entries))


def _step_down(raw: object) -> StepDown:
    fields = {"start", "step", "every_months", "first_step", "floor"}
    if not isinstance(raw, dict) or set(raw) != fields:
        raise ValueError(f"a step_down has exactly the fields {', '.join(sorted(fields))}")
    months = raw["every_months"]
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise ValueError("step_down every_months is a whole number of months from 1 to 120")
    step = StepDown(parse_percent(raw["start"], what="step_down start"),
                    parse_percent(raw["step"], what="step_down step"), months,
                    parse_iso_date(raw["first_step"], what="step_down first_step"),
                    parse_percent(raw["floor"], what="step_down floor"))
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


RateQuantity = Annotated[Quantity, PlainValidator(lambda v: parse_quantity(v, percent=True)),
                         PlainSerializer(_serialize)]
AmountQuantity = Annotated[Quantity, PlainValidator(lambda v: parse_quantity(v, percent=False)),
                           PlainSerializer(_serialize)]
FormulaField = Annotated[Formula, PlainValidator(lambda v: _formula(v)), PlainSerializer(lambda f: f.text)]


def _formula(raw: object) -> Formula:
    if isinstance(raw, Formula):
        return raw
    try:
        return parse_formula(raw)
    except FormulaError as exc:
        raise ValueError(str(exc)) from None
