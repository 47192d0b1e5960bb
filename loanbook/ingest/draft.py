"""A draft document from a filing, its acceptance into the facility, and its diff with a hand-made document.

`loanbook ingest` writes `drafts/DOC_ID.yaml` (and the cleaned text, `drafts/DOC_ID.txt`) into the facility
folder. No command computes from a draft: the loader reads `documents/` only. The draft is a document as
docs/agreement-format.md describes it (operations with their verbatim text and proposed terms, conditions,
parties), plus what a reviewer needs, under keys `accept` removes: `draft` (where it came from), `clauses`
(every clause found, with its span and every figure of its text with its span), `proposed` (each proposed
terms block with the spans it came from) and `unmapped` (each figure no terms block, condition or recital
used). `loanbook accept DOC_ID` runs the fidelity check on the facility with the draft in it, and writes the
document into `documents/` only if the check passes: every figure used or declared `not_encoded`.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import yaml

from ..agreement.check import LocatedFigure, fidelity_check, located_figures, passed
from ..agreement.glossary import GlossaryEntry, read_glossary
from ..agreement.load import load_agreement
from ..core.errors import InputError, Problem
from ..core.files import read_text
from ..core.yamlio import load_yaml
from . import phrasings  # noqa: F401  (registers the proposers)
from .grammar import heading, slug, snake
from .source import Filing, read_filing
from .structure import Clause, Structure, parse
from .terms import ClauseText, Facility, Proposal, clause_text, conditions, propose

DRAFTS_DIR = "drafts"
DRAFT_ONLY = ("draft", "clauses", "proposed", "unmapped")
_DOC_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
_AS_OF = re.compile(r"\b(?:dated|entered\s+into|made)\s+(?:and\s+entered\s+into\s+)?as\s+of\s+")
_NUMBER = re.compile(r"\bNo\.\s*(\d{1,3})\b")
_LIST_GAP = re.compile(r",?\s+(?:and\s+)?|,\s*")
_NUMBERED = re.compile(r"\b(?P<kind>Amendment|Modification)s?\s+Nos\.\s*(?P<first>\d+)\s+(?:through|to)\s+"
                       r"(?P<last>\d+)")
_DATED = re.compile(r"\bdated\s+(?:as\s+of\s+)?$")
_RECITED = re.compile(r"(?P<what>(?:[A-Z][\w&'’-]*\s+(?:(?:[A-Z][\w&'’-]*|and|of)\s+){0,5})?"
                      r"(?:Agreement|Amendments?|Guarant(?:y|ies)|Notes?|[Ll]etters?))\b")


@dataclass
class Draft:
    doc_id: str
    text: str  # the cleaned filing text: documents/DOC_ID.txt once accepted
    document: dict  # the draft's YAML, draft-only keys included
    operations: list[dict] = field(default_factory=list)


def ingest(file: Path, facility_dir: Path, doc_id: str | None) -> Draft:
    """The draft of `file` for the facility at `facility_dir` (which may not exist yet)."""
    if facility_dir.exists() and not facility_dir.is_dir():
        raise InputError([Problem(str(facility_dir), None, "--facility", "not a folder: a facility is a folder")])
    filing = read_filing(file)
    doc_id = doc_id or slug(file.stem)
    if not _DOC_ID.fullmatch(doc_id):
        raise InputError([Problem(str(file), None, "--id", f"a document id is lower case letters, digits, '.', '-' "
                                                           f"or '_', got {doc_id!r}")])
    facility_yaml, glossary = _facility_yaml(facility_dir)
    return build(filing, doc_id, facility_yaml, glossary)


def _facility_yaml(facility_dir: Path) -> tuple[dict, tuple[GlossaryEntry, ...]]:
    """The facility's facility.yaml as YAML (read by the project's strict reader), or {} for a new folder, and its
    glossary (refused, by line and field, as the loader refuses it)."""
    path = facility_dir / "facility.yaml"
    if not path.exists():
        return {}, ()
    located = load_yaml(path)
    loaded = located.data
    return (loaded, read_glossary(located, str(path))) if isinstance(loaded, dict) else ({}, ())


def build(filing: Filing, doc_id: str, facility_yaml: dict, glossary: tuple[GlossaryEntry, ...] = ()) -> Draft:
    text = filing.text
    structure = parse(text, doc_id)
    preamble = next((c for c in structure.clauses if c.level == "preamble"), None)
    opening = text[preamble.start:preamble.end] if preamble else text[:2000]
    as_of, as_of_span = _as_of(opening, preamble.start if preamble else 0)
    defined = frozenset(snake(c.title) for c in structure.clauses if c.level == "definition")
    facility = Facility(facility_yaml.get("vocabulary") or {}, list(facility_yaml.get("interpretations") or []),
                        list(facility_yaml.get("parties") or []), doc_id, as_of, defined, text, glossary)
    prior = {c.get("id"): c.get("title") for c in facility_yaml.get("clauses_before_record") or []
             if isinstance(c, dict)}
    parts = {c.id: c.title for c in structure.clauses if c.level == "part"}

    operations: list[dict] = []
    proposed: list[dict] = []
    condition_rows: list[dict] = []
    clause_rows: list[dict] = []
    used: list[tuple[int, int]] = [as_of_span] if as_of_span else []
    for clause in structure.clauses:
        clause = _as_recorded(clause, prior)
        piece = _piece(text, clause, prior, parts)
        found = propose(piece, facility) if clause.level != "preamble" else []
        for condition in conditions(piece, facility):
            condition_rows.append({"id": condition.id, "clause": _said_of(clause), "text": condition.text,
                                   "satisfied_by": condition.satisfied_by})
            used += condition.spans
        clause_rows.append(_clause_row(clause, piece))
        if clause.operation is None and not found:
            continue
        operation = _operation(clause, piece, found, prior, structure, doc_id)
        operations.append(operation)
        for proposal in found:
            row = {"clause": operation["clause"], "kind": proposal.block["kind"],
                   "spans": [list(s) for s in proposal.spans]}
            if proposal.glossary:  # a reading no filing states: the reviewer's, with its reason
                row["glossary"] = [{"words": e.words, "means": e.means.text, "why": e.why} for e in proposal.glossary]
            proposed.append(row)
            used += proposal.spans
    recitals, recital_spans = _recitals(text, structure, as_of_span)
    used += recital_spans
    unmapped = [dict(figure, clause=row["id"]) for row in clause_rows for figure in row["figures"]
                if not any(s <= figure["span"][0] and figure["span"][1] <= e for s, e in used)]

    number = _NUMBER.search(structure.title)
    document: dict = {
        "draft": {"source": Path(filing.path).name, "form": filing.form,
                  "sha256": hashlib.sha256(text.encode()).hexdigest(),
                  "note": f"a draft: no command computes from it until `loanbook accept {doc_id}`"},
        "id": doc_id, "kind": structure.kind}
    if number and structure.kind == "amendment":
        document["number"] = int(number.group(1))
    document["title"] = structure.title or doc_id
    if as_of is not None:
        document["as_of"] = as_of
        document["effective"] = as_of
    document["text_file"] = f"{doc_id}.txt"
    document["source"] = Path(filing.path).name
    parties = _parties(opening + text[structure.body_end:], facility.parties)
    if parties:
        document["parties"] = parties
    if recitals:
        document["facts"] = [{"statement": f"{r['document']} dated {r['dated'].isoformat()} (recited)",
                              "source": f"{doc_id} ({r['clause']})"} for r in recitals]
    if condition_rows:
        document["conditions"] = condition_rows
    document["operations"] = operations
    document["clauses"] = clause_rows
    document["proposed"] = proposed
    document["unmapped"] = unmapped
    return Draft(doc_id, text, document, operations)


def _as_recorded(clause: Clause, prior: dict) -> Clause:
    """A clause under the id the facility already records it by, where no clause has the id its text gives: a
    definition by the clause before the record titled "Definition of <its term>" (the facility's
    "def.unused-line-fee-percentage" for "Applicable Unused Line Fee Percentage"), a subsection whose section
    heading the excerpt cuts by the one titled "Section <number>(<its letter>) - <its title>" ("(a) Interest
    Rates." is "Section 2.6(a) - Interest Rates"); otherwise the clause as parsed."""
    if clause.id in prior:
        return clause
    if clause.level == "definition":
        said = _words(f"definition of {clause.title}")
        ids = [i for i, title in prior.items() if _words(title) == said]
    elif clause.level == "subsection" and clause.parent is None and clause.title:
        ids = [i for i, title in prior.items() for m in [_RECORDED_SUBSECTION.fullmatch(_words(title))]
               if m and m["letter"] == clause.number.lower() and m["title"] == _words(clause.title)]
    else:
        return clause
    return replace(clause, id=ids[0]) if len(ids) == 1 else clause


_RECORDED_SUBSECTION = re.compile(r"section \d{1,3}(?:\.\d{1,3})*\s?\((?P<letter>[a-z]{1,2})\)\s?[-:\u2013\u2014]?\s?"
                                  r"(?P<title>.+?)\.?")


def _words(title: object) -> str:
    return " ".join(str(title or "").lower().split())


def _piece(text: str, clause: Clause, prior: dict, parts: dict[str, str]) -> ClauseText:
    """The text proposers read: an operation's quoted new clause, else the clause's own text."""
    part_title = parts.get(clause.parent or "", "")
    if clause.quoted is not None:
        start, end = clause.quoted
        first = heading(text[start:end].split("\n", 1)[0].strip())
        title = first.title if first is not None and first.level == "section" else prior.get(clause.target) or ""
        return clause_text(clause.target or clause.id, title, text[start:end], start, part_title)
    return clause_text(clause.id, clause.title, text[clause.start:clause.end], clause.start, part_title)


def _clause_row(clause: Clause, piece: ClauseText) -> dict:
    row: dict = {"id": clause.id, "level": clause.level}
    if clause.title:
        row["title"] = clause.title
    if clause.parent:
        row["parent"] = clause.parent
    row["span"] = [clause.start, clause.end]
    if clause.operation:
        row["operation"] = {"op": clause.operation, "clause": clause.target, "said": clause.said}
    row["figures"] = [_figure_row(f, piece.base) for f in piece.figures]
    return row


def _figure_row(located: LocatedFigure, base: int) -> dict:
    figure = located.figure
    value = figure.value
    shown = value.isoformat() if isinstance(value, date) else (None if value is None else str(value))
    return {"written": figure.written, "kind": figure.kind, "value": shown,
            "span": [base + located.start, base + located.end]}


def _operation(clause: Clause, piece: ClauseText, found: list[Proposal], prior: dict, structure: Structure,
               doc_id: str) -> dict:
    said = _said_of(clause)
    if clause.operation is not None:
        operation: dict = {"op": clause.operation, "clause": clause.target}
        operation["title"] = prior.get(clause.target) or clause.said
        operation["note"] = f"{said} ({clause.said})"
    else:
        restated = structure.kind == "amendment" and not clause.id.startswith(doc_id)  # a conformed copy's clause
        if restated:
            title = clause.title
        else:
            part = piece.part_title or clause.title
            title = f"{structure.title}, {said}" + (f" - {part}" if part else "")
        operation = {"op": "replace" if restated else "insert", "clause": clause.id, "title": title}
    read = list({e.words: e for p in found for e in p.glossary}.values())
    if read:  # kept once accepted: the reading is the facility's glossary's, not the text's
        said_so = "The facility's glossary reads " + "; ".join(f"\"{e.words}\" as {e.means.text}" for e in read)
        operation["note"] = ". ".join(note for note in (operation.get("note"), said_so) if note)
    if clause.operation != "delete":
        operation["text"] = piece.body
    if found:
        operation["terms"] = [p.block for p in found]
    assumptions = [a for p in found for a in p.assumptions]
    if assumptions:
        operation["assumptions"] = list({a["value"]: a for a in assumptions}.values())
    return operation


def _said_of(clause: Clause) -> str:
    m = re.search(r"\.([a-z])-(\d+)$", clause.id)
    if m:
        return f"{m.group(1).upper()}.{m.group(2)}"
    return clause.id


def _as_of(opening: str, base: int) -> tuple[date | None, tuple[int, int] | None]:
    """The document's date: the first date after "dated as of" in its opening paragraph, and its span."""
    m = _AS_OF.search(opening)
    if m is None:
        return None, None
    for located in located_figures(opening[m.end():m.end() + 40]):
        if located.start == 0 and isinstance(located.figure.value, date):
            return located.figure.value, (base + m.end(), base + m.end() + located.end)
    return None, None


def _parties(text: str, parties: list[dict]) -> list[dict]:
    """The facility's parties the opening paragraph or the signature blocks name, with the roles they sign in."""
    flat = " ".join(text.lower().split())
    found = []
    for party in parties:
        name = " ".join(str(party.get("name", "")).lower().split())
        if name and name in flat:
            found += [{"party": party["id"], "role": role} for role in party.get("roles") or []
                      if role in {"debtor", "agent", "lender", "guarantor", "borrower", "parent_borrower"}]
    return found


def _recitals(text: str, structure: Structure, own: tuple[int, int] | None) -> tuple[list[dict], list[tuple[int, int]]]:
    """The documents the filing recites with their dates ("Loan and Security Agreement dated as of December 28,
    1999", "Guaranties dated December 28, 1999"): each date written after "dated", with the nearest document named
    before it, outside the operations' new text. A list of dates ("Amendment Nos. 1 through 9 thereto dated as of
    March 30, 2000, ..., and June 20, 2002, respectively") gives one document each, numbered where the names are."""
    recitals, spans = [], []
    for clause in structure.clauses:
        if clause.operation is not None or clause.level == "part":
            continue
        body = text[clause.start:clause.end]
        dates = [f for f in located_figures(body) if isinstance(f.figure.value, date)]
        n = 0
        while n < len(dates):
            located = dates[n]
            span = (clause.start + located.start, clause.start + located.end)
            if span == own or not _DATED.search(body, 0, located.start):
                n += 1
                continue
            named = list(_RECITED.finditer(body[max(0, located.start - 160):located.start]))
            if not named:
                n += 1
                continue
            listed = [located]
            while n + len(listed) < len(dates) and _LIST_GAP.fullmatch(body, listed[-1].end,
                                                                      dates[n + len(listed)].start):
                listed.append(dates[n + len(listed)])
            what = " ".join(named[-1]["what"].split())
            numbers = _NUMBERED.search(body, max(0, located.start - 200), located.start)
            for k, item in enumerate(listed):
                name = what
                if len(listed) > 1:
                    first = int(numbers["first"]) if numbers and int(numbers["last"]) - int(
                        numbers["first"]) + 1 == len(listed) else None
                    name = f"{numbers['kind']} No. {first + k}" if first is not None and numbers else \
                        f"{what} ({k + 1} of {len(listed)})"
                recitals.append({"document": name, "dated": item.figure.value, "clause": _said_of(clause)})
                spans.append((clause.start + item.start, clause.start + item.end))
            n += len(listed)
    return recitals, spans


# --- writing, accepting, comparing ---------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # a date written twice is written twice, never as &id001 / *id001
        return True


def _text_block(dumper: yaml.SafeDumper, value: str):
    """Clause text as a literal block; a date the strict reader gave back as text (accept reads the draft with it)
    written plain again, as a person writes a date in a facility file."""
    if _ISO_DATE.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value)
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text_block)


