"""The fidelity check: the terms say what the text says, and exactly one version is in force each day.

Every amount, percentage (basis points and fractions of 1% included), ratio, threshold, day count, count,
day basis, figure of a table and date in a clause's text, in digits or in words, must be used by its terms,
or be declared `not_encoded` with a reason (so a folder can be honest about what it leaves out and still
pass); every number in the terms must appear in the text, be declared an assumption with a reason, or come
from an interpretation of the register. A clause whose text defines a computed figure but that carries no
terms is a difference. A sweep over every day from a clause's first version to the end of the record finds
gaps and overlaps, of versions and of the dated schedules inside their terms.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from pydantic import BaseModel

from ..core.dates import parse_iso_date
from ..core.periods import period_ends
from .formula import BinOp, Call, Formula, Neg, Node, Num
from .kinds import BorrowingBase, PricingGrid
from .kinds_covenants import Covenant
from .kinds_eligibility import Eligibility
from .kinds_pricing import LevelGrid
from .model import Agreement, Clause, ClauseVersion
from .quantity import Schedule, StepDown

MONTHS = ("january february march april may june july august september october november december").split()
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"

# Numbers written in words, up to 999: "five", "forty-five", "one hundred twenty", "two hundred and fifty".
_UNITS = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUES = {word: i + 1 for i, word in enumerate(_UNITS + _TEENS)} | {word: 20 + 10 * i for i, word in
                                                                         enumerate(_TENS)}
_UNIT = "(?:" + "|".join(_UNITS) + ")"
_BELOW_100 = f"(?:(?:{'|'.join(_TENS)})(?:[- ]{_UNIT})?|{'|'.join(_TEENS)}|{_UNIT})"
_WORDS = rf"\b(?:{_UNIT}\s+hundred(?:\s+(?:and\s+)?{_BELOW_100})?|{_BELOW_100})\b"
# A number before a unit: in words, in words with its digits ("ninety (90)"), or in digits (a closing
# parenthesis allowed: "(90) days").
_SPELLED = rf"(?P<words>{_WORDS})(?:\s*\((?P<digits>\d{{1,4}})\))?"
_NUMBER = rf"(?:{_SPELLED}|(?<![\d.,])(?P<figure>\d+(?:\.\d+)?)\)?)"

_DATE = re.compile(_MONTH + r"\s+(\d{1,2}),\s+(\d{4})(?!\d)")
# A date written out as a day of a month, as signature blocks do: "1st DAY OF OCTOBER, 2002", "15th day of May 2003".
_DAY_OF_MONTH = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\s+day\s+of\s+" + _MONTH + r",?\s+(\d{4})(?!\d)", re.I)
_TRUNCATED_DATE = re.compile(_MONTH + r"\s+(\d{1,2}),\s+(\d{1,3})(?![\d,])")
_SHORT_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?![\d/])")
# Day bases: "a year of 360 days", "a 360-day year", "365/366-day year", "365 or 366 day year" (both years of
# actual/actual), and "actual (number of) days elapsed"; read before day counts, which they are not.
_YEAR_OF_DAYS = re.compile(r"\b(?:a\s+)?year\s+of\s+(?P<year>\d{3})(?:\s*(?:/|or)\s*(?P<leap>\d{3}))?\s+days\b", re.I)
_DAY_YEAR = re.compile(r"(?<![\d.])(?P<year>\d{3})(?:-?\s*(?:/|or)\s*(?P<leap>\d{3}))?[-\s]days?[-\s]year\b", re.I)
_ELAPSED = re.compile(r"\bactual\s+(?:number\s+of\s+)?days\s+elapsed\b", re.I)
# Basis points, read as percentages (1 basis point is 0.01%): "50 bps", "50 bp", "fifty (50) basis points".
_BASIS_POINT_FIGURE = re.compile(rf"{_NUMBER}\s*(?:basis\s+points?|bps|bp)\b", re.I)
# Fractions of a percentage, in digits ("1/2 of 1%", "1/16th of one percent", "1 \u2044 2 %") and in words
# ("one-eighth of one percent"): read before percentages, so that "1/2 of 1%" is not also 1%.
_FRACTION = re.compile(r"(?<![\d.])(\d+)\s*[/\u2044]\s*([1-9]\d*)(?:st|nd|rd|th)?"
                       r"(?:\s+of\s+(?:(\d+(?:\.\d+)?)\s?%|(?:one|1)\s+per\s?cent\b)|\s?%)", re.I)
_PARTS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4, "fourths": 4,
          "fifth": 5, "fifths": 5, "eighth": 8, "eighths": 8, "tenth": 10, "tenths": 10, "sixteenth": 16,
          "sixteenths": 16, "hundredth": 100, "hundredths": 100}
_FRACTION_WORDS = re.compile(rf"\b(?P<numerator>{_UNIT}|a)[-\s]+(?P<part>{'|'.join(_PARTS)})\s+of\s+(?:one|1)\s*"
                             r"(?:per\s?cent\b|%)", re.I)
# Percentage points, in digits or words: "0.25 percentage points", "two percentage points".
_POINTS = re.compile(rf"{_NUMBER}\s+percentage\s+points?\b", re.I)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?%")
_AMOUNT = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+|\d+)(\.\d{2})?")
_BARE_AMOUNT = re.compile(r"(?<![\d$.,])(\d{1,3}(?:,\d{3})+)(\.\d{2})?(?![\d,]*\d)")
_RATIO = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?::|to)\s*(1(?:\.0+)?)(?![\d.])")
_THRESHOLD = re.compile(r"(?:[<>≤≥]=?|greater than|less than|at least|not (?:more|less) than|exceeds?|"
                        r"below|above)\s*(?:or equal to\s*)?(\d+\.\d+)(?![\d.])")
# Day counts, in digits or words: "45 days", "twenty days", "five Business Days", "ninety (90) days", "30-day";
# and a number in words with its digits, which is a count where no unit follows: "twelve (12)".
_DAYS = re.compile(rf"{_NUMBER}[-\s]+(?:(?:calendar|business|banking|consecutive)\s+)?days?\b", re.I)
_COUNT = re.compile(rf"(?P<words>{_WORDS})\s*\((?P<digits>\d{{1,4}})\)", re.I)
_BASIS_POINTS = re.compile(r"\bbasis\s+points?\b|\bbps\b", re.I)  # a text that speaks of basis points at all
_DEFINES = re.compile(r"\b(means|shall be)\b.{0,200}?\b(the lesser of|the greater of|the sum of|multiplied by|"
                      r"times|plus|minus|less)\b", re.S)


@dataclass(frozen=True)
class Finding:
    severity: str  # difference | resolved | note
    clause: str
    message: str

    def as_dict(self) -> dict:
        return {"severity": self.severity, "clause": self.clause, "message": self.message}


@dataclass(frozen=True)
class TextFigure:
    kind: str  # amount | percent | number | ratio | days | count | day_basis | date | truncated_date | impossible_date
    value: object  # a Decimal, a date, ACTUAL (a day basis of actual days elapsed), or None (a date not given whole)
    written: str  # as the text writes it (spacing normalised): what a not_encoded declaration may name


ACTUAL = "actual"


@dataclass(frozen=True)
class _Reading:
    """Where a figure is written, and what it is: (kind, value) pairs, two where one phrase gives two figures
    ("a year of 365 or 366 days") or where the words and the digits disagree ("ten (12) days")."""
    start: int
    end: int
    figures: tuple[tuple[str, object], ...]


def _readings(pattern: re.Pattern, figures) -> Callable[[str], Iterator[_Reading]]:
    """A reader of one written form: each match of the pattern, with the figures `figures(match)` gives."""
    def read(text: str) -> Iterator[_Reading]:
        for m in pattern.finditer(text):
            yield _Reading(m.start(), m.end(), tuple(figures(m)))
    return read


def _words_value(words: str) -> Decimal:
    total = 0
    for word in re.split(r"[\s-]+", words.lower()):
        if word == "hundred":
            total *= 100
        elif word != "and":
            total += _WORD_VALUES[word]
    return Decimal(total)


def _spelled(m: re.Match) -> list[Decimal]:
    """The value of a number written in digits, in words, or both ("ninety (90)" is one figure); two values when
    the words and the digits disagree, so that neither passes unseen."""
    found = m.groupdict()
    if found["words"] is None:
        return [Decimal(found["figure"])]
    values = [_words_value(found["words"])]
    if found["digits"] is not None and Decimal(found["digits"]) != values[0]:
        values.append(Decimal(found["digits"]))
    return values


def _date(m: re.Match) -> list[tuple[str, object]]:
    try:
        return [("date", date(int(m.group(3)), MONTHS.index(m.group(1).lower()) + 1, int(m.group(2))))]
    except ValueError:
        return [("impossible_date", None)]


def _day_of_month(m: re.Match) -> list[tuple[str, object]]:
    try:
        return [("date", date(int(m.group(3)), MONTHS.index(m.group(2).lower()) + 1, int(m.group(1))))]
    except ValueError:
        return [("impossible_date", None)]


def _short_date(m: re.Match) -> list[tuple[str, object]]:
    year = int(m.group(3))
    year = year + (2000 if year < 50 else 1900) if year < 100 else year
    try:
        return [("date", date(year, int(m.group(1)), int(m.group(2))))]
    except ValueError:
        return [("impossible_date", None)]


def _years(m: re.Match) -> list[tuple[str, object]]:
    """"a 360-day year" is the year of a day basis; "a year of 365 or 366 days" gives both years of actual/actual."""
    return [("day_basis", Decimal(year)) for year in (m["year"], m["leap"]) if year is not None]


def _fraction(m: re.Match) -> list[tuple[str, object]]:
    """"1/2 of 1%", "1/16th of one percent" and "1/2%" are fractions of a percentage point."""
    of = Decimal(m.group(3)) if m.group(3) else Decimal(1)
    return [("percent", Decimal(m.group(1)) / Decimal(m.group(2)) * of)]


def _fraction_words(m: re.Match) -> list[tuple[str, object]]:
    """"one-eighth of one percent" is 0.125%."""
    numerator = 1 if m["numerator"].lower() == "a" else _WORD_VALUES[m["numerator"].lower()]
    return [("percent", Decimal(numerator) / Decimal(_PARTS[m["part"].lower()]))]


def _amount(m: re.Match) -> list[tuple[str, object]]:
    return [("amount", Decimal(m.group(1).replace(",", "") + (m.group(2) or "")))]


# In order: a later reading of text an earlier one read is dropped. Dates first; day bases before day counts
# ("a year of 360 days" is no notice period); basis points and fractions before percentages ("1/2 of 1%" is not
# also 1%); ratios before thresholds ("at least 1.00 to 1.00" is one ratio); day counts before counts ("ninety
# (90) days"); the cells of tables after all of them (text_figures), so a cell's % or $ is read as anywhere.
_READERS: list[Callable[[str], Iterator[_Reading]]] = [
    _readings(_DATE, _date),
    _readings(_DAY_OF_MONTH, _day_of_month),
    _readings(_TRUNCATED_DATE, lambda m: [("truncated_date", None)]),
    _readings(_SHORT_DATE, _short_date),
    _readings(_YEAR_OF_DAYS, _years),
    _readings(_DAY_YEAR, _years),
    _readings(_ELAPSED, lambda m: [("day_basis", ACTUAL)]),
    _readings(_BASIS_POINT_FIGURE, lambda m: [("percent", v / 100) for v in _spelled(m)]),  # 1 bp is 0.01%
    _readings(_FRACTION, _fraction),
    _readings(_FRACTION_WORDS, _fraction_words),
    _readings(_POINTS, lambda m: [("percent", v) for v in _spelled(m)]),
    _readings(_PERCENT, lambda m: [("percent", Decimal(m.group(1)))]),
    _readings(_AMOUNT, _amount),
    _readings(_BARE_AMOUNT, _amount),
    _readings(_RATIO, lambda m: [("ratio", Decimal(m.group(1)) / Decimal(m.group(2)))]),
    _readings(_THRESHOLD, lambda m: [("ratio", Decimal(m.group(1)))]),
    _readings(_DAYS, lambda m: [("days", v) for v in _spelled(m)]),
    _readings(_COUNT, lambda m: [("count", v) for v in _spelled(m)]),
]


@dataclass(frozen=True)
class _Cell:
    start: int  # where it is in the text
    end: int
    text: str


_CELL_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_FIGURE_CELL = re.compile(r"\$?\s?\d[\d,]*(?:\.\d+)?\s?%?|%")  # a cell that holds a figure and nothing else
_PERCENT_HEADER = re.compile(r"%|\bper\s?cent(?:age)?s?\b", re.I)
_POINTS_HEADER = re.compile(r"\bbasis\s+points?\b|\bbps?\b", re.I)
_WORDY = re.compile(r"[A-Za-z%]")


def _cell_readings(row: list[_Cell], column_header: Callable[[int], str]) -> Iterator[_Reading]:
    """The bare numbers in a table's row (a cell's own % or $ is read as any percentage or amount is). A bare
    number is a percentage when the next cell is a lone "%" (`| 25 | % |`), or when the row's header (its first
    cell) or its column's header gives a % (basis points when the header gives basis points: "Margin (bps)"); a
    number otherwise. An integer in the row's first cell is the row's label (a level, a year), not a figure."""
    filled = [i for i, cell in enumerate(row) if cell.text]
    if not filled:
        return
    first = filled[0]
    row_header = row[first].text if re.search("[A-Za-z]", row[first].text) else ""
    for n, i in enumerate(filled):
        cell = row[i]
        if not _CELL_NUMBER.fullmatch(cell.text) or (i == first and "." not in cell.text):
            continue
        value = Decimal(cell.text)
        following = row[filled[n + 1]] if n + 1 < len(filled) else None
        header = f"{row_header} {column_header(i)}"
        if following is not None and following.text == "%":
            yield _Reading(cell.start, following.end, (("percent", value),))
        elif _POINTS_HEADER.search(header):
            yield _Reading(cell.start, cell.end, (("percent", value / 100),))
        elif _PERCENT_HEADER.search(header):
            yield _Reading(cell.start, cell.end, (("percent", value),))
        else:
            yield _Reading(cell.start, cell.end, (("number", value),))


_PIPE_ROW = re.compile(r"(?m)^[ \t]*\|.*\|[ \t]*$")
_RULE = re.compile(r"[\s|:=_-]*")  # | --- | --- |, or a line of dashes under a header


def _pipe_cells(text: str, m: re.Match) -> list[_Cell]:
    bars = [m.start() + i for i, char in enumerate(m.group()) if char == "|"]
    cells = []
    for left, right in zip(bars, bars[1:]):
        raw = text[left + 1:right]
        start = left + 1 + len(raw) - len(raw.lstrip())
        cells.append(_Cell(start, start + len(raw.strip()), raw.strip()))
    return cells


def _pipe_tables(text: str) -> Iterator[_Reading]:
    """Figures in the cells of tables drawn with pipes (`| Level I | 25 | % |`, `| 1.00% | 2.00% |`), one figure
    a cell; a column's header is the nearest cell above it in the same table that has words or a %."""
    table: list[list[_Cell]] = []
    previous_end = -2
    for m in _PIPE_ROW.finditer(text):
        if m.start() != previous_end + 1:  # rows on consecutive lines make one table
            table = []
        previous_end = m.end()
        if _RULE.fullmatch(m.group()):
            continue
        row = _pipe_cells(text, m)
        yield from _cell_readings(row, partial(_pipe_header, list(table)))
        table.append(row)


