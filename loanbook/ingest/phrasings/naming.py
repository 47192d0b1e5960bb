"""How a long phrase of a filing names an entry of the vocabulary: by the words of its label, not its exact
spelling ("85% of the amount of Eligible Accounts of each US Loan Party owing by Account Debtors that are rated
... Baa3" names the class labelled "Eligible Accounts of US Loan Parties owing by Account Debtors rated Baa3 /
BBB- or higher"), and the name a defined term's figure takes.

A label names a phrase when every word of it that carries meaning is in the phrase (plurals aside), and no other
label of the kind does; a phrase shorter than any label ("Receivables Reserves") names the one label that holds
all its words. Two labels that fit, or none, name nothing: the proposer then proposes nothing.
"""
from __future__ import annotations

import re

from ...agreement.definitions import RESERVED
from ..grammar import snake
from ..terms import Facility, uncited

_STOP = {"a", "an", "the", "of", "and", "or", "by", "to", "in", "on", "at", "with", "under", "for", "from", "each",
         "any", "such", "its", "their", "if", "as", "that", "which", "is", "are", "be", "than", "all", "then",
         "effect", "amount", "aggregate", "outstanding", "principal", "time", "date", "whose", "there", "this",
         "those", "these", "thereof", "hereunder", "hereof"}


def words(text: str) -> set[str]:
    """The words of `text` that carry meaning, singular and lower case ("Parties" -> party); a capital letter
    standing alone is kept ("Line A")."""
    found = set()
    for word in re.findall(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?", text):
        if word.lower() in _STOP and not (len(word) == 1 and word.isupper()):
            continue
        found.add(_singular(word.lower().replace("’", "'").removesuffix("'s")))
    return found


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def named(facility: Facility, kind: str, phrase: str, ignore: frozenset[str] | set[str] = frozenset()) -> dict | None:
    """The one entry of `kind` the phrase names by its label's words (`ignore`d words aside on both sides), or
    None."""
    said = words(phrase) - ignore
    if not said:
        return None
    labelled = [(entry, words(uncited(str(entry.get("label", "")))) - ignore) for entry in facility.entries(kind)]
    within = [entry for entry, label in labelled if label and label <= said]
    if len(within) == 1:
        return within[0]
    if within:  # the label that says the most, when it says all another says and more
        widest = max(within, key=lambda e: len(words(uncited(str(e.get("label", ""))))))
        wide = words(uncited(str(widest.get("label", "")))) - ignore
        if all(words(uncited(str(e.get("label", "")))) - ignore < wide for e in within if e is not widest):
            return widest
        return None
    holding = [entry for entry, label in labelled if said <= label]
    return holding[0] if len(holding) == 1 else None


_LOAN_WORDS = frozenset({"loan", "advance", "note", "indebtedness", "revolving"})


def tranche_named(facility: Facility, phrase: str) -> dict | None:
    """The one tranche the phrase names: its label's words (its parenthesis aside) and the phrase's are the same,
    the words for loans aside ("Line A Notes" and "Line A Loans (revolving)"; "US Revolving Loans" and "US
    Revolving Loans (Swing Loans ... included)", but not "US Swing Loans")."""
    said = words(phrase) - _LOAN_WORDS
    found = [t for t in facility.entries("tranches")
             if words(uncited(str(t.get("label", "")))) - _LOAN_WORDS == said]
    return found[0] if len(found) == 1 else None


def figure_name(name: str) -> str:
    """The figure a defined term gives its formula's readers: its own name, unless the status reports a figure of
    that name itself ("Borrowing Base" is then borrowing_base_total, the total of its lines)."""
    return f"{name}_total" if name in RESERVED else name


def defined_figure(facility: Facility, phrase: str) -> str | None:
    """The figure a phrase names: a term the document defines or a name of the vocabulary (facility.name), its
    articles and "then in effect" aside."""
    cleaned = re.sub(r"^\s*(?:the\s+)?", "", " ".join(phrase.split()), flags=re.I)
    cleaned = re.sub(r"\s+(?:then\s+in\s+effect|at\s+such\s+time|as\s+of\s+such\s+date)\s*$", "", cleaned, flags=re.I)
    name = facility.name(cleaned)
    return figure_name(name) if name else None


def term_name(term: str) -> str:
    return figure_name(snake(term))