def dump(document: dict) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


def write_draft(draft: Draft, facility_dir: Path) -> Path:
    """Writes drafts/DOC_ID.yaml and drafts/DOC_ID.txt (and a scaffold facility.yaml where the folder is new);
    every file is written whole, beside its place, then moved there."""
    if not (facility_dir / "facility.yaml").exists():
        _write(facility_dir / "facility.yaml", "# A scaffold written by `loanbook ingest`: declare the parties, the "
               "lenders and the vocabulary (docs/agreement-format.md)\n# before accepting a draft; ingest again "
               "then, and the draft's terms can name them.\n" + dump(scaffold(facility_dir.name, draft)))
    drafts = facility_dir / DRAFTS_DIR
    _write(drafts / f"{draft.doc_id}.txt", draft.text)
    path = drafts / f"{draft.doc_id}.yaml"
    _write(path, f"# A draft written by `loanbook ingest`: review it, then `loanbook accept {draft.doc_id} "
                 f"--facility {facility_dir}`.\n" + dump(draft.document))
    return path


def scaffold(name: str, draft: Draft) -> dict:
    """A facility.yaml for a new folder: the parties the opening paragraph names, with the roles it gives them;
    the vocabulary is the reviewer's to declare."""
    as_of = draft.document.get("as_of")
    end = date(as_of.year + 1, 12, 31) if isinstance(as_of, date) else date.today().replace(month=12, day=31)
    preamble = next((c for c in draft.document["clauses"] if c["level"] == "preamble"), None)
    opening = draft.text[preamble["span"][0]:preamble["span"][1]] if preamble else ""
    return {"id": re.sub(r"[^A-Za-z0-9._-]", "-", name) or "facility", "name": draft.document.get("title") or name,
            "record_end": end, "parties": named_parties(opening), "lenders": [],
            "vocabulary": {"tranches": [], "collateral": [], "contingents": [], "documents": [], "indices": [],
                           "measures": []}}


