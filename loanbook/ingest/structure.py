"""A filing's structure: its clauses (articles, sections, subsections, schedules and exhibits, an amendment's
parts and paragraphs, definitions), each with its verbatim text and its span in the cleaned text, and an
amendment's operations with the new clause's text.

A clause runs from its heading to the next heading, or to an excerpt's "[...]". Text after a "[...]" that no
heading opens is a piece of a clause the excerpt cuts: a clause of its own (a `passage`), so that its figures are
read. A subsection whose section heading the excerpt cuts takes its section from its own words ("under this
Section 3.1(b)"), else it is named by its title. The text an operation quotes ("... replaced by the
following: "1. Borrowing Capacity ... this Agreement."") is the new clause, read as one piece: headings inside
it belong to it. The signature block (from "Agreed to as of", "IN WITNESS WHEREOF" or the first "By:") ends the
clauses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .grammar import Heading, closing_quote, heading, operation, slug

_SIGNATURES = re.compile(r"^[ \t]*(?:agreed to as of\b|in witness whereof\b|by:\s*/s/|\[signature)", re.I | re.M)
_TITLE_WORDS = re.compile(r"\b(amendment|agreement|modification|waiver|letter)\b", re.I)
_ALONE = re.compile(r"[“\"]|\([a-z]{1,2}\)|\d{1,3}(?:\.\d{1,3})*\.?")
_ELISIONS = {"[...]", "[. . .]", "[\u2026]"}
_LETTERED_SKIP = {"i", "v", "x"}  # (i), (v), (x) open roman lists, not subsections, unless (h), (u), (w) came before


@dataclass
class Clause:
    id: str
    level: str  # preamble | article | annex | section | part | paragraph | subsection | caps | definition | passage
    title: str
    start: int  # text[start:end] is the clause's verbatim text
    end: int
    parent: str | None = None
    operation: str | None = None  # replace | insert | delete: the operation this paragraph states
    target: str | None = None  # the clause it names
    said: str | None = None  # as the text names it
    quoted: tuple[int, int] | None = None  # the new clause's text, where the operation quotes it
    number: str = ""  # the heading's number or letter ("2.1", "b"), as written without its parentheses


@dataclass(frozen=True)
class Structure:
    kind: str  # amendment | loan_agreement
    title: str
    clauses: tuple[Clause, ...]
    body_end: int  # where the signature block begins (len(text) without one)


def document_kind(text: str) -> str:
    opening = text[:3000]
    return "amendment" if re.search(r"\bamendment\b", opening, re.I) and re.search(
        r"\bamend(?:ed|ments?)?\b.{0,200}\b(?:agreement)\b|\bamendment\s+no\b|\bamendment\s+to\b", opening,
        re.I | re.S) else "loan_agreement"


def parse(text: str, doc_id: str) -> Structure:
    kind = document_kind(text)
    signatures = _SIGNATURES.search(text)
    body_end = signatures.start() if signatures else len(text)
    title = _title(text)
    preamble = _preamble(text, body_end, doc_id)
    clauses: list[Clause] = []
    open_by_level: dict[str, Clause] = {}
    last_letter = ""
    pos = 0
    quoted_until = -1
    after_elision = False  # right after an excerpt's "[...]": a subsection is a clause even if its section is cut,
    # and a line no heading opens begins a passage
    preamble_cut = body_end  # an excerpt's first "[...]" ends the preamble
    while pos < body_end:
        line_end = text.find("\n", pos)
        line_end = body_end if line_end == -1 or line_end > body_end else line_end
        line = text[pos:line_end]
        start = pos + len(line) - len(line.lstrip())
        pos = line_end + 1
        if start < quoted_until or not line.strip() or (preamble is not None and start <= preamble.start):
            continue
        if line.strip() in _ELISIONS:  # an excerpt's "[...]": the clause before it ends there
            if not clauses:
                preamble_cut = min(preamble_cut, start)
            elif clauses[-1].end <= clauses[-1].start:
                clauses[-1].end = _trimmed_end(text, clauses[-1].start, start)
            after_elision = True
            for cut in ("section", "subsection"):  # what follows "[...]" may be of another section
                open_by_level.pop(cut, None)
            continue
        # a heading's number or opening quote alone on its line (a converted HTML filing): read with what follows
        following = " ".join(text[pos:pos + 200].split("\n")[:2]) if _ALONE.fullmatch(line.strip()) else ""
        found = heading(f"{line.strip()} {following}".strip())
        clause = None
        if found is not None and _starts_paragraph(text, start) and _opens(
                found, text, start, last_letter, "section" in open_by_level or after_elision,
                bool(clauses) or preamble is not None):
            if found.level == "subsection":
                last_letter = found.number
            clause = _clause(found, start, doc_id, open_by_level, clauses)
        if clause is None and after_elision:  # a piece of a clause whose heading the excerpt cuts
            number = sum(1 for c in clauses if c.level == "passage") + 1
            clause = Clause(f"{doc_id}.passage-{number}", "passage", "", start, start)
        if clause is None:
            continue
        after_elision = False
        if clauses and clauses[-1].end <= clauses[-1].start:
            clauses[-1].end = _trimmed_end(text, clauses[-1].start, start)
        clauses.append(clause)
        if found is not None and found.level == "paragraph" and clause.level != "passage" and kind == "amendment":
            quoted_until = _operation(text, clause, body_end)
    if clauses and clauses[-1].end <= clauses[-1].start:
        clauses[-1].end = _trimmed_end(text, clauses[-1].start, body_end)
    for n, clause in enumerate(clauses):
        clauses[n] = _named_by_itself(text, clause, clauses[:n] + clauses[n + 1:])
    if preamble is not None:
        preamble.end = _trimmed_end(text, preamble.start, min(clauses[0].start if clauses else body_end,
                                                              preamble_cut))
    all_clauses = ([preamble] if preamble else []) + clauses
    return Structure(kind, title, tuple(all_clauses), body_end)


def _opens(found: Heading, text: str, start: int, last_letter: str, in_section: bool, after_first: bool) -> bool:
    """Whether a heading opens a clause where it stands. Not: (i), (v), (x) opening a roman list (unless (h), (u),
    (w) came before), a lettered line outside any section with no title (a list inside a clause), a line in capitals
    on the title page or too short to be a heading."""
    if found.level == "subsection":
        letter = found.number
        if letter in _LETTERED_SKIP and last_letter != chr(ord(letter) - 1):
            return False
        return in_section or bool(found.title)
    if found.level == "caps":
        return after_first and bool(_TITLE_WORDS.search(text[:start])) and len(found.title) >= 4
    return True


_ITSELF = re.compile(r"\bthis\s+Section\s+(?P<section>\d{1,3}(?:\.\d{1,3})*)(?![A-Za-z\d]|\.\d)"
                     r"(?:\s?\((?P<letter>[a-z]{1,2})\))?", re.I)


def _named_by_itself(text: str, clause: Clause, others: list[Clause]) -> Clause:
    """A subsection whose section heading the excerpt cuts, named by the section its own words say it is of: "this
    Section 3.1(b)" in subsection (b), or "this Section 2.1" in any. Where its words name no section so, another
    letter's ("this Section 3.1(c)" in (b)), or two sections, it keeps the name its title gives."""
    if clause.level != "subsection" or clause.parent is not None:
        return clause
    named = {m["section"] for m in _ITSELF.finditer(text, clause.start, clause.end)
             if (m["letter"] or clause.number).lower() == clause.number.lower()}
    if len(named) != 1:
        return clause
    cid = f"section-{named.pop()}{clause.number.lower()}"
    return replace(clause, id=_unique(cid, others) if any(c.id == cid for c in others) else cid)


