"""`--out FILE`: a command's rows written as CSV, xlsx or Parquet, chosen by the file's extension.

Every table is first an Arrow table with typed columns (money as decimal128 with two places, rates and ratios as
decimal128 with six, dates as date32), so the three formats hold the same figures: Parquet keeps the types, CSV
writes each cell as the JSON would (money "1275000.00", dates ISO), xlsx writes numbers as numbers (a money cell
shows two places) and dates as dates. The file is written beside its final name and moved into place at the end:
a run that fails leaves no half-written file.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa

from ..core.money import money_str, percent_str

FORMATS = {".csv": "CSV", ".xlsx": "xlsx", ".parquet": "Parquet"}
MONEY = pa.decimal128(18, 2)
RATE = pa.decimal128(18, 6)   # a percentage or a ratio, at most six places (percent_str's bound)


class UnknownFormat(ValueError):
    """--out names a file whose extension says no format loanbook writes."""


def out_format(path: Path) -> str:
    """The format a file's extension asks for, or UnknownFormat naming the ones known."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(f"{ext} ({name})" for ext, name in FORMATS.items())
        raise UnknownFormat(f"--out {path}: the extension {path.suffix or '(none)'!r} names no format loanbook "
                            f"writes; use {known}")
    return suffix


def cell_text(value, kind: pa.DataType) -> str:
    """A cell as CSV holds it: the JSON's form of each value (CONTRACT.md)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return money_str(value) if pa.types.is_decimal(kind) and kind.scale == 2 else percent_str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(cell_text(v, kind.value_type) for v in value)
    return str(value)


def _csv(table: pa.Table, stream) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(table.column_names)
    kinds = [f.type for f in table.schema]
    for row in zip(*(table.column(i).to_pylist() for i in range(table.num_columns))):
        writer.writerow([cell_text(v, k) for v, k in zip(row, kinds)])
    text.flush()
    text.detach()


def _xlsx(table: pa.Table, stream) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("loanbook")
    sheet.append(table.column_names)
    kinds = [f.type for f in table.schema]
    for row in zip(*(table.column(i).to_pylist() for i in range(table.num_columns))):
        sheet.append([xlsx_cell(sheet, v, k) for v, k in zip(row, kinds)])
    book.save(stream)


def text_cell(sheet, text: str):
    """Text stays text: openpyxl would write a string that starts with "=" as a formula, so that a name in a
    facility's files ("=HYPERLINK(...)") could run in the reader's spreadsheet."""
    from openpyxl.cell import WriteOnlyCell

    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, text)
    cell.data_type = "s"
    return cell


def xlsx_cell(sheet, value, kind: pa.DataType):
    """A number stays a number (the Decimal's own digits go into the file), a date a date; a list is text."""
    from openpyxl.cell import WriteOnlyCell

    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (str, list)):
        return text_cell(sheet, cell_text(value, kind))
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, Decimal):
        cell.number_format = "#,##0.00" if kind.scale == 2 else "0.00####"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _parquet(table: pa.Table, stream) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, stream)


WRITERS: dict[str, Callable[[pa.Table, object], None]] = {".csv": _csv, ".xlsx": _xlsx, ".parquet": _parquet}


def write_table(table: pa.Table, path: Path) -> None:
    """Write the table in the format the path's extension names, all or nothing."""
    writer = WRITERS[out_format(path)]
    _write(path, lambda stream: writer(table, stream))


def write_bytes(data: bytes, path: Path) -> None:
    """Write a document's bytes, all or nothing."""
    _write(path, lambda stream: stream.write(data))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Fill a temporary file beside `path`, then move it into place: a failure leaves no half-written file."""
    folder = path.parent
    if not folder.is_dir():
        raise UnknownFormat(f"--out {path}: no such folder {folder}")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            fill(stream)
        os.chmod(temporary, 0o666 & ~_umask())  # as an ordinary new file (mkstemp's are owner-only)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
