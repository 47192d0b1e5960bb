"""What a block of terms defines and what it uses: the figures it names (each with the formulas it holds), the
formulas it holds that define no figure, and the names it refers to.

Each kind says so itself, with methods on its block: `defines()` (a borrowing base: its figures, lines, reserves and
total; a pricing grid: its columns), `formula_fields()` (an interest rate's formula, a covenant's measure) and
`references()` (a tranche, a document, a covenant it names), so that `definitions.py` lists a clause's figures and
checks its formulas and names without knowing the kinds: a new kind is a new block class, not a branch in a central
list.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .formula import Formula

if TYPE_CHECKING:
    from .kinds import Line, NamedFigure, Reserve
    from .kinds_pricing import LevelValues


# The groups of names a block may refer to: the vocabulary's (facility.yaml), the ids of the agreement's computed fees
# and covenants, and its figures (`figures`: any name a formula may use; `money_figures`: a money figure a clause
# names, as a definitions figure does)
Group = Literal["tranches", "collateral", "contingents", "documents", "indices", "measures", "computed_fees",
                "covenants", "figures", "money_figures"]


@dataclass(frozen=True)
class Defines:
    """One figure a block names."""

    id: str
    label: str
    unit: str
    role: str  # figure | line | reserve | borrowing_base | availability | overadvance | level_value
    item: NamedFigure | Line | Reserve | LevelValues | None = None
    formulas: tuple[FigureFormula, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class FigureFormula:
    """A formula a figure holds (a line's rate or cap, availability's capacity): the field that holds it, the unit it
    must give, and the names of the clause's own it may use beside the facility's, with their units (a cap's
    `rate`)."""

    field: str
    formula: Formula
    unit: str
    local: Mapping[str, str] = dataclasses.field(default_factory=dict)  # `field` is a field's name here


@dataclass(frozen=True)
class FormulaField:
    """A formula of a block that defines no figure (a rate, a fee's base, a covenant's measure): the field that holds
    it, the unit it must give, and the names it may use."""

    field: str
    formula: Formula
    unit: str
    names: Mapping[str, str]
    share_is_percent: bool = False  # a number (one amount over another: usage over the commitment) is a percentage


@dataclass(frozen=True)
class Reference:
    """A name a block refers to, in the field that holds it, and what the declared entry must be besides declared (a
    revolving tranche, a measure that is a rating)."""

    group: Group
    name: str
    field: str
    requires: Literal["revolving", "rating"] | None = None
