"""One answer for one question: a portfolio row gives the figures `status` gives for the facility and day, from
the value it names as its source (the record's report, or the aging, valued exactly as `bbc compute` values it)."""
import json
import shutil
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from conftest import SEED
from loanbook.cli import app
from loanbook.portfolio.run import folder_book, run_portfolio

runner = CliRunner()
DAY = date(2002, 12, 16)  # the day of the seed's shipped aging
SHIPPED = SEED / "agings" / "aging-2002-12-16.csv"


def cli(*args: str, env: dict) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def bbc(*args: str, env: dict | None = None) -> dict:
    return json.loads(cli("bbc", "compute", *args, "--json", env=env or {}))


def status(facility: str, day: str, env: dict) -> dict:
    return json.loads(cli("status", "--facility", facility, "--as-of", day, "--json", env=env))


def book(day: str, env: dict, *more: str) -> dict[str, dict]:
    """`portfolio run` on the store's facilities, its rows by facility id."""
    return {r["facility_id"]: r for r in json.loads(cli("portfolio", "run", "--as-of", day, "--json", *more,
                                                        env=env))["facilities"]}


def figures(row: dict) -> tuple:
    """What a row and `status` both give: the class's value, borrowing base, availability, overadvance, limit
    and the rules broken."""
    return (row["value"], row["borrowing_base"], row["availability"], row["overadvance"], row["overadvance_limit"],
            row["breaches"])


def status_figures(s: dict) -> tuple:
    base = s["borrowing_base"]
    return (base["collateral"]["receivables_borrowing_base"], base["total"], s["availability"], s["overadvance"],
            s["overadvance_limit"], sorted({b["rule"] for b in s["breaches"]}))


def corrected_aging(directory: Path) -> Path:
    """The seed's aging with INV-20711 (D1, 400,000.00) paid. Its certificate on any day from 2002-12-13 to
    2002-12-31 (the same invoices are over 90 days): gross 1,642,000 - 400,000 = 1,242,000; foreign 45,000,
    government 35,000, disputed 15,000, aged 107,000, credit added back 8,000, cross-aging 20,000 and contra
    12,000 as in the seed's (tests/portfolio/test_bbc.py); the balances left are D1 300,000, D2 370,000, D3 150,000 and
    D7 180,000, T = 1,000,000, 25% = 250,000: concentration D1 50,000 + D2 120,000 = 170,000. Eligible
    1,242,000 - 412,000 = 830,000.00, the value (the terms have no advance rate)."""
    path = directory / "aging-corrected.csv"
    path.write_text("".join(line for line in SHIPPED.read_text().splitlines(keepends=True) if "INV-20711" not in line))
    return path


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
    # the seed's certificate, worked in tests/portfolio/test_bbc.py: 1,030,000.00 eligible, no advance rate in the terms
    assert D(certified["value"]) == row.value == D("1030000.00")
    assert row.gross == D(certified["gross"]) == D("1642000.00")  # the 14 rows of iec-2002, not the other's


