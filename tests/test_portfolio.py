"""Portfolio runs on a generated book: each facility's figures equal what it gives alone (its certificate from
its own invoices, then `status` with that value reported), from folders and from the store, on both engines."""
import json
from datetime import date
from decimal import Decimal as D

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from loanbook.agreement.kinds_eligibility import Eligibility
from loanbook.cli import app
from loanbook.events.parse import events_from
from loanbook.portfolio.aging import read_aging
from loanbook.portfolio.book import write_facility_book
from loanbook.portfolio.rules import EligibilityRules, certificate
from loanbook.portfolio.run import folder_book, run_portfolio

DAY = date(2024, 3, 31)
runner = CliRunner()


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    folder = tmp_path_factory.mktemp("book")
    aging = write_facility_book(folder, facilities=8, invoices=4000, seed=5, as_of=DAY)
    return folder, aging


def alone(folder, aging_table, facility_id):
    """The facility by itself: its certificate from its own rows, then its status with that value reported."""
    [facility] = [f for f in folder_book(folder) if f.id == facility_id]
    [(_, terms)] = facility.agreement.terms_in_force(Eligibility, DAY)
    own = aging_table.filter(pc.equal(aging_table.column("facility_id"), facility_id))
    cert = certificate(EligibilityRules.of(terms), own, DAY)
    replay = facility.replay()
    report = events_from([{"date": DAY.isoformat(), "type": "borrowing_base_report",
                           "values": {terms.collateral: f"{cert.value:.2f}"}}], replay.agreement, "alone",
                         prior=replay.events)
    return cert, replay.extended(report).status(DAY)


def test_each_facility_in_the_run_equals_the_facility_alone(book):
    folder, aging = book
    rows = run_portfolio(folder_book(folder), DAY, portfolio_aging=aging)
    table = read_aging(aging, portfolio=True)
    assert len(rows) == 8 and not any(r.problem for r in rows)
    for row in rows:
        cert, status = alone(folder, table, row.facility)
        assert (row.gross, row.eligible, row.value) == (cert.gross, cert.eligible, cert.value), row.facility
        assert row.borrowing_base == status.borrowing_bases[0].total.value
        assert row.availability == status.availabilities[0].availability.value
        assert row.breaches == tuple(sorted({b.rule for b in status.breaches}))
    # the base is the line's rate of the aging's value, to the cent: value x rate, rounded half-up
    first = rows[0]
    assert first.borrowing_base <= first.value


def test_the_run_from_the_store_equals_the_run_from_folders(book, tmp_path):
    folder, aging = book
    env = {"LOANBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    for facility in sorted(p for p in folder.iterdir() if (p / "facility.yaml").exists()):
        assert runner.invoke(app, ["import", str(facility)], env=env).exit_code == 0
    from_store = runner.invoke(app, ["portfolio", "run", "--as-of", "2024-03-31", "--aging", str(aging), "--json"],
                               env=env)
    from_folders = runner.invoke(app, ["portfolio", "run", "--as-of", "2024-03-31", "--book", str(folder), "--json",
                                       "--out", str(tmp_path / "run.parquet")], env=env)
    assert from_store.exit_code == from_folders.exit_code == 0, from_store.output + from_folders.output
    assert json.loads(from_store.stdout)["facilities"] == json.loads(from_folders.stdout)["facilities"]
    written = pq.read_table(tmp_path / "run.parquet")
    assert written.num_rows == 8 and written.schema.field("value").type.scale == 2
    values = {r["facility_id"]: D(r["value"]) for r in json.loads(from_folders.stdout)["facilities"]}
    assert {r["facility_id"]: r["value"] for r in written.to_pylist()} == values


def test_spark_runs_the_book_to_the_same_figures(book):
    folder, aging = book
    duck = run_portfolio(folder_book(folder), DAY, portfolio_aging=aging)
    spark = run_portfolio(folder_book(folder), DAY, portfolio_aging=aging, engine="spark")
    assert duck == spark
