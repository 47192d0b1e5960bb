"""Terms proposed for the phrasings the clause kinds know, each with the spans of the text it came from.

A proposer reads one phrasing ("'X' ... shall be ... up to 85% of the <collateral>", "exceed $300,000 from
<date> to <date>", "<period>   Prime Rate plus 3.5%") and proposes a terms block of one kind. Every name a
block uses is the facility's: a collateral class, a contingent kind, a tranche, an index, a measure or a
document is found by its label in facility.yaml's vocabulary (a document's label may cite the clause it
belongs to: "(Section 10.21)"); a figure the clause defines is named from its defined term ("IEC Borrowing
Capacity" -> iec_borrowing_capacity). Where the register has an interpretation of the clause that settles a
field (a truncated date it resolves, a day basis, the figure an overadvance is measured against), the field
names the interpretation. Words the filing uses but does not define are read as the facility's glossary reads
them (facility.yaml, `glossary`: the reviewer's decision, with its reason), and each block that reads them so cites
the entry. A phrasing with a name the vocabulary, the document and the glossary lack proposes nothing: its figures
are left `unmapped`, never guessed.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..agreement.check import LocatedFigure, located_figures
from ..agreement.glossary import GlossaryEntry, said
from .grammar import snake

Span = tuple[int, int]


@dataclass
class Proposal:
    block: dict  # a terms block, as the document's YAML writes it
    spans: list[Span]  # where it came from, in the filing's cleaned text
    assumptions: list[dict] = field(default_factory=list)
    glossary: list[GlossaryEntry] = field(default_factory=list)  # the entries the block reads words by


@dataclass
class Condition:
    id: str
    text: str
    satisfied_by: dict
    spans: list[Span]


@dataclass
class ClauseText:
    """One clause's text as a proposer sees it: `body` is text[base:base + len(body)]."""
    clause_id: str
    title: str
    body: str
    base: int
    part_title: str  # the title of the amendment part it sits in ("Conditions"), or ""
    figures: list[LocatedFigure]  # spans relative to body

    def span(self, m: re.Match | tuple[int, int]) -> Span:
        start, end = (m.start(), m.end()) if isinstance(m, re.Match) else m
        return (self.base + start, self.base + end)

    def dates_in(self, start: int, end: int) -> list[date]:
        return [f.figure.value for f in self.figures if f.figure.kind == "date" and start <= f.start < end
                and isinstance(f.figure.value, date)]


@dataclass(frozen=True)
class Facility:
    """What proposers may name: the facility's vocabulary and register (facility.yaml, as YAML), the document."""
    vocabulary: dict
    interpretations: list[dict]
    parties: list[dict]
    doc_id: str
    as_of: date | None
    defined: frozenset[str] = frozenset()  # the names of the figures the document defines ("line_cap")
    text: str = ""  # the whole document, for a phrase of one clause about another ("to, but excluding, the X")
    glossary: tuple[GlossaryEntry, ...] = ()  # words used undefined, as the facility reads them
    glossary_read: list[GlossaryEntry] = field(default_factory=list, compare=False, repr=False)  # by a proposer

    def entries(self, kind: str) -> list[dict]:
        return [e for e in self.vocabulary.get(kind) or [] if isinstance(e, dict)]

    def by_label(self, kind: str, words: str) -> dict | None:
        """The entry of `kind` whose label (its parenthesised citation aside) is `words`, case and spacing aside,
        or, failing that, whose label is in `words` or `words` in its label (the longest label first)."""
        said = flat(words)
        entries = self.entries(kind)
        for entry in entries:
            if flat(uncited(str(entry.get("label", "")))) == said:
                return entry
        ranked = sorted(entries, key=lambda e: -len(str(e.get("label", ""))))
        for entry in ranked:
            label = flat(uncited(str(entry.get("label", ""))))
            if label and (label in said or said in label):
                return entry
        return None

    def name(self, words: str) -> str | None:
        """The name a formula uses for `words`: a tranche's or a contingent kind's figure, a collateral class, a
        measure or an index (by its name, or by its label), a figure the document defines, or else the formula
        the glossary reads the very words as (case and spacing aside; noted, for the block to cite it); None if
        none."""
        wanted = snake(words)
        for kind in ("tranches", "contingents", "collateral", "measures", "indices"):
            for entry in self.entries(kind):
                if wanted in (entry.get("figure"), entry.get("id")):
                    return str(entry.get("figure") or entry["id"])
        if wanted in self.defined:
            return wanted
        for kind in ("tranches", "contingents", "collateral", "measures", "indices"):
            for entry in self.entries(kind):
                if flat(uncited(str(entry.get("label", "")))) == flat(words):
                    return str(entry.get("figure") or entry["id"])
        for reading in self.glossary:
            if flat(reading.words) == flat(words):
                self.glossary_read.append(reading)
                return reading.reading()
        return None

    def cited(self, kind: str, clause_said: str) -> list[dict]:
        """The entries whose label cites a clause: "(Section 10.21)", "(A.1)"."""
        return [e for e in self.entries(kind) if re.search(rf"\({re.escape(clause_said)}\)\s*$", str(e.get("label")))]

    def interpretation(self, clause_id: str, accepts: Callable[[object], bool]) -> str | None:
        """The interpretation of the register about `clause_id` whose readings' values all fit a field."""
        for item in self.interpretations:
            values = [r.get("value") for r in item.get("readings") or []]
            if item.get("clause") == clause_id and values and all(accepts(v) for v in values if v is not None):
                return str(item["id"])
        return None

    def resolving(self, clause_id: str, written: str) -> str | None:
        for item in self.interpretations:
            if item.get("clause") == clause_id and written in (item.get("resolves") or []):
                return str(item["id"])
        return None


