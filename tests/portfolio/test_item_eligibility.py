"""Collateral that is not receivables (issue 16): the eligibility kind over a declared item list, on two facilities
whose text is their own. tests/fixtures/homes values housing units by construction stage and days since the start
of construction; tests/fixtures/fund values investors' uncalled commitments by the lower of two ratings mapped
through a table, with an affiliate group's cap and an investor under a pending capital call excluded. Every figure
is worked by hand below; the same certificate comes from DuckDB and from Spark, and from a model of the rules
written here in plain Python for lists hypothesis draws."""
import json
import shutil
from datetime import date, timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FIXTURES, ONE_SPARK, ROOT
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.kinds_eligibility import Eligibility
from loanbook.agreement.load import load_agreement
from loanbook.cli import app
from loanbook.core.errors import InputError
from loanbook.portfolio.item_list import items_from_rows, read_items
from loanbook.portfolio.items import item_certificate

HOMES, FUND = FIXTURES / "homes", FIXTURES / "fund"
UNITS = HOMES / "lists" / "units-2024-12-31.csv"
INVESTORS = FUND / "lists" / "investors-2024-12-31.csv"
DAY = date(2024, 12, 31)
runner = CliRunner()


def terms_of(folder: Path) -> Eligibility:
    agreement = load_agreement(folder)
    return next(block for _, block in agreement.terms_in_force(Eligibility, DAY))


def certificate(folder: Path, path: Path, engine: str = "duckdb"):
    terms = terms_of(folder)
    return item_certificate(terms, read_items(path, terms, "f"), DAY, engine=engine)


@pytest.mark.parametrize("folder", [HOMES, FUND])
def test_the_folders_pass_the_fidelity_check(folder):
    assert passed(fidelity_check(load_agreement(folder)))


def test_homes_by_construction_stage_and_age():
    cert = certificate(HOMES, UNITS)
    lines = {i.item_id: (i.ineligible, i.rate, i.value) for i in cert.items}
    # days from the start of construction to 2024-12-31:
    #   U1 presold  300,000  213 days            -> 80%: 240,000.00
    #   U2 presold  250,000  334 days (> 270)    -> steps down to 50%: 125,000.00
    #   U3 spec     200,000  426 days (> 365)    -> ineligible (age)
    #   U4 spec     220,000  244 days            -> 65%: 143,000.00
    #   U5 finished_spec 180,000 (no age rule)   -> 50%: 90,000.00
    #   U6 spec     240,000  a model home        -> ineligible (excluded)
    #   U7 lot       60,000  in no listed category -> ineligible (category)
    #   U8 presold  200,000   91 days            -> 80%: 160,000.00
    assert lines["U1"] == (None, D("80.00"), D("240000.00"))
    assert lines["U2"] == (None, D("50.00"), D("125000.00"))
    assert lines["U3"][0] == "age" and lines["U6"][0] == "excluded" and lines["U7"][0] == "category"
    assert lines["U4"][2] == D("143000.00") and lines["U5"][2] == D("90000.00") and lines["U8"][2] == D("160000.00")
    # gross 1,650,000; less excluded 240,000, category 60,000, age 200,000: eligible 1,150,000
    assert cert.gross == D("1650000.00") and cert.eligible == D("1150000.00")
    assert (cert.categories["excluded"], cert.categories["category"], cert.categories["age"]) == \
        (D("240000.00"), D("60000.00"), D("200000.00"))
    # V = 240,000 + 125,000 + 143,000 + 90,000 + 160,000 = 758,000; one project's cap 40% = 303,200:
    # project P1 = 240,000 + 125,000 = 365,000, 61,800 over it; value 758,000 - 61,800 = 696,200
    assert cert.before_groups == D("758000.00")
    assert [(g.group_id, g.excess) for g in cert.groups if g.excess] == [("P1", D("61800.00"))]
    assert cert.value == D("696200.00")


