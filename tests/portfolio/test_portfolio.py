"""Portfolio runs on a generated book: each facility's figures equal what it gives alone (its certificate from
its own invoices, then `status` with that value reported), from folders and from the store, on both engines."""
import functools
import json
import os
import re
import shutil
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FIXTURES, ONE_SPARK, ROOT
from loanbook.agreement.kinds_eligibility import Eligibility
from loanbook.cli import app
from loanbook.events.parse import events_from
from loanbook.portfolio.aging import read_aging
from loanbook.portfolio.book import write_facility_book
from loanbook.portfolio.generate import generate_params
from loanbook.portfolio.rules import EligibilityRules, certificate
from loanbook.portfolio.run import BookFacility, folder_book, run_portfolio, store_book
from loanbook.portfolio.workers import MIN_ITEMS, Workers
from loanbook.store.store import Store

DAY = date(2024, 3, 31)
runner = CliRunner()


def facility_folders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if (p / "facility.yaml").exists())


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
    # the base is the line's rate (the generated advance percent, 85 where none) of the aging's value, to the
    # cent: value x rate / 100, rounded half-up
    rates = {r["facility_id"]: r["advance_percent"] or D(85) for r in generate_params(8, 5).to_pylist()}
    for row in rows:
        assert row.borrowing_base == (row.value * rates[row.facility] / 100).quantize(D("0.01"), ROUND_HALF_UP)


def test_a_rule_whose_column_the_aging_lacks_is_named_per_facility(book, tmp_path):
    """The book's aging without its affiliate and payable_to_debtor columns: each facility whose terms turn on the
    affiliates or contra rule says so, and its figures are those of the aging with those columns false and zero."""
    folder, aging = book
    table = read_aging(aging, portfolio=True)
    assert all(not r.rules_without_column for r in run_portfolio(folder_book(folder), DAY, portfolio_aging=aging))
    lacking = tmp_path / "lacking.parquet"
    pq.write_table(table.drop_columns(["affiliate", "payable_to_debtor"]), lacking)
    blank = tmp_path / "blank.parquet"
    zero = pa.array([D(0)] * table.num_rows, table.schema.field("payable_to_debtor").type)
    pq.write_table(table.set_column(table.schema.get_field_index("affiliate"), "affiliate",
                                    pa.array([False] * table.num_rows))
                   .set_column(table.schema.get_field_index("payable_to_debtor"), "payable_to_debtor", zero), blank)
    rows = run_portfolio(folder_book(folder), DAY, portfolio_aging=lacking)
    params = {r["facility_id"]: r for r in generate_params(8, 5).to_pylist()}
    for row in rows:
        on = params[row.facility]
        assert row.rules_without_column == tuple(
            rule for rule in ("affiliates", "contra") if on[rule]), row.facility
    assert {r.rules_without_column for r in rows} == {("affiliates",), ("affiliates", "contra")}  # both kinds
    blanked = run_portfolio(folder_book(folder), DAY, portfolio_aging=blank)
    assert [replace(r, rules_without_column=(), aging=None) for r in rows] == \
        [replace(r, aging=None) for r in blanked]
    result = runner.invoke(app, ["portfolio", "run", "--as-of", DAY.isoformat(), "--book", str(folder),
                                 "--aging", str(lacking)])
    assert result.exit_code == 0, result.output
    named = sum(1 for r in rows if r.rules_without_column)
    assert f"{named:,} with a rule that found nothing: their aging has no column for it" in result.stdout