def _pipe_header(above: list[list[_Cell]], i: int) -> str:
    return next((row[i].text for row in reversed(above) if i < len(row) and _WORDY.search(row[i].text)), "")


# A cell of a line drawn with spaces: the text between two spaces or more, or a tab (a single space, or a
# no-break space as in "Section\xa02.1", joins words).
_CHUNK = re.compile(r"\S+(?:[^\S\t\n]\S+)*")


def _spaced_tables(text: str) -> Iterator[_Reading]:
    """Figures in the rows of tables drawn with spaces ("II   50.00"; "Level I   Less than 1.50 to 1.00   1.25"):
    a bare number in the cells that end a line of two cells or more, every one of them a figure (a line of prose
    with two spaces after a full stop is not a row). Its column's header is the nearest short text above it that
    overlaps its columns, past blank lines, rules (-----) and the figures of the rows above; prose ends the search."""
    lines: list[tuple[int, str]] = []
    offset = 0
    for line in text.split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    for n, (start, line) in enumerate(lines):
        if line.lstrip().startswith("|"):
            continue
        row = [_Cell(start + m.start(), start + m.end(), m.group()) for m in _CHUNK.finditer(line)]
        if len(row) < 2:
            continue
        ending = len(row)
        while ending > 0 and _FIGURE_CELL.fullmatch(row[ending - 1].text):
            ending -= 1
        if ending == len(row):
            continue
        for reading in _cell_readings(row, partial(_spaced_header, lines, n, row)):
            if reading.start >= row[ending].start:
                yield reading


