"""Every figure the terms name, where it is defined, and the names each formula uses.

A facility's figures (a borrowing base's lines, reserves and total, availability, the figures a clause
names, like the Maximum Limit) are defined by the clause versions that carry them. This module lists
those definitions, and checks at load time that every formula only names what exists (the vocabulary
or a definition) and that units agree, so that a typo is refused with its file and line.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from pydantic import BaseModel

from ..core.errors import Problem
from .defines import Defines, FormulaCheck
from .formula import ANY, MONEY, NUMBER, PERCENT, Formula, FormulaError, UnknownName, unit_of, unit_problem
from .kinds import (
    Amortization,
    Availability,
    BorrowingBase,
    CashCollateral,
    DeadlineObligation,
    InstallmentSchedule,
    Line,
    NamedFigure,
    Overadvance,
    PricingGrid,
    Reserve,
    Term,
    TermsBlock,
    TriggeredObligation,
)
from .kinds_commitments import CommitmentReduction, EventDate, Prepayments
from .kinds_covenants import Covenant, CovenantWaiver
from .kinds_eligibility import Eligibility
from .kinds_fees import ComputedFee, IssuanceFee, TerminationFee
from .kinds_pricing import DefaultRate, InterestRate, LevelGrid, LevelValues, Reporting
from .model import Agreement, ClauseVersion
from .quantity import Schedule, StepDown, event_dates_named

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
    formulas: tuple[FormulaCheck, ...] = ()  # each formula it holds, with the unit it must give


def definitions_of(version: ClauseVersion) -> list[Definition]:
    """The figures the clause version's blocks define: each kind that defines figures says which (`defines()`)."""
    return [Definition(d.id, d.label, d.unit, d.role, version, block, d.item, d.formulas)
            for block in version.terms for d in _defined_by(block)]


def _defined_by(block) -> list[Defines]:
    defines = getattr(block, "defines", None)
    return defines() if defines is not None else []


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
        for field, formula, wanted, local in d.formulas:
            try:
                unit = unit_of(formula, lambda name, local=local: local.get(name) or known.get(name))  # type: ignore[misc]
            except FormulaError as exc:
                problems.append(Problem(d.version.file, d.version.position, f"{d.id}.{field}",
                                        _formula_problem(exc, known, local)))
                continue
            if unit not in (wanted, ANY):
                problems.append(Problem(d.version.file, d.version.position, f"{d.id}.{field}",
                                        f"{formula.text!r} gives {unit}, but {field} is {wanted}"))
    problems += _check_other_formulas(agreement, known)
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


def _formula_problem(exc: FormulaError, known: dict[str, str], local: dict[str, str] | None = None) -> str:
    """A formula's problem; an unknown name with the name it may have meant, and the names the facility gives."""
    message = str(exc)
    if isinstance(exc, UnknownName):
        close = difflib.get_close_matches(exc.name, [*known, *(local or {})], n=1, cutoff=0.75)
        message += (f"; did you mean {close[0]!r}?" if close else "") + \
            f" The names this facility gives: {', '.join(sorted(known))}"
    return message