def test_investors_by_the_lower_of_two_ratings():
    cert = certificate(FUND, INVESTORS)
    lines = {i.item_id: i for i in cert.items}
    # the lower of S&P's and Moody's, as the row of the table it falls in (1: Included, 2: Designated):
    #   I1 AA / Aa2 -> 1; I2 A+ / A3 -> 1; I3 A- / Baa1 -> 2 (Baa1 is the lower); I6 AA- alone -> 1
    assert {k: lines[k].rating_row for k in ("I1", "I2", "I3", "I6")} == {"I1": 1, "I2": 1, "I3": 2, "I6": 1}
    #   I4 has no rating, I5's BB+ is below the lowest row: ineligible and flagged; I7 has a pending capital call
    assert [i.item_id for i in cert.unmatched_ratings] == ["I4", "I5"]
    assert lines["I7"].ineligible == "excluded"
    # T = 5,000,000 + 4,000,000 + 3,000,000 + 3,000,000 = 15,000,000 (I1, I2, I3, I6)
    # limits: row 1 20% of T = 3,000,000; row 2 10% of T = 1,500,000
    #   I1 5,000,000 -> 2,000,000 over; I2 4,000,000 -> 1,000,000 over; I6 3,000,000 -> none; I3 -> 1,500,000 over
    assert {k: lines[k].concentration for k in ("I1", "I2", "I3", "I6")} == {
        "I1": D("2000000.00"), "I2": D("1000000.00"), "I3": D("1500000.00"), "I6": D("0.00")}
    # values: 3,000,000 x 90% = 2,700,000 for I1, I2 and I6; 1,500,000 x 65% = 975,000 for I3: V = 9,075,000
    assert cert.before_groups == D("9075000.00")
    # group G1 (I1 + I6) = 5,400,000 against 30% of V = 2,722,500: 2,677,500 over; value 6,397,500
    assert [(g.group_id, g.cap, g.excess) for g in cert.groups if g.excess] == \
        [("G1", D("2722500.00"), D("2677500.00"))]
    assert cert.value == D("6397500.00")
    # gross 19,500,000 = excluded 1,500,000 + rating 3,000,000 + concentration 4,500,000 + eligible 10,500,000
    assert (cert.gross, cert.categories["excluded"], cert.categories["rating"], cert.categories["concentration"],
            cert.eligible) == (D("19500000.00"), D("1500000.00"), D("3000000.00"), D("4500000.00"),
                               D("10500000.00"))


