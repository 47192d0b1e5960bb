"""xlsx agings (calamine through fastexcel; python-calamine cell by cell for a column of two kinds): every cell as the
same aging's CSV would hold it, whichever way the sheet is read; --sheet. Real workbooks, written by openpyxl."""
import json
import math
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from typer.testing import CliRunner

from conftest import SEED
from loanbook.cli import app
from loanbook.core.errors import InputError
from loanbook.portfolio.aging import read_aging
from loanbook.portfolio.xlsx import cell_text, shown

AGING = SEED / "agings" / "aging-2002-12-16.csv"
HEADER = ["debtor_id", "debtor_name", "invoice_id", "invoice_date", "due_date", "amount"]
runner = CliRunner()


def workbook(path, rows, *, title="Aging", before=()):
    """A workbook whose sheets `before` (title, rows) come first, then the aging's sheet."""
    book = Workbook()
    book.remove(book.active)
    for name, content in (*before, (title, rows)):
        sheet = book.create_sheet(name)
        for row in content:
            sheet.append(row)
    book.save(path)
    return path


def seed_rows(amounts=float, dates=lambda d: d):
    """The seed's aging as a sheet: its header, then each row with amounts and dates written by the functions."""
    table = read_aging(AGING)
    names = AGING.read_text().split("\n", 1)[0].split(",")  # the CSV's own columns
    rows = [names]
    for row in table.to_pylist():
        rows.append([amounts(row[n]) if isinstance(row[n], D) else dates(row[n]) if isinstance(row[n], date)
                     else row[n] for n in names])
    return rows


def test_a_column_of_two_kinds_is_read_cell_by_cell_to_the_same_table(tmp_path):
    """Amounts as numbers beside amounts as an accounting export writes them, dates as date cells beside ISO
    text and a date-time, ids as numbers beside text: each cell as the CSV would hold it."""
    rows = seed_rows()
    rows[1][5] = "$400,000.00"  # text in the amount column
    rows[2][3] = "2002-11-01"  # text in the date column
    rows[3][4] = datetime(2002, 12, 26, 17, 30)  # a date with a time: the time is dropped
    mixed = workbook(tmp_path / "mixed.xlsx", rows)
    assert read_aging(mixed).equals(read_aging(AGING))
    numbers = seed_rows()
    for row in numbers[1:]:
        row[0] = 1000 + int(row[0][1:])  # debtor ids as numbers: D1 is 1001
    as_csv = tmp_path / "numbers.csv"
    as_csv.write_text(AGING.read_text().replace("\nD", "\n100"))
    assert read_aging(workbook(tmp_path / "numbers.xlsx", numbers)).equals(read_aging(as_csv))
    numbers[1][0] = "1001"  # and with one id as text, read cell by cell: the same
    assert read_aging(workbook(tmp_path / "numbers-mixed.xlsx", numbers)).equals(read_aging(as_csv))


def test_an_amount_of_a_formula_is_read_as_excel_shows_it_in_a_column_of_two_kinds(tmp_path):
    rows = [HEADER, ["D1", "One", "I-1", "2002-11-01", "2002-12-01", 250000.0099999999],
            ["D2", "Two", "I-2", "2002-11-01", "2002-12-01", "(310.50)"],
            ["D3", "Three", "I-3", "2002-11-01", "2002-12-01", 0.1 + 0.2]]
    aging = workbook(tmp_path / "aging.xlsx", rows)
    assert read_aging(aging).column("amount").to_pylist() == [D("250000.01"), D("-310.50"), D("0.30")]


def test_an_excel_error_is_refused_where_a_value_is_checked_and_read_as_text_elsewhere(tmp_path):
    """#N/A in a flag column is not false (the invoice would count as eligible): it is refused, naming its row,
    whether the column is otherwise booleans or text; in the name column it is the name."""
    rows = seed_rows()
    disputed = rows[0].index("disputed")
    for text in (False, True):
        flagged = [row[:] for row in rows]
        for row in flagged[1:]:
            row[disputed] = ("yes" if row[disputed] else "") if text else row[disputed]
        flagged[3][disputed] = "#N/A"  # an error cell (openpyxl writes it as one): row 4 of the sheet
        with pytest.raises(InputError, match="row 4: field 'disputed': is not true or false"):
            read_aging(workbook(tmp_path / "flag.xlsx", flagged))
    named = seed_rows()
    named[1][1] = "#N/A"
    assert read_aging(workbook(tmp_path / "name.xlsx", named)).column("debtor_name")[0].as_py() == "#N/A"
    amount = seed_rows()
    amount[3][5] = "#DIV/0!"
    with pytest.raises(InputError, match="row 4: field 'amount': is not an amount"):
        read_aging(workbook(tmp_path / "amount.xlsx", amount))


