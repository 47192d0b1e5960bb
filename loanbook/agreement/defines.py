"""What a block of terms defines: the figures it names, each with the formulas it holds.

A kind whose blocks name figures says so itself, with a `defines()` method on its block (a borrowing base: its
figures, lines, reserves and total; a pricing grid: its columns), so that `definitions.py` lists a clause's figures
and checks their formulas without knowing the kinds: a new kind that names figures is a new block class, not a
branch in a central list.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .formula import Formula

if TYPE_CHECKING:
    from .kinds import Line, NamedFigure, Reserve
    from .kinds_pricing import LevelValues

# (field, formula, the unit it must give, the names local to the clause with their units: a cap's `rate`)
FormulaCheck = tuple[str, Formula, str, dict[str, str]]


@dataclass(frozen=True)
class Defines:
    """One figure a block names."""

    id: str
    label: str
    unit: str
    role: str  # figure | line | reserve | borrowing_base | availability | overadvance | level_value
    item: NamedFigure | Line | Reserve | LevelValues | None = None
    formulas: tuple[FormulaCheck, ...] = field(default=(), compare=False)
