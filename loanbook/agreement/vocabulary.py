"""A facility's own vocabulary: its tranches, collateral classes, contingent obligations, documents,
indices and reported measures, declared in `facility.yaml` and never in code.

Events and terms name these; a name the facility does not declare is refused with the declared ones
listed. Each declaration also gives the name its figure goes by in formulas (`figure`): a tranche's
outstanding principal (`advances_outstanding`), a contingent kind's open total (`letters_of_credit`).
"""
from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Literal

from pydantic import Field, model_validator

from ..core.types import Flag, Name, Strict, Text
from .formula import MONEY, NUMBER, PERCENT


class Declared(Strict):
    id: Name
    label: Text

    @property
    def name(self) -> str:
        """The name of its figure in formulas (its id unless it declares another)."""
        return getattr(self, "figure", None) or self.id


class Tranche(Declared):
    """A class of loans: revolving (borrowed, repaid and borrowed again) or term."""

    type: Literal["revolving", "term"]
    figure: Name | None = Field(default=None, description="the name of its outstanding principal in formulas")
    drawn: Flag = Field(default=False, description="a term tranche funded by advances while the record runs (a "
                                                    "delayed-draw term loan); other term tranches are lent once, "
                                                    "as an opening balance")


class Contingent(Declared):
    """A kind of contingent obligation (a letter of credit, an acceptance, a guaranty)."""

    figure: Name | None = Field(default=None, description="the name of the open total in formulas")


class Index(Declared):
    """A reference rate: `shipped` (the project's prime series), `file` (a rate file in the facility's
    folder, `file:`), or `events` (index_rate events alone); rate events complete or override any of them."""

    series: Literal["shipped", "file", "events"] = "events"
    file: str | None = None

    @model_validator(mode="after")
    def _file(self):
        if (self.series == "file") != (self.file is not None):
            raise ValueError("`file:` names the rate file of an index whose series is file, and only then")
        return self


class Measure(Declared):
    """A figure that reports give (a reserve the Agent sets, a recovery percentage, a ratio). A `period`
    measure is a figure of a fiscal period (EBITDA for a quarter), reported with a certificate, and may be below
    zero (a net loss); another measure may be only where it says `signed` (a tangible net worth): a reserve or a
    recovery percentage below zero is a typo that would add to a borrowing base."""

    unit: Literal["money", "percent", "number", "rating"]
    period: Flag = False
    signed: Flag = False

    @model_validator(mode="after")
    def _rating_reported(self):
        if self.unit == "rating" and not self.period:
            raise ValueError("a rating (an agency's grade, like BBB+) is reported with a certificate: say period: "
                             "true")
        return self


class Vocabulary(Strict):
    tranches: tuple[Tranche, ...] = Field(min_length=1)
    collateral: tuple[Declared, ...] = ()
    contingents: tuple[Contingent, ...] = ()
    documents: tuple[Declared, ...] = ()
    indices: tuple[Index, ...] = ()
    measures: tuple[Measure, ...] = ()

    @model_validator(mode="after")
    def _unique(self):
        seen: dict[str, str] = {}
        for group, entries in self.groups().items():
            for entry in entries:
                for name in {entry.id, entry.name}:
                    if name in seen and not (seen[name] == group and name == entry.id):
                        raise ValueError(f"the name {name!r} is declared twice ({seen[name]} and {group})")
                    seen[name] = group
        return self

    def groups(self) -> dict[str, tuple[Declared, ...]]:
        return {"tranches": self.tranches, "collateral": self.collateral, "contingents": self.contingents,
                "documents": self.documents, "indices": self.indices, "measures": self.measures}

    def ids(self, group: str) -> tuple[str, ...]:
        return tuple(entry.id for entry in self.groups()[group])

    def get(self, group: str, entry_id: str):
        for entry in self.groups()[group]:
            if entry.id == entry_id:
                return entry
        return None

    def label_of(self, group: str, entry_id: str) -> str:
        """An entry in the agreement's words: its label, else its id in words (never the bare id for people)."""
        entry = self.get(group, entry_id)
        label = getattr(entry, "label", None)
        return label if label else entry_id.replace("_", " ")

    def unknown(self, group: str, entry_id: object) -> str | None:
        """Why a name is not one of the group's, listing the declared ones; None when it is."""
        if entry_id in self.ids(group):
            return None
        declared = ", ".join(self.ids(group)) or "none"
        return f"unknown {_SINGULAR[group]} {entry_id!r}; this facility declares: {declared}"

    def formula_units(self) -> dict[str, str]:
        """Every name a formula may use that the vocabulary gives, with its unit (made once, as every day's figure
        graph asks for it; each caller gets its own copy)."""
        return dict(self._formula_units)

    @functools.cached_property
    def _formula_units(self) -> Mapping[str, str]:
        units = {t.name: MONEY for t in self.tranches}
        units.update({c.id: MONEY for c in self.collateral})
        units.update({c.name: MONEY for c in self.contingents})
        units.update({m.id: m.unit for m in self.measures if not m.period})
        units.update({i.id: PERCENT for i in self.indices})
        return units

    def period_units(self) -> dict[str, str]:
        """The period measures (figures of a fiscal period) with their units: what covenants test. A rating is a
        grade, not a number: no formula reads it (`reported_units` has it)."""
        return {m.id: m.unit for m in self.measures if m.period and m.unit != "rating"}

    def reported_units(self) -> dict[str, str]:
        """Every measure a certificate may report, ratings included."""
        return {m.id: m.unit for m in self.measures if m.period}

    def revolving(self) -> tuple[Tranche, ...]:
        return tuple(t for t in self.tranches if t.type == "revolving")


_SINGULAR = {"tranches": "tranche", "collateral": "collateral class", "contingents": "contingent obligation kind",
             "documents": "document", "indices": "index", "measures": "measure"}
UNIT_NAMES = (MONEY, PERCENT, NUMBER)