def test_every_row_of_a_stored_book_is_what_status_gives_from_the_source_it_names(tmp_path):
    """Three stored copies of the seed on 2002-12-16, the day of the aging its folder holds. `iec-2002` has a
    certificate of a corrected aging recorded for that day by `bbc compute --record`: the record's, which the run
    replaced by the folder's aging (875,500.00 where status said 705,500.00). `iec-no-aging` has no aging: its
    record's last report. `iec-shipped` has nothing newer than the folder's aging in its record: the aging's, and
    once that certificate is recorded, status gives the same figures and the run names the record."""
    env = {"LOANBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    no_aging = tmp_path / "no-aging"
    shutil.copytree(SEED, no_aging, ignore=shutil.ignore_patterns("agings"))
    cli("import", str(SEED), env=env)
    cli("import", str(no_aging), "--id", "iec-no-aging", env=env)
    cli("import", str(SEED), "--id", "iec-shipped", env=env)
    recorded = bbc("--facility", "iec-2002", "--aging", str(corrected_aging(tmp_path)), "--as-of", DAY.isoformat(),
                   "--record", env=env)
    assert recorded["value"] == "830000.00" and recorded["recorded"]["keys"] == ["borrowing_base_report@2002-12-16#1"]

    rows = book(DAY.isoformat(), env, "--out", str(tmp_path / "run.parquet"))
    assert set(rows) == {"iec-2002", "iec-no-aging", "iec-shipped"}
    for facility, row in rows.items():
        if row["source"] == "record":
            assert figures(row) == status_figures(status(facility, DAY.isoformat(), env)), facility
    # iec-2002: 830,000.00 x 85% = 705,500.00 of capacity; advances 1,170,000.00 (1,250,000 + 100,000 + 40,000 -
    # 100,000 - 120,000) are over it by 464,500.00, past the overadvance limit 0.00: availability 0.00, a breach
    assert (rows["iec-2002"]["source"], rows["iec-2002"]["source_date"]) == ("record", "2002-12-16")
    assert figures(rows["iec-2002"]) == ("830000.00", "705500.00", "0.00", "464500.00", "0.00", ["overadvance_limit"])
    assert rows["iec-2002"]["aging"] is rows["iec-2002"]["gross"] is rows["iec-2002"]["eligible"] is None
    # iec-no-aging: the report of 2002-12-02, 1,460,000.00 x 85% = 1,241,000.00; 1,241,000.00 - 1,170,000.00 =
    # 71,000.00 available, no overadvance
    assert (rows["iec-no-aging"]["source"], rows["iec-no-aging"]["source_date"]) == ("record", "2002-12-02")
    assert figures(rows["iec-no-aging"]) == ("1460000.00", "1241000.00", "71000.00", "0.00", "0.00", [])

    # iec-shipped: the folder's aging, newer than the report of 2002-12-02: the value `bbc compute` gives for that
    # file and day, 1,030,000.00 (tests/portfolio/test_bbc.py) x 85% = 875,500.00; over by
    # 1,170,000 - 875,500 = 294,500.00
    shipped = rows["iec-shipped"]
    assert (shipped["source"], shipped["source_date"], shipped["aging"]) == \
        ("aging", "2002-12-16", "agings/aging-2002-12-16.csv")
    assert shipped["value"] == bbc("--facility", "iec-shipped", "--aging", str(SHIPPED), "--as-of", DAY.isoformat(),
                                   env=env)["value"]
    assert figures(shipped) == ("1030000.00", "875500.00", "0.00", "294500.00", "0.00", ["overadvance_limit"])
    assert status_figures(status("iec-shipped", DAY.isoformat(), env))[1] == "1241000.00"  # the record: 12-02's
    bbc("--facility", "iec-shipped", "--aging", str(SHIPPED), "--as-of", DAY.isoformat(), "--record", env=env)
    assert status_figures(status("iec-shipped", DAY.isoformat(), env)) == figures(shipped)
    again = book(DAY.isoformat(), env)
    assert (again["iec-shipped"]["source"], again["iec-shipped"]["source_date"]) == ("record", "2002-12-16")
    assert figures(again["iec-shipped"]) == figures(shipped)
    assert again["iec-2002"] == rows["iec-2002"] and again["iec-no-aging"] == rows["iec-no-aging"]

    # the source in the Parquet file and in the table
    written = {r["facility_id"]: r for r in pq.read_table(tmp_path / "run.parquet").to_pylist()}
    assert {f: (r["source"], r["source_date"]) for f, r in written.items()} == {
        "iec-2002": ("record", DAY), "iec-no-aging": ("record", date(2002, 12, 2)), "iec-shipped": ("aging", DAY)}
    assert written["iec-2002"]["borrowing_base"] == D("705500.00")
    table = cli("portfolio", "run", "--as-of", DAY.isoformat(), env=env)
    assert "recorded report of 2002-12-16" in table and "recorded report of 2002-12-02" in table


def test_an_aging_newer_than_the_recorded_report_wins(tmp_path):
    """The latest information on the day wins. A certificate of the corrected aging recorded for 2002-12-13
    (830,000.00), then the folder's aging of 2002-12-16: on 2002-12-20 the run takes the aging, the newer, at
    the value `bbc compute` gives for it that day, while status, which knows only the record, still says 12-13's.
    Once the aging's certificate is recorded, both say the same. Before the aging's day, the record's report."""
    env = {"LOANBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    cli("import", str(SEED), env=env)
    bbc("--facility", "iec-2002", "--aging", str(corrected_aging(tmp_path)), "--as-of", "2002-12-13", "--record",
        env=env)
    # 2002-12-14: the aging of 12-16 is not yet there; the record's 830,000.00 x 85% = 705,500.00
    [before] = book("2002-12-14", env).values()
    assert (before["source"], before["source_date"], before["borrowing_base"]) == ("record", "2002-12-13", "705500.00")
    assert figures(before) == status_figures(status("iec-2002", "2002-12-14", env))

    [row] = book("2002-12-20", env).values()
    certified = bbc("--facility", "iec-2002", "--aging", str(SHIPPED), "--as-of", "2002-12-20", env=env)
    # the aging of 12-16 on 12-20: the same invoices over 90 days as on 12-16, 1,030,000.00; x 85% = 875,500.00
    assert (row["source"], row["source_date"], row["aging"]) == ("aging", "2002-12-16", "agings/aging-2002-12-16.csv")
    assert row["value"] == certified["value"] == "1030000.00" and row["borrowing_base"] == "875500.00"
    assert status("iec-2002", "2002-12-20", env)["borrowing_capacity"] == "705500.00"  # the record's 12-13 report
    bbc("--facility", "iec-2002", "--aging", str(SHIPPED), "--as-of", "2002-12-20", "--record", env=env)
    assert status_figures(status("iec-2002", "2002-12-20", env)) == figures(row)
    [recorded] = book("2002-12-20", env).values()
    assert (recorded["source"], recorded["source_date"]) == ("record", "2002-12-20")
    assert figures(recorded) == figures(row)