def _spaced_header(lines: list[tuple[int, str]], n: int, row: list[_Cell], i: int) -> str:
    start = lines[n][0]
    left, right = row[i].start - start, row[i].end - start
    for _, line in reversed(lines[max(0, n - 8):n]):
        above = [m.group() for m in _CHUNK.finditer(line) if m.start() < right and left < m.end()]
        if not above or _RULE.fullmatch(above[0]) or _FIGURE_CELL.fullmatch(above[0]):
            continue
        return above[0] if len(above[0]) <= 40 else ""
    return ""


_OPENS = re.compile(r"\s*\(\s*")
_CLOSES = re.compile(r"\s*\)")


def _restatements_joined(text: str, readings: list[_Reading]) -> list[_Reading]:
    """A figure restated in parentheses as the same figure (same kind and value) is one figure: "195 basis points
    (1.95%)", "one-half of one percent (0.50%)", "1/4 of 1% (25 basis points)". A restatement that differs stays
    a figure of its own, which the terms cannot use as well: the check then shows it."""
    joined: list[_Reading] = []
    for reading in readings:
        close = _CLOSES.match(text, reading.end)
        if (joined and close and len(reading.figures) == 1 and joined[-1].figures == reading.figures
                and _OPENS.fullmatch(text, joined[-1].end, reading.start)):
            joined[-1] = _Reading(joined[-1].start, close.end(), reading.figures)
        else:
            joined.append(reading)
    return joined


