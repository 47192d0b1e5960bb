"""The grammar of a filing's headings and of an amendment's operations (pyparsing), one line or sentence at a time.

Headings: `ARTICLE V`, `SCHEDULE A` / `EXHIBIT 10.31`, `Section 2.1 Revolving Loans.` / `10.19. SALE OF ...`,
a lettered part of an amendment (`A. Conditions.`), a numbered paragraph (`1. Debtor shall ...`), a
subsection (`(a) ...`), a heading in capitals on its own line (`BACKGROUND`), a definition (`"X" means ...`).
Operations: which clause (`Item 1 of the Schedule`, `the existing Section 10.19`, `the definition of "Line
Cap"`, `Section 2.3(d)`) and what is done to it (deleted and replaced, amended and restated, added, deleted).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pyparsing as pp

pp.ParserElement.set_default_whitespace_chars(" \t")

_ROMAN = pp.Regex(r"[IVXLC]+(?![A-Za-z])")
_INTEGER = pp.Regex(r"\d{1,3}(?![\d.])")
_REST = pp.Regex(r".*")

ARTICLE = pp.CaselessKeyword("ARTICLE")("keyword") + (_INTEGER | _ROMAN)("number") + pp.Opt(
    pp.Regex(r"[-.:\u2014\u2013]?\s*"))  + _REST("title")
ANNEX = pp.one_of("SCHEDULE EXHIBIT ANNEX APPENDIX", caseless=True, as_keyword=True)("keyword") + pp.Opt(
    pp.Regex(r"[A-Z0-9](?:[A-Z0-9.\-]*[A-Z0-9])?(?![a-z])"))("number") + _REST("title")
_SECTION_NUMBER = pp.Regex(r"\d{1,3}(?:\.\d{1,3})+(?:\([a-z]\))?")
SECTION = pp.Opt(pp.CaselessKeyword("Section") | pp.Literal("§")) + _SECTION_NUMBER("number") + pp.Opt(
    pp.Literal(".")) + pp.Regex(r"[A-Z][^.]{0,150}?\s?\.(?=\s|$)")("title") + _REST("rest")
PART = pp.Regex(r"[A-Z](?=\.)")("letter") + pp.Literal(".") + pp.Regex(
    r"[A-Z][A-Za-z,'&]+(?: [A-Za-z,'&]+){0,8}\.(?=\s|$)")("title") + _REST("rest")
PARAGRAPH = pp.Regex(r"\d{1,2}(?=\.\s)")("number") + pp.Literal(".") + pp.Regex(r"\S.*")("rest")
SUBSECTION = pp.Regex(r"\((?P<letter>[a-z]{1,2})\)(?=\s)")("letter") + pp.Regex(r"\S.*")("rest")
_TITLED = re.compile(r"(?P<title>[A-Z][A-Za-z ,'&-]{2,70}?)\s?\.(?:\s|$)")
CAPS_HEADING = pp.Regex(r"[A-Z][A-Z&',]*(?: [A-Z&',]+){0,4}")("title") + pp.StringEnd()
DEFINITION = pp.Regex(r"[\"“]\s*(?P<term>[A-Z][^\"”\n]{0,100}?)\s*[\"”]\s*(?:\([^)]{0,80}\)\s*)?"
                      r"(?=(?:means|shall mean|has the meaning|shall have the meaning)\b)")

# An operation's target and verb, in a sentence with its spacing made single.
_QUOTED_TERM = pp.Regex(r"[\"“]\s*(?P<term>[^\"”]{1,100}?)\s*[\"”]")
ITEM_TARGET = (pp.CaselessKeyword("Item") + pp.Regex(r"\d{1,3}(?:\s?\([a-z]\))?")("item")
               + pp.CaselessLiteral("of the Schedule"))
SECTION_TARGET = pp.Opt(pp.CaselessLiteral("the existing")) + pp.CaselessKeyword("Section") + pp.Regex(
    r"\d{1,3}(?:\.\d{1,3})*(?:\s?\([a-z0-9]{1,4}\))*")("section")
DEFINITION_TARGET = pp.CaselessLiteral("the definition of") + _QUOTED_TERM("definition")
ANNEX_TARGET = pp.one_of("Schedule Exhibit Annex", caseless=True, as_keyword=True)("annex_kind") + pp.Regex(
    r"[A-Z0-9][A-Z0-9.\-]*")("annex")
TARGET = ITEM_TARGET | DEFINITION_TARGET | SECTION_TARGET | ANNEX_TARGET
_VERBS = [
    ("replace", re.compile(r"\b(?:is|are)\s+(?:hereby\s+)?(?:deleted|amended)\b.{0,80}?\b(?:and|by)\s+(?:replaced|"
                           r"restated)\b", re.I)),
    ("replace", re.compile(r"\b(?:is|are)\s+(?:hereby\s+)?amended\s+and\s+restated\b", re.I)),
    ("insert", re.compile(r"\b(?:is|are)\s+(?:hereby\s+)?(?:added|inserted)\b|\bby\s+(?:adding|inserting)\b", re.I)),
    ("delete", re.compile(r"\b(?:is|are)\s+(?:hereby\s+)?deleted\b", re.I)),
]


@dataclass(frozen=True)
class Heading:
    level: str  # article | annex | section | part | paragraph | subsection | caps | definition
    number: str
    title: str


def heading(line: str) -> Heading | None:
    """What heading `line` (stripped) starts with, if any; the most specific reading first."""
    for level, grammar in (("definition", DEFINITION), ("article", ARTICLE), ("annex", ANNEX),
                           ("section", SECTION), ("part", PART), ("paragraph", PARAGRAPH),
                           ("subsection", SUBSECTION), ("caps", CAPS_HEADING)):
        try:
            found = grammar.parse_string(line, parse_all=False)
        except pp.ParseException:
            continue
        if level == "definition":
            term = re.match(DEFINITION.re.pattern, line)
            return Heading(level, "", " ".join(term["term"].split()) if term else "")
        if level == "annex" and not found.get("number") and not line.isupper():
            continue
        number = found.get("number") or found.get("letter") or ""
        title = (found.get("title") or "").strip().rstrip(".").strip()
        if level in ("paragraph", "subsection"):  # "7. FINANCIAL COVENANTS.", "(c) Default Rate."
            titled = _TITLED.match(found.get("rest") or "")
            title = titled["title"].strip() if titled else ""
        if level == "annex":  # "SCHEDULE A", "EXHIBIT 10.31": the kind of annex leads its title
            title = f"{found['keyword']} {title}".strip()
        return Heading(level, str(number).strip("()"), title)
    return None


@dataclass(frozen=True)
class OperationSentence:
    op: str  # replace | insert | delete
    target: str  # the clause id the operation names
    said: str  # how the text names it ("Item 1 of the Schedule")


def operation(sentence: str) -> OperationSentence | None:
    """The operation a paragraph of an amendment states, if it states one: the first target it names, and the
    first verb after it."""
    flat = " ".join(sentence.split())
    for found, start, end in TARGET.scan_string(flat, max_matches=1):
        verb = next(((op, m) for op, pattern in _VERBS for m in [pattern.search(flat, end)] if m), None)
        if verb is None or verb[1].start() - end > 200:
            return None
        return OperationSentence(verb[0], target_id(found), flat[start:end])
    return None


def target_id(found: pp.ParseResults) -> str:
    """The clause id a target names, as the examples write them: schedule.item-18g, section-10.19,
    section-2.3d, def.line-cap, exhibit-a."""
    if found.get("item"):
        return "schedule.item-" + re.sub(r"[\s()]", "", found["item"]).lower()
    if found.get("definition"):
        return "def." + slug(found["definition"]["term"])
    if found.get("section"):
        return "section-" + re.sub(r"[\s()]", "", found["section"]).lower()
    return f"{found['annex_kind'].lower()}-{found['annex'].lower()}"


def slug(words: str) -> str:
    """A clause id's part from words: "Line Cap" -> line-cap."""
    return "-".join(re.findall(r"[a-z0-9]+", words.lower().replace("'s", "s").replace("’s", "s")))


def snake(words: str) -> str:
    """A figure's or obligation's name from words: "IEC Borrowing Capacity" -> iec_borrowing_capacity."""
    return slug(words).replace("-", "_")


def closing_quote(text: str, start: int) -> int | None:
    """Where the quotation opened at `start` ends: the first closing quote at the end of a line (a period or a
    semicolon before it), past any page break. None when none closes it."""
    for m in re.finditer(r"[\"”][ \t]*(?:\n|$)", text[start + 1:]):
        return start + 1 + m.start()
    return None