_PARTY = re.compile(r"(?P<name>(?:[A-Z][\w.,&'-]*\s+){0,7}[A-Z][\w.&'-]*)\s*,?\s*(?:as\s+(?P<as>[A-Z]\w+)\s*)?"
                    r"\(\s*(?:the\s+)?[\"“](?P<short>[^\"”]{1,40})[\"”](?:\s+or\s+[\"“](?P<alias>[^\"”]{1,40})[\"”])?\s*\)"
                    r"(?:\s*,?\s*as\s+(?P<after>lenders?|agent|borrowers?|guarantors?)\b)?")
_ROLES = {"debtor": "debtor", "borrower": "borrower", "borrowers": "borrower", "agent": "agent", "lender": "lender",
          "lenders": "lender", "guarantor": "guarantor", "guarantors": "guarantor"}


def named_parties(opening: str) -> list[dict]:
    """The parties an opening paragraph names in capitals with a short name in quotes ("IEC ELECTRONICS CORP.
    ("IEC" or "Debtor")", "HSBC BANK USA, as Agent ("Agent")"), with the roles it gives them (one party named
    twice, as agent and as a lender, is one party with both roles)."""
    flat = " ".join(opening.split())
    parties: dict[str, dict] = {}
    for m in _PARTY.finditer(flat):
        name = m["name"].strip(" ,")
        if len(name.split()) < 2 and not name.isupper() or re.search(r"\b(?:amendment|agreement)\b", name, re.I):
            continue
        party = parties.setdefault(name, {"id": slug(m["short"] if m["short"].lower() not in _ROLES else name),
                                          "name": name, "roles": []})
        for word in (m["as"], m["short"], m["alias"], m["after"]):
            role = _ROLES.get((word or "").lower())
            if role and role not in party["roles"]:
                party["roles"].append(role)
    return list(parties.values())


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class AcceptRefused(Exception):
    """The draft fails the fidelity check: nothing was written."""

    def __init__(self, differences: list[str]):
        self.differences = differences
        super().__init__(f"{len(differences)} difference(s); first: {differences[0]}")


