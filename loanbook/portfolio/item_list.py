"""An item list in (homes under construction, investors' uncalled commitments, any collateral that is not an
aging): CSV, Excel (xlsx) or Parquet, read by the columns its eligibility terms declare, checked whole and
normalized to four Arrow tables the rules read (`items.py`), whatever the list's own columns:

- ITEMS: one row an item (its id, category, group and amount);
- DATES: one row an item's date (its name, as declared, and the day);
- FLAGS: one row a flag that is true;
- GRADES: one row a rating the item has, of the attributes the rating rule reads (an empty cell: none).

Column names are matched as an aging's are (case, surrounding spaces, inner spaces or hyphens aside). A file
with a missing declared column, a date, amount or flag that is not one, or an id used twice is refused whole,
naming the rows (the header is row 1) and the column; nothing is computed from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..agreement.kinds_eligibility import Eligibility
from ..core.errors import InputError, Problem
from .aging import (
    MONEY,
    aging_bytes,
    column_key,
    date_column,
    flag_column,
    money_column,
    problem_rows,
    table_from_bytes,
    text_column,
)

ITEMS = pa.schema([("facility_id", pa.string()), ("item_id", pa.string()), ("category", pa.string()),
                   ("group_id", pa.string()), ("amount", MONEY)])
DATES = pa.schema([("facility_id", pa.string()), ("item_id", pa.string()), ("date_name", pa.string()),
                   ("day", pa.date32())])
FLAGS = pa.schema([("facility_id", pa.string()), ("item_id", pa.string()), ("flag", pa.string())])
GRADES = pa.schema([("facility_id", pa.string()), ("item_id", pa.string()), ("grade", pa.string())])


@dataclass(frozen=True)
class Items:
    """A list's items, normalized; `rows` is how many the file had."""

    items: pa.Table
    dates: pa.Table
    flags: pa.Table
    grades: pa.Table

    @property
    def rows(self) -> int:
        return self.items.num_rows

    @staticmethod
    def concat(parts: list[Items]) -> Items:
        """Many facilities' lists as one (a book's): the rules run once over all of them."""
        return Items(*(pa.concat_tables([getattr(p, name) for p in parts], promote_options="none")
                       if parts else schema.empty_table()
                       for name, schema in (("items", ITEMS), ("dates", DATES), ("flags", FLAGS),
                                            ("grades", GRADES))))


def read_items(path: Path | str, terms: Eligibility, facility_id: str, *, sheet: str | None = None) -> Items:
    """An item list's file, by the columns its eligibility terms declare."""
    return items_from_bytes(aging_bytes(path), str(path), terms, facility_id, sheet=sheet)


def items_from_bytes(data: bytes, name: str, terms: Eligibility, facility_id: str, *,
                     sheet: str | None = None) -> Items:
    table, name = table_from_bytes(data, name, sheet=sheet, what="an item list")
    return normalize_items(table, name, terms, facility_id)


def items_from_rows(rows: list[dict], terms: Eligibility, facility_id: str = "borrower") -> Items:
    """The normalized tables from dicts (tests, small tools): every value as text, as a CSV holds it."""
    names = list(dict.fromkeys(name for row in rows for name in row))
    strings = pa.table({name: pa.array([str(row.get(name, "") if row.get(name) is not None else "")
                                        for row in rows], pa.string()) for name in names})
    return normalize_items(strings, "rows", terms, facility_id)


