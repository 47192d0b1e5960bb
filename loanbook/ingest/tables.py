"""A clause's tables, drawn with pipes (`| I | > 2.25:1.00 | 0.25% |`) or with spaces under a rule of dashes, as
rows of cells with their spans, so that a proposer reads a grid by its columns and refuses one whose columns do not
line up rather than reading a value into the wrong column.

Pipes: consecutive lines that start and end with `|` are one table; rules (`| --- |`) and empty rows are left out,
and so are columns empty in every row (a converted filing's spacers). Every row must have as many cells as the
first. Spaces: a line of dash runs (`-------   ------`) gives the columns' extents; the lines above it, up to a
blank line, are the header; each line below is a row whose chunks (text between two spaces or more) each overlap
exactly one column, and a line whose first column is empty continues the row above ("Less than 4.00 to 1.00 and
equal to or" / "greater than 3.00 to 1.00"). A line that starts left of the first column is prose: the table ends.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    start: int  # text[start:end] is the cell's text; an empty cell is (start, start)
    end: int
    text: str


@dataclass
class Table:
    header: list[str]  # each column's header, its lines joined
    rows: list[list[Cell]]  # one cell a column, in every row
    start: int
    end: int
    aligned: bool = True  # False: a row's cells do not line up with the columns (the table is not to be read)
    problems: list[str] = field(default_factory=list)


_PIPE_ROW = re.compile(r"(?m)^[ \t]*\|.*\|[ \t]*$")
_PIPE_RULE = re.compile(r"[\s|:=_-]*")
_DASH_RULE = re.compile(r"(?m)^[ \t]*-{3,}(?:[ \t]+-{3,})+[ \t]*$")
_CHUNK = re.compile(r"\S+(?: \S+)*")


def tables(text: str) -> list[Table]:
    """Every table of `text`, pipes and spaces, in the order they come."""
    return sorted(_pipe_tables(text) + _spaced_tables(text), key=lambda t: t.start)


def _pipe_tables(text: str) -> list[Table]:
    groups: list[list[re.Match]] = []
    previous_end = -2
    for m in _PIPE_ROW.finditer(text):
        if m.start() != previous_end + 1:
            groups.append([])
        groups[-1].append(m)
        previous_end = m.end()
    found = []
    for group in groups:
        rows = [_pipe_cells(m) for m in group if not _PIPE_RULE.fullmatch(m.group())]
        rows = [row for row in rows if any(cell.text for cell in row)]
        if len(rows) < 2:
            continue
        table = Table([], [], group[0].start(), group[-1].end())
        if len({len(row) for row in rows}) != 1:
            table.aligned = False
            table.problems.append("its rows have different numbers of cells")
            found.append(table)
            continue
        used = [i for i in range(len(rows[0])) if any(row[i].text for row in rows)]
        rows = [[row[i] for i in used] for row in rows]
        table.header, table.rows = [cell.text for cell in rows[0]], rows[1:]
        found.append(table)
    return found


def _pipe_cells(m: re.Match) -> list[Cell]:
    bars = [m.start() + i for i, char in enumerate(m.group()) if char == "|"]
    cells = []
    whole = m.string
    for left, right in zip(bars, bars[1:]):
        raw = whole[left + 1:right]
        start = left + 1 + len(raw) - len(raw.lstrip())
        cells.append(Cell(start, start + len(raw.strip()), raw.strip()))
    return cells


def _lines(text: str, start: int, end: int) -> list[tuple[int, str]]:
    out, offset = [], start
    for line in text[start:end].split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _spaced_tables(text: str) -> list[Table]:
    found = []
    for rule in _DASH_RULE.finditer(text):
        line_start = text.rfind("\n", 0, rule.start()) + 1
        columns = [(m.start(), m.end()) for m in re.finditer(r"-{3,}", text[line_start:rule.end()])]
        table = Table([""] * len(columns), [], line_start, rule.end())
        above = _lines(text, 0, line_start)[:-1]
        for start, line in reversed(above[-3:]):
            if not line.strip():
                break
            placed = _placed(line, columns)
            if placed is None:
                break
            table.header = [" ".join(filter(None, [placed[i][2] if i in placed else "", table.header[i]]))
                            for i in range(len(columns))]
            table.start = start
        for start, line in _lines(text, rule.end() + 1, len(text)):
            if not line.strip():
                continue
            if len(line) - len(line.lstrip()) < columns[0][0] - 2:
                break  # prose at the margin: the table has ended
            placed = _placed(line, columns)
            if placed is None:
                table.aligned = False
                table.problems.append(f"the line {line.strip()!r} does not line up with the columns")
                break
            cells = {i: Cell(start + s, start + e, words) for i, (s, e, words) in placed.items()}
            if 0 not in cells and table.rows:
                table.rows[-1] = [_joined(old, cells.get(i)) for i, old in enumerate(table.rows[-1])]
            else:
                table.rows.append([cells.get(i, Cell(start, start, "")) for i in range(len(columns))])
            table.end = start + len(line)
        if table.rows:
            found.append(table)
    return found


def _placed(line: str, columns: list[tuple[int, int]]) -> dict[int, tuple[int, int, str]] | None:
    """Each chunk of `line` in the one column it overlaps; None when a chunk overlaps none or two, or two chunks
    fall in one column."""
    placed: dict[int, tuple[int, int, str]] = {}
    for m in _CHUNK.finditer(line):
        hits = [i for i, (a, b) in enumerate(columns) if m.start() < b + 2 and a - 2 < m.end()]
        if len(hits) != 1 or hits[0] in placed:
            return None
        placed[hits[0]] = (m.start(), m.end(), m.group())
    return placed


def _joined(old: Cell, more: Cell | None) -> Cell:
    if more is None:
        return old
    if not old.text:
        return more
    return Cell(old.start, more.end, f"{old.text} {more.text}")