def _clause(found: Heading, start: int, doc_id: str, open_by_level: dict[str, Clause],
            clauses: list[Clause]) -> Clause | None:
    """The clause a heading opens, its id from its number and its parent (the open article, section or part);
    None for a numbered line that is a list inside a clause."""
    level = found.level
    parent: Clause | None = None
    if level == "article":
        cid = f"article-{found.number.lower()}"
        open_by_level.clear()
    elif level == "annex":
        cid = f"{_annex_kind(found)}-{found.number.lower()}" if found.number else slug(found.title)
        open_by_level.clear()
    elif level == "section":
        cid = "section-" + re.sub(r"[()]", "", found.number).lower()
        parent = open_by_level.get("article")
        for lower in ("section", "subsection", "part", "paragraph", "caps"):
            open_by_level.pop(lower, None)
    elif level == "subsection":
        parent = open_by_level.get("section")
        # a subsection whose section heading the text leaves out (an excerpt) is named by its title, or its letter
        cid = f"{parent.id}{found.number}" if parent else f"{doc_id}.{slug(found.title) or found.number}"
        open_by_level.pop("subsection", None)
    elif level == "part":
        cid = f"{doc_id}.{found.number.lower()}"
        for lower in ("part", "paragraph", "caps", "section", "subsection"):
            open_by_level.pop(lower, None)
    elif level == "caps":
        cid = f"{doc_id}.{slug(found.title)}"
        for lower in ("part", "paragraph", "caps", "section", "subsection"):
            open_by_level.pop(lower, None)
    elif level == "paragraph":
        parent = open_by_level.get("part") or open_by_level.get("caps")
        if parent is None and found.title.isupper():  # "7. FINANCIAL COVENANTS.": a section of one number
            open_by_level.clear()
            cid = f"section-{found.number}"
            clause = Clause(_unique(cid, clauses) if any(c.id == cid for c in clauses) else cid, "section",
                            found.title, start, start, number=found.number)
            open_by_level["section"] = clause
            return clause
        if parent is None:
            return None  # a numbered line outside any part: a list inside a clause, not a clause
        cid = f"{parent.id}-{found.number}"
    else:  # a definition
        cid = "def." + slug(found.title)
        parent = open_by_level.get("section") or open_by_level.get("article")
    if any(c.id == cid for c in clauses):
        cid = _unique(cid, clauses)
    clause = Clause(cid, level, found.title, start, start, parent.id if parent else None, number=found.number)
    if level != "definition" and level != "paragraph":
        open_by_level[level] = clause
    return clause


