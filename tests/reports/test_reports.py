"""The documents of `loanbook report`, read back: the PDF's text (pypdf) and the workbook's cells (openpyxl) hold
the engine's figures, the same as `status --json` and the other commands give, for the seed and for DNOW."""
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from conftest import DNOW, SEED
from loanbook.cli import app
from loanbook.core.money import money_human

runner = CliRunner()


def answer(*args):
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def report(tmp_path, kind, facility, fmt, *args):
    path = tmp_path / f"{kind}.{fmt}"
    result = runner.invoke(app, ["report", kind, "--facility", str(facility), *args, "--format", fmt,
                                 "--out", str(path)])
    assert result.exit_code == 0, result.output
    return path


def pdf_text(path) -> str:
    reader = PdfReader(path)
    return "\n".join(page.extract_text() for page in reader.pages)


def human(value: str) -> str:
    return money_human(Decimal(value))


def xlsx_cells(path) -> list:
    return [cell for row in load_workbook(path).active.iter_rows(values_only=True) for cell in row
            if cell is not None]


@pytest.mark.parametrize(("facility", "day"), [(SEED, "2002-10-15"), (SEED, "2002-10-28"), (DNOW, "2023-12-31")])
def test_bbc_pdf_holds_the_status_figures(tmp_path, facility, day):
    """From collateral to availability: every collateral value, borrowing base line, reserve and total, the
    availability, the overadvance and its limit, as `status --json` gives them."""
    status = answer("status", "--facility", str(facility), "--as-of", day)
    text = pdf_text(report(tmp_path, "bbc", facility, "pdf", "--as-of", day))
    base = status["borrowing_base"]
    figures = [*base["collateral"].values(), *(line["value"] for line in base["lines"]),
               *(r["value"] for r in base["reserves"]), base["total"],
               *(a["availability"] for a in status["availabilities"]),
               status["overadvance"], status["overadvance_cap"], status["overadvance_limit"]]
    for figure in figures:
        assert human(figure) in text, figure
    assert f"at the end of {day}" in text


def test_bbc_seed_by_hand(tmp_path):
    """2002-10-15 (RULES.md section 2): Receivables Borrowing Base 1,420,000.00 (the report of 2002-10-14);
    85% of it = 1,207,000.00; Borrowing Capacity = min(1,750,000.00, 1,207,000.00) - Letters of Credit 60,000.00
    = 1,147,000.00; Advances 1,250,000.00 + 100,000.00 + 40,000.00 = 1,390,000.00; availability max(0,
    1,147,000.00 - 1,390,000.00) = 0.00; overadvance 243,000.00 against the limit min(cap 400,000.00, Term Loan
    Reserve 250,000.00) = 250,000.00. The block is the Debtor's, from the facility's form."""
    text = pdf_text(report(tmp_path, "bbc", SEED, "pdf", "--as-of", "2002-10-15"))
    for figure in ("1,420,000.00", "1,207,000.00", "1,147,000.00", "1,390,000.00", "243,000.00", "400,000.00",
                   "250,000.00", "60,000.00"):
        assert figure in text
    assert "Availability of Advances" in text
    assert "IEC Electronics Corp., as Debtor" in text
    assert "Name: W. Barry Gilbert" in text and "Title: Chief Executive Officer" in text


def test_bbc_dnow_signature_block_from_the_form(tmp_path):
    text = pdf_text(report(tmp_path, "bbc", DNOW, "pdf", "--as-of", "2023-12-31"))
    assert "NOW Inc., as a US Borrower and as Parent" in text and "DNOW L.P., as a US Borrower" in text
    assert "Exhibit B-1 is not in the record" in text


@pytest.mark.parametrize(("facility", "day"), [(SEED, "2002-10-28"), (DNOW, "2023-12-31")])
def test_compliance_pdf_holds_every_covenant_and_deadline(tmp_path, facility, day):
    text = " ".join(pdf_text(report(tmp_path, "compliance", facility, "pdf", "--as-of", day)).split())
    for c in answer("covenants", "--facility", str(facility), "--as-of", day)["covenants"]:
        assert c["test_date"] in text and (c["measure"] or "not reported") in text
        assert f"at least {c['threshold']}" in text
    for o in answer("obligations", "--facility", str(facility), "--as-of", day)["obligations"]:
        if o["deadline"]:
            assert o["deadline"] in text, o


def test_compliance_seed_statuses(tmp_path):
    """2002-10-28: Section 10.21 satisfied by the auction agreement delivered 2002-10-24 (before its deadline of
    2002-10-25); Section 10.19 pending to 2002-10-31; the maturity of 2002-12-31 pending."""
    text = " ".join(pdf_text(report(tmp_path, "compliance", SEED, "pdf", "--as-of", "2002-10-28")).split())
    assert "2002-10-25 satisfied 2002-10-24" in text
    assert "2002-10-31 pending" in text and "2002-12-31 pending" in text


