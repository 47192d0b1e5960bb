"""The borrowing-base benchmark's baselines (benchmarks/bb_baselines.py: pandas, and one hand-written DuckDB
query) against each other, against arithmetic worked by hand from docs/eligibility.md, and against loanbook's
Ibis rules (loanbook/portfolio/rules.py, `eligible_by_facility`, on DuckDB): the three must agree to the cent on
every facility. Also the synthetic book's generator (loanbook/portfolio/generate.py)."""
from __future__ import annotations

import sys
from datetime import date, timedelta
from decimal import Decimal as D
from itertools import count

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from loanbook.portfolio import generate
from loanbook.portfolio.generate import INVOICES, PARAMS, generate_invoices, generate_params, write_book

sys.path.insert(0, str(ROOT / "benchmarks"))

from bb_baselines import CATEGORIES, RESULT, duckdb_sql, load_pandas, pandas_rules  # noqa: E402

AS_OF = date(2024, 3, 31)
MONEY_COLUMNS = RESULT[1:]
_ids = count(1)


# --- helpers -----------------------------------------------------------------------------------------------

def inv(debtor, amount, age, past_due=None, payable="0", facility="F1", **flags):
    """One row: `amount` (negative: a credit) of `debtor`, `age` days from invoice on AS_OF, due 30 days after
    the invoice unless `past_due` (days past due on AS_OF) is given."""
    invoice_date = AS_OF - timedelta(days=age)
    due_date = AS_OF - timedelta(days=past_due) if past_due is not None else invoice_date + timedelta(days=30)
    unknown = set(flags) - {f.name for f in INVOICES}
    assert not unknown, unknown
    row = {"facility_id": facility, "debtor_id": debtor, "debtor_name": f"{debtor} Corp",
           "invoice_id": f"INV-{next(_ids):06d}", "invoice_date": invoice_date, "due_date": due_date,
           "amount": D(amount), "payable_to_debtor": D(payable)}
    for name in ("affiliate", "foreign", "insured", "government", "assigned", "disputed", "bill_and_hold",
                 "consignment", "progress_billing"):
        row[name] = bool(flags.get(name, False))
    return row


def rules(facility="F1", **given):
    """One facility's parameters: every rule off unless given; percents as strings ("25" is 25%)."""
    row = {f.name: None for f in PARAMS}
    row.update({name: False for name in ("affiliates", "foreign", "government", "disputed", "bill_and_hold",
                                         "consignment", "progress_billing", "contra")})
    row["facility_id"] = facility
    unknown = set(given) - set(row)
    assert not unknown, unknown
    for name, value in given.items():
        row[name] = D(value) if name.endswith("_percent") else value
    return row


ALL_FLAGS = {name: True for name in ("affiliates", "foreign", "government", "disputed", "bill_and_hold",
                                     "consignment", "progress_billing")}


def _by_facility(table) -> dict[str, dict[str, D]]:
    records = table.to_dict("records") if hasattr(table, "to_dict") else table.to_pylist()
    return {r["facility_id"]: {name: D(r[name]) for name in MONEY_COLUMNS} for r in records}


def _ibis(invoices: pa.Table, params: pa.Table):
    import ibis

    from loanbook.portfolio.rules import eligible_by_facility

    con = ibis.duckdb.connect(threads=2)
    try:
        inv_t = con.create_table("invoices", invoices, overwrite=True)
        par_t = con.create_table("params", params, overwrite=True)
        result = eligible_by_facility(con, inv_t, par_t, AS_OF).to_pyarrow()
    finally:
        con.disconnect()
    return result


