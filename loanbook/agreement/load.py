"""Read a facility folder into an Agreement, or refuse it whole with every problem listed.

Layout (docs/agreement-format.md): `facility.yaml` (parties, lenders, interpretation register,
clauses that predate the record), `documents/*.yaml` (one file per document of the chain, with its
amendment operations) and the full text files the documents name.
"""
from __future__ import annotations

from collections.abc import Container
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import Field, ValidationError

from ..core.errors import InputError, Problem
from ..core.files import MAX_YAML_BYTES, FacilityFiles, Folder, relative
from ..core.types import FacilityId, IsoDate, Strict, Text, Timestamp, pydantic_problems
from ..core.yamlio import Located, load_yaml
from .definitions import check_definitions
from .glossary import GlossaryEntryFile, glossary
from .interpretations import Interpretation, Reading, Register, substitute
from .kinds import validate_terms
from .model import (
    Agreement,
    Assumption,
    Clause,
    ClauseVersion,
    Condition,
    Document,
    Fact,
    Form,
    Lender,
    NotEncoded,
    Party,
    Signatory,
    Signature,
)
from .quantity import Rate
from .vocabulary import Vocabulary

FACILITY_FILE = "facility.yaml"
DOCUMENTS_DIR = "documents"


# --- the files' schemas -------------------------------------------------------------------------

class FactFile(Strict):
    statement: str
    source: str


class PartyFile(Strict):
    id: str
    name: str
    roles: tuple[str, ...]
    note: str | None = None


class LenderFile(Strict):
    party: str
    share: Rate
    assumption: str | None = None


class ReadingFile(Strict):
    id: str
    text: str
    value: object = None


class InterpretationFile(Strict):
    id: str
    clause: str
    question: str
    readings: tuple[ReadingFile, ...] = Field(min_length=2)
    in_force: str
    why: str
    resolves: tuple[str, ...] = ()


# The documents `loanbook report` makes whose form a facility may give (docs/reports.md).
FormId = Literal["borrowing_base_certificate", "compliance_certificate"]


class SignatureFile(Strict):
    party: str
    capacity: str
    title: str | None = None
    name: str | None = None


class FormFile(Strict):
    title: str
    source: Text
    certification: Text | None = None
    signatures: tuple[SignatureFile, ...] = ()
    note: Text | None = None


class PriorClauseFile(Strict):
    id: str
    title: str
    note: Text


class FacilityFile(Strict):
    id: FacilityId
    name: str
    governing_law: str | None = None
    record_end: IsoDate
    parties: tuple[PartyFile, ...]
    lenders: tuple[LenderFile, ...]
    vocabulary: Vocabulary
    glossary: tuple[GlossaryEntryFile, ...] = ()
    interpretations: tuple[InterpretationFile, ...] = ()
    clauses_before_record: tuple[PriorClauseFile, ...] = ()
    facts: tuple[FactFile, ...] = ()
    forms: dict[FormId, FormFile] = {}
    illustrative: Text | None = None


class DocPartyFile(Strict):
    party: str
    role: str


class SignatoryFile(Strict):
    party: str
    name: str
    title: str
    capacity: str


class ConditionFile(Strict):
    id: str
    clause: str
    text: str
    satisfied_by: dict[str, str]


class AssumptionFile(Strict):
    value: str
    reason: str


class NotEncodedFile(Strict):
    text: str
    reason: str


class OperationFile(Strict):
    op: Literal["replace", "insert", "delete"]
    clause: str
    title: str | None = None
    effective: IsoDate | None = None
    text: str | None = None
    source: str | None = None
    note: str | None = None
    terms: list[dict] = []
    assumptions: tuple[AssumptionFile, ...] = ()
    not_encoded: tuple[NotEncodedFile, ...] = ()


class DocumentFile(Strict):
    id: str
    kind: Literal["loan_agreement", "amendment", "modification_letter"]
    number: int | None = None
    title: str
    as_of: IsoDate
    dated: IsoDate | None = None
    effective: IsoDate | None = None
    text_file: str | None = None
    source: str | None = None
    recital: str | None = None
    recorded_at: Timestamp | None = None
    parties: tuple[DocPartyFile, ...] = ()
    signatories: tuple[SignatoryFile, ...] = ()
    conditions: tuple[ConditionFile, ...] = ()
    conditions_gate: str | dict[str, str] | None = None
    facts: tuple[FactFile, ...] = ()
    operations: tuple[OperationFile, ...] = ()


_CONDITION_EVENTS = {"amendment_executed", "document_delivered"}