def test_dates_as_date_cells_iso_cells_and_in_a_1904_workbook(tmp_path):
    rows = seed_rows(dates=lambda d: datetime(d.year, d.month, d.day))
    iso = tmp_path / "iso.xlsx"
    workbook(iso, rows)
    from openpyxl import load_workbook

    book = load_workbook(iso)
    for row in book.active.iter_rows(min_row=2, min_col=4, max_col=5):
        for cell in row:
            cell.data_type = "d"  # <c t="d"><v>2002-11-16T00:00:00</v></c>
    book.save(iso)
    assert read_aging(iso).equals(read_aging(AGING))
    book = Workbook()
    book.epoch = datetime(1904, 1, 1)  # a workbook from a Mac: serial 0 is 1904-01-01
    for row in seed_rows():
        book.active.append(row)
    book.save(tmp_path / "mac.xlsx")
    assert read_aging(tmp_path / "mac.xlsx").equals(read_aging(AGING))


def test_an_empty_date_is_refused_as_the_csv_s_is(tmp_path):
    rows = seed_rows()
    rows[3][4] = None
    with pytest.raises(InputError, match="row 4: field 'due_date': is not a date written YYYY-MM-DD"):
        read_aging(workbook(tmp_path / "aging.xlsx", rows))


def test_a_header_cell_written_twice_is_refused_and_blank_ones_are_not_read(tmp_path):
    """fastexcel renames a second `amount` to `amount_1`: the name as written is checked (it was read as one more
    column of the borrower's own, and the first amount taken)."""
    rows = seed_rows()
    twice = [[*row, row[5]] for row in rows]
    with pytest.raises(InputError, match="field 'amount': appears more than once in the header"):
        read_aging(workbook(tmp_path / "twice.xlsx", twice))
    blank = [[*row[:2], None, *row[2:], None, "x"] if i == 0 else [*row[:2], "note", *row[2:], 5, "y"]
             for i, row in enumerate(rows)]
    blank[0][-1] = None
    assert read_aging(workbook(tmp_path / "blank.xlsx", blank)).equals(read_aging(AGING))


def test_an_empty_sheet_and_a_file_that_is_not_a_workbook_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"the sheet 'Aging' is empty"):
        read_aging(workbook(tmp_path / "empty.xlsx", []))
    (tmp_path / "text.xlsx").write_text("debtor_id,amount\n")
    with pytest.raises(InputError, match="not a readable Excel workbook"):
        read_aging(tmp_path / "text.xlsx")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                 st.decimals(min_value=-10**13, max_value=10**13, places=2).map(float),
                 st.integers(-10**16, 10**16).map(float)))
def test_a_column_of_numbers_shows_each_as_cell_text_does(value):
    """The column at once (`shown`) and the rule cell by cell (`cell_text`, Excel's 15 significant digits) agree."""
    assert shown(pa.array([value, None])).to_pylist() == [cell_text(value), ""]


def test_numbers_shown_at_once_include_the_awkward_ones():
    values = [0.0, -0.0, 1e-7, 5e-324, 1e16, 123456789012345.6, -0.05, 250000.0099999999, 0.1 + 0.2, 12.5,
              1e15 - 1, 99999999999999.99]
    assert shown(pa.array(values)).to_pylist() == [cell_text(v) for v in values]
    assert cell_text(-0.0) == "-0" and not math.isnan(float(cell_text(5e-324)))


# --- --sheet ------------------------------------------------------------------------------------------------

def bbc(*args):
    return runner.invoke(app, ["bbc", "compute", "--facility", str(SEED), "--as-of", "2002-12-16", "--json", *args])


