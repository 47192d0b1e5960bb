"""Every figure the terms name, where it is defined, and the names each formula uses.

A facility's figures (a borrowing base's lines, reserves and total, availability, the figures a clause
names, like the Maximum Limit) are defined by the clause versions that carry them. This module lists
those definitions, and checks at load time that every formula only names what exists (the vocabulary
or a definition) and that units agree, so that a typo is refused with its file and line.
"""
from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from ..core.errors import Problem
from .defines import Defines, FigureFormula, FormulaField, Reference
from .formula import ANY, MONEY, NUMBER, PERCENT, FormulaError, UnknownName, unit_of, unit_problem
from .kinds import Line, NamedFigure, Reserve, TermsBlock
from .kinds_commitments import EventDate
from .kinds_covenants import Covenant
from .kinds_fees import ComputedFee
from .kinds_pricing import LevelValues
from .model import Agreement, ClauseVersion
from .quantity import Schedule, StepDown, event_dates_named
from .vocabulary import Vocabulary

# Figure names the status reports under its own keys: a facility may not define them itself.
RESERVED = frozenset({"as_of", "borrowing_base", "loans", "breaches", "overadvance", "overadvance_cap",
                      "overadvance_limit", "interest_accrued_unpaid", "expenses_unpaid", "lenders",
                      "interpretations", "pending_conditions", "figures", "explanation", "contingents",
                      "rate", "collateral", "measures"})


@dataclass(frozen=True)
class Definition:
    """One named figure as one clause version defines it."""

    id: str
    label: str
    unit: str
    role: str  # figure | line | reserve | borrowing_base | availability | overadvance | level_value
    version: ClauseVersion
    block: TermsBlock  # the block that defines it (a borrowing base, an availability clause, a pricing grid, ...)
    item: NamedFigure | Line | Reserve | LevelValues | None = None
    formulas: tuple[FigureFormula, ...] = dataclasses.field(default=(), compare=False)  # each formula it holds


def definitions_of(version: ClauseVersion) -> list[Definition]:
    """The figures the clause version's blocks define: each kind that defines figures says which (`defines()`)."""
    return [Definition(d.id, d.label, d.unit, d.role, version, block, d.item, d.formulas)
            for block in version.terms for d in _defined_by(block)]


def _defined_by(block: TermsBlock) -> list[Defines]:
    defines = _method_of(block, "defines")
    return defines(block) if defines is not None else []


def _method_of(block: TermsBlock, name: str) -> Callable[..., Any] | None:
    """The method of the block's kind that says what it defines, holds or names; None where its kind has none. Looked
    up on the class: a method a block lacks would go through pydantic's `__getattr__`, slow on every block at load."""
    return getattr(type(block), name, None)


def all_definitions(agreement: Agreement) -> list[Definition]:
    return [d for clause in agreement.clauses.values() for v in clause.versions for d in definitions_of(v)]


def check_definitions(agreement: Agreement) -> list[Problem]:
    """Names unique and not reserved, every formula's names known, every unit as its field needs,
    and the names each kind refers to (tranches, collateral, documents, indices) declared."""
    problems: list[Problem] = []
    vocabulary = agreement.vocabulary
    units = vocabulary.formula_units()
    definitions = all_definitions(agreement)
    defined: dict[str, Definition] = {}
    for d in definitions:
        where = (d.version.file, d.version.position)
        if d.id in RESERVED and d.role != "overadvance":
            problems.append(Problem(*where, d.id, f"{d.id!r} is a name the status reports itself; choose another"))
        if d.id in units:
            problems.append(Problem(*where, d.id, f"{d.id!r} is already a name of the vocabulary"))
        previous = defined.get(d.id)
        if previous is not None and previous.version is d.version and previous.role != "overadvance":
            problems.append(Problem(*where, d.id, f"{d.id!r} is defined twice in this clause"))
        elif previous is not None and previous.unit != d.unit:
            problems.append(Problem(*where, d.id, f"{d.id!r} is {d.unit} here but {previous.unit} in "
                                                  f"{previous.version.clause_id} ({previous.version.document_id})"))
        defined.setdefault(d.id, d)
    known = {**units, **{d.id: d.unit for d in definitions}}
    for d in definitions:
        for held in d.formulas:
            local = held.local
            try:
                unit = unit_of(held.formula, lambda name, local=local: local.get(name) or known.get(name))  # type: ignore[misc]
            except FormulaError as exc:
                problems.append(Problem(d.version.file, d.version.position, f"{d.id}.{held.field}",
                                        _formula_problem(exc, known, local)))
                continue
            if unit not in (held.unit, ANY):
                problems.append(Problem(d.version.file, d.version.position, f"{d.id}.{held.field}",
                                        f"{held.formula.text!r} gives {unit}, but {held.field} is {held.unit}"))
    problems += _check_other_formulas(agreement, definitions, known)
    problems += _check_references(agreement)
    problems += _check_glossary(agreement, known)
    return problems