def test_statement_seed_november_by_hand(tmp_path):
    """November 2002 (RULES.md section 4, Actual/360): Advances 1,170,000.00 at prime 4.75% + 3.50% = 8.25% for
    2002-11-01 to 11-06 (6 days): 1,170,000 x 8.25% x 6/360 = 1,608.75; at 4.25% + 3.50% = 7.75% from 11-07 (24
    days): 1,170,000 x 7.75% x 24/360 = 6,045.00. Term Loan 1,500,000.00 at 8.75%: x 6/360 = 2,187.50; at 8.25%:
    x 24/360 = 8,250.00. Month: 1,608.75 + 6,045.00 + 2,187.50 + 8,250.00 = 18,091.25. Fees: the Base Fee
    installment of 15,000.00 due 11-15 (paid); the Additional Fee installment of 25,000.00 due 11-27, waived by the
    Financing Commitment of 11-12. Each Lender 50% (assumed): interest 18,091.25 / 2 = 9,045.625, 9,045.63 to the
    first, the remainder 9,045.62 to the last; fees 15,000.00 / 2 = 7,500.00; principal (1,170,000.00 +
    1,500,000.00) / 2 = 1,335,000.00."""
    text = pdf_text(report(tmp_path, "statement", SEED, "pdf", "--month", "2002-11"))
    for figure in ("1,608.75", "6,045.00", "2,187.50", "8,250.00", "18,091.25", "9,045.63", "9,045.62", "7,500.00",
                   "1,335,000.00", "15,000.00", "25,000.00", "20,000.00"):
        assert figure in text, figure
    statement = answer("interest", "--facility", str(SEED), "--from", "2002-11-01", "--to", "2002-11-30")
    assert human(statement["months"][0]["interest"]) == "18,091.25"
    assert "Extension Fee, Base Fee" in text and "waived" in text
    assert "HSBC Bank USA" in text and "General Electric Capital Corporation" in text


def test_statement_xlsx_holds_the_same_numbers(tmp_path):
    cells = xlsx_cells(report(tmp_path, "statement", SEED, "xlsx", "--month", "2002-11"))
    numbers = {Decimal(repr(c)).quantize(Decimal("0.01")) for c in cells if isinstance(c, (int, float))}
    for figure in ("1608.75", "6045.00", "2187.50", "8250.00", "18091.25", "9045.63", "9045.62", "7500.00"):
        assert Decimal(figure) in numbers, figure


def test_bbc_xlsx_and_html_hold_the_status_figures(tmp_path):
    status = answer("status", "--facility", str(DNOW), "--as-of", "2023-12-31")
    cells = xlsx_cells(report(tmp_path, "bbc", DNOW, "xlsx", "--as-of", "2023-12-31"))
    numbers = {Decimal(repr(c)) for c in cells if isinstance(c, (int, float))}
    html = report(tmp_path, "bbc", DNOW, "html", "--as-of", "2023-12-31").read_text()
    for figure in (status["borrowing_base"]["total"], status["availability"], status["overadvance_limit"]):
        assert Decimal(figure) in numbers
        assert human(figure) in html


def test_dnow_statement(tmp_path):
    """DNOW has no Lender's shares in its record: the statement says so and assumes none."""
    text = " ".join(pdf_text(report(tmp_path, "statement", DNOW, "pdf", "--month", "2023-06")).split())
    month = answer("interest", "--facility", str(DNOW), "--from", "2023-06-01", "--to", "2023-06-30")["months"][0]
    assert human(month["interest"]) in text
    assert "no Lender's share" in text


def test_html_to_stdout_escapes_names(tmp_path):
    result = runner.invoke(app, ["report", "bbc", "--facility", str(SEED), "--as-of", "2002-10-15"])
    assert result.exit_code == 0 and result.stdout.startswith("<!DOCTYPE html>")
    assert "Borrowing Base Certificate" in result.stdout and "Debtor&#39;s" in result.stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["bbc", "--as-of", "2002-10-15", "--format", "pdf"], "give --out FILE"),
    (["bbc", "--as-of", "2002-10-15", "--format", "docx"], "--format is one of html, pdf, xlsx"),
    (["bbc", "--as-of", "2002-10-15", "--format", "pdf", "--out", "x.xlsx"], "written to a .pdf file"),
    (["statement", "--month", "2002-13"], "--month is a month as YYYY-MM"),
    (["statement", "--month", "2002-1"], "--month is a month as YYYY-MM"),
])
def test_bad_arguments(tmp_path, args, expected):
    result = runner.invoke(app, ["report", *args[:1], "--facility", str(SEED), *args[1:]])
    assert result.exit_code == 2 and expected in result.stderr, result.output