@dataclass(frozen=True)
class LocatedFigure:
    """A figure of a text and where it is written: `text[start:end]` (what `loanbook ingest` records as its span)."""
    start: int
    end: int
    figure: TextFigure


def located_figures(text: str) -> list[LocatedFigure]:
    """The amounts, percentages, ratios, thresholds, day counts, counts, day bases, dates and table figures a
    clause's text states, each once and with its place: where two readings overlap, the earlier reader's stands
    ("ninety (90) days" is one day count, not also a count and "90) days"; "1/2 of 1%" is not also 1%)."""
    taken: list[_Reading] = []
    read = bytearray(len(text))  # 1 where a reading stands
    for reader in [*_READERS, _pipe_tables, _spaced_tables]:
        for reading in reader(text):
            if read.find(1, reading.start, reading.end) == -1:
                read[reading.start:reading.end] = b"\x01" * (reading.end - reading.start)
                taken.append(reading)
    located: list[LocatedFigure] = []
    for reading in _restatements_joined(text, sorted(taken, key=lambda r: r.start)):
        written = _normal(text[reading.start:reading.end])
        located.extend(LocatedFigure(reading.start, reading.end, TextFigure(kind, value, written))
                       for kind, value in reading.figures)
    return located


def text_figures(text: str) -> list[TextFigure]:
    """The figures of a text (located_figures), without their places: what the check compares with the terms."""
    return [located.figure for located in located_figures(text)]