def _check_other_formulas(agreement: Agreement, known: dict[str, str]) -> list[Problem]:
    """The formulas of kinds that define no figure: rates, fee bases, covenant measures."""
    problems: list[Problem] = []
    periods = agreement.vocabulary.period_units()
    for clause in agreement.clauses.values():
        for version in clause.versions:
            checks: list[tuple[str, Formula, str, dict[str, str]]] = []
            for block in version.terms:
                if isinstance(block, InterestRate):
                    if block.rate is not None:
                        checks.append((f"interest_rate.{block.tranche}.rate", block.rate, PERCENT, known))
                    checks += [(f"interest_rate.{block.tranche}.greatest_of[{i}].rate", prong.rate, PERCENT, known)
                               for i, prong in enumerate(block.greatest_of)]
                    if block.plus is not None:
                        checks.append((f"interest_rate.{block.tranche}.plus", block.plus, PERCENT, known))
                elif isinstance(block, DefaultRate) and block.rate is not None:
                    checks.append(("default_rate.rate", block.rate, PERCENT, known))
                elif isinstance(block, ComputedFee):
                    checks += [(f"{block.id}.base", block.base, MONEY, known),
                               (f"{block.id}.rate", block.rate, PERCENT, known)]
                elif isinstance(block, TerminationFee):
                    checks.append((f"{block.id}.of", block.of, MONEY, known))
                elif isinstance(block, CommitmentReduction):
                    if block.commitment not in {d.id for d in all_definitions(agreement)
                                                if d.role == "figure" and d.unit == MONEY}:
                        problems.append(Problem(version.file, version.position, "commitment_reduction.commitment",
                                                f"{block.commitment!r} is not a money figure a clause names; a "
                                                "reduction lowers one (a definitions figure, like the commitment)"))
                    if block.floor is not None:
                        checks.append(("commitment_reduction.floor", block.floor, MONEY, known))
                elif isinstance(block, IssuanceFee):
                    checks.append((f"{block.id}.rate", block.rate, PERCENT, known))
                elif isinstance(block, Term) and isinstance(block.after_maturity, Formula):
                    checks.append(("term.after_maturity", block.after_maturity, PERCENT, known))
                elif isinstance(block, LevelGrid) and block.key is not None:
                    # a key read each day has no certificate: only the engine's figures
                    names = known if block.takes_effect == "daily" else {**known, **periods}
                    checks.append((f"{block.id}.key", block.key, block.unit, names))
                elif isinstance(block, Covenant):
                    checks.append((f"{block.id}.measure", block.measure, block.unit, {**known, **periods}))
                    if block.applies_while is not None:
                        checks.append((f"{block.id}.applies_while.below", block.applies_while.below,
                                       known.get(block.applies_while.figure, MONEY), known))
                        if block.applies_while.figure not in known:
                            problems.append(Problem(version.file, version.position, f"{block.id}.applies_while",
                                                    f"unknown figure {block.applies_while.figure!r}"))
            for field, formula, wanted, names in checks:
                try:
                    unit = unit_of(formula, lambda name, names=names: names.get(name))  # type: ignore[misc]
                except FormulaError as exc:
                    problems.append(Problem(version.file, version.position, field,
                                            f"{exc}; the names it may use: {', '.join(sorted(names)) or 'none'}"))
                    continue
                if unit == NUMBER and wanted == PERCENT and field.endswith(".key"):
                    continue  # a share of one amount in another (usage over the commitment) is a percentage
                if unit not in (wanted, ANY):
                    problems.append(Problem(version.file, version.position, field,
                                            f"{formula.text!r} gives {unit}, but {field} is {wanted}"))
                elif unit_problem(formula, wanted):  # its unit is settled only now: the one unit rule applies here
                    problems.append(Problem(version.file, version.position, field, str(unit_problem(formula, wanted))))
    return problems


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
    vocabulary = agreement.vocabulary
    problems: list[Problem] = _check_event_dates(agreement)
    covenants = {b.id for _, b in agreement.all_terms(Covenant)}
    computed_fees = {b.id for _, b in agreement.all_terms(ComputedFee)}
    for clause in agreement.clauses.values():
        for version in clause.versions:
            def refer(group: str, name: str, field: str, version: ClauseVersion = version) -> None:
                why = vocabulary.unknown(group, name)
                if why:
                    problems.append(Problem(version.file, version.position, field, why))
            for block in version.terms:
                kind = block.kind
                if isinstance(block, BorrowingBase):
                    for line in block.lines:
                        refer("collateral", line.collateral, f"{line.id}.collateral")
                    for reserve in block.reserves:
                        if reserve.while_undelivered:
                            refer("documents", reserve.while_undelivered.document, f"{reserve.id}.while_undelivered")
                elif isinstance(block, (Availability, Overadvance)):
                    refer("tranches", block.tranche, f"{kind}.tranche")
                    tranche = vocabulary.get("tranches", block.tranche)
                    if tranche is not None and tranche.type != "revolving":
                        problems.append(Problem(version.file, version.position, f"{kind}.tranche",
                                                f"{block.tranche!r} is a term tranche; {kind} is of a revolving one"))
                elif isinstance(block, PricingGrid):
                    for row in block.rows:
                        refer("tranches", row.loan_class, "pricing_grid.rows.loan_class")
                        refer("indices", row.index, "pricing_grid.rows.index")
                elif isinstance(block, (Term, TriggeredObligation)):
                    for name in block.tranches:
                        refer("tranches", name, f"{kind}.tranches")
                elif isinstance(block, (Amortization, Prepayments)):
                    refer("tranches", block.tranche, f"{kind}.tranche")
                elif isinstance(block, EventDate) and block.event == "document_delivered" and block.document:
                    refer("documents", block.document, f"{block.id}.document")
                elif isinstance(block, Eligibility):
                    refer("collateral", block.collateral, "eligibility.collateral")
                elif isinstance(block, DeadlineObligation):
                    for item in block.satisfied_by:
                        refer("documents", item.document, "deadline_obligation.satisfied_by.document")
                elif isinstance(block, InstallmentSchedule):
                    for waiver in block.waivers:
                        for document in getattr(waiver, "documents", ()):
                            refer("documents", document, "installment_schedule.waivers.documents")
                elif isinstance(block, LevelGrid):
                    if block.certificate is not None:
                        refer("documents", block.certificate, f"{block.id}.certificate")
                    if block.measure is not None:
                        refer("measures", block.measure, f"{block.id}.measure")
                    for name in block.ratings.lower_of if block.ratings else ():
                        refer("measures", name, f"{block.id}.ratings.lower_of")
                        measure = vocabulary.get("measures", name)
                        if measure is not None and measure.unit != "rating":
                            problems.append(Problem(version.file, version.position, f"{block.id}.ratings.lower_of",
                                                    f"{name!r} is a measure in {measure.unit}, not a rating"))
                elif isinstance(block, InterestRate):
                    refer("tranches", block.tranche, "interest_rate.tranche")
                elif isinstance(block, DefaultRate):
                    for name in block.tranches:
                        refer("tranches", name, "default_rate.tranches")
                    for name in block.fees:
                        if name not in computed_fees:
                            problems.append(Problem(version.file, version.position, "default_rate.fees",
                                                    f"no computed fee {name!r}; the computed fees: "
                                                    f"{', '.join(sorted(computed_fees)) or 'none'}"))
                elif isinstance(block, Reporting):
                    refer("documents", block.document, f"{block.id}.document")
                elif isinstance(block, Covenant):
                    refer("documents", block.certificate, f"{block.id}.certificate")
                elif isinstance(block, IssuanceFee):
                    for name in block.contingents:
                        refer("contingents", name, f"{block.id}.contingents")
                elif isinstance(block, CashCollateral):
                    for name in block.contingents:
                        refer("contingents", name, "cash_collateral.contingents")
                elif isinstance(block, CovenantWaiver):
                    if block.covenant not in covenants:
                        problems.append(Problem(version.file, version.position, "covenant_waiver.covenant",
                                                f"no covenant {block.covenant!r}; the covenants: "
                                                f"{', '.join(sorted(covenants)) or 'none'}"))
                    if block.condition is not None:
                        refer("documents", block.condition.document, "covenant_waiver.condition.document")
    return problems
