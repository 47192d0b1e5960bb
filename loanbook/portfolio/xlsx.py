"""An xlsx aging's sheet as the columns its CSV would hold, read by calamine (Rust) through fastexcel.

Each cell reads as a CSV would hold it: text as written, a number as Excel shows it (a double, to 15 significant
digits: 250000.0099999999 is the 250,000.01 it shows), a date (a serial number with a date format, or an ISO date
cell) as its ISO date, its time of day dropped, a boolean as true or false, an error (#N/A) as its text, which no
date, amount or flag accepts. A blank header cell names no column. A column of dates only, or of booleans only,
stays typed (normalize reads it as the same text would read), which spares parsing a million dates again.

fastexcel turns a column of one kind of cell (text, numbers, dates, booleans) into Arrow at once. A column that
mixes kinds (numbers and text: `12500` beside `(310.50)`) it would turn into text its own way (numbers to nine
decimals, dates with a time), so such a sheet is read cell by cell instead (python-calamine), every cell by the
rule above.
"""
from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import InputError, Problem
from ..core.workbook import check_workbook
from .xlsx_blocks import BLOCK_BYTES, Blocks

logging.getLogger("fastexcel").setLevel(logging.ERROR)  # its notes on column types are not the user's problem

# calamine's names for Excel's errors, as fastexcel reports an error cell ("... but got 'Error(NA)'")
ERRORS = {"Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!", "Ref": "#REF!",
          "Value": "#VALUE!", "GettingData": "#GETTING_DATA"}
_ERROR = re.compile(r"Error\((\w+)\)")


def read_sheet(data: bytes, name: str, sheet: str | None, *, limit: int,
               block_bytes: int = BLOCK_BYTES) -> tuple[pa.Table, str]:
    """The sheet named `sheet` (None: the first), with its title: a column per header cell, as written. The
    workbook is checked first (`check_workbook`, `limit` its parts' inflated bytes); a large sheet is read in
    blocks of rows as it is checked (`xlsx_blocks`), any other whole."""
    blocks = Blocks.of(data, sheet, block_bytes, shown)
    try:
        check_workbook(data, name, limit=limit, sink=blocks.sink if blocks else None)
        joined = blocks.table() if blocks else None
    finally:
        if blocks:
            blocks.close()
    if joined is not None:
        names, columns, errors, title = joined
        if not _renamed(names) and all(_typed(column.type) for column in columns):
            texts = {at: _error_text(detail) for at, detail in errors.items()}
            return _table(names, columns, texts), title
    return _whole(data, name, sheet)


def _whole(data: bytes, name: str, sheet: str | None) -> tuple[pa.Table, str]:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        titles = reader.sheet_names
    except fastexcel.FastExcelError as exc:
        raise InputError([Problem(name, None, None, f"not a readable Excel workbook: {exc}")]) from None
    if sheet is not None and sheet not in titles:
        raise InputError([Problem(name, None, None, f"has no sheet {sheet!r}; its sheets: "
                                                    + ", ".join(repr(t) for t in titles))])
    if not titles:
        raise InputError([Problem(name, None, None, "the workbook has no sheet")])
    title = sheet if sheet is not None else titles[0]
    try:
        try:
            loaded = reader.load_sheet(title, schema_sample_rows=None, dtype_coercion="strict")
            uniform = True
        except fastexcel.UnsupportedColumnTypeCombinationError:  # a column of two kinds: the errors only, below
            loaded, uniform = reader.load_sheet(title, dtypes="string"), False
        batch, found = loaded.to_arrow_with_errors()
    except fastexcel.FastExcelError as exc:
        raise InputError([Problem(name, None, None, f"not a readable Excel workbook: {exc}")]) from None
    columns = loaded.selected_columns
    if not columns:
        raise InputError([Problem(name, None, None, f"the sheet {title!r} is empty")])
    errors = {(e.position[0] - 1, e.position[1]): _error_text(e.detail)
              for e in (found.errors if found else []) if e.position[0] >= 1}
    names = [c.name if c.column_name_from != "generated" else "" for c in columns]
    if uniform and not _renamed(names) and all(_typed(column.type) for column in batch.columns):
        return _table(names, batch.columns, errors), title
    return _cell_by_cell(data, title, errors), title


def _table(names: list[str], columns, errors: dict[tuple[int, int], str]) -> pa.Table:
    return pa.Table.from_arrays([_column(column, {r: t for (r, c), t in errors.items() if c == i})
                                 for i, column in enumerate(columns)], names=names)