def _formula_numbers(node: Node) -> list[Decimal]:
    """The figures a formula states; a bare 0 (as in max(0, ...)) is structure, not a figure of the text."""
    if isinstance(node, Num):
        return [] if node.value == 0 and not node.percent else [node.value * 100 if node.percent else node.value]
    if isinstance(node, BinOp):
        return _formula_numbers(node.left) + _formula_numbers(node.right)
    if isinstance(node, Neg):
        return _formula_numbers(node.operand)
    if isinstance(node, Call):
        return [n for arg in node.args for n in _formula_numbers(arg)]
    return []


def terms_figures(version: ClauseVersion) -> list[tuple[str, object]]:
    """(field path, value) for every number and date in a version's terms, formulas included."""
    found: list[tuple[str, object]] = []

    def walk(node, path):
        if isinstance(node, BaseModel):
            for name, info in type(node).model_fields.items():
                walk(getattr(node, name), f"{path}.{info.alias or name}")
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, Formula):
            found.extend((path, n) for n in _formula_numbers(node.tree))
        elif isinstance(node, Schedule):
            for i, entry in enumerate(node.entries):
                if isinstance(entry.start, date):  # an event date's name is no figure of the text
                    found.append((f"{path}.schedule[{i}].from", entry.start))
                if entry.end is not None:
                    found.append((f"{path}.schedule[{i}].to", entry.end))
                walk(entry.value, f"{path}.schedule[{i}].value")
        elif isinstance(node, StepDown):
            found.extend((f"{path}.step_down.{name}", getattr(node, name))
                         for name in ("start", "step", "every_months", "first_step", "floor")
                         if not isinstance(getattr(node, name), str))
        elif isinstance(node, str) and path.endswith(".day_basis") and node in _YEARS:
            found.extend((path, year) for year in _YEARS[node])  # "a year of 360 days" is a figure of the text
        elif isinstance(node, bool) or node is None or isinstance(node, str):
            return
        elif isinstance(node, (Decimal, int, date)):
            found.append((path, node))

    for i, block in enumerate(version.terms):
        walk(block, f"terms[{i}]")
    return found


# The years a day basis counts in: actual/actual counts a year of 365 days, or 366 in a leap year, and the text
# must give both ("a year of 365 or 366 days"), as actual/360 must give its 360.
_YEARS = {"actual/360": (Decimal(360),), "actual/365": (Decimal(365),), "actual/actual": (Decimal(365), Decimal(366))}


def _basis_point_paths(version: ClauseVersion) -> set[str]:
    """Where terms_figures puts the grid values written in basis points (`basis_points: true`: 100.00 is 1.00%)."""
    return {f"terms[{b}].values[{c}].by_level.{level}"
            for b, block in enumerate(version.terms) if isinstance(block, LevelGrid)
            for c, column in enumerate(block.values) if column.basis_points
            for level in column.by_level}


def _matches(figure: TextFigure, path: str, value: object, in_points: set[str]) -> bool:
    """Whether a figure of the text is the number `value` of the terms at `path`. A day basis's year is matched only
    by a day basis of the text, and a day basis of the text only by a day basis's year ("360 days" of a notice
    period is not a year of 360 days). A grid value in basis points is matched by a percentage a hundredth of it
    ("50 bps", "0.50%") or by the same number in a table ("II   50.00"). Anything else is matched by its value."""
    if not isinstance(figure.value, (Decimal, date)):
        return False
    if path.endswith(".day_basis") or figure.kind == "day_basis":
        return path.endswith(".day_basis") and figure.kind == "day_basis" and figure.value == value
    if path in in_points:
        return ((figure.kind == "percent" and isinstance(figure.value, Decimal) and figure.value * 100 == value)
                or (figure.kind == "number" and figure.value == value))
    return _same(figure.value, value)