def compute(invoices: pa.Table, params: pa.Table) -> dict[str, dict[str, D]]:
    """The result per facility by pandas, by the SQL and by loanbook's Ibis rules, asserted identical; and rule 6
    (eligible = gross - every category) on each facility."""
    by_pandas = pandas_rules(invoices.to_pandas(), params.to_pandas(), AS_OF)
    con = duckdb.connect(config={"threads": 2})
    con.register("invoices", invoices)
    con.register("params", params)
    by_sql = duckdb_sql(con, AS_OF)
    con.close()
    assert by_sql.column_names == list(RESULT)
    assert list(by_pandas.columns) == list(RESULT)
    for name in MONEY_COLUMNS:
        assert by_sql.schema.field(name).type == pa.decimal128(18, 2), name
    by_ibis = _ibis(invoices, params)
    for name in MONEY_COLUMNS:
        kind = by_ibis.schema.field(name).type
        assert pa.types.is_decimal(kind) and kind.scale == 2, (name, kind)
    p, s, i = _by_facility(by_pandas), _by_facility(by_sql), _by_facility(by_ibis)
    assert p == s, _differences(p, s)
    assert i == s, _differences(i, s)
    for facility, row in p.items():
        assert row["eligible"] == row["gross"] - sum((row[c] for c in CATEGORIES), D(0)), facility
    return p


def _differences(a, b):
    return [(f, k, a.get(f, {}).get(k), b.get(f, {}).get(k)) for f in sorted(set(a) | set(b))
            for k in MONEY_COLUMNS if a.get(f, {}).get(k) != b.get(f, {}).get(k)][:20]


def book(rows, *params):
    return (pa.Table.from_pylist(rows, schema=INVOICES), pa.Table.from_pylist(list(params), schema=PARAMS))


def expect(result, *, other_categories_zero=True, **amounts):
    """The amounts named (strings, dollars and cents) and, unless told, 0.00 for every other category."""
    want = {name: D(value) for name, value in amounts.items()}
    if other_categories_zero:
        want.update({c: D(0) for c in CATEGORIES if c not in want})
    got = {name: result[name] for name in want}
    assert got == want


# --- the doc's two worked examples -------------------------------------------------------------------------

def test_doc_example_aging_at_75_percent():
    # receivables of 1,000,000.00 with 50,000.00 over 90 days, at 75%:
    # (1,000,000.00 - 50,000.00) x 75% = 950,000.00 x 0.75 = 712,500.00
    r = compute(*book([inv("A", "600000.00", 20), inv("B", "350000.00", 45), inv("C", "50000.00", 120)],
                      rules(aging_invoice_days=90, advance_percent="75")))["F1"]
    expect(r, gross="1000000.00", aging="50000.00", eligible="950000.00", dilution="0.00", value="712500.00")


def test_doc_example_concentration_at_85_percent():
    # 100,000,000.00 eligible, one debtor at 40,000,000.00, 25% concentration: T = 100,000,000.00, the limit
    # 25% x T = 25,000,000.00, the excess 40,000,000.00 - 25,000,000.00 = 15,000,000.00 (the others at
    # 20,000,000.00 are under it); (100,000,000.00 - 15,000,000.00) x 85% = 72,250,000.00
    r = compute(*book([inv("BIG", "40000000.00", 30), inv("B", "20000000.00", 30), inv("C", "20000000.00", 30),
                       inv("D", "20000000.00", 30)],
                      rules(concentration_percent="25", advance_percent="85")))["F1"]
    expect(r, gross="100000000.00", concentration="15000000.00", eligible="85000000.00", value="72250000.00")


# --- rule by rule, worked by hand --------------------------------------------------------------------------

