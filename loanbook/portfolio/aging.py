"""Receivables agings in: CSV, Excel (xlsx) or Parquet, checked whole and normalized to one Arrow schema.

Every check runs over whole columns (pyarrow.compute), so a file of millions of rows is checked in
seconds; a file with any problem is refused whole, naming the rows (the header is row 1) and the column.
Amounts are exact: decimal text to decimal128(18, 2); a floating-point column is refused.
"""
from __future__ import annotations

import difflib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..core.errors import InputError, Problem
from ..core.files import read_bytes
from .xlsx import read_sheet

MONEY = pa.decimal128(18, 2)
REQUIRED = ("debtor_id", "debtor_name", "invoice_id", "invoice_date", "due_date", "amount")
FLAGS = ("affiliate", "foreign", "insured", "government", "assigned", "disputed", "bill_and_hold", "consignment",
         "progress_billing")
SCHEMA = pa.schema([("facility_id", pa.string()), ("debtor_id", pa.string()), ("debtor_name", pa.string()),
                    ("invoice_id", pa.string()), ("invoice_date", pa.date32()), ("due_date", pa.date32()),
                    ("amount", MONEY), *((flag, pa.bool_()) for flag in FLAGS), ("payable_to_debtor", MONEY)])
ABSENT = "loanbook.absent_columns"  # the normalized table's metadata: the optional columns the file lacked
RULE_COLUMN = {"affiliates": "affiliate", "foreign": "foreign", "government": "government", "disputed": "disputed",
               "bill_and_hold": "bill_and_hold", "consignment": "consignment", "progress_billing": "progress_billing",
               "contra": "payable_to_debtor"}  # the column without which a rule finds nothing (docs/eligibility.md)
MAX_AGING_BYTES = 2 * 1024 * 1024 * 1024  # a portfolio's daily file; a borrower's is far smaller
MAX_SHOWN = 8  # rows named in one problem; the count says how many more
_TRUE, _FALSE = ("true", "yes", "1", "y", "t"), ("false", "no", "0", "n", "f", "")
_AMOUNT = r"^-?[0-9]{1,16}(\.[0-9]{1,2})?$"
# as an accounting export writes it: $1,234.56, -$1,234.56, $(1,234.56) or (1,234.56) for a credit; commas
# only between groups of three digits, so 1,2345.00 stays refused
_WRITTEN = r"^(-?)\$?(\(?)\$?([0-9]{1,3}(,[0-9]{3})+|[0-9]{1,16})(\.[0-9]{1,2})?(\)?)$"
_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def read_aging(path: Path | str, *, portfolio: bool = False, sheet: str | None = None) -> pa.Table:
    """An aging file as the normalized table (SCHEMA); `portfolio` requires the facility_id column; `sheet` names
    the sheet of an xlsx workbook (default: the first)."""
    return aging_from_bytes(aging_bytes(path), str(path), portfolio=portfolio, sheet=sheet)


def aging_bytes(path: Path | str) -> bytes:
    """An aging file's content, read once: what is computed from it is what its evidence hashes."""
    return read_bytes(Path(path), limit=MAX_AGING_BYTES, what="aging file")


def aging_from_bytes(data: bytes, name: str, *, portfolio: bool = False, sheet: str | None = None) -> pa.Table:
    """An aging from its content (a file, or a file the store keeps); its kind from the name's suffix."""
    table, name = table_from_bytes(data, name, sheet=sheet, what="an aging file")
    return normalize(table, name, portfolio=portfolio)


def table_from_bytes(data: bytes, name: str, *, sheet: str | None, what: str) -> tuple[pa.Table, str]:
    """A CSV, xlsx or Parquet file's table, by the name's suffix, and the name problems give it (an xlsx's with the
    sheet read: a workbook whose first sheet is a cover page is said to be one). `what` names the file in a
    refusal ("an aging file")."""
    suffix = Path(name).suffix.lower()
    if sheet is not None and suffix != ".xlsx":
        raise InputError([Problem(name, None, None, f"a sheet is named ({sheet!r}), but only an xlsx workbook "
                                                    "has sheets")])
    if suffix == ".csv":
        return read_csv_text(data, name), name
    if suffix == ".xlsx":
        table, title = read_sheet(data, name, sheet, limit=MAX_AGING_BYTES)
        return table, f"{name} (sheet {title!r}, the first)" if sheet is None else f"{name} (sheet {title!r})"
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.read_table(pa.BufferReader(data)), name
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError([Problem(name, None, None, f"not a readable Parquet file: {exc}")]) from None
    raise InputError([Problem(name, None, None, f"{what} is .csv, .xlsx or .parquet")])