def _check_glossary(agreement: Agreement, known: dict[str, str]) -> list[Problem]:
    """The glossary's formulas name only the facility's figures, as a terms formula does (its unit is free: the
    words may mean an amount or a rate)."""
    problems: list[Problem] = []
    for entry in agreement.glossary:
        try:
            unit_of(entry.means, known.get)
        except FormulaError as exc:
            problems.append(Problem(entry.file, entry.position, "means", _formula_problem(exc, known)))
    return problems


def _formula_problem(exc: FormulaError, known: dict[str, str], local: Mapping[str, str] | None = None) -> str:
    """A formula's problem; an unknown name with the name it may have meant, and the names the facility gives."""
    message = str(exc)
    if isinstance(exc, UnknownName):
        close = difflib.get_close_matches(exc.name, [*known, *(local or {})], n=1, cutoff=0.75)
        message += (f"; did you mean {close[0]!r}?" if close else "") + \
            f" The names this facility gives: {', '.join(sorted(known))}"
    return message


def _check_other_formulas(agreement: Agreement, definitions: list[Definition], known: dict[str, str]) -> list[Problem]:
    """The formulas of kinds that define no figure (rates, fee bases, covenant measures), each kind saying which
    (`formula_fields()`); and, first in each clause version, the figures its blocks name outside a formula (the
    commitment a reduction lowers, the figure a springing test reads)."""
    problems: list[Problem] = []
    periods = agreement.vocabulary.period_units()
    figures: dict[str, Collection[str]] = {
        "figures": known, "money_figures": {d.id for d in definitions if d.role == "figure" and d.unit == MONEY}}
    for clause in agreement.clauses.values():
        for version in clause.versions:
            fields: list[FormulaField] = []
            for block in version.terms:
                for reference in _references_of(block):
                    if reference.group in figures:
                        why = _not_given(reference, figures[reference.group])
                        if why:
                            problems.append(Problem(version.file, version.position, reference.field, why))
                fields += _formula_fields_of(block, known, periods)
            for checked in fields:
                try:
                    unit = unit_of(checked.formula, checked.names.get)
                except FormulaError as exc:
                    names = ", ".join(sorted(checked.names)) or "none"
                    problems.append(Problem(version.file, version.position, checked.field,
                                            f"{exc}; the names it may use: {names}"))
                    continue
                if unit == NUMBER and checked.unit == PERCENT and checked.share_is_percent:
                    continue  # a share of one amount in another (usage over the commitment) is a percentage
                if unit not in (checked.unit, ANY):
                    problems.append(Problem(version.file, version.position, checked.field,
                                            f"{checked.formula.text!r} gives {unit}, but {checked.field} is "
                                            f"{checked.unit}"))
                elif unit_problem(checked.formula, checked.unit):  # its unit is settled only now: the one unit rule
                    problems.append(Problem(version.file, version.position, checked.field,
                                            str(unit_problem(checked.formula, checked.unit))))
    return problems


def _formula_fields_of(block: TermsBlock, known: dict[str, str], periods: dict[str, str]) -> list[FormulaField]:
    formula_fields = _method_of(block, "formula_fields")
    return formula_fields(block, known, periods) if formula_fields is not None else []


