"""An xlsx workbook is a zip of XML parts: each part is checked here before any reader parses it, so that a hostile
workbook is refused in one line, naming the file and the part, instead of reaching the parser.

- No part holds a DTD (`<!DOCTYPE`, `<!ENTITY`): a workbook needs none, and a DTD is how XML is made to expand
  entities without end (billion laughs) or to read other files (external entities).
- The parts, inflated, stay within the limit the file itself has: a few kB of zip can inflate to gigabytes (a zip
  bomb). The bytes are counted as they inflate, not taken from what the zip says.
- A worksheet's cells span at most MAX_CELLS from the first row and column to the last: the reader (calamine)
  holds a sheet as a grid, and two cells, at A1 and at XFD1048576, in a 5 kB file would ask it for half a
  terabyte, which ends the process. The span is read from the cells' references (`r="AB12"`); a sheet of at most
  26 columns and 999,999 rows, the usual aging, is let through after a look at each block of it.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from io import BytesIO

import numpy as np

from .errors import InputError, Problem

MAX_CELLS = 2**25           # 1,048,576 rows (Excel's last) of 32 columns
CHUNK = 1 << 20
_REF = re.compile(rb' r="([A-Z]+)([0-9]+)"')
_CELL = re.compile(rb'<(?:\w+:)?(row|c)[\s>/]([^>]*)')
_R, _EQ, _QUOTE, _SPACE, _LT, _GT, _COLON, _C = (ord(c) for c in 'r=" <>:c')


def check_workbook(data: bytes, name: str, *, limit: int,
                   sink: Callable[[str], Callable[[bytes, bool], None] | None] | None = None) -> None:
    """Refuse the workbook if a part holds a DTD, if its parts inflate beyond `limit` bytes, or if a worksheet's
    cells span more than MAX_CELLS; a file that is not a zip is left to the reader to refuse. The parts are read
    smallest first; `sink(part)` may give a function that is handed the part's bytes as they pass, with whether
    its cells so far are within a grid the reader may hold, then b"" at its end: a reader can start on the largest
    part while it is read, every other part having passed."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    declared = sum(part.file_size for part in parts)
    if declared > limit:
        raise _refuse(name, None, f"its parts inflate to {declared:,} bytes; the limit is {limit:,}")
    total = 0
    for part in sorted(parts, key=lambda p: p.file_size):
        span = _Span()  # of any part: a worksheet may be kept under any name the workbook's relations give
        feed = sink(part.filename) if sink else None
        tail = b""
        try:
            with archive.open(part) as stream:
                while chunk := stream.read(CHUNK):
                    total += len(chunk)
                    if total > limit:
                        raise _refuse(name, part.filename, f"the parts inflate to more than {limit:,} bytes, the "
                                                           "limit")
                    block = tail + chunk  # a marker split between two reads is found in the next
                    if _has_dtd(block):
                        raise _refuse(name, part.filename, "holds a DTD (<!DOCTYPE or <!ENTITY): a workbook has "
                                                           "none, and it is never read")
                    span.look(block)
                    if feed:
                        feed(chunk, span.held())
                    tail = block[-32:]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise _refuse(name, part.filename, f"cannot be inflated: {exc}") from None
        if span.cells(archive, part) > MAX_CELLS:
            raise _refuse(name, part.filename, f"its cells span {span.rows:,} rows by {span.columns:,} columns, "
                                               f"more than {MAX_CELLS:,} cells")
        if feed:
            feed(b"", True)


def _refuse(name: str, part: str | None, message: str) -> InputError:
    return InputError([Problem(name, f"part {part}" if part else None, None, message)])


def _has_dtd(block: bytes) -> bool:
    """`<!DOCTYPE` or `<!ENTITY`, in any case: looked for at each `!` (rare in a workbook's XML, and found at the
    speed of memchr)."""
    at = block.find(b"!")
    while at >= 0:
        if block[at - 1:at] == b"<" and block[at + 1:at + 7].upper() in (b"DOCTYP", b"ENTITY"):
            return True
        at = block.find(b"!", at + 1)
    return False


class _Span:
    """The rows and columns a worksheet's cells span, bounded from a look at each block (numpy over its bytes);
    counted exactly, in a second reading, only when the bound is not tight (a column after Z, or a cell whose place
    is not written), or when a row is from 1,000,000 on."""

    def __init__(self):
        self.rows, self.columns, self.exact = 999_999, 26, False

    def look(self, block: bytes) -> None:
        if self.exact or len(block) < 16:
            return
        a = np.frombuffer(block, np.uint8)
        c = np.flatnonzero(a[1:-13] == _C) + 1
        c = c[((a[c - 1] == _LT) | (a[c - 1] == _COLON)) & ((a[c + 1] == _SPACE) | (a[c + 1] == _GT))]  # `<c `, `<c>`
        placed = (a[c + 2] == _R) & (a[c + 3] == _EQ) & (a[c + 4] == _QUOTE)  # `<c r="`: the reference follows
        wide = placed & (a[c + 6] >= 65) & (a[c + 6] <= 90)  # a second letter: a column after Z
        long = placed & (a[c + 12] >= 48) & (a[c + 12] <= 57)  # a seventh digit after one letter: row 1,000,000 on
        if wide.any() or not placed.all():  # `<c>`, `<c s="1" r=...>`: a place counted, or written later
            self.exact = True
        elif long.any():
            self.rows = max([self.rows, *(int(row) for _, row in _REF.findall(block))])

    def held(self) -> bool:
        """Whether the cells so far are certainly within MAX_CELLS (no exact count needed)."""
        return not self.exact and self.rows * self.columns <= MAX_CELLS

    def cells(self, archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> int:
        if self.exact:
            self.rows, self.columns = _counted(archive, part)
        return self.rows * self.columns


def _counted(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> tuple[int, int]:
    """Every row and cell of a worksheet in order, placed as a reader places them: at its reference, or after the
    one before it when it has none. The last row and column (1-based)."""
    row = col = last_row = last_col = 0
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            block = tail + chunk
            cut = block.rfind(b"<")
            block, tail = block[:cut], block[cut:]
            for tag, attributes in _CELL.findall(block):
                ref = re.search(rb'\br="([A-Z]*)([0-9]*)"', attributes)
                if tag == b"row":
                    row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                    col = 0
                    continue
                if ref and ref.group(1):
                    col = _column(ref.group(1))
                    row = int(ref.group(2)) if ref.group(2) else row
                else:
                    col += 1
                last_row, last_col = max(last_row, row), max(last_col, col)
    return last_row, last_col


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number