def _renamed(names: list[str]) -> bool:
    """fastexcel renames a header cell written twice (`x`, `x_1`): such a sheet is read cell by cell, where the
    names are as written (and a column named twice is refused)."""
    given = set(names)
    return any(m and m.group(1) in given for m in (re.fullmatch(r"(.*)_\d+", n) for n in names))


def _typed(kind: pa.DataType) -> bool:
    return (pa.types.is_string(kind) or pa.types.is_floating(kind) or pa.types.is_integer(kind)
            or pa.types.is_boolean(kind) or pa.types.is_timestamp(kind) or pa.types.is_date(kind)
            or pa.types.is_null(kind))


def _column(column: pa.Array, errors: dict[int, str]) -> pa.Array:
    """A column of one kind as its CSV text; dates and booleans stay typed. Error cells make it text."""
    kind = column.type
    if pa.types.is_floating(kind):
        column = shown(column)
    elif pa.types.is_integer(kind):
        column = pc.cast(column, pa.string())
    elif pa.types.is_null(kind):
        column = pa.array([""] * len(column), pa.string())
    elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        column = pc.cast(column, pa.date32())
        if column.null_count or errors:  # as text, so that an empty date is refused as the CSV's would be
            column = pc.fill_null(pc.strftime(column, format="%Y-%m-%d"), "")
    if errors:
        if pa.types.is_boolean(column.type):
            column = pc.if_else(column, "true", "false")
        values = pc.fill_null(column, "").to_pylist()
        for row, text in errors.items():
            values[row] = text
        column = pa.array(values, pa.string())
    return column


def _error_text(detail: str) -> str:
    found = _ERROR.search(detail)
    return ERRORS.get(found.group(1), f"#{found.group(1).upper()}!") if found else "#ERROR!"


def _cell_by_cell(data: bytes, title: str, errors: dict[tuple[int, int], str]) -> pa.Table:
    """Every cell by `cell_text` (python-calamine gives each its own kind; an error cell it gives as empty, so
    fastexcel's report of the errors says which)."""
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(BytesIO(data)).get_sheet_by_name(title).iter_rows()
    header = next(rows, [])
    names = [cell_text(h) for h in header]
    columns: list[list[str]] = [[] for _ in names]
    for row in rows:
        for i, column in enumerate(columns):
            column.append(cell_text(row[i]) if i < len(row) else "")
    for (row_index, col), text in errors.items():
        if col < len(columns) and row_index < len(columns[col]) and columns[col][row_index] == "":
            columns[col][row_index] = text
    return pa.Table.from_arrays([pa.array(values, pa.string()) for values in columns], names=names)


def cell_text(value) -> str:
    """A cell as the text a CSV would hold: dates as ISO dates, numbers as their decimal digits."""
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # Excel keeps a number as a double and shows it to 15 significant digits:
        return format(Decimal(format(value, ".15g")), "f")  # 250000.0099999999 is the 250,000.01 it shows
    return str(value).strip()


def shown(values: pa.Array) -> pa.Array:
    """Doubles as `cell_text` writes them, a column at once. A double that is exactly the nearest to c / 100 (c
    of at most 15 digits: any amount in cents below 10^13) shows as that decimal, since 15 significant digits reach
    it; the others (250000.0099999999, 0.1 + 0.2) go one by one through `cell_text`. A null is ''."""
    x = values.to_numpy(zero_copy_only=False).astype(np.float64)  # nulls are NaN: neither fast nor left
    with np.errstate(over="ignore", invalid="ignore"):
        cents = np.rint(x * 100)
        fast = (np.abs(cents) < 1e15) & (cents / 100 == x) & ~((x == 0) & np.signbit(x))  # -0.0 shows as -0
    n = np.where(fast, np.abs(cents), 0).astype(np.int64)
    text = pc.binary_join_element_wise(pc.cast(pa.array(n // 100), pa.string()), pc.take(_CENTS, pa.array(n % 100)),
                                       "")
    text = pc.if_else(pa.array(cents < 0), pc.binary_join_element_wise("-", text, ""), text)
    out = pc.if_else(pa.array(fast), text, pa.scalar(None, pa.string()))
    left = np.isfinite(x) & ~fast
    if left.any():
        out = pc.replace_with_mask(out, pa.array(left), pa.array([cell_text(v) for v in x[left].tolist()],
                                                                 pa.string()))
    return pc.fill_null(out, "")


_CENTS = pa.array(["", *(f".{c:02d}".rstrip("0") for c in range(1, 100))])  # after the units: .05, .1, .25