# --- loading ------------------------------------------------------------------------------------

def load_agreement(folder: Path | str | FacilityFiles, choices: dict[str, str] | None = None,
                   known_at: datetime | None = None, *, loaded_before: Container[str] = frozenset()) -> Agreement:
    """Load and validate a facility (a folder, or its files as the store keeps them); `choices` switch
    interpretations (id -> reading id); with `known_at`, the agreement as it was known then: a document
    recorded later (its `recorded_at`) is left out, even if it is dated "as of" an earlier day.
    `loaded_before`: the fingerprints of files this reading code has loaded whole before (a store's kept check
    outcomes, each of an agreement loaded as written, by code of the same digest: gate.code()); the definitions
    of the same files, read the same way, are not checked again: a book of 10,000 spent a quarter of its parsing
    there."""
    if isinstance(folder, FacilityFiles):
        files: FacilityFiles = folder
    else:
        if not Path(folder).is_dir():
            raise InputError([Problem(str(folder), None, None, "no such facility folder")])
        files = Folder(folder)
    problems: list[Problem] = []

    facility_path = files.label(FACILITY_FILE)
    facility = _parse(files, FACILITY_FILE, FacilityFile, problems)
    doc_files: list[tuple[str, Located, DocumentFile]] = []
    names = files.listing(DOCUMENTS_DIR, ".yaml")
    if not names:
        problems.append(Problem(files.label(DOCUMENTS_DIR), None, None, "no documents (*.yaml) found"))
    for rel in names:
        located = _located(files, rel, problems)
        if located is None:
            continue
        parsed = _validate(files.label(rel), located, DocumentFile, problems)
        if parsed is not None:
            doc_files.append((rel, located, parsed))
    if facility is None:
        raise InputError(problems)
    facility_located, facility_file = facility
    if known_at is not None:
        doc_files = [(rel, located, d) for rel, located, d in doc_files
                     if d.recorded_at is None or d.recorded_at <= known_at]

    register = _register(facility_file, facility_located, facility_path, choices or {}, problems)
    party_ids = {p.id for p in facility_file.parties}
    _check_lenders(facility_file, facility_located, facility_path, party_ids, problems)
    _check_forms(facility_file, facility_located, facility_path, party_ids, problems)
    _check_unique(facility_file, facility_located, facility_path, problems)
    words_read = glossary(facility_file.glossary, facility_located, facility_path, problems)

    documents = []
    seen_ids: dict[str, str] = {}
    for rel, located, doc in doc_files:
        if doc.id in seen_ids:
            problems.append(Problem(files.label(rel), f"line {located.line(('id',))}", "id",
                                    f"document id {doc.id!r} is also used by {seen_ids[doc.id]}"))
        seen_ids[doc.id] = files.label(rel)
        documents.append(_document(files, rel, located, doc, party_ids, facility_file.vocabulary, register,
                                   problems))

    documents.sort(key=lambda d: (d.effective, d.number or 0))
    clauses = _clauses([(files.label(rel), located, doc) for rel, located, doc in doc_files], facility_file,
                       register, problems)
    for interpretation in register.items:
        if interpretation.clause not in clauses:
            problems.append(Problem(facility_path, None, "interpretations",
                                    f"{interpretation.id} names clause {interpretation.clause!r}, "
                                    "which no document sets"))
    if problems:
        raise InputError(problems)
    agreement = Agreement(
        facility_id=facility_file.id, name=facility_file.name, governing_law=facility_file.governing_law,
        parties=tuple(Party(p.id, p.name, p.roles, p.note) for p in facility_file.parties),
        lenders=tuple(Lender(lf.party, lf.share, lf.assumption) for lf in facility_file.lenders),
        documents=tuple(documents), clauses=clauses, register=register,
        record_end=facility_file.record_end, vocabulary=facility_file.vocabulary, glossary=words_read,
        facts=tuple(Fact(f.statement, f.source) for f in facility_file.facts),
        forms={form_id: Form(form_id, f.title, f.source, f.certification,
                             tuple(Signature(s.party, s.capacity, s.title, s.name) for s in f.signatures), f.note)
               for form_id, f in facility_file.forms.items()},
    )
    rate_files = _rate_files(files, facility_file.vocabulary)
    fingerprint = files.fingerprint()
    if choices or known_at is not None or fingerprint not in loaded_before:
        problems = check_definitions(agreement)
        if problems:
            raise InputError(problems)
    return replace(agreement, rate_files=rate_files, fingerprint=fingerprint)