def _annex_kind(found: Heading) -> str:
    return found.title.split()[0].lower()  # schedule | exhibit | annex | appendix


def _unique(cid: str, clauses: list[Clause]) -> str:
    n = 2
    while any(c.id == f"{cid}-{n}" for c in clauses):
        n += 1
    return f"{cid}-{n}"


def _operation(text: str, clause: Clause, body_end: int) -> int:
    """If the paragraph at `clause` states an operation, note it, with the quoted new text; returns where the
    quotation ends (headings before it belong to the new text), or -1."""
    sentence_end = text.find(":", clause.start, min(body_end, clause.start + 1200))
    head = text[clause.start:sentence_end if sentence_end != -1 else min(body_end, clause.start + 600)]
    found = operation(head)
    if found is None:
        return -1
    clause.operation, clause.target, clause.said = found.op, found.target, found.said
    if sentence_end == -1 or found.op == "delete":
        return -1
    opening = re.compile(r"\s*[\"“]").match(text, sentence_end + 1)
    if opening is None:
        return -1
    quote_at = opening.end() - 1
    close = closing_quote(text, quote_at)
    if close is None or close > body_end:
        return -1
    clause.quoted = (quote_at + 1, close)
    return close


def _starts_paragraph(text: str, start: int) -> bool:
    """A heading opens a paragraph: after a blank line, or after a line that ends a sentence."""
    before = text[:start].rstrip(" \t")
    if not before or before.endswith("\n\n"):
        return True
    previous = before[:-1].rstrip()
    return previous.endswith((".", ":", ";", "\u201d", '"')) or not previous


def _trimmed_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _title(text: str) -> str:
    """The title block: the lines in capitals before the first line of prose ("AMENDMENT NO. 10 TO LOAN AND
    SECURITY AGREEMENT"), or the first line that names an agreement."""
    words: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.isupper() and len(stripped) < 80:
            if re.fullmatch(r"EXHIBIT\s+[\d.A-Z]+", stripped):
                continue
            words.append(stripped)
            continue
        if words:
            break
    title = " ".join(words)
    if not _TITLE_WORDS.search(title):
        m = re.search(r"\b(?:[Tt]his\s+)?((?:[A-Z][A-Za-z.]*\s+){0,4}AMENDMENT\s+TO\s+[A-Z ]+AGREEMENT)\b", text[:4000])
        title = m.group(1) if m else ""
    return title.title().replace(" To ", " to ").replace(" And ", " and ").replace(" Of ", " of ")


def _preamble(text: str, end: int, doc_id: str) -> Clause | None:
    """The opening paragraph (which names the document, its date and its parties): the first paragraph of prose
    after the title block."""
    for m in re.finditer(r"(?m)^[ \t]*(\S.*)$", text[:end]):
        line = m.group(1)
        if line.isupper() or len(line) < 40:
            continue
        start = m.start(1)
        return Clause(f"{doc_id}.preamble", "preamble", "Preamble", start, _trimmed_end(text, start, end))
    return None

