"""A large sheet read in blocks of rows, on two cores, as it is inflated and checked.

calamine holds a sheet as a grid of every cell: a million rows of sixteen columns is 1.4 GB, parsed in 11 s on one
core. Cut at row ends into blocks of about `block_bytes` of XML (at least four times the shared strings, which
each block reads again), each block a small workbook of its own, in a temporary folder (the workbook's other parts
as they are, and the sheet's XML with its header row copied just above the block's first row, and a cell in column
A so that every block's grid starts there), is a small grid, and two blocks are parsed at once. The blocks are
then put together as the whole sheet is read: the header's names, every block's rows at their place (rows between
blocks, empty, as nulls), each column of one kind, from the first column that has a cell.

A sheet this does not fit is read whole instead (`table()` is None): a column whose kind differs from block to
block (the whole sheet's read takes it cell by cell), a first row or a header cell whose place is not written, a
block whose header is not the header (rows out of order).
"""
from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

import pyarrow as pa

BLOCK_BYTES = 48 << 20      # of the sheet's XML: about 75,000 rows of 16 columns
WORKERS = 2                 # blocks parsed at once (and held, besides the one being cut)
_ROW = re.compile(rb'\s*<row\b[^>]*?\br="([0-9]+)"')
_REFS = re.compile(rb'( r="[A-Z]*)[0-9]+"')
_HEADER_COLUMNS = re.compile(rb'<c r="([A-Z]+)[0-9]+"')
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


class Blocks:
    """Given to `check_workbook` as its sink: takes the sheet's part as it is inflated and checked."""

    def __init__(self, archive: zipfile.ZipFile, sheet: str | None, block_bytes: int,
                 numbers: Callable[[pa.Array], pa.Array]):
        self.archive, self.sheet, self.block_bytes, self.numbers = archive, sheet, block_bytes, numbers
        parts = archive.infolist()
        self.largest = max(parts, key=lambda p: p.file_size).filename if parts else None
        self.title = self.path = ""
        self.fits = True
        self.chunks: list[bytes] = []
        self.size = 0
        self.prolog: bytes | None = None
        self.header: bytes | None = None
        self.header_row = 0
        self.header_columns: set[int] = set()
        self.pending: list[tuple[int, Future]] = []
        self.pool: ThreadPoolExecutor | None = None
        self.folder: str | None = None  # the blocks' workbooks, each removed once parsed
        self.others: dict[str, bytes] = {}

    @classmethod
    def of(cls, data: bytes, sheet: str | None, block_bytes: int, numbers: Callable[[pa.Array], pa.Array]
           ) -> Blocks | None:
        """Blocks of the workbook `data`; `numbers` turns a column of doubles into its text, in the block's
        thread."""
        try:
            return cls(zipfile.ZipFile(BytesIO(data)), sheet, block_bytes, numbers)
        except (zipfile.BadZipFile, OSError, ValueError):
            return None

    def sink(self, part: str):
        """The sheet asked for, when it is the workbook's largest part and spans a few blocks: every other part has
        passed the checks by now, and is read."""
        if part != self.largest or self.archive.getinfo(part).file_size < 2 * self.block_bytes:
            return None
        if not self._resolve(part):
            return None
        self.others = {p.filename: self.archive.read(p) for p in self.archive.infolist()
                       if p.filename != part and not p.filename.startswith("xl/worksheets/")}
        shared = max((len(xml) for name, xml in self.others.items() if name.endswith("sharedStrings.xml")), default=0)
        self.block_bytes = max(self.block_bytes, 4 * shared)  # each block reads the shared strings again
        if self.archive.getinfo(part).file_size < 2 * self.block_bytes:
            return None
        self.pool = ThreadPoolExecutor(WORKERS)
        self.folder = tempfile.mkdtemp(prefix="loanbook-xlsx-")
        return self._feed

    def _resolve(self, part: str) -> bool:
        """Whether the sheet asked for (the first when none is) is kept in `part`; its title."""
        try:
            book = ElementTree.fromstring(self.archive.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(self.archive.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, ElementTree.ParseError):
            return False
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_RELS}Relationship")}
        for sheet in book.iter(f"{_MAIN}sheet"):
            if self.sheet is None or sheet.get("name") == self.sheet:
                target = targets.get(sheet.get(f"{_DOC_RELS}id"), "")
                self.title, self.path = sheet.get("name", ""), target[1:] if target.startswith("/") else f"xl/{target}"
                return self.path == part
        return False

    def _feed(self, chunk: bytes, held: bool) -> None:
        self.fits = self.fits and held  # cells far apart: no block is parsed before the whole part is counted
        if not self.fits:
            return
        self.chunks.append(chunk)
        self.size += len(chunk)
        if chunk and self.size < self.block_bytes:
            return
        text = b"".join(self.chunks)
        if self.header is None:
            if not self._header(text):
                return
            text = self.chunks[0]
        if chunk:
            end = text.rfind(b"</row>")
            cut = end + 6 if end >= 0 else 0
            rest = text[cut:]
        else:
            cut = text.find(b"</sheetData>")
            self.fits = self.fits and cut >= 0
            cut, rest = max(cut, 0), b""
        self.chunks, self.size = [rest], len(rest)
        if self.fits and text.find(b"<row", 0, cut) >= 0:
            self._submit(memoryview(text)[:cut])

    def _header(self, text: bytes) -> bool:
        """The XML before the rows, and the header row: the first, with its place and its cells' places written."""
        start = text.find(b"<sheetData>")
        end = text.find(b"</row>", start)
        if start < 0 or end < 0:
            self.fits = len(text) < 4 * self.block_bytes
            return False
        self.prolog, self.header = text[:start + 11], text[start + 11:end + 6]
        self.chunks, self.size = [text[end + 6:]], len(text) - end - 6
        row = _ROW.match(self.header)
        columns = _HEADER_COLUMNS.findall(self.header)
        if row is None or not columns or len(columns) != self.header.count(b"<c "):
            self.fits = False
            return False
        self.header_row = int(row.group(1))
        self.header_columns = {_column(letters) for letters in columns}
        return True

    def _submit(self, rows: memoryview) -> None:
        first = _ROW.match(rows[:4096].tobytes())
        if first is None:
            self.fits = False  # a row whose place is counted from the one before: read whole
            return
        row = int(first.group(1))
        above = str(row - 1).encode()
        header = _REFS.sub(lambda m: m.group(1) + above + b'"', self.header or b"")
        if 0 not in self.header_columns:  # every block's grid from column A: the blocks line up
            header = header[:-6] + b'<c r="A%s" t="inlineStr"><is><t></t></is></c></row>' % above
        path = Path(self.folder or ".") / f"block-{len(self.pending)}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out:  # on disk: no copy of the block held here
            for name, content in self.others.items():
                out.writestr(name, content)
            with out.open(self.path, "w", force_zip64=True) as xml:
                for piece in (self.prolog or b"", header, rows, b"</sheetData></worksheet>"):
                    xml.write(piece)
        busy = [future for _, future in self.pending if not future.done()]
        if len(busy) >= WORKERS:
            busy[0].exception()  # wait for one: two blocks are parsed at once
        assert self.pool is not None
        self.pending.append((row - self.header_row - 1, self.pool.submit(_parse, path, self.title,
                                                                                 self.numbers)))

    def table(self):
        """(names, columns, errors by (row, column), title) of the whole sheet, or None when the blocks do not fit
        it."""
        if self.pool is None:
            return None
        results = [(offset, future.result()) for offset, future in self.pending]
        if not self.fits or not results or any(result is None for _, result in results):
            return None
        joined = _joined(results, self.header_columns)
        return (*joined, self.title) if joined else None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _parse(book: Path, title: str, numbers: Callable[[pa.Array], pa.Array]):
    """One block: its columns' names as fastexcel gives them ('' for a blank header cell), their kinds, the columns
    (doubles already as text), its error cells (row, column, detail); None if a column mixes kinds."""
    import fastexcel

    try:
        loaded = fastexcel.read_excel(str(book)).load_sheet(title, schema_sample_rows=None, dtype_coercion="strict")
        batch, found = loaded.to_arrow_with_errors()
    except fastexcel.FastExcelError:
        return None
    finally:
        book.unlink(missing_ok=True)
    names = [c.name if c.column_name_from != "generated" else "" for c in loaded.selected_columns]
    kinds = [column.type for column in batch.columns]
    columns = [numbers(column) if pa.types.is_floating(column.type) else column for column in batch.columns]
    errors = [(e.position[0] - 1, e.position[1], e.detail) for e in (found.errors if found else [])
              if e.position[0] >= 1]
    return names, kinds, columns, errors