def _rate_files(files: FacilityFiles, vocabulary: Vocabulary) -> dict:
    """The rate series of the indices whose series is a file of the facility."""
    from ..market import read_series

    series = {}
    for index in vocabulary.indices:
        if index.file is not None:
            rel = relative("", index.file, what="an index's rate file", file=files.label(FACILITY_FILE),
                           field=f"vocabulary.indices.{index.id}.file")
            label = files.label(rel)
            text = files.read(rel, limit=MAX_YAML_BYTES, what="rate file")
            series[index.id] = read_series(_yaml(files, rel, text).data, label)
    return series


def _check_unique(facility: FacilityFile, located: Located, path: str, problems: list[Problem]) -> None:
    """Ids that something refers to are unique within their list."""
    for field, ids in (("interpretations", [item.id for item in facility.interpretations]),
                       ("clauses_before_record", [item.id for item in facility.clauses_before_record]),
                       ("parties", [item.id for item in facility.parties])):
        seen: set[str] = set()
        for i, item_id in enumerate(ids):
            if item_id in seen:
                problems.append(Problem(str(path), f"line {located.line((field, i))}", f"{field}.id",
                                        f"{item_id!r} is listed twice"))
            seen.add(item_id)


def _located(files: FacilityFiles, rel: str, problems: list[Problem]) -> Located | None:
    try:
        text = files.read(rel, limit=MAX_YAML_BYTES, what="YAML file")
        return _yaml(files, rel, text)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def _yaml(files: FacilityFiles, rel: str, text: str) -> Located:
    """A file's YAML as read: from the store's form of this text where it keeps one (core/yamlform.py), else
    parsed. Either way the data is validated below as it is."""
    if files.forms is not None:
        return files.forms.read(files.label(rel), text, files.digest(rel))
    return load_yaml(Path(files.label(rel)), text=text)


def _validate(path: str, located: Located, schema, problems: list[Problem]):
    if not isinstance(located.data, dict):
        problems.append(Problem(path, None, None, "expected a mapping of fields at the top of the file"))
        return None
    try:
        return schema.model_validate(located.data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, path, located=located))
        return None


def _parse(files: FacilityFiles, rel: str, schema, problems: list[Problem]):
    if not files.exists(rel):
        problems.append(Problem(files.label(rel), None, None, "missing: every facility folder has a facility.yaml"))
        return None
    located = _located(files, rel, problems)
    if located is None:
        return None
    parsed = _validate(files.label(rel), located, schema, problems)
    return None if parsed is None else (located, parsed)


def _register(facility: FacilityFile, located: Located, path: str, choices: dict[str, str],
              problems: list[Problem]) -> Register:
    items = []
    for i, item in enumerate(facility.interpretations):
        reading_ids = [r.id for r in item.readings]
        if item.in_force not in reading_ids:
            position = f"interpretation {item.id} (line {located.line(('interpretations', i))})"
            problems.append(Problem(str(path), position, "in_force",
                                    f"{item.in_force!r} is not one of its readings {reading_ids}"))
            continue
        items.append(Interpretation(item.id, item.clause, item.question,
                                    tuple(Reading(r.id, r.text, r.value) for r in item.readings),
                                    item.in_force, item.why, item.resolves))
    register = Register(tuple(items))
    for interpretation_id, reading_id in choices.items():
        try:
            register = register.choose(interpretation_id, reading_id)
        except KeyError:
            known = {i.id: [r.id for r in i.readings] for i in register.items}
            problems.append(Problem("--reading", None, interpretation_id,
                                    f"no reading {reading_id!r} of {interpretation_id!r} (known: {known})"))
    return register


def _check_lenders(facility: FacilityFile, located: Located, path: str, party_ids: set[str],
                   problems: list[Problem]) -> None:
    for i, lender in enumerate(facility.lenders):
        if lender.party not in party_ids:
            problems.append(Problem(str(path), f"lender {i + 1} (line {located.line(('lenders', i))})", "party",
                                    f"unknown party {lender.party!r}"))
    total = sum((lf.share for lf in facility.lenders), start=Decimal(0))
    if facility.lenders and total != 100:
        problems.append(Problem(str(path), f"line {located.line(('lenders',))}", "lenders",
                                f"shares add up to {total}%, not 100%"))


def _check_forms(facility: FacilityFile, located: Located, path: str, party_ids: set[str],
                 problems: list[Problem]) -> None:
    for form_id, form in facility.forms.items():
        for i, signature in enumerate(form.signatures):
            if signature.party not in party_ids:
                problems.append(Problem(str(path), f"forms.{form_id} signature {i + 1} (line "
                                                   f"{located.line(('forms', form_id, 'signatures', i))})",
                                        "party", f"unknown party {signature.party!r}"))