def _used(figure: TextFigure, terms: list[tuple[str, object]], in_points: set[str]) -> bool:
    """Whether the terms use a figure of the text; "actual days elapsed" is used by any day basis (all are
    actual/...), but states no year of one."""
    if figure.value == ACTUAL:
        return any(path.endswith(".day_basis") for path, _ in terms)
    return any(_matches(figure, path, value, in_points) for path, value in terms)


def _same(a: object, b: object) -> bool:
    if isinstance(a, date) or isinstance(b, date):
        return a == b
    return Decimal(a) == Decimal(b)  # type: ignore[arg-type]


def _assumed(value: object, version: ClauseVersion) -> bool:
    for assumption in version.assumptions:
        try:
            declared = parse_iso_date(assumption.value) if isinstance(value, date) else Decimal(assumption.value)
        except (ValueError, ArithmeticError):
            continue
        if _same(declared, value):
            return True
    return False


def _normal(text: str) -> str:
    return " ".join(text.split())


def check_version(agreement: Agreement, version: ClauseVersion) -> list[Finding]:
    findings: list[Finding] = []
    clause = version.clause_id
    where = f"{version.document_id}"
    if version.op == "delete":
        return findings
    if version.text is None:
        findings.append(Finding("note", clause, f"{where}: text not in record; terms from {version.source}"))
        return findings
    doc = agreement.document(version.document_id)
    if doc.text is not None and _normal(version.text) not in _normal(doc.text):
        findings.append(Finding("difference", clause, f"{where}: the clause text is not found verbatim in "
                                                      f"{doc.title}'s text"))
    figures = text_figures(version.text)
    terms = terms_figures(version)
    in_points = _basis_point_paths(version)
    named = [(declaration, _named(declaration.text, figures)) for declaration in version.not_encoded]
    excused = {key for _, keys in named for key in keys}
    for figure in figures:
        if _key(figure) in excused:
            continue
        if figure.kind == "truncated_date":
            resolving = [i for i in agreement.register.items if i.clause == clause and figure.written in i.resolves]
            if resolving:
                interpretation = resolving[0]
                findings.append(Finding("resolved", clause,
                                        f"{where}: {figure.written!r} (a truncated date) is resolved by "
                                        f"{interpretation.id} as {interpretation.reading().text}"))
            else:
                findings.append(Finding("difference", clause, f"{where}: {figure.written!r} is a truncated date "
                                                              "and no interpretation resolves it"))
            continue
        if figure.kind == "impossible_date":
            findings.append(Finding("difference", clause, f"{where}: the text gives {figure.written!r}, which is not "
                                                          "a real date; declare it not_encoded or resolve it"))
            continue
        if not _used(figure, terms, in_points):
            findings.append(Finding("difference", clause, f"{where}: the text gives {figure.written!r}, "
                                                          "which the terms do not use"))
    for declaration, keys in named:
        if keys:
            findings.append(Finding("note", clause, f"{where}: {declaration.text!r} not encoded: "
                                                    f"{_normal(declaration.reason)}"))
        else:
            findings.append(Finding("difference", clause, f"{where}: not_encoded names {declaration.text!r}, which "
                                                          f"the text does not give as a figure; {_listing(figures)}"))
    for path, value in terms:
        if any(_matches(f, path, value, in_points) for f in figures) or _assumed(value, version):
            continue
        if _from_interpretation(path, version):
            continue
        findings.append(Finding("difference", clause, f"{where}: the terms set {path} = {value}, which the text "
                                                      "does not state and no assumption declares"))
    for assumption in version.assumptions:  # one no term uses is stale (a 0 is structure, never listed: exempt)
        if _is_zero(assumption.value):
            continue
        if not any(_assumed(value, replace(version, assumptions=(assumption,))) for _, value in terms):
            findings.append(Finding("difference", clause, f"{where}: the assumption {assumption.value!r} is used by no "
                                                          "number of the terms: remove it, or restore the figure it "
                                                          "stood for"))
    findings += [Finding("difference", clause, f"{where}: {message}") for message in _unmarked_basis_points(version)]
    if not version.terms and not version.not_encoded and _DEFINES.search(version.text):
        findings.append(Finding("difference", clause, f"{where}: the text defines a computed figure, but the clause "
                                                      "carries no terms (encode it, or declare it not_encoded)"))
    return findings


def _is_zero(text: str) -> bool:
    try:
        return Decimal(text) == 0
    except ArithmeticError:
        return False