def test_a_certificate_from_the_book_s_aging_takes_the_facility_s_rows_only(book, tmp_path):
    """`bbc compute` given the whole book's aging certified every facility's invoices as one borrower's (gross
    98,529,653.99 where its own were 3,286,406.30 in a new user's book); it takes the facility's rows, and a file
    naming only other facilities is refused."""
    folder, aging = book
    table = read_aging(aging, portfolio=True)
    first = facility_folders(folder)[0]
    facility_id = first.name
    cert, _ = alone(folder, table, facility_id)
    result = runner.invoke(app, ["bbc", "compute", "--facility", str(first), "--aging", str(aging),
                                 "--as-of", DAY.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    own = table.filter(pc.equal(table.column("facility_id"), facility_id)).num_rows
    assert (D(body["gross"]), D(body["value"]), body["invoices"]) == (cert.gross, cert.value, own)
    others = tmp_path / "others.parquet"
    pq.write_table(table.filter(pc.not_equal(table.column("facility_id"), facility_id)), others)
    refused = runner.invoke(app, ["bbc", "compute", "--facility", str(first), "--aging", str(others),
                                  "--as-of", DAY.isoformat()])
    assert refused.exit_code == 2 and "field 'facility_id': names " in refused.stderr
    assert f"not this facility ({facility_id})" in refused.stderr


def test_a_facility_the_book_s_aging_does_not_cover_uses_its_own(book, tmp_path):
    """The book's file without one facility's rows: that facility's value comes from its own agings/ file, as the
    docs say (it had none, and its borrowing base fell back to an old report with no word)."""
    folder, aging = book
    copy = tmp_path / "book"
    shutil.copytree(folder, copy)
    table = read_aging(aging, portfolio=True)
    missing = facility_folders(copy)[1]
    partial = tmp_path / "partial.parquet"
    pq.write_table(table.filter(pc.not_equal(table.column("facility_id"), missing.name)), partial)
    (missing / "agings").mkdir(exist_ok=True)
    own = missing / "agings" / f"aging-{DAY.isoformat()}.parquet"
    pq.write_table(table.filter(pc.equal(table.column("facility_id"), missing.name)), own)
    rows = {r.facility: r for r in run_portfolio(folder_book(copy), DAY, portfolio_aging=partial)}
    whole = {r.facility: r for r in run_portfolio(folder_book(folder), DAY, portfolio_aging=aging)}
    assert rows[missing.name].aging.endswith(own.name) and rows[missing.name].value == whole[missing.name].value
    assert all(r.aging == "partial.parquet" for f, r in rows.items() if f != missing.name)
    assert [replace(r, aging=None) for r in rows.values()] == [replace(r, aging=None) for r in whole.values()]


def test_the_run_from_the_store_equals_the_run_from_folders(book, tmp_path):
    folder, aging = book
    env = {"LOANBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    for facility in facility_folders(folder):
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


@ONE_SPARK
def test_spark_runs_the_book_to_the_same_figures(book):
    folder, aging = book
    duck = run_portfolio(folder_book(folder), DAY, portfolio_aging=aging)
    spark = run_portfolio(folder_book(folder), DAY, portfolio_aging=aging, engine="spark")
    assert duck == spark


# --- the compiled terms: one dataframe expression per shape of terms, equal to the Python engine ---------------

EXAMPLES = ROOT / "examples"


def same_figures(compiled, python):
    """Every figure and breach equal; only the engine that computed them differs."""
    return replace(compiled, computed_by="") == replace(python, computed_by="")


def test_the_generated_book_is_computed_by_the_compiled_expression_to_the_python_engine_s_cent(book):
    folder, aging = book
    compiled = run_portfolio(folder_book(folder), DAY, portfolio_aging=aging)
    python = run_portfolio(folder_book(folder), DAY, portfolio_aging=aging, compiled=False)
    assert {r.computed_by for r in compiled} == {"dataframe"} and {r.computed_by for r in python} == {"python"}
    assert all(same_figures(c, p) for c, p in zip(compiled, python, strict=True))


@functools.cache
def examples() -> dict[str, BookFacility]:
    """The examples' book, read once for the module (each agreement takes a second to load and check)."""
    return {f.id: f for f in folder_book(EXAMPLES)}


@functools.cache
def seed_replayed():
    """The seed's record replayed, once: each example of the property below extends it (`extended` leaves it
    unchanged)."""
    return examples()["iec-2002"].replay()


def example_days(facility):
    days = sorted({e.date for e in facility.replay().events})
    return days + [days[-1] + timedelta(days=1)]


@pytest.mark.parametrize("example", ["iec-2002", "dnow-2022", "richey-1995"])
def test_the_examples_terms_compile_to_the_python_engine_s_figures_on_every_day_of_their_record(example):
    """Caps, reserves, schedules by date, step-downs, overadvance limits and ceilings: the seed, DNOW and Richey
    give the same borrowing base, availability, overadvance and breaches from the dataframe as from `status`."""
    facility = examples()[example]
    compared = 0
    for day in example_days(facility):
        [compiled] = run_portfolio([facility], day)
        [python] = run_portfolio([facility], day, compiled=False)
        if python.problem:  # a day the record does not cover (before the clause starts): refused alike
            assert compiled.problem == python.problem, day
            continue
        assert compiled.computed_by == "dataframe", (day, compiled.computed_by)
        assert same_figures(compiled, python), day
        compared += 1
    assert compared >= 9


def test_the_seed_s_figures_by_hand_from_the_dataframe():
    """2002-12-16, with the seed's aging of that day: eligible receivables 1,030,000.00 (worked in
    examples/iec-2002/agings/README.md) x 85% = 875,500.00 of capacity; advances 1,170,000.00 are over it by
    1,170,000.00 - 875,500.00 = 294,500.00, past the overadvance limit (the cap that day, 0.00): availability
    0.00, and a breach."""
    [row] = run_portfolio([examples()["iec-2002"]], date(2002, 12, 16))
    assert row.computed_by == "dataframe" and row.aging == "agings/aging-2002-12-16.csv"
    assert (row.eligible, row.borrowing_base, row.availability) == (D("1030000.00"), D("875500.00"), D("0.00"))
    assert (row.overadvance, row.overadvance_limit) == (D("294500.00"), D("0.00"))
    assert row.breaches == ("overadvance_limit",)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(receivables=st.integers(min_value=0, max_value=10**11).map(lambda c: D(c) / 100),
       day=st.dates(min_value=date(2002, 10, 1), max_value=date(2002, 12, 31)))
def test_any_reported_value_rounds_in_the_dataframe_as_in_python(receivables, day):
    """85% of any value in cents, rounded half-up to the cent (0.10 x 85% = 0.085 -> 0.09), and everything built
    on it: the same from the compiled expression as from the Python engine."""
    seed, replay = examples()["iec-2002"], seed_replayed()
    report = events_from([{"date": day.isoformat(), "type": "borrowing_base_report",
                           "receivables_borrowing_base": f"{receivables:.2f}"}], replay.agreement, "test",
                         prior=replay.events)
    facility = replace(seed, replay=lambda: replay.extended(report))
    [compiled] = run_portfolio([facility], day)
    [python] = run_portfolio([facility], day, compiled=False)
    assert compiled.computed_by == "dataframe" and same_figures(compiled, python)


def test_terms_outside_exact_dataframe_arithmetic_go_to_the_python_engine_and_say_so(book, tmp_path):
    """A cap by a share of the total divides by (100% - the share): that facility's day is the Python engine's."""
    folder, aging = book
    first = facility_folders(folder)[0]
    copy = tmp_path / first.name
    shutil.copytree(first, copy)
    terms = copy / "documents" / "agreement.yaml"
    text = terms.read_text()
    line = next(x for x in text.splitlines() if "id: accounts_line" in x)
    terms.write_text(text.replace(line, line.rstrip("}") + ', caps: [{share_of_total: "40"}]}'))
    [row] = run_portfolio(folder_book(tmp_path), DAY, portfolio_aging=aging)
    assert row.computed_by.startswith("python (") and "share of the total" in row.computed_by
    assert not row.problem and row.borrowing_base == D("0.00")  # 40% of the lines' total, with no other line
    # a rate of 11 places on amounts of 15 digits: products wider than both engines keep exactly
    text = re.sub(r'rate: "[0-9.]+"', 'rate: "85.12345678901"', terms.read_text())
    terms.write_text(text.replace(', caps: [{share_of_total: "40"}]', "").replace("50000000.00", "900000000000000.00"))
    [row] = run_portfolio(folder_book(tmp_path), DAY, portfolio_aging=aging)
    assert row.computed_by.startswith("python (a ") and "digits" in row.computed_by, row.computed_by
    assert not row.problem and row.borrowing_base > 0


# --- the records read on every core -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def large_book(tmp_path_factory):
    """Enough facilities for the run to fork its workers (MIN_ITEMS)."""
    folder = tmp_path_factory.mktemp("large")
    aging = write_facility_book(folder, facilities=MIN_ITEMS, invoices=20 * MIN_ITEMS, seed=9, as_of=DAY)
    return folder, aging


def test_records_read_in_worker_processes_give_the_rows_of_one_process(large_book):
    folder, aging = large_book
    forked = run_portfolio(folder_book(folder, workers=2), DAY, portfolio_aging=aging, workers=2)
    in_one = run_portfolio(folder_book(folder, workers=1), DAY, portfolio_aging=aging, workers=1)
    assert len(forked) == MIN_ITEMS and forked == in_one
    assert {r.computed_by for r in forked} == {"dataframe"} and not any(r.problem for r in forked)


def test_a_store_s_book_read_in_worker_processes(large_book, tmp_path):
    """Each worker opens its own connection to the store (a fork never shares the parent's pooled ones)."""
    folder, aging = large_book
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    for facility in facility_folders(folder):
        store.import_folder(facility)
    store.facility("F00001")  # a pooled connection and a cached replay in the parent before the fork
    forked = run_portfolio(store_book(store, workers=2), DAY, portfolio_aging=aging, workers=2)
    assert forked == run_portfolio(folder_book(folder, workers=1), DAY, portfolio_aging=aging, workers=1)
    assert store.verify("F00001").ok  # the parent's store still works after its workers are gone
    store.close()


def _pid(_index):
    return os.getpid()


def test_the_workers_are_other_processes_and_small_books_stay_in_this_one():
    with Workers(list(range(MIN_ITEMS)), 2) as pool:
        assert os.getpid() not in set(pool.map(_pid, range(MIN_ITEMS)))
    with Workers(list(range(MIN_ITEMS - 1)), 2) as pool:
        assert set(pool.map(_pid, range(MIN_ITEMS - 1))) == {os.getpid()}


def test_a_number_of_workers_out_of_range_is_refused(book):
    folder, _ = book
    result = runner.invoke(app, ["portfolio", "run", "--as-of", "2024-03-31", "--book", str(folder), "--workers", "0"])
    assert result.exit_code == 2 and "--workers is a number of processes from 1 to 64, got 0" in result.output


def test_two_folders_of_one_facility_id_are_refused(book, tmp_path):
    """A folder copied without changing its id would share the other's aging value and row: refused, naming
    the second folder's facility.yaml and the field, and no figure is given."""
    folder, aging = book
    first = facility_folders(folder)[0]
    shutil.copytree(first, tmp_path / "a-original")
    shutil.copytree(first, tmp_path / "b-copy")
    result = runner.invoke(app, ["portfolio", "run", "--as-of", "2024-03-31", "--book", str(tmp_path),
                                 "--aging", str(aging), "--json"])
    assert result.exit_code != 0
    assert f"{tmp_path / 'b-copy' / 'facility.yaml'}" in result.output and "facility_id" in result.output
    assert "a-original too" in result.output and '"facility_id"' not in result.output


@pytest.mark.parametrize("divisor,compiled", [("80%", True), ("4", True), ("3", False)])
def test_a_division_by_a_number_is_exact_or_goes_to_the_python_engine(book, tmp_path, divisor, compiled):
    """x / 80% is x x 1.25 and x / 4 is x x 0.25, exactly: compiled. x / 3 has no finite decimal reciprocal: the
    Python engine computes it (50 digits, then the cent), and the row says why. Both equal `status`."""
    folder, aging = book
    first = facility_folders(folder)[0]
    copy = tmp_path / first.name
    shutil.copytree(first, copy)
    terms = copy / "documents" / "agreement.yaml"
    formula = "value: min(maximum_credit, accounts_base) - letters_of_credit"
    assert formula in terms.read_text()
    terms.write_text(terms.read_text().replace(formula, f"value: (min(maximum_credit, accounts_base) - "
                                                         f"letters_of_credit) / {divisor}"))
    [row] = run_portfolio(folder_book(tmp_path), DAY, portfolio_aging=aging)
    [python] = run_portfolio(folder_book(tmp_path), DAY, portfolio_aging=aging, compiled=False)
    assert (row.computed_by == "dataframe") is compiled, row.computed_by
    assert compiled or "division" in row.computed_by
    assert not row.problem and same_figures(row, python)


def test_a_folder_s_events_outside_it_are_not_read_by_the_book(book, tmp_path):
    """A book reads a folder's events.yaml only from inside the folder, as `status` does: one that links
    elsewhere gives its facility's row a problem naming it, and the other facilities are computed as before."""
    folder, aging = book
    first, second = facility_folders(folder)[:2]
    shutil.copytree(first, tmp_path / first.name)
    shutil.copytree(second, tmp_path / second.name)
    elsewhere = tmp_path / "elsewhere-events.yaml"
    shutil.move(tmp_path / first.name / "events.yaml", elsewhere)
    (tmp_path / first.name / "events.yaml").symlink_to(elsewhere)
    book_here = folder_book(tmp_path)
    rows = {row.facility: row for row in run_portfolio(book_here, DAY, portfolio_aging=aging, workers=1)}
    alone = {row.facility: row for row in run_portfolio(folder_book(folder), DAY, portfolio_aging=aging, workers=1)}
    linked, other = (f.id for f in book_here)
    assert rows[linked].problem is not None and "leads outside the facility folder" in rows[linked].problem
    assert rows[other] == alone[other] and rows[other].problem is None


def test_a_gated_folder_s_events_outside_it_are_its_row_s_problem(tmp_path):
    """A folder whose amendment waits for its conditions precedent is replayed before its day, to know the terms in
    force: an events.yaml of it that leads outside the folder is still that row's problem, and the run goes on."""
    shutil.copytree(FIXTURES / "gated", tmp_path / "gated")
    shutil.copytree(ROOT / "examples" / "iec-2002", tmp_path / "iec-2002")
    elsewhere = tmp_path / "elsewhere-events.yaml"
    shutil.move(tmp_path / "gated" / "events.yaml", elsewhere)
    (tmp_path / "gated" / "events.yaml").symlink_to(elsewhere)
    book = folder_book(tmp_path)
    rows = {row.facility: row for row in run_portfolio(book, date(2002, 12, 31), workers=1)}
    gated, seed = (f.id for f in book)
    assert "leads outside the facility folder" in (rows[gated].problem or "")
    shutil.rmtree(tmp_path / "gated")
    alone = run_portfolio(folder_book(tmp_path), date(2002, 12, 31), workers=1)
    assert rows[seed].problem is None and [rows[seed]] == alone