def test_first_category_that_applies_and_each_rule_on_its_own_facility():
    rows = [inv("A", "100.00", 200, affiliate=True, foreign=True, disputed=True),  # affiliates (first)
            inv("B", "200.00", 10, foreign=True, disputed=True),                  # foreign, not insured
            inv("C", "300.00", 10, foreign=True, insured=True, disputed=True),    # insured: disputed
            inv("D", "400.00", 10, government=True, bill_and_hold=True),          # government, unassigned
            inv("E", "500.00", 100, government=True, assigned=True),              # assigned: aged (100 > 90)
            inv("F", "600.00", 10, bill_and_hold=True, consignment=True),         # bill and hold
            inv("G", "700.00", 10, consignment=True, progress_billing=True),      # consignment
            inv("H", "800.00", 10, progress_billing=True),                        # progress billing
            inv("I", "1000.00", 10)]                                              # eligible
    # the same rows on F2, where the agreement says none of these rules
    rows += [dict(row, facility_id="F2", invoice_id=row["invoice_id"]) for row in rows]
    result = compute(*book(rows, rules(**ALL_FLAGS, aging_invoice_days=90), rules("F2")))
    # gross = 100 + 200 + 300 + 400 + 500 + 600 + 700 + 800 + 1,000 = 4,600.00; eligible: I's 1,000.00
    expect(result["F1"], gross="4600.00", affiliates="100.00", foreign="200.00", disputed="300.00",
           government="400.00", aging="500.00", bill_and_hold="600.00", consignment="700.00",
           progress_billing="800.00", eligible="1000.00", value="1000.00")
    # no rule: every row eligible, the value is the eligible amount (no dilution, no advance rate: 100%)
    expect(result["F2"], gross="4600.00", eligible="4600.00", dilution="0.00", value="4600.00")


def test_more_than_n_days_is_strictly_more():
    rows = [inv("A", "1000.00", 90),                  # 90 days from invoice (not > 90), 60 past due (not > 60)
            inv("B", "2000.00", 91, past_due=20),     # 91 > 90: aged
            inv("C", "4000.00", 80, past_due=60),     # 60 past due, not > 60; 80 from invoice
            inv("D", "8000.00", 80, past_due=61)]     # 61 > 60: aged
    r = compute(*book(rows, rules(aging_invoice_days=90, aging_due_days=60)))["F1"]
    # aging = 2,000 + 8,000 = 10,000.00; eligible = 15,000 - 10,000 = 5,000.00
    expect(r, gross="15000.00", aging="10000.00", eligible="5000.00", value="5000.00")


def test_credits_net_in_their_category_and_old_ones_are_added_back():
    rows = [inv("A", "10000.00", 10),
            inv("A", "-1000.00", 120),                # old credit: in aging (nets), and added back (rule 2)
            inv("A", "2000.00", 100),                 # aged invoice
            inv("B", "-500.00", 120, disputed=True),  # old credit, but disputed: a category other than aging
            inv("B", "3000.00", 5),
            inv("C", "-300.00", 30),                  # young credit: stays, not added back
            inv("C", "700.00", 5)]
    r = compute(*book(rows, rules(disputed=True, aging_invoice_days=90, credit_invoice_days=90)))["F1"]
    # gross = 10,000 - 1,000 + 2,000 - 500 + 3,000 - 300 + 700 = 13,900.00
    # aging = 2,000 - 1,000 = 1,000.00 (the credit nets against the aged invoice); disputed = -500.00
    # credit balances = |-1,000| = 1,000.00
    # eligible = 13,900 - 1,000 + 500 - 1,000 = 12,400.00
    #          = by debtor: A 10,000 - 1,000 (added back), B 3,000, C 700 - 300 = 9,000 + 3,000 + 400
    expect(r, gross="13900.00", aging="1000.00", disputed="-500.00", credit_balances="1000.00",
           eligible="12400.00")


def test_credit_rule_on_a_credit_the_aging_rule_leaves_in():
    # Aging at 90 from invoice, credits at 30 past due: a credit 60 days from invoice and 40 past due is not aged
    # (60 <= 90), so it is still among the eligible rows and already reduces them: not added back, though it is
    # old for rule 2 (40 > 30). Only credits in the aging category are added back.
    rows = [inv("A", "5000.00", 10), inv("A", "-200.00", 60, past_due=40),
            inv("B", "1000.00", 10), inv("B", "-300.00", 100, past_due=70)]   # aged and old: added back
    r = compute(*book(rows, rules(aging_invoice_days=90, credit_due_days=30)))["F1"]
    # gross = 5,000 - 200 + 1,000 - 300 = 5,500.00; aging = -300.00 (B's credit, alone in the bucket)
    # credit balances = |-300| = 300.00; eligible = 5,500 + 300 - 300 = 5,500.00 = A 4,800 + B 1,000 - 300
    expect(r, gross="5500.00", aging="-300.00", credit_balances="300.00", eligible="5500.00")