# words as a label, a defined term or a glossary entry compares them: case, spacing and quotation marks aside (one
# rule: the glossary's, agreement/glossary.py)
flat = said


def uncited(label: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*$", "", label)


def W(phrase: str) -> str:
    """A phrase as a pattern that any spacing and line breaks between its words match."""
    return r"\s+".join(phrase.split())


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def percent(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


QUOTE = r"[\"“'‘’]"
END_QUOTE = r"[\"”'’]"
DEFINED = re.compile(rf"\(\s*(?:each,?\s+|individually,?\s+)?(?:an?\s+|the\s+)?{QUOTE}"
                     rf"(?P<term>[A-Z][^\"”'’]{{1,60}}?){END_QUOTE}")

Proposer = Callable[[ClauseText, Facility], list[Proposal]]
PROPOSERS: list[Proposer] = []
CONDITIONS: list[Callable[[ClauseText, Facility], list[Condition]]] = []


def proposer(function: Proposer) -> Proposer:
    """Registers a proposer of terms (a phrasings module's)."""
    PROPOSERS.append(function)
    return function


def condition_reader(function: Callable[[ClauseText, Facility], list[Condition]]):
    """Registers a reader of an amendment's conditions to effectiveness."""
    CONDITIONS.append(function)
    return function


def propose(clause: ClauseText, facility: Facility) -> list[Proposal]:
    """Every proposer's blocks; each cites the glossary entries its proposer read whose formula it writes."""
    proposals: list[Proposal] = []
    for function in PROPOSERS:
        facility.glossary_read.clear()
        found = function(clause, facility)
        read = list({id(entry): entry for entry in facility.glossary_read}.values())
        for proposal in found:
            proposal.glossary = [entry for entry in read if _writes(proposal.block, entry)]
        proposals += found
    return proposals


def _writes(block: object, entry: GlossaryEntry) -> bool:
    """Whether a block writes every name of the entry's formula (one of no names: whether it writes the formula)."""
    written = " ".join(_texts(block))
    names = entry.means.names
    if not names:
        return " ".join(entry.means.text.split()) in " ".join(written.split())
    return all(re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", written) for name in names)


def _texts(node: object) -> list[str]:
    if isinstance(node, dict):
        return [text for value in node.values() for text in _texts(value)]
    if isinstance(node, (list, tuple)):
        return [text for value in node for text in _texts(value)]
    return [node] if isinstance(node, str) else []


def conditions(clause: ClauseText, facility: Facility) -> list[Condition]:
    found: list[Condition] = []
    for function in CONDITIONS:
        found += function(clause, facility)
    return found


def clause_text(clause_id: str, title: str, body: str, base: int, part_title: str = "") -> ClauseText:
    return ClauseText(clause_id, title, body, base, part_title, located_figures(body))