def _unmarked_basis_points(version: ClauseVersion) -> list[str]:
    """A grid column read as percentages whose values look like basis points (every one but 0 is 5 or more) in a text
    that gives basis points: without `basis_points: true`, 100.00 basis points would be read as 100%."""
    if version.text is None or not _BASIS_POINTS.search(version.text):
        return []
    percents = {f.value for f in text_figures(version.text) if f.kind == "percent"}  # "6.00%": a percentage
    return [f"the text gives basis points, and {column.id} reads "
            f"{', '.join(f'{v}' for v in column.by_level.values())} as percentages: if they are basis points, "
            "say basis_points: true"
            for block in version.terms if isinstance(block, LevelGrid)
            for column in block.values
            if column.unit == "percent" and not column.basis_points and _like_basis_points(column.by_level.values())
            and not percents & set(column.by_level.values())]


def _like_basis_points(values) -> bool:
    nonzero = [v for v in values if v]
    return bool(nonzero) and min(nonzero) >= 5


def _key(figure: TextFigure) -> tuple[str, object]:
    """What makes two figures of a text the same figure: kind and value (a date not given whole: as written)."""
    return (figure.kind, figure.written if figure.value is None else figure.value)


def _named(declared: str, figures: list[TextFigure]) -> set[tuple[str, object]]:
    """The figures of a clause's text that a not_encoded declaration names: those its text gives, read as the
    clause is ("10 days" and "ten (10) days" are both the day count 10), and the one whose written form it is
    exactly (a figure of a table: "37.50"). The declaration excuses every figure of the text of the same kind and
    value, however written; one that names none of them is a difference."""
    text = _normal(declared)
    keys = {_key(f) for f in text_figures(text)} | {_key(f) for f in figures if f.written == text}
    return keys & {_key(f) for f in figures}


def _listing(figures: list[TextFigure]) -> str:
    """The figures a clause's text gives, as a not_encoded declaration may name them."""
    if not figures:
        return "the text gives no figure"
    shown = dict.fromkeys(f"{f.written!r} ({f.kind}{'' if f.value is None else f' {f.value}'})" for f in figures)
    return f"the text gives {', '.join(shown)}"


def _from_interpretation(path: str, version: ClauseVersion) -> bool:
    # substitute() records paths like "[0].initial_term_end"; terms_figures writes "terms[0].initial_term_end"
    return any(path == f"terms{used_path}" or path.startswith(f"terms{used_path}.")
               for used_path, _ in version.interpretations_used)


def sweep(agreement: Agreement, clause: Clause) -> list[Finding]:
    """Every day from the first version to the end of the record: exactly one version in force, and inside it
    exactly one entry of each dated schedule and one pricing row per tranche. Days are taken in runs between
    the dates where something starts or ends (nothing changes inside a run), so a long record costs no more
    than a short one."""
    if not clause.versions:
        return []
    first, end = clause.versions[0].effective, max(agreement.record_end, clause.versions[-1].effective)
    windows = {id(v): _windows(v) for v in clause.versions}
    cuts = {first, end + timedelta(days=1)} | {v.effective for v in clause.versions}
    for found in windows.values():
        for _, spans in found:
            for start, stop in spans:
                cuts |= {start} | ({stop + timedelta(days=1)} if stop is not None else set())
    runs = sorted(c for c in cuts if first <= c <= end + timedelta(days=1))
    two_versions: list[tuple[date, date]] = []
    window_trouble: dict[tuple[ClauseVersion, str], list[tuple[date, date]]] = {}
    for lo, after in zip(runs, runs[1:]):
        run = (lo, after - timedelta(days=1))
        latest = max(v.effective for v in clause.versions if v.effective <= lo)
        live = [v for v in clause.versions if v.effective == latest]
        if len(live) > 1:
            two_versions.append(run)
        elif live[0].op != "delete":
            for what in _window_trouble(windows[id(live[0])], lo):
                window_trouble.setdefault((live[0], what), []).append(run)
    findings = []
    if two_versions:
        count = sum((stop - start).days + 1 for start, stop in two_versions)
        findings.append(Finding("difference", clause.id, f"two versions in force on {count} day(s), first "
                                                         f"{two_versions[0][0]}"))
    for (version, what), bad in window_trouble.items():
        for start, stop in _joined(bad):
            if version.text is None:
                findings.append(Finding("note", clause.id, f"{version.document_id}: {what} from {start} to {stop} "
                                                           "(the record has no terms for those days)"))
            else:
                findings.append(Finding("difference", clause.id,
                                        f"{version.document_id}: {what} from {start} to {stop}"))
    return findings