def invoices_from_rows(rows: list[dict], *, source: str = "rows") -> pa.Table:
    """The normalized table from dicts (tests, small tools): dates as date or ISO text, amounts as Decimal or
    text, flags as bools (default false), payable_to_debtor default 0."""
    columns: dict[str, list] = {name: [] for name in SCHEMA.names}
    for row in rows:
        for name in SCHEMA.names:
            value = row.get(name)
            if name in FLAGS:
                value = bool(value)
            elif name in ("amount", "payable_to_debtor"):
                value = str(value if value is not None else "0")
            elif name in ("invoice_date", "due_date") and isinstance(value, date):
                value = value.isoformat()
            elif value is None:
                value = ""
            columns[name].append(value)
    strings = pa.table({name: pa.array(values, pa.bool_() if name in FLAGS else pa.string())
                        for name, values in columns.items()})
    return normalize(strings, source, portfolio=False)


# --- reading ---------------------------------------------------------------------------------------------

def read_csv_text(data: bytes, name: str) -> pa.Table:
    import pyarrow.csv as pcsv

    try:
        names = pcsv.open_csv(pa.BufferReader(data)).schema.names  # the header; then every column read as text
        return pcsv.read_csv(pa.BufferReader(data), convert_options=pcsv.ConvertOptions(
            column_types={column: pa.string() for column in names}, strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise InputError([Problem(name, None, None, f"not a readable CSV file: {exc}")]) from None


# --- checking and normalizing ------------------------------------------------------------------------------

def normalize(table: pa.Table, source: str, *, portfolio: bool) -> pa.Table:
    """Check every column of an aging and give it SCHEMA; refuse it whole, naming rows, if anything is wrong."""
    names = [column_key(name) for name in table.column_names]
    table = table.rename_columns(names).select([i for i, name in enumerate(names) if name])  # blank: no column
    _check_header(table.column_names, source, portfolio)
    problems: list[Problem] = []
    out: dict[str, pa.Array] = {}
    n = table.num_rows
    for name in ("facility_id", "debtor_id", "debtor_name", "invoice_id"):
        column = text_column(table, name) if name in table.column_names else pa.array([""] * n, pa.string())
        if name != "debtor_name" and (name != "facility_id" or portfolio):
            problem_rows(problems, source, name, pc.equal(pc.utf8_length(column), 0), "is empty")
        out[name] = column
    for name in ("invoice_date", "due_date"):
        out[name] = date_column(table.column(name), name, source, problems)
    out["amount"] = money_column(table.column("amount"), "amount", source, problems)
    for name in FLAGS:
        out[name] = flag_column(table.column(name), name, source, problems) if name in table.column_names \
            else pa.array([False] * n, pa.bool_())
    out["payable_to_debtor"] = (money_column(table.column("payable_to_debtor"), "payable_to_debtor", source, problems,
                                             blank_is_zero=True)
                                if "payable_to_debtor" in table.column_names else pa.array([Decimal(0)] * n, MONEY))
    if not problems:
        _duplicates(out["facility_id"], out["invoice_id"], source, problems)
    if problems:
        raise InputError(problems)
    absent = [name for name in (*FLAGS, "payable_to_debtor") if name not in table.column_names]
    return pa.table(out, schema=SCHEMA.with_metadata({ABSENT: ",".join(absent)}))


def rows_of(invoices: pa.Table, facility_ids: set[str], source: str) -> pa.Table:
    """One borrower's rows: the whole aging when it names no facility, else the rows that name this facility (a
    file of many facilities' invoices). Refused when no row names it, or when some rows name none: a certificate
    is never computed from another facility's invoices."""
    column = invoices.column("facility_id")
    named = set(pc.unique(column).to_pylist()) - {""}
    if not named:
        return invoices
    problems: list[Problem] = []
    problem_rows(problems, source, "facility_id", pc.equal(column, ""), "is empty, while other rows name a facility")
    if not named & facility_ids:
        shown = ", ".join(sorted(named)[:5]) + (f" and {len(named) - 5:,} more" if len(named) > 5 else "")
        problems.append(Problem(source, None, "facility_id", f"names {shown}, not this facility "
                                                             f"({', '.join(sorted(facility_ids))})"))
    if problems:
        raise InputError(problems)
    return invoices.filter(pc.is_in(column, value_set=pa.array(sorted(facility_ids), pa.string())))


def absent_columns(invoices: pa.Table) -> set[str]:
    """The optional columns the aging did not have (read as false, or zero): a rule that reads one finds nothing.
    Every aging comes through `normalize`, which writes them; a table built otherwise names none."""
    written = (invoices.schema.metadata or {}).get(ABSENT.encode())
    return set(written.decode().split(",")) - {""} if written is not None else set()


def column_key(name: str) -> str:
    """A column's name as matched: case, surrounding spaces, and inner spaces or hyphens (`Due Date`) aside."""
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _check_header(names: list[str], source: str, portfolio: bool) -> None:
    """Every column loanbook reads is there once, and no other column is a misspelling of one that is absent and
    that a rule needs: an aging may carry columns of its own (they are ignored), but a flag column spelled
    `dispute` would leave every disputed invoice eligible. (A near miss of `insured` or `assigned`, such as an
    `Insurer` or an `Assignment` column, is left alone: without those columns the rules are only stricter.)"""
    problems: list[Problem] = []
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        problems.append(Problem(source, None, ", ".join(twice), "appears more than once in the header (names "
                                "are matched without regard to case, spaces and hyphens)"))
    needed = REQUIRED + (("facility_id",) if portfolio else ())
    missing = [name for name in needed if name not in names]
    if missing:
        problems.append(Problem(source, None, ", ".join(missing), "missing column(s); an aging has: "
                                + ", ".join(REQUIRED) + " (docs/eligibility.md)"))
    absent = [name for name in (*needed, *RULE_COLUMN.values()) if name not in names]
    for name in names:
        if name in SCHEMA.names:
            continue
        close = difflib.get_close_matches(name, absent, n=1, cutoff=0.8)
        if close:
            problems.append(Problem(source, None, name, f"is not a column an aging has: did you mean "
                                                        f"'{close[0]}'? (rename it, or remove the column)"))
    if problems:
        raise InputError(problems)


def text_column(table: pa.Table, name: str) -> pa.Array:
    column = table.column(name).combine_chunks()
    if not pa.types.is_string(column.type):  # large_string (as Polars writes) too: one type to compare and join
        column = pc.cast(column, pa.string())
    return pc.utf8_trim_whitespace(pc.fill_null(column, ""))


def problem_rows(problems: list[Problem], source: str, column: str, bad: pa.Array, message: str) -> None:
    """A problem naming the rows (1 is the header) where `bad` is true."""
    bad = pc.fill_null(bad, True)
    count = pc.sum(bad).as_py() or 0
    if count:
        rows = pc.indices_nonzero(bad).to_pylist()[:MAX_SHOWN]
        shown = ", ".join(str(r + 2) for r in rows) + (f" and {count - len(rows):,} more" if count > len(rows) else "")
        problems.append(Problem(source, f"row {shown}" if count == 1 else f"rows {shown}", column, message))


def date_column(column: pa.ChunkedArray, name: str, source: str, problems: list[Problem]) -> pa.Array:
    column = column.combine_chunks()
    if pa.types.is_timestamp(column.type) or pa.types.is_date64(column.type):
        column = pc.cast(column, pa.date32())
    if pa.types.is_date32(column.type):
        problem_rows(problems, source, name, pc.is_null(column), "is empty")
        return column
    text = pc.utf8_trim_whitespace(pc.fill_null(pc.cast(column, pa.string()), ""))
    shaped = pc.match_substring_regex(text, _DATE)
    problem_rows(problems, source, name, pc.invert(shaped), "is not a date written YYYY-MM-DD")
    safe = pc.if_else(shaped, text, "1970-01-01")
    parsed = pc.cast(pc.fill_null(pc.strptime(safe, format="%Y-%m-%d", unit="s", error_is_null=True), 0),
                     pa.date32())
    real = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), safe)  # 2002-11-31 does not come back as itself
    problem_rows(problems, source, name, pc.and_(shaped, pc.invert(real)), "is not a real date")
    return parsed


