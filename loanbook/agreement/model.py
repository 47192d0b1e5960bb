"""The agreement as amended: documents, clauses and their versions, and what is in force on a date."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel

from ..core.errors import RecordError
from .glossary import GlossaryEntry
from .interpretations import Register
from .kinds import Term, TermsBlock, kind_name
from .vocabulary import Vocabulary

K = TypeVar("K", bound=BaseModel)


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    roles: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True)
class Signatory:
    party: str
    name: str
    title: str
    capacity: str


@dataclass(frozen=True)
class Signature:
    """A line of a form's signature block: the party that signs, in what capacity, and the signer's title (and
    name, where the form or the record gives one; otherwise the line is left blank to be filled in)."""

    party: str
    capacity: str
    title: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Form:
    """The form of a document the agreement asks a party to deliver (a borrowing base certificate, a compliance
    certificate): its title, the statement its signer certifies, and its signature block, as the facility's
    data gives them."""

    id: str
    title: str
    source: str
    certification: str | None = None
    signatures: tuple[Signature, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Condition:
    """A condition of a document (Amendment 10, A.1-A.3) and the event that satisfies it."""

    id: str
    clause: str
    text: str
    satisfied_by_event: str
    satisfied_by_document: str | None = None


@dataclass(frozen=True)
class Fact:
    """Something known about a document from outside its text (a public filing), with its source."""

    statement: str
    source: str


@dataclass(frozen=True)
class Document:
    id: str
    kind: str
    number: int | None
    title: str
    as_of: date
    dated: date | None
    effective: date
    text: str | None
    source: str | None
    parties: tuple[tuple[str, str], ...] = ()
    signatories: tuple[Signatory, ...] = ()
    conditions: tuple[Condition, ...] = ()
    facts: tuple[Fact, ...] = ()
    recital: str | None = None
    file: str = ""
    recorded_at: datetime | None = None  # when it entered the record; a view known before then lacks it
    conditions_gate: str | None = None   # from_satisfaction | retroactive: its operations wait for its conditions
    gate_interpretation: str | None = None  # the interpretation whose reading gave conditions_gate

    @property
    def text_status(self) -> str:
        return "text in record" if self.text is not None else "text not in record"


@dataclass(frozen=True)
class Assumption:
    """A number in the terms that the clause text does not give, and why it is there."""

    value: str
    reason: str


@dataclass(frozen=True)
class NotEncoded:
    """A figure of the clause text that the terms leave out on purpose, and why."""

    text: str
    reason: str


@dataclass(frozen=True)
class ClauseVersion:
    clause_id: str
    title: str
    op: str  # insert | replace | delete
    document_id: str
    effective: date
    text: str | None
    terms: tuple[TermsBlock, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    not_encoded: tuple[NotEncoded, ...] = ()
    interpretations_used: tuple[tuple[str, str], ...] = ()  # (field path, interpretation id)
    source: str | None = None
    note: str | None = None
    file: str = ""
    position: str = ""
    until: date | None = None  # the day the next version (or a deletion) takes effect; None = still in force

    @property
    def in_record(self) -> bool:
        return self.text is not None

    def in_force_on(self, day: date) -> bool:
        return self.op != "delete" and self.effective <= day and (self.until is None or day < self.until)

    def terms_of(self, kind: type[K]) -> tuple[K, ...]:
        return tuple(block for block in self.terms if isinstance(block, kind))


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    versions: tuple[ClauseVersion, ...]
    before_record: str | None = None  # why the clause existed before its first version in the record

    def version_on(self, day: date) -> ClauseVersion | None:
        for version in reversed(self.versions):
            if version.effective <= day:
                return None if version.op == "delete" else version
        return None

    def first_recorded(self) -> date | None:
        return self.versions[0].effective if self.versions else None


@dataclass(frozen=True)
class Lender:
    party: str
    share: Decimal  # percent of every Advance, Term Loan and fee
    assumption: str | None = None


@dataclass(frozen=True)
class Agreement:
    facility_id: str
    name: str
    governing_law: str | None
    parties: tuple[Party, ...]
    lenders: tuple[Lender, ...]
    documents: tuple[Document, ...]
    clauses: dict[str, Clause]
    register: Register
    record_end: date
    vocabulary: Vocabulary
    rate_files: dict = field(default_factory=dict)  # index id -> ShippedSeries from the folder's rate files
    facts: tuple[Fact, ...] = field(default=())
    forms: dict[str, Form] = field(default_factory=dict)  # form id (borrowing_base_certificate ...) -> its form
    glossary: tuple[GlossaryEntry, ...] = ()  # words the filings use undefined, as the reviewer reads them
    fingerprint: str = ""  # a digest of the files the agreement was read from (core/files.py, FacilityFiles)

    @property
    def start(self) -> date | None:
        """The day the agreement first takes effect: the earliest of its documents (None without one)."""
        return min((doc.effective for doc in self.documents), default=None)

    def document(self, document_id: str) -> Document:
        for doc in self.documents:
            if doc.id == document_id:
                return doc
        raise KeyError(document_id)

    def party(self, party_id: str) -> Party:
        for party in self.parties:
            if party.id == party_id:
                return party
        raise KeyError(party_id)

    def clause_on(self, clause_id: str, day: date) -> ClauseVersion:
        """The version of a clause in force on a day, or a RecordError that names the clause and the day."""
        clause = self.clauses.get(clause_id)
        if clause is None:
            raise RecordError(f"no clause {clause_id!r} in the agreement")
        version = clause.version_on(day)
        if version is None:
            first = clause.first_recorded()
            if first is not None and day < first:
                raise RecordError(f"{clause.title} ({clause_id}) before {first} is not in the record "
                                  f"(asked for {day})")
            raise RecordError(f"{clause.title} ({clause_id}) is not in force on {day}: it was deleted")
        return version

    def in_force(self, day: date) -> list[ClauseVersion]:
        return [v for v in (c.version_on(day) for c in self.clauses.values()) if v is not None]

    def terms_on(self, kind: type[K], day: date) -> tuple[ClauseVersion, K]:
        """The one block of a kind of terms in force on a day; no block or two is a RecordError."""
        found = [(v, block) for v in self.in_force(day) for block in v.terms_of(kind)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            where = ", ".join(f"{v.clause_id} ({v.document_id})" for v, _ in found)
            raise RecordError(f"two clauses in force on {day} both give {kind_name(kind)} terms: {where}")
        for clause in self.clauses.values():
            later = [v for v in clause.versions if v.terms_of(kind)]
            if later and day < later[0].effective:
                raise RecordError(f"{clause.title} ({clause.id}) before {later[0].effective} is not in the record "
                                  f"(asked for {day}: its {kind_name(kind)} terms)")
        raise RecordError(f"no clause with {kind_name(kind)} terms is in force on {day}")

    def terms_in_force(self, kind: type[K], day: date) -> list[tuple[ClauseVersion, K]]:
        """Every block of a kind in force on a day (a kind that may appear once per tranche)."""
        return [(v, block) for v in self.in_force(day) for block in v.terms_of(kind)]

    def term_end(self, day: date, tranche: str | None = None) -> date | None:
        """The end of the term in force on a day: of a tranche (its own term, else the facility's), or of the
        facility (its own term, else the last tranche's). None: the agreement states no term."""
        if not self.has_kind(Term):
            return None
        blocks = [b for _, b in self.terms_in_force(Term, day)]
        if not blocks:
            self.terms_on(Term, day)  # raises, naming the clause and why nothing is in force
        chosen = self._terms_for(blocks, tranche)
        return max(b.initial_term_end for b in chosen) if chosen else None

    def last_advance_day(self, day: date, tranche: str) -> date | None:
        """The last day an advance of a tranche may be made under the term in force (None: no term)."""
        if not self.has_kind(Term):
            return None
        blocks = self._terms_for([b for _, b in self.terms_in_force(Term, day)], tranche)
        if not blocks:
            return self.term_end(day, tranche)
        return max(b.initial_term_end - timedelta(days=1 if b.advances == "before_end" else 0) for b in blocks)

    @staticmethod
    def _terms_for(blocks: list[Term], tranche: str | None) -> list[Term]:
        own = [b for b in blocks if tranche is not None and tranche in b.tranches]
        general = [b for b in blocks if not b.tranches]
        return own or general or ([] if tranche is not None else blocks)

    def fee_ids(self) -> list[str]:
        """The names fee payments may give: every fee any clause defines."""
        ids = {getattr(b, "id", None) or getattr(b, "fee", None)
               for c in self.clauses.values() for v in c.versions for b in v.terms
               if b.kind in ("installment_schedule", "computed_fee", "termination_fee", "flat_fee", "issuance_fee")}
        return sorted(i for i in ids if i)

    def has_kind(self, kind: type) -> bool:
        return any(v.terms_of(kind) for c in self.clauses.values() for v in c.versions)

    def all_terms(self, kind: type[K]) -> list[tuple[ClauseVersion, K]]:
        """Every block of a kind in any version, oldest first (for obligations that outlive a version)."""
        return sorted(((v, b) for c in self.clauses.values() for v in c.versions for b in v.terms_of(kind)),
                      key=lambda pair: pair[0].effective)