def test_a_batch_writes_one_file_per_facility(tmp_path):
    """Several --facility: one document each in the --out folder, named by facility, document and day."""
    import shutil

    copy = tmp_path / "iec-copy"
    shutil.copytree(SEED, copy)
    facility_yaml = copy / "facility.yaml"
    facility_yaml.write_text(facility_yaml.read_text().replace("id: iec-2002\n", "id: iec-copy\n", 1))
    out = tmp_path / "documents"
    result = runner.invoke(app, ["report", "bbc", "--facility", str(SEED), "--facility", str(copy), "--as-of",
                                 "2002-10-15", "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["iec-2002-borrowing-base-certificate-2002-10-15.pdf",
                     "iec-copy-borrowing-base-certificate-2002-10-15.pdf"]
    assert all("1,147,000.00" in pdf_text(out / name) for name in names)
    refused = runner.invoke(app, ["report", "bbc", "--facility", str(SEED), "--facility", str(copy), "--as-of",
                                  "2002-10-15", "--format", "pdf", "--out", str(tmp_path / "x.pdf")])
    assert refused.exit_code == 2 and "give --out FOLDER" in refused.stderr


def test_a_name_that_looks_like_a_formula_stays_text(tmp_path):
    """A party named "=HYPERLINK(...)" is printed as written in every format, never run as a formula or read as
    markup."""
    import shutil

    copy = tmp_path / "iec"
    shutil.copytree(SEED, copy)
    facility_yaml = copy / "facility.yaml"
    facility_yaml.write_text(facility_yaml.read_text().replace("name: IEC Electronics Corp.\n",
                                                               "name: '=HYPERLINK(\"http://x\",\"<b>IEC</b>\")'\n", 1))
    book = load_workbook(report(tmp_path, "bbc", copy, "xlsx", "--as-of", "2002-10-15", "--unchecked"))
    cells = [cell for line in book.active.iter_rows() for cell in line if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells)
    assert any(str(cell.value).startswith('=HYPERLINK("http://x","<b>IEC</b>")') for cell in cells)
    assert '=HYPERLINK("http://x","<b>IEC</b>")' in pdf_text(report(tmp_path, "bbc", copy, "pdf", "--as-of",
                                                                     "2002-10-15", "--unchecked"))
    html = report(tmp_path, "bbc", copy, "html", "--as-of", "2002-10-15", "--unchecked").read_text()
    assert "<b>IEC</b>" not in html and "&lt;b&gt;IEC&lt;/b&gt;" in html


@pytest.mark.parametrize(("form", "expected"), [
    ("  borrowing_base_certificate:\n    title: T\n    source: S\n    signatures:\n"
     "      - {party: nobody, capacity: x}\n", "forms.borrowing_base_certificate signature 1 (line"),
    ("  pricing_certificate:\n    title: T\n    source: S\n", "pricing_certificate"),
])
def test_a_bad_form_is_refused_naming_the_file_and_the_field(tmp_path, form, expected):
    import shutil

    copy = tmp_path / "iec"
    shutil.copytree(SEED, copy)
    facility_yaml = copy / "facility.yaml"
    text = facility_yaml.read_text()
    start = text.index("forms:\n") + len("forms:\n")
    end = text.index("\nlenders:")
    facility_yaml.write_text(text[:start] + form + text[end:])
    result = runner.invoke(app, ["report", "bbc", "--facility", str(copy), "--as-of", "2002-10-15"])
    assert result.exit_code == 2
    assert "facility.yaml" in result.stderr and expected in result.stderr, result.stderr


def test_dnow_statement_counts_a_quarter_s_fee_in_the_month_it_is_due(tmp_path):
    """The Unused Line Fee for 2023-01-01 to 03-31 is due 2023-04-01 (`fees --json`): it is in April's statement,
    and in neither January's, February's nor March's."""
    fees = answer("fees", "--facility", str(DNOW), "--as-of", "2023-06-30")["charges"]
    [charge] = [c for c in fees if c["label"] == "Unused Line Fee" and c["from"] == "2023-01-01"]
    assert charge["due"] == "2023-04-01"
    amount = human(charge["amount"])
    texts = {month: " ".join(pdf_text(report(tmp_path, "statement", DNOW, "pdf", "--month", month)).split())
             for month in ("2023-01", "2023-02", "2023-03", "2023-04")}
    assert f"Unused Line Fee 2023-01-01 2023-03-31 {amount} 2023-04-01" in texts["2023-04"]
    assert all("Unused Line Fee 2023-01-01 2023-03-31" not in texts[m] for m in ("2023-01", "2023-02", "2023-03"))
