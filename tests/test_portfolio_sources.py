"""One answer for one question: a portfolio row gives the figures `status` gives for the facility and day, from
the value it names as its source (the record's report, or the aging, valued exactly as `bbc compute` values it)."""
import json
import shutil
from datetime import date
from decimal import Decimal as D

from conftest import SEED
from typer.testing import CliRunner

from loanbook.cli import app
from loanbook.portfolio.run import folder_book, run_portfolio

runner = CliRunner()
DAY = date(2002, 12, 16)  # the day of the seed's shipped aging


def bbc(*args: str, env: dict | None = None) -> dict:
    result = runner.invoke(app, ["bbc", "compute", *args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_facility_s_own_aging_is_read_as_bbc_compute_reads_it(tmp_path):
    """The seed's aging with a facility_id column, its rows naming iec-2002 and one more naming another facility
    (500,000.00, current): `bbc compute` certifies iec-2002's rows only, and so does the run (it took every row of
    the file, so the other facility's invoice moved the concentration limit and the value)."""
    folder = tmp_path / "book" / "iec-2002"
    shutil.copytree(SEED, folder)
    aging = folder / "agings" / "aging-2002-12-16.csv"
    header, *rows = aging.read_text().splitlines()
    aging.write_text("\n".join([f"facility_id,{header}", *(f"iec-2002,{r}" for r in rows),
                                "other-2002,D9,Other Co.,INV-1,2002-12-01,2002-12-31,500000.00,,,,"]) + "\n")
    certified = bbc("--facility", str(folder), "--aging", str(aging), "--as-of", DAY.isoformat())
    [row] = run_portfolio(folder_book(folder.parent), DAY)
    # the seed's certificate, worked in tests/test_bbc.py: 1,030,000.00 eligible, no advance rate in the terms
    assert D(certified["value"]) == row.value == D("1030000.00")
    assert row.gross == D(certified["gross"]) == D("1642000.00")  # the 14 rows of iec-2002, not the other's