def accepted_document(draft_yaml: dict) -> dict:
    return {key: value for key, value in draft_yaml.items() if key not in DRAFT_ONLY}


def accept(doc_id: str, facility_dir: Path) -> Path:
    """The draft checked with the facility and moved into documents/; refused, with every difference, when the
    check finds one (resolve each in the draft: correct the terms, or declare the figure `not_encoded`)."""
    draft_path = facility_dir / DRAFTS_DIR / f"{doc_id}.yaml"
    text_path = facility_dir / DRAFTS_DIR / f"{doc_id}.txt"
    if not draft_path.exists():
        raise InputError([Problem(str(draft_path), None, None, f"no draft {doc_id!r}: run `loanbook ingest FILE "
                                                               f"--facility {facility_dir} --id {doc_id}` first")])
    target = facility_dir / "documents" / f"{doc_id}.yaml"
    if target.exists():
        raise InputError([Problem(str(target), None, None, f"the facility already has a document {doc_id!r}")])
    loaded = load_yaml(draft_path).data
    if not isinstance(loaded, dict):
        raise InputError([Problem(str(draft_path), None, None, "not a draft document (a YAML mapping)")])
    document = dump(accepted_document(loaded))
    text = read_text(text_path)
    with tempfile.TemporaryDirectory() as scratch:
        trial = Path(scratch) / facility_dir.name
        shutil.copytree(facility_dir, trial, ignore=shutil.ignore_patterns(DRAFTS_DIR))
        (trial / "documents").mkdir(exist_ok=True)
        (trial / "documents" / f"{doc_id}.yaml").write_text(document, encoding="utf-8")
        (trial / "documents" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        try:
            findings = fidelity_check(load_agreement(trial))
        except InputError as exc:  # named as the facility's files, not the trial copy's
            raise InputError([replace(p, file=p.file.replace(str(trial), str(facility_dir)))
                              for p in exc.problems]) from None
    if not passed(findings):
        raise AcceptRefused([f"{f.clause}: {f.message}" for f in findings if f.severity == "difference"])
    _write(facility_dir / "documents" / f"{doc_id}.txt", text)
    _write(target, document)
    draft_path.unlink()
    text_path.unlink()
    return target


def diff_with_hand_made(draft: Draft, facility_dir: Path) -> list[str]:
    """The draft beside the facility's documents/DOC_ID.yaml (refused, naming it, when there is none)."""
    path = facility_dir / "documents" / f"{draft.doc_id}.yaml"
    if not path.exists():
        raise InputError([Problem(str(path), None, "--diff", f"no hand-made document {draft.doc_id!r} to compare "
                                                             "the draft with")])
    hand_made = load_yaml(path).data
    return diff(draft, hand_made if isinstance(hand_made, dict) else {})


def diff(draft: Draft, hand_made: dict) -> list[str]:
    """The draft beside the hand-made document of the same id: clause by clause, then term by term."""
    lines: list[str] = []
    mine = {op["clause"]: op for op in draft.operations}
    theirs = {op["clause"]: op for op in hand_made.get("operations") or []}
    for clause in list(theirs) + [c for c in mine if c not in theirs]:
        a, b = mine.get(clause), theirs.get(clause)
        if a is None:
            lines.append(f"- {clause}: in the hand-made document only")
            continue
        if b is None:
            lines.append(f"+ {clause}: in the draft only ({len(a.get('terms') or [])} terms block(s))")
            continue
        same_text = same_words(a.get("text"), b.get("text"))
        lines.append(f"  {clause}: text {'same' if same_text else 'DIFFERS'}")
        kinds_b = [t.get("kind") for t in b.get("terms") or []]
        kinds_a = [t.get("kind") for t in a.get("terms") or []]
        for block in b.get("terms") or []:
            match = next((t for t in a.get("terms") or [] if same_terms(t, block)), None)
            verdict = "same" if match else "differs" if block.get("kind") in kinds_a else "missing"
            lines.append(f"    {block.get('kind')}: {verdict}")
        for kind in kinds_a:
            if kind not in kinds_b:
                lines.append(f"    {kind}: in the draft only")
    return lines


def same_words(a: str | None, b: str | None) -> bool:
    """Two clause texts are the same spacing and line-end hyphenation aside."""
    def words(s: str | None) -> str:
        return re.sub(r"-\s+", "-", " ".join((s or "").split()))
    return words(a) == words(b)


_PROSE = {"label", "obligation", "title", "note", "reason"}


def same_terms(a: object, b: object) -> bool:
    """Two terms blocks are the same in every field but prose (labels, obligations' wording): numbers, dates, names
    and formulas equal, spacing aside."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = (set(a) | set(b)) - _PROSE
        return all(same_terms(a.get(k), b.get(k)) for k in keys)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_terms(x, y) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()) == " ".join(b.split())
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if a is None or b is None:
        return a == b
    return str(a) == str(b)