def test_cross_aging_at_or_above_the_percent_takes_the_debtors_positive_balance():
    rows = [inv("A", "500.00", 100), inv("A", "500.00", 10),         # 500 / 1,000 = 50% >= 50%: out
            inv("B", "499.99", 100), inv("B", "500.01", 10),         # 499.99 / 1,000 = 49.999%: stays
            inv("C", "800.00", 100), inv("C", "-1000.00", 10),       # 100% aged, but a net credit (-200): stays
            inv("D", "300.00", 100, disputed=True), inv("D", "200.00", 10),  # 300 / 500 = 60%, disputed counted
            inv("E", "-100.00", 100), inv("E", "1000.00", 10)]       # an old credit is not a debit: 0%
    r = compute(*book(rows, rules(disputed=True, cross_percent="50", cross_invoice_days=90)))["F1"]
    # gross = 1,000 + 1,000 - 200 + 500 + 900 = 3,200.00; disputed = 300.00
    # cross-aging = A's balance 1,000.00 + D's balance (rows in no category) 200.00 = 1,200.00
    # eligible = 3,200 - 300 - 1,200 = 1,700.00 = B 1,000 + C -200 + E 900
    expect(r, gross="3200.00", disputed="300.00", cross_aging="1200.00", eligible="1700.00")


def test_contra_is_the_lesser_of_the_balance_and_the_payables():
    rows = [inv("A", "600.00", 10, payable="300.00"), inv("A", "400.00", 10, payable="200.00"),  # owes 500
            inv("B", "400.00", 10, payable="1000.00"),                                        # owes 1,000
            inv("C", "-50.00", 10, payable="100.00"),                                         # net credit
            inv("D", "100.00", 10)]                                                           # owes nothing
    r = compute(*book(rows, rules(contra=True)))["F1"]
    # A: min(1,000, 300 + 200) = 500; B: min(400, 1,000) = 400; C: balance not above zero: 0; D: 0
    # gross = 1,000 + 400 - 50 + 100 = 1,450.00; contra 900.00; eligible 550.00
    expect(r, gross="1450.00", contra="900.00", eligible="550.00")


def test_concentration_on_the_total_after_rules_1_to_4_cap_rounded_half_up():
    rows = [inv("A", "600000.02", 10), inv("B", "200000.00", 10), inv("C", "200000.00", 10),
            inv("D", "500000.00", 10, disputed=True)]   # disputed: not in T
    r = compute(*book(rows, rules(disputed=True, concentration_percent="25")))["F1"]
    # T = 600,000.02 + 200,000.00 + 200,000.00 = 1,000,000.02; 25% x T = 250,000.005 -> 250,000.01 (half-up)
    # A's excess = 600,000.02 - 250,000.01 = 350,000.01 (B and C are under the cap)
    # eligible = 1,500,000.02 - 500,000.00 - 350,000.01 = 650,000.01
    expect(r, gross="1500000.02", disputed="500000.00", concentration="350000.01", eligible="650000.01")


def test_concentration_after_cross_aging_and_contra():
    rows = [inv("A", "700.00", 10, payable="100.00"),             # contra 100: 600 left
            inv("B", "300.00", 100), inv("B", "100.00", 10),      # 75% aged: cross-aged, out of T
            inv("C", "400.00", 10)]
    r = compute(*book(rows, rules(contra=True, cross_percent="50", cross_invoice_days=90,
                                  concentration_percent="50")))["F1"]
    # after rules 1 to 4: A 700 - 100 = 600, B 0, C 400: T = 1,000.00, cap 50% = 500.00
    # A's excess 600 - 500 = 100.00; eligible = 1,500 - 400 (cross) - 100 (contra) - 100 = 900.00
    expect(r, gross="1500.00", cross_aging="400.00", contra="100.00", concentration="100.00", eligible="900.00")


