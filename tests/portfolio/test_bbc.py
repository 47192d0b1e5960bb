"""Borrowing base certificates from agings: the seed's illustrative aging worked by hand, the three file formats,
refused files (nothing recorded), --record with its evidence, DuckDB and Spark agreeing, and properties."""
import hashlib
import json
import random
import shutil
from datetime import date, timedelta
from decimal import Decimal as D

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ONE_SPARK, SEED, SPARK
from loanbook.cli import app
from loanbook.core.errors import InputError
from loanbook.portfolio.aging import invoices_from_rows, read_aging
from loanbook.portfolio.engines import connect
from loanbook.portfolio.rules import EligibilityRules, certificate, eligible_by_facility, params_table

AGING = SEED / "agings" / "aging-2002-12-16.csv"
AS_OF = date(2002, 12, 16)
runner = CliRunner()


def bbc(*args, env=None):
    return runner.invoke(app, ["bbc", "compute", *args], env=env)


def test_the_seed_s_aging_worked_by_hand():
    """The illustrative definition (documents/lsa-1999.yaml): 90 days from invoice, credits over 90 added back,
    cross-aging at 50% over 90 days, contra, 25% concentration; no advance rate (the line applies 85%)."""
    result = bbc("--facility", str(SEED), "--aging", str(AGING), "--as-of", "2002-12-16", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    # gross: D1 400,000 + 300,000; D2 250,000 + 120,000; D3 150,000 + 60,000; D4 30,000 + 25,000 + 20,000;
    # D5 45,000; D6 15,000; D7 200,000 - 8,000; D8 35,000 = 1,642,000
    assert body["gross"] == "1642000.00"
    lines = {x["category"]: x["amount"] for x in body["ineligible"]}
    assert lines == {
        "foreign": "45000.00",          # D5, foreign and not insured
        "government": "35000.00",       # D8, not assigned
        "disputed": "15000.00",         # D6
        "aging": "107000.00",           # D3 60,000 (95 days) + D4 30,000 (100) + 25,000 (120) + D7 -8,000 (120)
        "credit_balances": "8000.00",   # D7's 120-day credit added back
        "cross_aging": "20000.00",      # D4: 55,000 of 75,000 over 90 days = 73% >= 50%: its current 20,000 too
        "contra": "12000.00",           # D7: the lesser of 200,000 - 8,000 = 192,000 and the 12,000 owed to it
        "concentration": "370000.00",   # T = 700,000 + 370,000 + 150,000 + 180,000 = 1,400,000; 25% = 350,000;
    }                                   # D1 700,000 - 350,000 + D2 370,000 - 350,000 = 370,000
    # 1,642,000 - (45,000 + 35,000 + 15,000 + 107,000 + 8,000 + 20,000 + 12,000 + 370,000) = 1,030,000
    assert body["eligible"] == body["value"] == "1030000.00"
    assert [d["debtor_id"] for d in body["debtors"]][:2] == ["D1", "D4"]  # 350,000; 55,000 + 20,000 = 75,000


def test_a_rule_whose_column_the_aging_lacks_is_named(tmp_path):
    """The seed's terms turn on affiliates, but its aging has no affiliate column: the certificate says the rule
    found nothing. Given the column, it is not named; without payable_to_debtor, contra is named too."""
    def run(path):
        result = bbc("--facility", str(SEED), "--aging", str(path), "--as-of", "2002-12-16", "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert run(AGING)["rules_without_column"] == [{"rule": "affiliates", "column": "affiliate"}]
    with_affiliate = tmp_path / "affiliate.csv"
    header, *rows = AGING.read_text().splitlines()
    with_affiliate.write_text("\n".join([f"{header},affiliate", *(f"{row},no" for row in rows)]) + "\n")
    assert run(with_affiliate)["rules_without_column"] == []
    without_payables = tmp_path / "no-payables.csv"
    without_payables.write_text("\n".join(line.rsplit(",", 1)[0] for line in AGING.read_text().splitlines()) + "\n")
    body = run(without_payables)
    assert body["rules_without_column"] == [{"rule": "affiliates", "column": "affiliate"},
                                            {"rule": "contra", "column": "payable_to_debtor"}]
    assert "contra" not in {x["category"] for x in body["ineligible"]}
    # D7 keeps its 192,000: T = 700,000 + 370,000 + 150,000 + 192,000 = 1,412,000; 25% = 353,000; concentration
    # D1 700,000 - 353,000 + D2 370,000 - 353,000 = 364,000; eligible 1,412,000 - 364,000 = 1,048,000
    assert body["eligible"] == "1048000.00"
    text = bbc("--facility", str(SEED), "--aging", str(without_payables), "--as-of", "2002-12-16")
    assert "note: the aging has no payable_to_debtor column, so the contra rule found nothing" in text.stdout


def test_csv_xlsx_and_parquet_give_the_same_table(tmp_path):
    from openpyxl import Workbook

    table = read_aging(AGING)
    book = Workbook()
    sheet = book.active
    sheet.append(table.column_names)
    for row in table.to_pylist():
        sheet.append([row[c] if not isinstance(row[c], D) else float(row[c]) for c in table.column_names])
    book.save(tmp_path / "aging.xlsx")
    pq.write_table(table, tmp_path / "aging.parquet")
    assert read_aging(tmp_path / "aging.xlsx").equals(table)
    assert read_aging(tmp_path / "aging.parquet").equals(table)


@pytest.mark.parametrize("edit, message", [
    (lambda text: text.replace("debtor_id,", "debtor,", 1), "missing column(s); an aging has"),
    (lambda text: text.replace("2002-11-26,2002-12-26,250000.00", "2002-11-31,2002-12-26,250000.00"),
     "row 4: field 'invoice_date': is not a real date"),
    (lambda text: text.replace("2002-11-26,2002-12-26,250000.00", "26/11/2002,2002-12-26,250000.00"),
     "row 4: field 'invoice_date': is not a date written YYYY-MM-DD"),
    (lambda text: text.replace("400000.00", "four hundred"), "row 2: field 'amount': is not an amount"),
    (lambda text: text.replace("400000.00", "400000.001"), "row 2: field 'amount': is not an amount"),
    (lambda text: text.replace("INV-20698", "INV-20711"), "rows 2, 3: field 'invoice_id': repeats an invoice id"),
    (lambda text: text.replace(",yes,,,", ",maybe,,,"), "row 11: field 'foreign': is not true or false"),
    # a misspelled flag column would switch its rule off: the disputed invoice (D6) would count as eligible
    (lambda text: text.replace(",disputed,", ",dispute,", 1),
     "field 'dispute': is not a column an aging has: did you mean 'disputed'?"),
    (lambda text: text.replace(",disputed,", ",Is Disputed,", 1),
     "field 'is_disputed': is not a column an aging has: did you mean 'disputed'?"),
    (lambda text: text.replace(",payable_to_debtor", ",payable to debtr", 1),
     "field 'payable_to_debtr': is not a column an aging has: did you mean 'payable_to_debtor'?"),
    (lambda text: text.replace(",foreign,", ",foriegn,", 1),
     "field 'foriegn': is not a column an aging has: did you mean 'foreign'?"),
    (lambda text: with_column(text, "Amount"), "field 'amount': appears more than once in the header"),
])
def test_a_bad_aging_is_refused_naming_rows(tmp_path, edit, message):
    bad = tmp_path / "aging.csv"
    bad.write_text(edit(AGING.read_text()))
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        read_aging(bad)


def with_column(text: str, name: str) -> str:
    """The aging with one more column, `name`, holding x in every row."""
    header, *rows = text.splitlines()
    return "\n".join([f"{header},{name}", *(f"{row},x" for row in rows)]) + "\n"


def test_columns_of_the_borrower_s_own_are_ignored(tmp_path):
    """An aging may carry its own columns (a salesperson, an aging bucket, an insurer, SAP's Assignment), blank
    header cells and names written with spaces: the same table."""
    text = AGING.read_text()
    for name in ("salesperson", "aging bucket", "invoice_no", "currency", "Insurer", "Assignment", "Assigned To",
                 "Facility", "", ""):
        text = with_column(text, name)
    text = text.replace(",due_date,", ", Due Date ,", 1).replace(",bill_and_hold", ",Bill-and-Hold", 1)
    extra = tmp_path / "aging.csv"
    extra.write_text(text)
    assert read_aging(extra).equals(read_aging(AGING))
    # without a disputed column, a column of the borrower's own that is not a spelling of it is still ignored
    no_disputed = tmp_path / "no-disputed.csv"
    no_disputed.write_text(with_column(AGING.read_text().replace(",disputed,", ",Dispute Reason,", 1), "terms"))
    assert read_aging(no_disputed).num_rows == read_aging(AGING).num_rows


def test_an_xlsx_header_with_a_column_twice_is_refused(tmp_path):
    """A second, empty `disputed` column would otherwise have replaced the first: D6's dispute lost."""
    from openpyxl import Workbook

    table = read_aging(AGING)
    book = Workbook()
    sheet = book.active
    sheet.append([*table.column_names, "Disputed"])
    for row in table.to_pylist():
        sheet.append([str(v) if v is not None else None for v in row.values()] + [None])
    book.save(tmp_path / "aging.xlsx")
    with pytest.raises(InputError, match="field 'disputed': appears more than once in the header"):
        read_aging(tmp_path / "aging.xlsx")


def test_parquet_types_other_tools_write_give_the_same_table(tmp_path):
    """large_string text (as Polars writes it), amounts as decimal(20, 4), and a nullable decimal payable with
    empty cells: the same table as the CSV (they crashed, or were refused as not amounts)."""
    import pyarrow.compute as pc

    table = read_aging(AGING)
    columns = {}
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_string(field.type):
            column = column.cast(pa.large_string())
        elif field.name == "amount":
            column = column.cast(pa.decimal128(20, 4))
        elif field.name == "payable_to_debtor":  # zero written as an empty cell
            column = pc.if_else(pc.equal(column, 0), pa.scalar(None, field.type), column)
        columns[field.name] = column
    other = pa.table(columns)
    assert other.column("payable_to_debtor").null_count > 0
    pq.write_table(other, tmp_path / "other.parquet")
    assert read_aging(tmp_path / "other.parquet").equals(table)
    # a fifth decimal place that is not zero is still refused: 100.5050 is not dollars and cents
    odd = other.set_column(other.schema.get_field_index("amount"), "amount",
                           pa.array([D("100.5050")] * other.num_rows, pa.decimal128(20, 4)))
    pq.write_table(odd, tmp_path / "odd.parquet")
    with pytest.raises(InputError, match="field 'amount': is not an amount in dollars and cents"):
        read_aging(tmp_path / "odd.parquet")


def test_a_decimal_amount_column_of_cents_is_cast_as_its_text_would_be_read(tmp_path):
    """decimal(18, 2) and decimal(12, 0) amounts (cast, not read as text): the same values; an empty amount is
    refused naming its row, an empty payable is zero, and a repeated invoice is refused naming both rows."""
    header = {"debtor_id": ["D1", "D1", "D2"], "debtor_name": ["A", "A", "B"], "invoice_id": ["I1", "I2", "I3"],
              "invoice_date": ["2002-10-01"] * 3, "due_date": ["2002-11-30"] * 3}
    amounts = pa.array([D("1250.00"), D("-310.50"), D("99999999999999.99")], pa.decimal128(18, 2))
    payable = pa.array([D("12"), None, D("0")], pa.decimal128(12, 0))
    pq.write_table(pa.table({**header, "amount": amounts, "payable_to_debtor": payable}), tmp_path / "a.parquet")
    table = read_aging(tmp_path / "a.parquet")
    assert table.column("amount").to_pylist() == [D("1250.00"), D("-310.50"), D("99999999999999.99")]
    assert table.column("payable_to_debtor").to_pylist() == [D("12.00"), D("0.00"), D("0.00")]
    empty = pa.array([D("1250.00"), None, D("5.00")], pa.decimal128(18, 2))
    pq.write_table(pa.table({**header, "amount": empty}), tmp_path / "empty.parquet")
    with pytest.raises(InputError, match="row 3: field 'amount': is not an amount in dollars and cents"):
        read_aging(tmp_path / "empty.parquet")
    twice = {**header, "invoice_id": ["I1", "I2", "I1"], "amount": amounts}
    pq.write_table(pa.table(twice), tmp_path / "twice.parquet")
    with pytest.raises(InputError, match="rows 2, 4: field 'invoice_id': repeats an invoice id"):
        read_aging(tmp_path / "twice.parquet")


def test_an_excel_amount_is_read_as_excel_shows_it(tmp_path):
    """A cell Excel shows as 250,000.01 may hold the double 250000.0099999999 (a formula's result); read to
    Excel's 15 significant digits it is 250000.01 (it was refused as more than two decimals)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["debtor_id", "debtor_name", "invoice_id", "invoice_date", "due_date", "amount"])
    sheet.append(["D1", "One", "I-1", "2002-11-01", "2002-12-01", 250000.0099999999])
    sheet.append(["D2", "Two", "I-2", "2002-11-01", "2002-12-01", 0.1 + 0.2])
    book.save(tmp_path / "aging.xlsx")
    assert read_aging(tmp_path / "aging.xlsx").column("amount").to_pylist() == [D("250000.01"), D("0.30")]


def test_a_workbook_whose_first_sheet_is_not_the_aging_names_the_sheet(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Cover"
    book.active.append(["Receivables aging", "as of 2002-12-16"])
    book.create_sheet("Aging").append(["debtor_id", "debtor_name", "invoice_id", "invoice_date", "due_date",
                                       "amount"])
    book.save(tmp_path / "aging.xlsx")
    with pytest.raises(InputError, match=r"aging.xlsx \(sheet 'Cover', the first\): field 'debtor_id, "):
        read_aging(tmp_path / "aging.xlsx")


@pytest.mark.parametrize("written, amount", [
    ("$400,000.00", "400000.00"), ("400,000.00", "400000.00"), ("(8,000.00)", "-8000.00"),
    ("$(8,000.00)", "-8000.00"), ("-$8,000.00", "-8000.00"), ("12,500", "12500.00"),
])
def test_amounts_as_an_accounting_export_writes_them(tmp_path, written, amount):
    text = AGING.read_text().replace("400000.00", f'"{written}"', 1)
    aging = tmp_path / "aging.csv"
    aging.write_text(text)
    assert read_aging(aging).column("amount").to_pylist()[0] == D(amount)


@pytest.mark.parametrize("written", ["1,2345.00", "(8,000.00", "-(8,000.00)", "$$400,000.00", "400,000.001"])
def test_amounts_written_loosely_are_still_refused(tmp_path, written):
    aging = tmp_path / "aging.csv"
    aging.write_text(AGING.read_text().replace("400000.00", f'"{written}"', 1))
    with pytest.raises(InputError, match="row 2: field 'amount': is not an amount in dollars and cents"):
        read_aging(aging)


def test_a_float_parquet_column_is_refused(tmp_path):
    table = read_aging(AGING)
    floats = table.set_column(table.schema.get_field_index("amount"), "amount",
                              pa.array([float(x) for x in table.column("amount").to_pylist()]))
    pq.write_table(floats, tmp_path / "floats.parquet")
    with pytest.raises(InputError, match="floating-point column"):
        read_aging(tmp_path / "floats.parquet")


@pytest.mark.parametrize("kind", [pa.date32(), pa.timestamp("s")])
def test_a_typed_date_column_with_an_empty_cell_is_refused(tmp_path, kind):
    """A Parquet aging's dates typed as dates or as timestamps: an empty one is refused, naming its row."""
    table = read_aging(AGING)
    dates = table.column("due_date").to_pylist()
    dates[2] = None
    typed = table.set_column(table.schema.get_field_index("due_date"), "due_date", pa.array(dates, pa.date32())
                             .cast(kind))
    pq.write_table(typed, tmp_path / "typed.parquet")
    with pytest.raises(InputError, match="row 4: field 'due_date': is empty"):
        read_aging(tmp_path / "typed.parquet")


def test_record_appends_the_report_with_its_evidence(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {"LOANBOOK_DATABASE_URL": url}
    assert runner.invoke(app, ["import", str(SEED)], env=env).exit_code == 0
    broken = tmp_path / "broken.csv"
    broken.write_text(AGING.read_text().replace("400000.00", "4OO000.00"))
    refused = bbc("--facility", "iec-2002", "--aging", str(broken), "--as-of", "2002-12-16", "--record", env=env)
    assert refused.exit_code == 2 and "row 2: field 'amount'" in refused.stderr
    done = bbc("--facility", "iec-2002", "--aging", str(AGING), "--as-of", "2002-12-16", "--record", "--json", env=env)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["recorded"]["first_seq"] == 28  # the 27 imported events, then this one only
    from loanbook.store.store import Store

    store = Store(url)
    event = json.loads(store.event_rows("iec-2002")[-1].body)
    assert event["values"] == {"receivables_borrowing_base": "1030000.00"}
    assert event["evidence"]["aging_sha256"] == hashlib.sha256(AGING.read_bytes()).hexdigest()
    assert event["evidence"]["certificate"]["eligible"] == "1030000.00"
    status = store.facility("iec-2002").status(AS_OF)
    # capacity on 2002-12-16: 85% x 1,030,000 = 875,500 (the Maximum Limit of 1,750,000 does not bind)
    assert status.borrowing_bases[0].total.value == D("875500.00")
    store.close()
    folder = bbc("--facility", str(SEED), "--aging", str(AGING), "--as-of", "2002-12-16", "--record", env=env)
    assert folder.exit_code == 2 and "--record appends to a stored facility" in folder.stderr
    again = bbc("--facility", "iec-2002", "--aging", str(AGING), "--as-of", "2002-12-16", "--record", env=env)
    assert again.exit_code == 2
    assert ("this aging's report for 2002-12-16 is already recorded, as event 28 (borrowing_base_report@2002-12-16#1)"
            " of iec-2002: nothing appended") in again.stderr
    store = Store(url)
    assert len(store.event_rows("iec-2002")) == 28
    store.close()


def test_no_definition_in_force_is_said(tmp_path):
    copy = tmp_path / "iec"
    shutil.copytree(SEED, copy)
    result = bbc("--facility", str(copy), "--aging", str(AGING), "--as-of", "1999-01-01")
    assert result.exit_code == 2 and "no eligibility definition is in force on 1999-01-01" in result.stderr


@pytest.mark.parametrize("before, after, message", [
    ('concentration: {percent: "25"}', "concentration: {percent: 0.25}",
     "field 'terms.0.rules.concentration.percent': a percentage from 1 to 100 (25 or 25% is 25%), not 0.25%"),
    ('concentration: {percent: "25"}', 'concentration: {percent: "250"}',
     "field 'terms.0.rules.concentration.percent': '250' is 250%: a rate is at least 0% and at most 100%"),
    ('cross_aging: {percent: "50",', 'cross_aging: {percent: "0",',
     "field 'terms.0.rules.cross_aging.percent': a percentage above 0 and at most 100, not 0%"),
    ('concentration: {percent: "25"}', 'concentration: {percent: "25"}\n        advance_rate: "0.85"',
     "field 'terms.0.advance_rate': a percentage from 1 to 100 (25 or 25% is 25%), not 0.85%"),
    ('concentration: {percent: "25"}', 'concentration: {percent: "25"}\n        dilution_reserve: "100"',
     "field 'terms.0.dilution_reserve': a percentage from 0 and below 100, not 100%"),
])
def test_a_percentage_out_of_bounds_in_the_terms_is_refused(tmp_path, before, after, message):
    """A fraction written for a percentage (0.25 for 25%) or a share above the whole is a typo, not a term: the
    facility is refused, naming the file, the line and the field, and nothing is computed."""
    copy = tmp_path / "iec"
    shutil.copytree(SEED, copy)
    terms = copy / "documents" / "lsa-1999.yaml"
    text = terms.read_text()
    assert before in text
    terms.write_text(text.replace(before, after, 1))
    result = bbc("--facility", str(copy), "--aging", str(AGING), "--as-of", "2002-12-16")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{terms}: operation 1 (definitions.receivables-borrowing-base) (line " in result.stderr
    assert message in result.stderr


def test_an_advance_rate_applied_twice_is_a_difference(tmp_path):
    """The seed's line applies 85% to the class; an advance_rate of 85 in its eligibility terms as well would
    give 85% of 85%: check reports it (it passed, and the borrowing base came out at 72.25%)."""
    from loanbook.agreement.check import fidelity_check
    from loanbook.agreement.load import load_agreement

    copy = tmp_path / "iec"
    shutil.copytree(SEED, copy)
    terms = copy / "documents" / "lsa-1999.yaml"
    anchor = 'concentration: {percent: "25"}'
    terms.write_text(terms.read_text().replace(anchor, anchor + '\n        advance_rate: "85"', 1))
    found = [f.message for f in fidelity_check(load_agreement(copy)) if f.severity == "difference"]
    assert found == ["lsa-1999: the eligibility of receivables_borrowing_base applies an advance rate of 85%, and line "
                     "iec_receivables (schedule.item-1) applies its rate too: leave advance_rate out of the "
                     "eligibility terms, or give the line a rate of 100"]


# --- one definition, two engines -----------------------------------------------------------------------------

def small_book(facilities: int, invoices: int, seed: int) -> tuple[pa.Table, pa.Table]:
    """A book with every rule in play, drawn at random: varied terms per facility, long-tailed amounts."""
    rnd = random.Random(seed)
    rows, rules = [], {}
    for f in range(facilities):
        rules[f"F{f}"] = EligibilityRules(
            affiliates=True, foreign=rnd.random() < 0.8, government=True, disputed=True, bill_and_hold=True,
            consignment=rnd.random() < 0.5, progress_billing=True, contra=rnd.random() < 0.7,
            aging_invoice_days=rnd.choice([90, 120]), aging_due_days=rnd.choice([None, 60]),
            credit_invoice_days=rnd.choice([None, 90]), cross_percent=rnd.choice([None, D("50"), D("25.5")]),
            cross_invoice_days=90, concentration_percent=rnd.choice([None, D("20"), D("33.3333")]),
            dilution_percent=rnd.choice([None, D("2.5")]), advance_percent=rnd.choice([None, D("85"), D("87.5")]))
    for i in range(invoices):
        f = f"F{rnd.randrange(facilities)}"
        debtor = f"d{min(int(rnd.paretovariate(1.2)), 40)}"
        age = int(rnd.expovariate(1 / 45))
        amount = D(int(rnd.paretovariate(1.1) * 100_000)) / 100 * (-1 if rnd.random() < 0.04 else 1)
        rows.append({"facility_id": f, "debtor_id": debtor, "debtor_name": debtor.upper(), "invoice_id": f"i{i}",
                     "invoice_date": AS_OF - timedelta(age), "due_date": AS_OF - timedelta(age - 30),
                     "amount": amount, "affiliate": rnd.random() < 0.01, "foreign": rnd.random() < 0.03,
                     "insured": rnd.random() < 0.5, "government": rnd.random() < 0.01,
                     "assigned": rnd.random() < 0.5, "disputed": rnd.random() < 0.01,
                     "bill_and_hold": rnd.random() < 0.005, "consignment": rnd.random() < 0.005,
                     "progress_billing": rnd.random() < 0.005,
                     "payable_to_debtor": D(rnd.choice([0, 0, 0, 1500])) if debtor == "d1" else D(0)})
    table = invoices_from_rows(rows)
    return table.set_column(0, "facility_id", pa.array([r["facility_id"] for r in rows])), params_table(rules)


def by_facility(engine: str, invoices: pa.Table, params: pa.Table, *, detail: bool = False) -> list[dict]:
    with connect(engine) as backend:
        result = backend.rows(eligible_by_facility(backend.con, backend.load(invoices, "invoices"),
                                                   backend.load(params, "params"), AS_OF, detail=detail))
    return sorted(result, key=lambda r: r["facility_id"])


@ONE_SPARK
def test_duckdb_and_spark_give_identical_decimals():
    invoices, params = small_book(12, 3000, seed=11)
    duck, spark = by_facility("duckdb", invoices, params), by_facility("spark", invoices, params)
    assert len(duck) == 12
    assert duck == spark  # every amount a Decimal in cents, every count an integer, on both engines
    assert all(isinstance(r["value"], D) and r["value"] == r["value"].quantize(D("0.01")) for r in duck)


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
def test_a_null_flag_is_false(engine):
    """A book's Parquet written by another system can leave flags null: null is false, also where the rule
    reads a flag negated (foreign *and not insured*, government *and not assigned*).
    a  foreign, insured null    1,000.00  foreign, uninsured: ineligible
    b  foreign null             2,000.00  domestic: eligible
    c  government, assigned null  400.00  government, unassigned: ineligible
    d  government, assigned       600.00  eligible
    gross 4,000.00; eligible 4,000 - 1,000 - 400 = 2,600.00; at 80%: 2,080.00."""
    names = ("a", "b", "c", "d")
    flags = {"foreign": [True, None, False, False], "insured": [None, None, False, False],
             "government": [False, False, True, True], "assigned": [False, False, None, True]}
    columns = {"facility_id": ["F"] * 4, "debtor_id": list(names), "debtor_name": list(names),
               "invoice_id": list(names), "invoice_date": [AS_OF - timedelta(10)] * 4,
               "due_date": [AS_OF + timedelta(20)] * 4,
               "amount": [D("1000.00"), D("2000.00"), D("400.00"), D("600.00")], "payable_to_debtor": [D(0)] * 4}
    schema = read_aging(AGING).schema
    invoices = pa.table({name: columns.get(name, flags.get(name, [False] * 4)) for name in schema.names},
                        schema=schema)
    params = params_table({"F": EligibilityRules(foreign=True, government=True, advance_percent=D("80"))})
    [row] = by_facility(engine, invoices, params)
    assert (row["gross"], row["foreign"], row["government"]) == (D("4000.00"), D("1000.00"), D("400.00"))
    assert (row["eligible"], row["value"]) == (D("2600.00"), D("2080.00"))


@pytest.mark.parametrize("engine", ["duckdb", SPARK])
def test_a_missing_date_is_never_old(engine):
    """Aged past 60 days after due, credits added back past 90 days from invoice; rows without a date:
    F  a debit, no dates: never old                               1,000.00 eligible
    G  a credit, no invoice date, due 100 days ago                 -100.00 aged by its due date (category aging),
       but not older than 90 days from an invoice date it does not have: not added back, counted as none
    F: gross = eligible = 1,000.00. G: gross -100.00, aging -100.00, eligible -100 - (-100) = 0.00."""
    schema = read_aging(AGING).schema
    columns = {"facility_id": ["F", "G"], "debtor_id": ["a", "b"], "debtor_name": ["a", "b"],
               "invoice_id": ["a", "b"], "invoice_date": [None, None], "due_date": [None, AS_OF - timedelta(100)],
               "amount": [D("1000.00"), D("-100.00")], "payable_to_debtor": [D(0), D(0)]}
    invoices = pa.table({name: columns.get(name, [False, False]) for name in schema.names}, schema=schema)
    rules = EligibilityRules(aging_due_days=60, credit_invoice_days=90)
    params = params_table({"F": rules, "G": rules}, AS_OF)
    f, g = by_facility(engine, invoices, params, detail=True)
    assert (f["gross"], f["aging"], f["eligible"], f["n_aging"]) == (D("1000.00"), D("0.00"), D("1000.00"), 0)
    assert (g["gross"], g["aging"], g["credit_balances"]) == (D("-100.00"), D("-100.00"), D("0.00"))
    assert (g["eligible"], g["n_aging"], g["n_credit_balances"]) == (D("0.00"), 1, 0)


# --- properties ------------------------------------------------------------------------------------------------

invoice = st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 200),
                    st.integers(-50_000, 2_000_000).map(lambda c: D(c) / 100), st.booleans())
no_cross = EligibilityRules(disputed=True, aging_invoice_days=90, credit_invoice_days=90, contra=True,
                            concentration_percent=D("30"), dilution_percent=D("1.5"), advance_percent=D("80"))
quick = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def rows_of(items) -> list[dict]:
    return [{"debtor_id": d, "debtor_name": d, "invoice_id": f"i{n}", "invoice_date": AS_OF - timedelta(age),
             "due_date": AS_OF - timedelta(age - 30), "amount": amount, "disputed": disputed,
             "payable_to_debtor": D("1000.00") if d == "a" and n == 0 else D(0)}
            for n, (d, age, amount, disputed) in enumerate(items)]


@quick
@given(st.lists(invoice, min_size=2, max_size=14), st.data())
def test_removing_an_invoice_never_raises_the_base(items, data):
    """Without cross-aging, taking out an invoice (a debit) never raises the value: it only leaves the pool.
    (With cross-aging, paying an old invoice can restore a debtor's eligibility; that is the rule working.)"""
    rows = rows_of(items)
    debits = [i for i, r in enumerate(rows) if r["amount"] > 0 and not (r["debtor_id"] == "a" and i == 0)]
    if not debits:
        return
    drop = data.draw(st.sampled_from(debits))
    whole = certificate(no_cross, invoices_from_rows(rows), AS_OF).value
    less = certificate(no_cross, invoices_from_rows(rows[:drop] + rows[drop + 1:]), AS_OF).value
    assert less <= whole


@quick
@given(st.lists(invoice, min_size=1, max_size=14), st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_row_order(items, rnd):
    rules = EligibilityRules(disputed=True, aging_invoice_days=90, credit_invoice_days=90, cross_percent=D("50"),
                             cross_invoice_days=90, contra=True, concentration_percent=D("25"),
                             advance_percent=D("85"))
    rows = rows_of(items)
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    a, b = certificate(rules, invoices_from_rows(rows), AS_OF), certificate(rules, invoices_from_rows(shuffled), AS_OF)
    assert (a.value, a.categories, a.eligible) == (b.value, b.categories, b.eligible)