def _references_of(block: TermsBlock) -> list[Reference]:
    references = _method_of(block, "references")
    return references(block) if references is not None else []


FIGURE_GROUPS = ("figures", "money_figures")  # checked with the formulas: the names they use

# Why a name is not one of a group the agreement gives itself (the vocabulary's groups say why themselves)
NOT_GIVEN = {
    "figures": "unknown figure {name!r}",
    "money_figures": "{name!r} is not a money figure a clause names; a reduction lowers one (a definitions figure, "
                     "like the commitment)",
    "computed_fees": "no computed fee {name!r}; the computed fees: {given}",
    "covenants": "no covenant {name!r}; the covenants: {given}",
}


def _not_given(reference: Reference, given: Collection[str]) -> str | None:
    """Why a name is not one the agreement gives in the reference's group; None when it is."""
    if reference.name in given:
        return None
    return NOT_GIVEN[reference.group].format(name=reference.name, given=", ".join(sorted(given)) or "none")


def _quantities(node: object, found: list | None = None) -> list:
    """Every schedule and step-down inside a block (into one list, not a generator a level: every block of every
    agreement is walked at load)."""
    found = [] if found is None else found
    if isinstance(node, (Schedule, StepDown)):
        found.append(node)
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            _quantities(getattr(node, name), found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _quantities(value, found)
    return found


def _check_event_dates(agreement: Agreement) -> list[Problem]:
    """Each event date a quantity names is an `event_date` clause's id, and each id is defined once."""
    problems: list[Problem] = []
    ids: dict[str, ClauseVersion] = {}
    for version, dated in agreement.all_terms(EventDate):
        if dated.id in ids and ids[dated.id].clause_id != version.clause_id:
            problems.append(Problem(version.file, version.position, f"{dated.id}.id",
                                    f"the event date {dated.id!r} is also defined by {ids[dated.id].clause_id}"))
        ids.setdefault(dated.id, version)
    for clause in agreement.clauses.values():
        for version in clause.versions:
            for term in version.terms:
                for quantity in _quantities(term):
                    for name in event_dates_named(quantity):
                        if name not in ids:
                            problems.append(Problem(version.file, version.position, term.kind,
                                                    f"{name!r} is neither a date nor an event date of this facility "
                                                    f"(event_date clauses define: {', '.join(sorted(ids)) or 'none'})"))
    return problems


def _check_references(agreement: Agreement) -> list[Problem]:
    """The names each kind refers to (`references()`): declared in the vocabulary, and what the reference requires
    (a revolving tranche, a rating); or one of the agreement's computed fees or covenants. The figures a block names
    are checked with the formulas."""
    vocabulary = agreement.vocabulary
    problems: list[Problem] = _check_event_dates(agreement)
    blocks = {"computed_fees": {b.id for _, b in agreement.all_terms(ComputedFee)},
              "covenants": {b.id for _, b in agreement.all_terms(Covenant)}}
    for clause in agreement.clauses.values():
        for version in clause.versions:
            for block in version.terms:
                for reference in _references_of(block):
                    if reference.group in FIGURE_GROUPS:
                        continue
                    if reference.group in blocks:
                        why = _not_given(reference, blocks[reference.group])
                    else:
                        why = vocabulary.unknown(reference.group, reference.name) or \
                            _unmet(reference, vocabulary, block.kind)
                    if why:
                        problems.append(Problem(version.file, version.position, reference.field, why))
    return problems


def _unmet(reference: Reference, vocabulary: Vocabulary, kind: str) -> str | None:
    """Why a declared entry is not what the reference requires of it (a revolving tranche, a rating); None when it is
    (or requires nothing)."""
    if reference.requires is None:
        return None
    entry = vocabulary.get(reference.group, reference.name)
    if reference.requires == "revolving" and entry.type != "revolving":
        return f"{reference.name!r} is a term tranche; {kind} is of a revolving one"
    if reference.requires == "rating" and entry.unit != "rating":
        return f"{reference.name!r} is a measure in {entry.unit}, not a rating"
    return None