def _joined(runs: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """Runs of days in order, those that touch joined into one."""
    joined: list[tuple[date, date]] = []
    for start, stop in runs:
        if joined and joined[-1][1] + timedelta(days=1) == start:
            joined[-1] = (joined[-1][0], stop)
        else:
            joined.append((start, stop))
    return joined


def _schedules(node, path: str):
    """Every Schedule inside a block, with where it is."""
    if isinstance(node, Schedule):
        yield path, node
    elif isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            yield from _schedules(getattr(node, name), f"{path}.{info.alias or name}" if path else (info.alias or name))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _schedules(value, f"{path}[{i}]")


def _windows(version: ClauseVersion) -> list[tuple[str, list[tuple[date, date | None]]]]:
    """Every dated window set of a version that must cover each day it is in force exactly once: its schedules
    (a covenant's thresholds need only cover its test dates: see _covenant_trouble) and each tranche's pricing
    rows, as (what a gap or an overlap is called, the windows)."""
    found = []
    for block in version.terms:
        if isinstance(block, Covenant):
            continue
        for path, schedule in _schedules(block, block.kind):
            label = "cap window" if path.endswith(".cap") else f"{path} window"
            # a window from an event date takes over from the dated ones: they alone must cover each day
            found.append((label, [(e.start, e.end) for e in schedule.entries if isinstance(e.start, date)]))
        if isinstance(block, PricingGrid):
            for loan_class in sorted(block.tranches):
                found.append((f"{loan_class} pricing row",
                              [(r.start, r.end) for r in block.rows if r.loan_class == loan_class]))
    return found


def _window_trouble(windows: list[tuple[str, list[tuple[date, date | None]]]], day: date) -> list[str]:
    """What is wrong with a version's dated windows on a day it is in force: none, or two, cover it."""
    trouble = []
    for label, spans in windows:
        covering = sum(1 for start, end in spans if start <= day and (end is None or day <= end))
        if covering != 1:
            trouble.append(f"{'no' if not covering else 'more than one'} {label}")
    return trouble


def _covenant_trouble(agreement: Agreement, clause: Clause) -> list[Finding]:
    """A covenant's schedule of thresholds has exactly one entry on each test date it is in force."""
    findings = []
    for version in clause.versions:
        last = (version.until - timedelta(days=1)) if version.until else agreement.record_end
        for block in version.terms_of(Covenant):
            if not isinstance(block.threshold, Schedule):
                continue
            for test_date in period_ends(block.first_test, block.every, last):
                if test_date < version.effective:
                    continue
                covering = [e for e in block.threshold.entries if e.covers(test_date)]
                if len(covering) != 1:
                    findings.append(Finding("difference", clause.id,
                                            f"{version.document_id}: {'no' if not covering else 'more than one'} "
                                            f"threshold of {block.id} for the test date {test_date}"))
    return findings


def fidelity_check(agreement: Agreement) -> list[Finding]:
    """Every finding over every clause; a `difference` fails the check."""
    findings: list[Finding] = []
    for clause in agreement.clauses.values():
        for version in clause.versions:
            findings += check_version(agreement, version)
        findings += sweep(agreement, clause)
        findings += _covenant_trouble(agreement, clause)
    return findings + _rates_applied_twice(agreement)


def _rates_applied_twice(agreement: Agreement) -> list[Finding]:
    """An eligibility definition that applies an advance rate to a class whose borrowing base line applies one
    too (other than 100%): 85% of 85%, which check would otherwise pass (docs/eligibility.md, The terms)."""
    found = []
    lines = [(version, line) for version, block in agreement.all_terms(BorrowingBase) for line in block.lines]
    for version, eligibility in agreement.all_terms(Eligibility):
        rates = _eligibility_rates(eligibility)
        if not rates:
            continue
        for line_version, line in lines:
            if line.collateral == eligibility.collateral and not (
                    isinstance(line.rate, Formula) and line.rate.constant == 1):
                which = "advance_rate" if eligibility.item_rules is None else "its rates"
                found.append(Finding("difference", version.clause_id, f"{version.document_id}: the eligibility of "
                                     f"{eligibility.collateral} applies {rates}, and line {line.id} "
                                     f"({line_version.clause_id}) applies its rate too: leave {which} out of the "
                                     "eligibility terms, or give the line a rate of 100"))
    return list(dict.fromkeys(found))  # a line kept by several versions is reported once


def _eligibility_rates(eligibility: Eligibility) -> str | None:
    """The advance rates an eligibility definition applies itself, in words (None: it gives the eligible amount)."""
    rates = [f"an advance rate of {eligibility.advance_rate}%"] if eligibility.advance_rate is not None else []
    rules = eligibility.item_rules
    if rules is not None:
        if any(rate is not None for rate in (rules.categories or {}).values()):
            rates.append("rates by category")
        if rules.rating is not None and any(row.rate is not None for row in rules.rating.table):
            rates.append("rates by rating")
        if any(rule.rate is not None for rule in rules.age):
            rates.append("rates by age")
    return ", ".join(rates) or None


def passed(findings: list[Finding]) -> bool:
    return not any(f.severity == "difference" for f in findings)