def _document(files: FacilityFiles, rel: str, located: Located, doc: DocumentFile, party_ids: set[str],
              vocabulary: Vocabulary, register: Register, problems: list[Problem]) -> Document:
    path = files.label(rel)
    text = None
    if doc.text_file:
        position = f"line {located.line(('text_file',))}"
        try:
            text_rel = relative(str(PurePosixPath(rel).parent), doc.text_file, what="text_file", file=path,
                                position=position, field="text_file")
            text = files.read(text_rel, what="document text")
        except InputError as exc:
            problems.extend(p if p.file == path else Problem(path, position, "text_file", f"{p.file}: {p.message}")
                            for p in exc.problems)
    for i, party in enumerate(doc.parties):
        if party.party not in party_ids:
            problems.append(Problem(str(path), f"party {i + 1} (line {located.line(('parties', i))})", "party",
                                    f"unknown party {party.party!r}"))
    for i, signatory in enumerate(doc.signatories):
        if signatory.party not in party_ids:
            problems.append(Problem(str(path), f"signatory {i + 1} (line {located.line(('signatories', i))})",
                                    "party", f"unknown party {signatory.party!r}"))
    conditions = []
    for i, cond in enumerate(doc.conditions):
        event = cond.satisfied_by.get("event")
        if event not in _CONDITION_EVENTS:
            problems.append(Problem(str(path), f"condition {cond.id} (line {located.line(('conditions', i))})",
                                    "satisfied_by.event",
                                    f"expected one of {sorted(_CONDITION_EVENTS)}, got {event!r}"))
        document = cond.satisfied_by.get("document")
        if event == "document_delivered" and vocabulary.unknown("documents", document):
            problems.append(Problem(str(path), f"condition {cond.id} (line {located.line(('conditions', i))})",
                                    "satisfied_by.document", str(vocabulary.unknown("documents", document))))
        conditions.append(Condition(cond.id, cond.clause, cond.text, str(event), document))
    gate, gate_interpretation = _conditions_gate(str(path), located, doc, register, problems)
    return Document(
        id=doc.id, kind=doc.kind, number=doc.number, title=doc.title, as_of=doc.as_of, dated=doc.dated,
        effective=doc.effective or doc.as_of, text=text, source=doc.source,
        parties=tuple((p.party, p.role) for p in doc.parties),
        signatories=tuple(Signatory(s.party, s.name, s.title, s.capacity) for s in doc.signatories),
        conditions=tuple(conditions), facts=tuple(Fact(f.statement, f.source) for f in doc.facts),
        recital=doc.recital, file=str(path), recorded_at=doc.recorded_at,
        conditions_gate=gate, gate_interpretation=gate_interpretation,
    )


_GATES = ("from_satisfaction", "retroactive")


def _conditions_gate(path: str, located: Located, doc: DocumentFile, register: Register,
                     problems: list[Problem]) -> tuple[str | None, str | None]:
    """Whether the document's conditions gate its operations, and how (`from_satisfaction`: in force from the day the
    last condition is met; `retroactive`: once met, from its effective date), and the interpretation that says so
    where the text reads both ways."""
    raw: object = doc.conditions_gate
    if raw is None:
        return None, None
    where = f"line {located.line(('conditions_gate',))}"
    interpretation = None
    if isinstance(raw, dict):
        if set(raw) != {"interpretation"}:
            problems.append(Problem(path, where, "conditions_gate",
                                    f"expected one of {', '.join(_GATES)} or {{interpretation: ID}}"))
            return None, None
        try:
            item = register.get(str(raw["interpretation"]))
        except KeyError:
            problems.append(Problem(path, where, "conditions_gate",
                                    f"refers to interpretation {raw['interpretation']!r}, which the register does "
                                    "not have"))
            return None, None
        interpretation, raw = item.id, item.reading().value
        for reading in item.readings:
            if reading.value not in _GATES:
                problems.append(Problem(path, where, "conditions_gate",
                                        f"reading {reading.id!r} of {item.id} gives {reading.value!r}; a conditions "
                                        f"gate is one of {', '.join(_GATES)}"))
                return None, None
    if raw not in _GATES:
        problems.append(Problem(path, where, "conditions_gate", f"expected one of {', '.join(_GATES)}, got {raw!r}"))
        return None, None
    if not doc.conditions:
        problems.append(Problem(path, where, "conditions_gate", "the document has no conditions to gate it"))
        return None, None
    return str(raw), interpretation