def test_bbc_compute_takes_the_list_and_flags_unmatched_ratings():
    result = runner.invoke(app, ["bbc", "compute", "--facility", str(FUND), "--items", str(INVESTORS),
                                 "--as-of", "2024-12-31", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["value"] == "6397500.00" and answer["group_cap"] == "2677500.00"
    assert answer["unmatched_ratings"] == ["I4", "I5"]
    assert answer["checked"] is True
    text = runner.invoke(app, ["bbc", "compute", "--facility", str(HOMES), "--items", str(UNITS),
                               "--as-of", "2024-12-31"])
    assert text.exit_code == 0 and "696,200.00" in text.output


def test_the_receivables_path_is_unchanged_beside_it():
    """The seed's aging still goes through the receivables rules: its certificate as test_bbc.py has it."""
    seed = ROOT / "examples" / "iec-2002"
    result = runner.invoke(app, ["bbc", "compute", "--facility", str(seed), "--aging",
                                 str(seed / "agings" / "aging-2002-12-16.csv"), "--as-of", "2002-12-16", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["eligible"] == "1030000.00"


@ONE_SPARK
def test_spark_gives_the_same_certificates():
    for folder, path in ((HOMES, UNITS), (FUND, INVESTORS)):
        assert certificate(folder, path, "spark") == certificate(folder, path)


# --- refusals ---------------------------------------------------------------------------------------------


def test_a_list_without_a_declared_column_is_refused(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(UNITS.read_text().replace("Construction Start", "Started"))
    with pytest.raises(InputError, match="construction_start.*missing column"):
        read_items(path, terms_of(HOMES), "f")


def test_a_bad_cell_is_refused_with_its_row(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(UNITS.read_text().replace("2024-10-01", "2024-13-01").replace("U2,P1", "U1,P1"))
    with pytest.raises(InputError) as refused:
        read_items(path, terms_of(HOMES), "f")
    text = str(refused.value)
    assert "row 9" in text and "construction_start" in text and "not a real date" in text


def test_rules_that_read_undeclared_columns_are_refused(tmp_path):
    folder = tmp_path / "homes"
    shutil.copytree(HOMES, folder)
    path = folder / "documents" / "loan-agreement.yaml"
    path.write_text(path.read_text().replace("excluded_if: [model_home]", "excluded_if: [show_home]"))
    with pytest.raises(InputError, match="excluded_if names 'show_home', not a declared flag"):
        load_agreement(folder)


# --- the rules against a model of them ---------------------------------------------------------------------

RATED = Eligibility.model_validate({
    "kind": "eligibility", "collateral": "c", "label": "c",
    "items": {"columns": {"id": "id", "amount": "amount", "category": "kind", "group": "group"},
              "dates": ["start"], "flags": ["held"], "attributes": ["r1", "r2"]},
    "item_rules": {"excluded_if": ["held"], "categories": {"a": "80", "b": None},
                   "age": [{"date": "start", "more_than_days": 100, "categories": ["a"]},
                           {"date": "start", "more_than_days": 50, "then": "steps_down", "rate": "40"}],
                   "rating": {"lower_of": ["r1", "r2"], "table": [{"grades": ["x1", "y1"], "concentration": "50",
                                                                    "rate": "90"},
                                                                   {"grades": ["x2", "y2"]}]},
                   "concentration": {"percent": "30"}, "group_cap": {"percent": "45"}},
    "advance_rate": "70"})


def _cents(value: D) -> D:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def model(rows: list[dict]) -> tuple[D, D]:
    """The rules of docs/eligibility.md (Other item lists) for RATED, one item at a time: (eligible, value)."""
    row_of = {"x1": 1, "y1": 1, "x2": 2, "y2": 2}
    left = []
    for r in rows:
        age = (DAY - r["start"]).days if r["start"] else None
        grades = [g for g in (r["r1"], r["r2"]) if g]
        if r["held"] or r["kind"] not in ("a", "b") or (r["kind"] == "a" and age is not None and age > 100) \
                or not grades or any(g not in row_of for g in grades):
            continue
        row = max(row_of[g] for g in grades)
        step = D(40) if age is not None and age > 50 else None
        rate = step or (D(90) if row == 1 else None) or (D(80) if r["kind"] == "a" else None) or D(70)
        left.append((r, D(50) if row == 1 else D(30), rate))
    total = sum((r["amount"] for r, _, _ in left), D(0))
    eligible, values, groups = D(0), D(0), {}
    for r, limit, rate in left:
        cap = _cents(total * limit / 100)
        amount = min(r["amount"], cap) if total > 0 else r["amount"]
        value = _cents(amount * rate / 100)
        eligible += amount
        values += value
        groups[r["group"]] = groups.get(r["group"], D(0)) + value
    group_cap = _cents(values * 45 / 100)
    return eligible, max(values - sum((max(D(0), v - group_cap) for g, v in groups.items() if g), D(0)), D(0))


ITEM = st.fixed_dictionaries({
    "amount": st.integers(min_value=0, max_value=10_000_000).map(lambda c: D(c) / 100),
    "kind": st.sampled_from(["a", "b", "c"]), "group": st.sampled_from(["", "g1", "g2"]),
    "start": st.one_of(st.none(), st.integers(min_value=0, max_value=200).map(lambda n: DAY - timedelta(days=n))),
    "held": st.booleans(), "r1": st.sampled_from(["", "x1", "x2", "x3"]), "r2": st.sampled_from(["", "y1", "y2"])})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ITEM, min_size=1, max_size=12))
def test_the_rules_agree_with_a_model_of_them(rows):
    written = [{"id": f"i{n}", **{k: ("yes" if v is True else "no" if v is False else
                                     v.isoformat() if isinstance(v, date) else "" if v is None else str(v))
                                  for k, v in r.items()}} for n, r in enumerate(rows)]
    cert = item_certificate(RATED, items_from_rows(written, RATED), DAY)
    assert (cert.eligible, cert.value) == model(rows)
    assert cert.gross == sum((r["amount"] for r in rows), D(0))
    assert cert.gross == cert.eligible + sum(cert.categories.values(), D(0))


# --- a book ------------------------------------------------------------------------------------------------


def _book(tmp_path) -> Path:
    """Both facilities in one book, each list in its own agings/ by its day, the record's report of that day
    left out (the list is then the latest information)."""
    book = tmp_path / "book"
    for folder, path in ((HOMES, UNITS), (FUND, INVESTORS)):
        copy = book / folder.name
        shutil.copytree(folder, copy)
        (copy / "agings").mkdir()
        shutil.copy(path, copy / "agings" / "aging-2024-12-31.csv")
        events = copy / "events.yaml"
        events.write_text("\n".join(line for line in events.read_text().splitlines()
                                    if "borrowing_base_report" not in line) + "\n")
    return book


def test_a_book_values_each_list_by_its_own_terms(tmp_path):
    from loanbook.portfolio.run import folder_book, run_portfolio

    rows = {r.facility: r for r in run_portfolio(folder_book(_book(tmp_path), workers=1), DAY, workers=1)}
    homes, fund = rows["homes-2024"], rows["fund-2024"]
    # the certificates above: 696,200.00 and 6,397,500.00, each line at 100%; loans 500,000 and 5,000,000
    assert (homes.source, homes.value, homes.borrowing_base, homes.availability) == \
        ("aging", D("696200.00"), D("696200.00"), D("196200.00"))
    assert (fund.source, fund.gross, fund.eligible, fund.value, fund.availability) == \
        ("aging", D("19500000.00"), D("10500000.00"), D("6397500.00"), D("1397500.00"))


@ONE_SPARK
def test_spark_runs_the_book_to_the_same_figures(tmp_path):
    from loanbook.portfolio.run import folder_book, run_portfolio

    book = folder_book(_book(tmp_path), workers=1)
    assert run_portfolio(book, DAY, workers=1, engine="spark") == run_portfolio(book, DAY, workers=1)


def test_record_appends_the_lists_report_once(tmp_path):
    """A real SQLite store: the list's certificate is recorded with the file's SHA-256, and not twice."""
    import hashlib

    from loanbook.store.store import Store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {"LOANBOOK_DATABASE_URL": url}
    assert runner.invoke(app, ["import", str(FUND)], env=env).exit_code == 0
    args = ["bbc", "compute", "--facility", "fund-2024", "--items", str(INVESTORS), "--as-of", "2024-12-31",
            "--record"]
    done = runner.invoke(app, [*args, "--json"], env=env)
    assert done.exit_code == 0, done.output
    store = Store(url)
    event = json.loads(store.event_rows("fund-2024")[-1].body)
    assert event["values"] == {"eligible_commitments": "6397500.00"}
    assert event["evidence"]["aging_sha256"] == hashlib.sha256(INVESTORS.read_bytes()).hexdigest()
    assert event["evidence"]["certificate"]["unmatched_ratings"] == ["I4", "I5"]
    count = len(store.event_rows("fund-2024"))
    store.close()
    again = runner.invoke(app, args, env=env)
    assert again.exit_code == 2 and "already recorded" in again.stderr
    store = Store(url)
    assert len(store.event_rows("fund-2024")) == count
    store.close()


def test_check_finds_a_line_rate_on_top_of_the_items_rates(tmp_path):
    """The items' own rates (80% of a presold unit's cost) and the line's 85% would give 68%: check says so."""
    from loanbook.agreement.check import fidelity_check

    folder = tmp_path / "homes"
    shutil.copytree(HOMES, folder)
    path = folder / "documents" / "loan-agreement.yaml"
    path.write_text(path.read_text().replace('collateral: eligible_units, rate: "100"}',
                                             'collateral: eligible_units, rate: "80"}'))
    found = [f.message for f in fidelity_check(load_agreement(folder)) if f.severity == "difference"]
    assert ("loan-agreement: the eligibility of eligible_units applies rates by category, rates by age, and line "
            "units_line (section-2.1) applies its rate too: leave its rates out of the eligibility terms, or give the "
            "line a rate of 100") in found