def money_column(column: pa.ChunkedArray, name: str, source: str, problems: list[Problem], *,
                 blank_is_zero: bool = False) -> pa.Array:
    column = column.combine_chunks()
    kind = column.type
    if pa.types.is_floating(kind):
        problems.append(Problem(source, None, name, "is a floating-point column: write amounts as decimals "
                                                    "(text or a decimal type), never floats"))
        return pa.array([Decimal(0)] * len(column), MONEY)
    if pa.types.is_decimal(kind) and 0 <= kind.scale <= 2 and kind.precision - kind.scale <= 16:
        return _cents_column(column, name, source, problems, blank_is_zero=blank_is_zero)
    if pa.types.is_decimal(kind) or pa.types.is_integer(kind):
        text = pc.fill_null(pc.cast(column, pa.string()), "")  # an empty cell of a typed column: as in a CSV
    else:
        text = pc.utf8_trim_whitespace(pc.fill_null(pc.cast(column, pa.string()), ""))
    if blank_is_zero:
        text = pc.if_else(pc.equal(text, ""), "0", text)
    if pa.types.is_decimal(kind):  # decimal(20, 4) 100.5000 is 100.50: only the zeros past the cents go
        text = pc.replace_substring_regex(pc.replace_substring_regex(text, r"(\.[0-9]*?)0+$", r"\1"), r"\.$", "")
    if not (pa.types.is_decimal(kind) or pa.types.is_integer(kind)):
        text = _plain_amount(text)
    shaped = pc.match_substring_regex(text, _AMOUNT)
    problem_rows(problems, source, name, pc.invert(shaped),
                 "is not an amount in dollars and cents (like 12500.00, -310.50, $1,250.00 or (310.50))")
    return pc.cast(pc.if_else(shaped, text, "0"), MONEY)