def _terms(path: str, located: Located, index: int, op: OperationFile, register: Register,
           problems: list[Problem]):
    """Validate an operation's terms under the reading in force, and under every other reading too."""
    label = f"operation {index + 1} ({op.clause})"
    base = ("operations", index, "terms")
    try:
        substituted, used = substitute(op.terms, register)
    except KeyError as exc:
        problems.append(Problem(str(path), f"{label} (line {located.line(base)})", "terms",
                                f"refers to interpretation {exc.args[0]!r}, which the register does not have"))
        return (), ()
    try:
        blocks = validate_terms(substituted)
    except ValidationError as exc:
        problems.extend(pydantic_problems(exc, str(path), label=label, located=located, base_path=base,
                                          field_prefix="terms"))
        return (), ()
    for interpretation_id in sorted(set(used.values())):
        interpretation = register.get(interpretation_id)
        for reading in interpretation.readings:
            if reading.id == interpretation.in_force or reading.value is None:
                continue
            alternative, _ = substitute(op.terms, register.choose(interpretation_id, reading.id))
            try:
                validate_terms(alternative)
            except ValidationError as exc:
                for problem in pydantic_problems(exc, str(path), label=label, located=located, base_path=base,
                                                 field_prefix="terms"):
                    problems.append(Problem(problem.file, problem.position, problem.field,
                                            f"under reading {reading.id!r} of {interpretation_id}: {problem.message}"))
    return blocks, tuple(sorted(used.items()))


def _clauses(doc_files, facility: FacilityFile, register: Register, problems: list[Problem]) -> dict[str, Clause]:
    """Turn every document's operations into clause versions, checking each operation is possible."""
    prior = {c.id: c for c in facility.clauses_before_record}
    pending: dict[str, list[tuple[ClauseVersion, str, str]]] = {}
    for path, located, doc in doc_files:
        for i, op in enumerate(doc.operations):
            position = f"operation {i + 1} ({op.clause}) (line {located.line(('operations', i))})"
            if op.op != "delete" and op.text is None and not op.source:
                problems.append(Problem(str(path), position, "source",
                                        "clause text is not in the record: say where the terms come from"))
            if op.op == "delete" and op.terms:
                problems.append(Problem(str(path), position, "terms", "a deletion carries no terms"))
            blocks, used = _terms(path, located, i, op, register, problems)
            title = op.title or (prior[op.clause].title if op.clause in prior else op.clause)
            version = ClauseVersion(
                clause_id=op.clause, title=title, op=op.op, document_id=doc.id,
                effective=op.effective or doc.effective or doc.as_of, text=op.text, terms=tuple(blocks),
                assumptions=tuple(Assumption(a.value, a.reason) for a in op.assumptions),
                not_encoded=tuple(NotEncoded(n.text, n.reason) for n in op.not_encoded),
                interpretations_used=used, source=op.source, note=op.note, file=str(path), position=position)
            pending.setdefault(op.clause, []).append((version, path, position))

    clauses: dict[str, Clause] = {}
    for clause_id, entries in pending.items():
        entries.sort(key=lambda e: e[0].effective)
        exists = clause_id in prior
        previous: ClauseVersion | None = None
        versions: list[ClauseVersion] = []
        for version, path, position in entries:
            if previous is not None and previous.effective == version.effective:
                problems.append(Problem(str(path), position, "effective",
                                        f"overlaps {previous.document_id}: two versions of {clause_id} "
                                        f"take effect on {version.effective}"))
            elif version.op == "insert" and exists:
                problems.append(Problem(str(path), position, "op",
                                        f"inserts {clause_id}, which is already in force on {version.effective}"))
            elif version.op in ("replace", "delete") and not exists:
                problems.append(Problem(str(path), position, "clause",
                                        f"{version.op}s {clause_id}, which does not exist on {version.effective}"))
            exists = version.op != "delete"
            if previous is not None:
                versions[-1] = _with_until(versions[-1], version.effective)
            versions.append(version)
            previous = version
        title = prior[clause_id].title if clause_id in prior else versions[-1].title
        note = prior[clause_id].note if clause_id in prior else None
        clauses[clause_id] = Clause(clause_id, title, tuple(versions), note)
    for clause_id, prior_clause in prior.items():
        if clause_id not in clauses:
            clauses[clause_id] = Clause(clause_id, prior_clause.title, (), prior_clause.note)
    return dict(sorted(clauses.items()))


def _with_until(version: ClauseVersion, until: date) -> ClauseVersion:
    return replace(version, until=until)