def test_sheet_names_the_aging_s_sheet_behind_a_cover_page(tmp_path):
    aging = workbook(tmp_path / "aging.xlsx", seed_rows(),
                     before=[("Cover", [["Receivables aging", "as of 2002-12-16"]])])
    first = bbc("--aging", str(aging))
    assert first.exit_code == 2 and "(sheet 'Cover', the first)" in first.stderr
    named = bbc("--aging", str(aging), "--sheet", "Aging")
    assert named.exit_code == 0, named.output
    from_csv = json.loads(bbc("--aging", str(AGING)).stdout)
    assert json.loads(named.stdout) == {**from_csv, "recorded": None}
    unknown = bbc("--aging", str(aging), "--sheet", "aging")
    assert unknown.exit_code == 2
    assert "has no sheet 'aging'; its sheets: 'Cover', 'Aging'" in unknown.stderr
    rows = seed_rows()
    rows[1][0] = None  # a problem in the named sheet names it
    named = bbc("--aging", str(workbook(tmp_path / "bad.xlsx", rows, before=[("Cover", [["x"]])])),
                "--sheet", "Aging")
    assert named.exit_code == 2 and "bad.xlsx (sheet 'Aging'): row 2: field 'debtor_id': is empty" in named.stderr


def test_sheet_with_a_csv_or_parquet_aging_is_refused(tmp_path):
    result = bbc("--aging", str(AGING), "--sheet", "Aging")
    assert result.exit_code == 2
    assert "a sheet is named ('Aging'), but only an xlsx workbook has sheets" in result.stderr
    import pyarrow.parquet as pq

    pq.write_table(read_aging(AGING), tmp_path / "aging.parquet")
    assert bbc("--aging", str(tmp_path / "aging.parquet"), "--sheet", "Aging").exit_code == 2


def test_portfolio_run_reads_the_named_sheet_of_its_aging(tmp_path):
    """`portfolio run --aging book.xlsx --sheet Invoices`: the same rows as the book's Parquet aging."""
    from loanbook.portfolio.book import write_facility_book
    from loanbook.portfolio.run import folder_book, run_portfolio

    day = date(2024, 3, 31)
    parquet = write_facility_book(tmp_path / "book", facilities=2, invoices=60, seed=3, as_of=day)
    table = read_aging(parquet, portfolio=True)
    rows = [table.column_names]
    for row in table.to_pylist():
        rows.append([float(v) if isinstance(v, D) else v for v in row.values()])
    aging = workbook(tmp_path / "aging.xlsx", rows, title="Invoices", before=[("Notes", [["read me"]])])
    assert read_aging(aging, portfolio=True, sheet="Invoices").equals(table)
    book = folder_book(tmp_path / "book")
    assert [replace(r, aging=None) for r in run_portfolio(book, day, portfolio_aging=aging, aging_sheet="Invoices")] \
        == [replace(r, aging=None) for r in run_portfolio(book, day, portfolio_aging=parquet)]
    result = runner.invoke(app, ["portfolio", "run", "--as-of", day.isoformat(), "--book", str(tmp_path / "book"),
                                 "--aging", str(aging), "--sheet", "Invoices", "--json"])
    assert result.exit_code == 0, result.output
    alone = runner.invoke(app, ["portfolio", "run", "--as-of", day.isoformat(), "--book", str(tmp_path / "book"),
                                "--sheet", "Invoices"])
    assert alone.exit_code == 2 and "--sheet names a sheet of the --aging file" in alone.stderr


# --- a large sheet, in blocks of rows ------------------------------------------------------------------------

def blocks_apply(data: bytes, block_bytes: int) -> bool:
    """Whether the sheet is read in blocks (and not whole, because the blocks would not fit it)."""
    from loanbook.core.workbook import check_workbook
    from loanbook.portfolio.xlsx_blocks import Blocks

    blocks = Blocks.of(data, None, block_bytes, shown)
    assert blocks is not None
    try:
        check_workbook(data, "x.xlsx", limit=2**31, sink=blocks.sink)
        return blocks.table() is not None
    finally:
        blocks.close()


def both_ways(path, block_bytes=20_000):
    """The sheet read in blocks of `block_bytes` of XML, and read whole."""
    from loanbook.portfolio.xlsx import read_sheet

    data = path.read_bytes()
    return (read_sheet(data, path.name, None, limit=2**31, block_bytes=block_bytes),
            read_sheet(data, path.name, None, limit=2**31, block_bytes=2**40))