def _cents_column(column: pa.Array, name: str, source: str, problems: list[Problem], *,
                  blank_is_zero: bool) -> pa.Array:
    """A decimal column whose every value is an amount already (at most 16 digits before the point, 2 after, as
    `_AMOUNT` asks): cast, not read as text, which costs a million rows a second of CPU. Only empty cells are
    refused (or read as zero), as the text path does."""
    if not blank_is_zero:
        problem_rows(problems, source, name, pc.is_null(column),
                     "is not an amount in dollars and cents (like 12500.00, -310.50, $1,250.00 or (310.50))")
    return pc.cast(pc.fill_null(pc.cast(column, MONEY), Decimal(0)), MONEY)


def _plain_amount(text: pa.Array) -> pa.Array:
    """$1,234.56 as 1234.56 and (1,234.56) as -1234.56; anything else as it was, for `_AMOUNT` to judge. A
    parenthesis without its pair, or a sign with parentheses, is left as it was, and refused."""
    written = pc.match_substring_regex(text, _WRITTEN)
    opened = pc.starts_with(pc.replace_substring_regex(text, r"^-?\$?", ""), "(")
    closed = pc.ends_with(text, ")")
    negative = pc.starts_with(text, "-")
    paired = pc.equal(opened, closed)
    one_sign = pc.less_equal(pc.count_substring(text, "$"), 1)
    fine = pc.and_(pc.and_(written, one_sign), pc.and_(paired, pc.invert(pc.and_(opened, negative))))
    digits = pc.replace_substring_regex(text, r"[$,()-]", "")
    plain = pc.if_else(pc.or_(opened, negative), pc.binary_join_element_wise("-", digits, ""), digits)
    return pc.if_else(fine, plain, text)


def flag_column(column: pa.ChunkedArray, name: str, source: str, problems: list[Problem]) -> pa.Array:
    column = column.combine_chunks()
    if pa.types.is_boolean(column.type):
        return pc.fill_null(column, False)
    text = pc.utf8_lower(pc.utf8_trim_whitespace(pc.fill_null(pc.cast(column, pa.string()), "")))
    true = pc.is_in(text, value_set=pa.array(_TRUE))
    problem_rows(problems, source, name, pc.invert(pc.or_(true, pc.is_in(text, value_set=pa.array(_FALSE)))),
                 "is not true or false (true/false, yes/no, 1/0, or empty)")
    return true


def _duplicates(facility: pa.Array, invoice: pa.Array, source: str, problems: list[Problem]) -> None:
    counts = pa.table({"f": facility, "i": invoice}).group_by(["f", "i"]).aggregate([([], "count_all")])
    if (pc.max(counts.column("count_all")).as_py() or 0) > 1:  # grouped by both columns: no joined key to build
        keys = pc.binary_join_element_wise(facility, invoice, "\x1f")
        repeated = counts.filter(pc.greater(counts.column("count_all"), 1))
        repeated = pc.binary_join_element_wise(repeated.column("f"), repeated.column("i"), "\x1f")
        problem_rows(problems, source, "invoice_id", pc.is_in(keys, value_set=repeated.combine_chunks()),
                     "repeats an invoice id: each invoice is one row")
