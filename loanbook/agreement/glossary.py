"""The facility's glossary: words a filing uses but does not define, each read as a formula of the facility's
figures, with the reviewer's reason ("US Revolver Commitments" means `maximum_revolver_amount`, because the
schedule of commitments was not filed).

Nothing computes from it: it is not a figure. `loanbook ingest` reads the words as the formula wherever it names a
phrase (ingest/terms.py) and cites the entry beside the block it proposed, so a reading no filing states is the
reviewer's, recorded once with its reason, never the ingester's guess. The loader refuses an entry whose words are
empty or another's, one without a reason, and (with the terms' formulas, agreement/definitions.py) one whose formula
names a figure the facility does not have.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from ..core.errors import InputError, Problem
from ..core.types import Strict, Text, pydantic_problems
from ..core.yamlio import Located
from .formula import Formula, Name
from .quantity import SettledFormula


class GlossaryEntryFile(Strict):
    words: str  # as the filing writes them
    means: SettledFormula  # a formula of the facility's figures; its unit is whatever its names give
    why: Text  # the reviewer's decision, for counsel to see


@dataclass(frozen=True)
class GlossaryEntry:
    words: str
    means: Formula
    why: str
    file: str  # where it is written, for the check of the names its formula uses
    position: str

    def reading(self) -> str:
        """The formula as a phrase's name in another formula: a compound one in parentheses."""
        return self.means.text if isinstance(self.means.tree, Name) else f"({self.means.text})"


def said(words: str) -> str:
    """Words as the glossary compares them: case, spacing and quotation marks aside, nothing else ("US Revolver
    Commitment" is not "US Revolver Commitments")."""
    return " ".join(re.sub(r"[\"“”'‘’]", "", words).lower().split())


def glossary(entries: tuple[GlossaryEntryFile, ...], located: Located, path: str,
             problems: list[Problem]) -> tuple[GlossaryEntry, ...]:
    """The entries as the facility writes them; empty words, words written twice and a missing reason are refused
    by line."""
    found: list[GlossaryEntry] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        position = f"glossary entry {i + 1} (line {located.line(('glossary', i))})"
        key = said(entry.words)
        if not key:
            problems.append(Problem(path, position, "words", "no words: write the words as the filing uses them"))
            continue
        if key in seen:
            problems.append(Problem(path, position, "words", f"{entry.words!r} is already glossary entry "
                                                             f"{seen[key] + 1}: one reading for one set of words"))
            continue
        seen[key] = i
        if not entry.why.strip():
            problems.append(Problem(path, position, "why", "no reason: say why the words mean the formula (the "
                                                           "reviewer's decision, which counsel reads)"))
            continue
        found.append(GlossaryEntry(" ".join(entry.words.split()), entry.means, entry.why, path, position))
    return tuple(found)


class _GlossaryAlone(Strict):
    glossary: tuple[GlossaryEntryFile, ...] = ()


def read_glossary(located: Located, path: str) -> tuple[GlossaryEntry, ...]:
    """A facility.yaml's glossary read alone, as `loanbook ingest` reads it (the rest of a scaffold may not be
    declared yet); refused whole, every problem named by line and field, as the loader refuses it."""
    data = located.data if isinstance(located.data, dict) else {}
    problems: list[Problem] = []
    try:
        entries = _GlossaryAlone.model_validate({"glossary": data.get("glossary") or ()}).glossary
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, path, located=located)) from None
    found = glossary(entries, located, path, problems)
    if problems:
        raise InputError(problems)
    return found