def test_a_sheet_in_blocks_is_the_sheet_read_whole(tmp_path):
    """Header from column B, a stray note in column A far down and cells right of the header, empty rows across
    block ends, error cells in a late block, dates, amounts, flags, a column with cells in one block only: cell for
    cell the whole sheet's table."""
    book = Workbook()
    sheet = book.active
    header = ["debtor_id", "debtor_name", None, "invoice_date", "amount", "disputed", "payable_to_debtor"]
    for j, name in enumerate(header, start=2):
        sheet.cell(1, j, name)
    for i in range(2, 3200):
        if 700 <= i < 760 or 1900 <= i < 1903:
            continue  # rows with no cell, some where a block ends
        values = [f"D{i % 37}", f"Debtor {i % 37} & Sons", None, date(2002, 1 + i % 12, 1 + i % 28),
                  round(i * 12.345, 2) if i % 97 else 0.1 + 0.2, i % 5 == 0, 250.0 if 1000 < i < 1010 else None]
        for j, value in enumerate(values, start=2):
            sheet.cell(i, j, value)
    sheet.cell(2500, 1, "a note in column A")
    sheet.cell(3000, 9, "a cell right of the header")
    sheet.cell(3100, 7, "#N/A")
    sheet.cell(150, 3, "#REF!")
    book.save(tmp_path / "aging.xlsx")
    assert blocks_apply((tmp_path / "aging.xlsx").read_bytes(), 20_000)
    (in_blocks, title), (whole, _) = both_ways(tmp_path / "aging.xlsx")
    assert title == "Sheet" and in_blocks.column_names == whole.column_names and in_blocks.num_rows == 3198
    assert in_blocks.equals(whole)


def test_a_column_of_two_kinds_across_blocks_is_read_cell_by_cell(tmp_path):
    rows = [HEADER] + [[f"D{i}", "x", f"I-{i}", date(2002, 11, 1), date(2002, 12, 1), 100.0 + i]
                       for i in range(3000)]
    rows[2500][5] = "(310.50)"  # text amounts only in a late block
    aging = workbook(tmp_path / "aging.xlsx", rows)
    assert not blocks_apply(aging.read_bytes(), 20_000)
    (in_blocks, _), (whole, _) = both_ways(aging)
    assert in_blocks.equals(whole) and in_blocks.column("amount")[2499].as_py() == "(310.50)"


def test_a_generated_aging_in_blocks_is_its_csv(tmp_path):
    """As the benchmark writes it (benchmarks/aging_xlsx.py): the same table as the CSV, read in blocks."""
    import pyarrow.csv as pcsv

    from loanbook.portfolio.generate import generate_invoices

    table = pa.concat_tables(generate_invoices(1, 4000, 7, date(2024, 3, 31))).drop_columns(["facility_id"])
    pcsv.write_csv(table, tmp_path / "aging.csv")
    rows = [table.column_names]
    for row in table.to_pylist():
        rows.append([float(v) if isinstance(v, D) else v for v in row.values()])
    aging = workbook(tmp_path / "aging.xlsx", rows)
    assert blocks_apply(aging.read_bytes(), 50_000)
    (in_blocks, _), (whole, _) = both_ways(aging, 50_000)
    assert in_blocks.equals(whole)
    from loanbook.portfolio.aging import normalize

    assert normalize(in_blocks, "aging.xlsx", portfolio=False).equals(read_aging(tmp_path / "aging.csv"))


def test_cells_far_apart_in_a_sheet_read_in_blocks_are_refused_before_a_block_holds_them(tmp_path):
    """A cell at XFD in the middle of a large sheet: no block after it is parsed (its grid would end the process);
    the sheet is counted whole and refused."""
    from loanbook.portfolio.xlsx import read_sheet

    rows = [HEADER] + [[f"D{i}", "x", f"I-{i}", date(2002, 11, 1), date(2002, 12, 1), 100.0 + i]
                       for i in range(3000)]
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.active.cell(1500, 16384, 1)
    book.active.cell(1048576, 1, 1)
    book.save(tmp_path / "aging.xlsx")
    with pytest.raises(InputError, match="its cells span 1,048,576 rows by 16,384 columns"):
        read_sheet((tmp_path / "aging.xlsx").read_bytes(), "aging.xlsx", None, limit=2**31, block_bytes=20_000)
