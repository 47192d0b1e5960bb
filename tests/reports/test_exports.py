"""`--out FILE`: the same rows as CSV, xlsx and Parquet, chosen by the extension; an unknown extension refused."""
import csv
import json
from datetime import date, datetime
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from conftest import DNOW, SEED
from loanbook.cli import app

runner = CliRunner()

COMMANDS = [
    ("status", SEED, ["--as-of", "2002-10-15"]),
    ("timeline", SEED, ["--from", "2002-10-01", "--to", "2002-10-31"]),
    ("interest", SEED, ["--from", "2002-10-01", "--to", "2002-12-31"]),
    ("fees", SEED, ["--as-of", "2002-11-20"]),
    ("covenants", DNOW, ["--as-of", "2023-12-31"]),
    ("fees", DNOW, ["--as-of", "2023-12-31"]),
]


def write(tmp_path, command, facility, args, suffix):
    path = tmp_path / f"{command}{suffix}"
    result = runner.invoke(app, [command, "--facility", str(facility), *args, "--out", str(path)])
    assert result.exit_code == 0, result.output
    return path


def csv_rows(path):
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def as_text(value, csv_cell: str) -> str:
    """An xlsx cell as its CSV cell would write it: a number compared as a number (the file holds the Decimal's
    digits; openpyxl reads a double, exact to 15 digits), a date as its ISO day."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, (int, float)):
        return csv_cell if Decimal(repr(value)) == Decimal(csv_cell) else repr(value)
    return str(value)


@pytest.mark.parametrize(("command", "facility", "args"), COMMANDS)
def test_xlsx_read_back_equals_the_csv(tmp_path, command, facility, args):
    rows = csv_rows(write(tmp_path, command, facility, args, ".csv"))
    book = load_workbook(write(tmp_path, command, facility, args, ".xlsx"), read_only=True)
    width = len(rows[0])  # a read-only sheet leaves out a row's empty cells at its end
    sheet = [list(r) + [None] * (width - len(r)) for r in book.active.iter_rows(values_only=True)]
    assert len(rows) > 1, "a command with nothing to list proves nothing"
    assert [[as_text(v, c) for v, c in zip(xr, cr)] for xr, cr in zip(sheet, rows)] == rows
    assert len(sheet) == len(rows)


@pytest.mark.parametrize(("command", "facility", "args"), COMMANDS)
def test_parquet_holds_the_same_rows_typed(tmp_path, command, facility, args):
    rows = csv_rows(write(tmp_path, command, facility, args, ".csv"))
    table = pq.read_table(write(tmp_path, command, facility, args, ".parquet"))
    assert table.column_names == rows[0]
    assert table.num_rows == len(rows) - 1


def test_status_rows_are_the_json_figures(tmp_path):
    """The CSV's availability and borrowing capacity are the figures `status --json` gives."""
    rows = csv_rows(write(tmp_path, "status", SEED, ["--as-of", "2002-10-15"], ".csv"))
    amounts = {r[1]: r[4] for r in rows[1:]}
    answer = json.loads(runner.invoke(app, ["status", "--facility", str(SEED), "--as-of", "2002-10-15",
                                            "--json"]).stdout)
    for key in ("borrowing_capacity", "iec_borrowing_capacity", "maximum_limit", "term_loan_reserve"):
        assert amounts[key] == answer[key]
    assert amounts["availability"] == answer["availability"]


def test_timeline_typed_columns(tmp_path):
    """A day's row in Parquet keeps its types: the date a date, money a Decimal with two places."""
    table = pq.read_table(write(tmp_path, "timeline", SEED, ["--from", "2002-10-27", "--to", "2002-10-28"],
                                ".parquet")).to_pylist()
    assert [r["date"] for r in table] == [date(2002, 10, 27), date(2002, 10, 28)]
    # RULES.md section 3: the overadvance cap drops from 300,000.00 to 0.00 on 2002-10-28; the limit is the lesser
    # of the cap and the Term Loan Reserve (250,000.00): 250,000.00, then 0.00.
    assert [r["overadvance_limit"] for r in table] == [Decimal("250000.00"), Decimal("0.00")]


@pytest.mark.parametrize("name", ["book.txt", "book", "book.json", "book.xls"])
def test_an_unknown_extension_is_refused_before_anything_is_written(tmp_path, name):
    path = tmp_path / name
    result = runner.invoke(app, ["status", "--facility", str(SEED), "--as-of", "2002-10-15", "--out", str(path)])
    assert result.exit_code == 2
    assert "names no format loanbook writes" in result.stderr and ".csv" in result.stderr
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_portfolio_run_refuses_an_unknown_extension(tmp_path):
    result = runner.invoke(app, ["portfolio", "run", "--as-of", "2024-03-31", "--book", str(tmp_path),
                                 "--out", str(tmp_path / "book.txt")])
    assert result.exit_code == 2 and "names no format" in result.stderr


NOTES = st.one_of(st.text(max_size=20).filter(str.isprintable), st.just('=HYPERLINK("http://x", "y")'),
                  st.just("=1+1"))
MONEY_CELLS = st.one_of(st.none(), st.decimals(min_value=Decimal("-9999999999999.99"),
                                               max_value=Decimal("9999999999999.99"), places=2))
RATE_CELLS = st.one_of(st.none(), st.decimals(min_value=Decimal("-999999"), max_value=Decimal("999999"), places=6))


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(st.dates(), MONEY_CELLS, RATE_CELLS, NOTES),
                     min_size=1, max_size=20))
def test_any_rows_read_back_the_same_from_csv_xlsx_and_parquet(tmp_path_factory, rows):
    """Money below ten trillion (15 significant digits, what a spreadsheet's double holds exactly) and rates of
    up to six places: the xlsx cells read back as the CSV's text, and Parquet gives back the Decimals."""
    import pyarrow as pa

    from loanbook.reports.exports import MONEY, RATE, write_table

    folder = tmp_path_factory.mktemp("rows")
    table = pa.table({"day": pa.array([r[0] for r in rows], pa.date32()),
                      "amount": pa.array([r[1] for r in rows], MONEY), "rate": pa.array([r[2] for r in rows], RATE),
                      "note": pa.array([r[3] for r in rows], pa.string())})
    for suffix in (".csv", ".xlsx", ".parquet"):
        write_table(table, folder / f"rows{suffix}")
    text = csv_rows(folder / "rows.csv")
    sheet = [list(r) + [None] * (4 - len(r)) for r in load_workbook(folder / "rows.xlsx").active.iter_rows(
        values_only=True)]
    assert [[as_text(v, c) for v, c in zip(xr, cr)] for xr, cr in zip(sheet, text)] == text
    book = load_workbook(folder / "rows.xlsx")
    assert all(cell.data_type != "f" for line in book.active.iter_rows() for cell in line)
    back = pq.read_table(folder / "rows.parquet").to_pylist()
    assert [(r["day"], r["amount"], r["rate"]) for r in back] == [(r[0], r[1], r[2]) for r in rows]


def test_a_written_file_is_an_ordinary_file(tmp_path):
    """Written through a temporary file (owner-only while it is filled), the result has the permissions a new file
    gets (the umask's), not the temporary's."""
    import os

    mask = os.umask(0o022)
    try:
        path = write(tmp_path, "status", SEED, ["--as-of", "2002-10-15"], ".csv")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["status.csv"]