def _joined(results, header_columns: set[int]):
    """The blocks as the whole sheet: named by the header, each block's rows from its offset, the columns from the
    first that has a header cell or any cell (as calamine's grid of the whole sheet starts) to the last."""
    width = max(len(names) for _, (names, *_) in results)
    found: list[str | None] = [None] * width
    kinds: list[pa.DataType] = [pa.null()] * width
    made: list[pa.DataType] = [pa.null()] * width  # the kind of the columns given (doubles as text)
    used = set(header_columns)
    for _, (names, block_kinds, columns, errors) in results:
        erring = {c for _, c, _ in errors}
        for j, name in enumerate(names):
            if found[j] is not None and found[j] != name and j in header_columns:
                return None  # a block whose header is not the header: rows out of order
            found[j] = name if j in header_columns else ""
            if columns[j].null_count < len(columns[j]) or j in erring:  # a column with no cell has no kind here
                if not pa.types.is_null(kinds[j]) and kinds[j] != block_kinds[j]:
                    return None  # a column whose kind differs from block to block
                kinds[j], made[j] = block_kinds[j], columns[j].type
                used.add(j)
    made = [pa.string() if pa.types.is_null(kind) else kind for kind in made]  # no cell anywhere: as fastexcel
    low = min(used)
    parts: list[list[pa.Array]] = [[] for _ in range(width)]
    cells: dict[tuple[int, int], str] = {}
    length = 0
    for offset, (_, _, columns, errors) in results:
        rows = len(columns[0]) if columns else 0
        if offset < length:
            return None
        for j, pieces in enumerate(parts):
            if offset > length:
                pieces.append(pa.nulls(offset - length, made[j]))
            column = columns[j] if j < len(columns) else pa.nulls(rows, made[j])
            pieces.append(column if column.type == made[j] else pa.nulls(len(column), made[j]))
        cells.update({(offset + r, c - low): detail for r, c, detail in errors})
        length = offset + rows
    return [name or "" for name in found[low:]], [pa.concat_arrays(p) for p in parts[low:]], cells


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number - 1