def normalize_items(table: pa.Table, source: str, terms: Eligibility, facility_id: str) -> Items:
    """Check every declared column and give the four tables; refuse the list whole, naming rows, if anything is
    wrong. GRADES holds the attributes the rating rule reads (the lower of them)."""
    declared = terms.items
    assert declared is not None
    rating = terms.item_rules.rating if terms.item_rules else None
    grades_of = rating.lower_of if rating else ()
    names = [column_key(name) for name in table.column_names]
    table = table.rename_columns(names).select([i for i, name in enumerate(names) if name])
    columns = declared.columns
    wanted = {column_key(c): c for c in (columns.id, columns.amount, columns.category, columns.group,
                                      *declared.dates, *declared.flags, *declared.attributes) if c}
    present = table.column_names
    problems: list[Problem] = []
    twice = sorted({name for name in present if present.count(name) > 1})
    if twice:
        problems.append(Problem(source, None, ", ".join(twice), "appears more than once in the header"))
    missing = [declared_name for header, declared_name in wanted.items() if header not in present]
    if missing:
        problems.append(Problem(source, None, ", ".join(missing), "missing column(s): the eligibility terms declare "
                                                                  f"{', '.join(wanted.values())}"))
    if problems:
        raise InputError(problems)
    n = table.num_rows

    def column(name: str | None) -> pa.ChunkedArray:
        assert name is not None
        return table.column(column_key(name))

    ids = text_column(table, column_key(columns.id))
    problem_rows(problems, source, columns.id, pc.equal(pc.utf8_length(ids), 0), "is empty")
    amounts = money_column(column(columns.amount), columns.amount, source, problems)
    category = text_column(table, column_key(columns.category)) if columns.category else pa.array([""] * n, pa.string())
    group = text_column(table, column_key(columns.group)) if columns.group else pa.array([""] * n, pa.string())
    dates = {name: _optional_dates(column(name), name, source, problems) for name in declared.dates}
    flags = {name: flag_column(column(name), name, source, problems) for name in declared.flags}
    attributes = {name: text_column(table, column_key(name)) for name in declared.attributes}
    if not problems:
        counts = pa.table({"id": ids}).group_by("id").aggregate([("id", "count")])
        repeated = counts.filter(pc.greater(counts.column("id_count"), 1)).column("id")
        if len(repeated):
            problem_rows(problems, source, columns.id, pc.is_in(ids, value_set=repeated.combine_chunks()),
                         "repeats an item id: each item is one row")
    if problems:
        raise InputError(problems)
    facility = pa.array([facility_id] * n, pa.string())
    items = pa.table([facility, ids, category, group, amounts], schema=ITEMS)

    date_parts = [_named(facility, ids, name, pc.is_valid(day), day) for name, day in dates.items()]
    flag_parts = [_named(facility, ids, name, flag) for name, flag in flags.items()]
    grade_parts = [_named(facility, ids, None, pc.not_equal(attributes[name], ""), attributes[name])
                   for name in grades_of]
    return Items(items, _tables(date_parts, DATES), _tables(flag_parts, FLAGS), _tables(grade_parts, GRADES))


def _optional_dates(column: pa.ChunkedArray, name: str, source: str, problems: list[Problem]) -> pa.Array:
    """A declared date column: a date, or an empty cell (the item has no such date: no age rule reads it)."""
    column = column.combine_chunks()
    if pa.types.is_date32(column.type):
        return column
    text = pc.utf8_trim_whitespace(pc.fill_null(pc.cast(column, pa.string()), ""))
    blank = pc.equal(text, "")
    days = date_column(pa.chunked_array([pc.if_else(blank, "1970-01-01", text)]), name, source, problems)
    return pc.if_else(blank, pa.scalar(None, pa.date32()), days)


def _named(facility: pa.Array, ids: pa.Array, name: str | None, selected: pa.Array,
           values: pa.Array | None = None) -> list[pa.Array]:
    """The columns of the long rows of one declared column: the items `selected`, the column's name (None: left
    out), and their values."""
    count = int(pc.sum(selected).as_py() or 0)
    out = [pc.filter(facility, selected), pc.filter(ids, selected)]
    if name is not None:
        out.append(pa.array([name] * count, pa.string()))
    if values is not None:
        out.append(pc.filter(values, selected))
    return out


def _tables(parts: list[list[pa.Array]], schema: pa.Schema) -> pa.Table:
    if not parts:
        return schema.empty_table()
    return pa.concat_tables([pa.table(columns, schema=schema) for columns in parts])