def test_concentration_needs_a_total_above_zero():
    # Not in the doc: with T at or below zero there is no cap to speak of; read as no concentration. The value
    # is never below zero (rule 8): eligible -200.00 values the class at 0.00.
    rows = [inv("A", "100.00", 10), inv("B", "-300.00", 10)]
    r = compute(*book(rows, rules(concentration_percent="25")))["F1"]
    expect(r, gross="-200.00", eligible="-200.00", value="0.00")


def test_dilution_and_value_rounded_half_up():
    rows = [inv("A", "1000.10", 10),
            inv("B", "333.33", 10, facility="F2"),
            inv("C", "1000.10", 10, facility="F3")]
    result = compute(*book(rows, rules(dilution_percent="5", advance_percent="50"),
                           rules("F2", dilution_percent="2.5", advance_percent="82.5"),
                           rules("F3")))
    # F1: dilution 5% x 1,000.10 = 50.005 -> 50.01; value (1,000.10 - 50.01) x 50% = 475.045 -> 475.05
    expect(result["F1"], eligible="1000.10", dilution="50.01", value="475.05")
    # F2: dilution 2.5% x 333.33 = 8.33325 -> 8.33; value (333.33 - 8.33) x 82.5% = 268.125 -> 268.13
    expect(result["F2"], eligible="333.33", dilution="8.33", value="268.13")
    # F3: no dilution reserve, no advance rate (100%)
    expect(result["F3"], eligible="1000.10", dilution="0.00", value="1000.10")


# --- a generated book --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    directory = tmp_path_factory.mktemp("book")
    write_book(directory, facilities=20, invoices=20_000, seed=1, as_of=AS_OF)
    return directory


def test_generated_book_pandas_sql_and_ibis_agree(small_book):
    invoices, params = pq.read_table(small_book / "invoices.parquet"), pq.read_table(small_book / "params.parquet")
    result = compute(invoices, params)
    assert len(result) == 20
    # the book exercises every category somewhere, so the agreement means something
    for name in CATEGORIES:
        assert any(row[name] != 0 for row in result.values()), name
    assert any(row["dilution"] != 0 for row in result.values())
    assert any(row["value"] != row["eligible"] - row["dilution"] for row in result.values())
    # the loader the benchmark uses (Arrow decimals, datetime64 dates) gives the same
    inv_df, par_df = load_pandas(small_book / "invoices.parquet", small_book / "params.parquet")
    assert _by_facility(pandas_rules(inv_df, par_df, AS_OF)) == result


def test_generator_is_deterministic_and_well_formed(monkeypatch):
    monkeypatch.setattr(generate, "CHUNK_ROWS", 7_000)  # several blocks, each from its own seed
    chunks = list(generate_invoices(7, 30_000, 3, AS_OF))
    again = list(generate_invoices(7, 30_000, 3, AS_OF))
    assert [c.num_rows for c in chunks] == [7_000, 7_000, 7_000, 7_000, 2_000]
    assert all(a.equals(b) for a, b in zip(chunks, again, strict=True))
    assert not chunks[0].column("amount").equals(chunks[1].column("amount"))
    table = pa.concat_tables(chunks)
    assert table.schema == INVOICES and table.num_rows == 30_000
    keys = pc.binary_join_element_wise(table["facility_id"], table["invoice_id"], "/")
    assert pc.count_distinct(keys).as_py() == table.num_rows          # invoice ids unique within a facility
    assert table.column("facility_id").unique().to_pylist() == [f"F{i:05d}" for i in range(1, 8)]
    credits = pc.sum(pc.less(table["amount"], pa.scalar(D("0"), pa.decimal128(18, 2)))).as_py() / table.num_rows
    assert 0.02 < credits < 0.04
    params = generate_params(7, 3)
    assert params.schema == PARAMS and params.num_rows == 7
    assert params.equals(generate_params(7, 3))
    assert not generate_params(7, 3).equals(generate_params(7, 4))
