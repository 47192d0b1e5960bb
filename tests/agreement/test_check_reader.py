"""The fidelity check reads figures as real agreements write them: tables, basis points, numbers in words and
day bases; and a not_encoded declaration names a figure. Each reading is tested on real phrasing (the Richey
Electronics loan agreement of 1995 and the DNOW credit agreement of 2022, or forms common in other credit
agreements), as a figure (kind, value, written) and end to end: a clause whose terms use the figure passes
check_version with no assumption; one whose terms use another number does not."""
import json
from datetime import date
from decimal import Decimal as D

import pytest

from loanbook.agreement.check import check_version, text_figures
from loanbook.agreement.load import load_agreement

FACILITY = """\
id: reader
name: A facility for one clause
record_end: 2024-12-31
parties:
  - {id: borrower, name: Borrower Co., roles: [borrower]}
  - {id: lender, name: Lender Bank, roles: [lender]}
lenders:
  - {party: lender, share: "100"}
vocabulary:
  tranches:
    - {id: loans, label: Loans, type: revolving}
  collateral:
    - {id: receivables, label: Eligible Receivables}
  documents:
    - {id: compliance_certificate, label: Compliance Certificate}
  indices:
    - {id: prime, label: Prime Rate, series: shipped}
  measures:
    - {id: leverage_ratio, label: Leverage Ratio, unit: number, period: true}
"""
DOCUMENT = """\
id: agreement
kind: loan_agreement
title: Loan Agreement
as_of: 2024-01-02
source: a fixture of the tests
operations:
  - {op: insert, clause: borrowing, source: a fixture of the tests, terms: [{kind: borrowing_base, id: base,
     label: Borrowing Base, lines: [{id: line, label: Eligible Receivables, collateral: receivables, rate: "100"}]},
     {kind: availability, tranche: loans, capacity: base}]}
"""


def differences(tmp_path, text: str, terms: list, **more) -> list[str]:
    """What check_version finds wrong with one clause of this text and these terms (no assumption unless given)."""
    folder = tmp_path / "facility"
    (folder / "documents").mkdir(parents=True, exist_ok=True)
    (folder / "facility.yaml").write_text(FACILITY)
    (folder / "events.yaml").write_text("[]\n")
    operation = {"op": "insert", "clause": "c", "title": "C", "text": text, "terms": terms, **more}
    (folder / "documents" / "agreement.yaml").write_text(DOCUMENT + f"  - {json.dumps(operation)}\n")
    agreement = load_agreement(folder)
    return [f.message for f in check_version(agreement, agreement.clauses["c"].versions[0])
            if f.severity == "difference"]


def percent(value: str) -> list:
    return [{"kind": "definitions", "figures": [{"id": "margin", "label": "margin", "value": value,
                                                 "unit": "percent"}]}]


def number(value: str) -> list:
    return [{"kind": "definitions", "figures": [{"id": "n", "label": "n", "value": value, "unit": "number"}]}]


def read(text: str) -> list[tuple]:
    return [(f.kind, f.value, f.written) for f in text_figures(text)]


# --- tables ---------------------------------------------------------------------------------------------------

RICHEY_MARGIN = """\
       "APPLICABLE ALTERNATE BASE RATE MARGIN" means, for each Pricing
       Period, the interest rate margin set forth below (expressed in basis
       points) opposite the Applicable Pricing Level for that Pricing Period:
                  Applicable
                 Pricing Level            Margin
                 -------------            ------

                      I                   100.00
                      II                   50.00
                      III                  25.00
                      IV                   00.00"""

DNOW_MARGIN = """\
| | | | | | | |
| --- | --- | --- | --- | --- | --- | --- |
| Level | | Fixed Charge Coverage Ratio | | Applicable Margin for Base Rate Loans (the “Base Rate Margin”) | | \
Applicable Margin for Non -Base Rate Loans (the “Non- Base Rate Margin”) |
| I | | Fixed Charge Coverage Ratio > 2.25:1.00 | | 0.25 percentage points | | 1.25 percentage points |"""


def test_a_table_drawn_with_spaces_gives_a_number_a_cell():
    """Richey's margin table (Loan Agreement, "Applicable Alternate Base Rate Margin"): each cell one number, the
    level not a figure, the prose above not a header."""
    assert read(RICHEY_MARGIN) == [("number", D("100.00"), "100.00"), ("number", D("50.00"), "50.00"),
                                   ("number", D("25.00"), "25.00"), ("number", D("0.00"), "00.00")]


def test_a_pricing_grid_row_drawn_with_spaces_gives_each_figure_once():
    row = "Level II   Greater than 1.50 to 1.00 but less than 2.00 to 1.00   0.50%   1.50%"
    assert read(row) == [("ratio", D("1.50"), "1.50 to 1.00"), ("ratio", D("2.00"), "2.00 to 1.00"),
                         ("percent", D("0.50"), "0.50%"), ("percent", D("1.50"), "1.50%")]


def test_a_column_header_with_a_percent_sign_makes_bare_numbers_percentages():
    grid = ("Level     Leverage Ratio                  Eurodollar Margin (%)     Base Rate Margin (%)\n"
            "-----     --------------                  ---------------------     --------------------\n"
            "I         Less than 1.50 to 1.00                  1.25                      0.25\n")
    assert read(grid) == [("ratio", D("1.50"), "1.50 to 1.00"), ("percent", D("1.25"), "1.25"),
                          ("percent", D("0.25"), "0.25")]


def test_prose_with_two_spaces_is_not_a_table():
    """Richey prints two spaces after a full stop: a number in a sentence is not a table's cell."""
    prose = ("       $45,000,000.  The respective Pro Rata Shares of the Banks with respect to\n"
             "            3.4  COMMITMENT FEES.  From and including the Closing Date, and for")
    assert read(prose) == [("amount", D("45000000"), "$45,000,000")]


def test_pipe_tables_give_a_figure_a_cell():
    assert read("| Level I | 25 | % |") == [("percent", D("25"), "25 | %")]
    assert read("| 1.00% | 2.00% |") == [("percent", D("1.00"), "1.00%"), ("percent", D("2.00"), "2.00%")]
    assert read("| Level | Margin (%) |\n| --- | --- |\n| 1 | 1.75 |") == [("percent", D("1.75"), "1.75")]
    assert read("| Level | Margin |\n| --- | --- |\n| 1 | 1.75 |") == [("number", D("1.75"), "1.75")]
    assert read("| Level | Commitment Fee (bps) |\n| II | 37.5 |") == [("percent", D("0.375"), "37.5")]


def test_dnows_grid_row_gives_each_figure_once():
    """The DNOW Applicable Margin table (Second Amendment): the ratio once (not also "> 2.25"), the margins as
    percentage points."""
    assert read(DNOW_MARGIN) == [("ratio", D("2.25"), "2.25:1.00"), ("percent", D("0.25"), "0.25 percentage points"),
                                 ("percent", D("1.25"), "1.25 percentage points")]


def grid(values: dict, basis_points: bool = False) -> list:
    return [{"kind": "level_grid", "id": "pricing", "label": "Pricing", "measure": "leverage_ratio",
             "certificate": "compliance_certificate", "takes_effect": "on_delivery",
             "levels": [{"level": "I", "lower": "1.50"}, {"level": "II", "upper": "1.50"}],
             "values": [{"id": "margin", "label": "Margin", "basis_points": basis_points, "by_level": values}]}]


PIPE_GRID = """\
| Level | Leverage Ratio | Margin | |
| --- | --- | --- | --- |
| I | at least 1.50:1.00 | 25 | % |
| II | below 1.50:1.00 | 2.00% | |"""


def test_a_table_whose_terms_use_its_figures_passes(tmp_path):
    assert differences(tmp_path, PIPE_GRID, grid({"I": "25", "II": "2.00"})) == []


def test_a_table_figure_the_terms_do_not_use_fails(tmp_path):
    found = differences(tmp_path, PIPE_GRID, grid({"I": "25", "II": "2.50"}))
    assert "the text gives '2.00%', which the terms do not use" in found[0]


def test_a_bare_number_of_a_table_does_not_match_a_percentage_of_another_value(tmp_path):
    """The cell "50" with no % anywhere is the number 50, not 0.50%: a margin of 0.50 does not use it."""
    text = "| Level | Leverage Ratio | Margin |\n| --- | --- | --- |\n| I | at least 1.50:1.00 | 50 |\n" \
           "| II | below 1.50:1.00 | 2.00% |"
    found = differences(tmp_path, text, grid({"I": "0.50", "II": "2.00"}))
    assert any("the text gives '50', which the terms do not use" in m for m in found)


def test_richeys_grid_in_basis_points_passes_and_a_changed_value_fails(tmp_path):
    """A column `basis_points: true` uses the table's numbers as written (100.00) and percentages a hundredth of
    them ("50 bps")."""
    text = RICHEY_MARGIN.replace("III                  25.00\n", "").replace("IV                   00.00", "")
    text += "\n       Level I applies at a Leverage Ratio of at least 1.50 to 1.00."
    assert differences(tmp_path, text, grid({"I": "100.00", "II": "50.00"}, basis_points=True)) == []
    found = differences(tmp_path, text, grid({"I": "100.00", "II": "55.00"}, basis_points=True))
    assert any("'50.00', which the terms do not use" in m for m in found)
    prose = "The margin is 100 bps at a Leverage Ratio of at least 1.50 to 1.00, and 50 bps below it."
    assert differences(tmp_path, prose, grid({"I": "100.00", "II": "50.00"}, basis_points=True)) == []
    assert differences(tmp_path, prose, grid({"I": "100.00", "II": "50.00"})) != []  # 50% is not 50 bps


# --- basis points and fractions of 1% -------------------------------------------------------------------------

@pytest.mark.parametrize("text, value, written", [
    ("a margin of 195 basis points (1.95%) per annum", "1.95", "195 basis points (1.95%)"),
    ("a fee of fifty (50) basis points per annum", "0.50", "fifty (50) basis points"),
    ("plus 50 bps", "0.50", "50 bps"),
    ("plus 50 bp", "0.50", "50 bp"),
    ("plus 1 basis point", "0.01", "1 basis point"),
    # Richey, Section 3.5: "in an amount equal to 1/4 of 1% (25 basis points) per annum of the face amount"
    ("in an amount equal to\n1/4 of 1% (25 basis points) per annum of the face amount", "0.25",
     "1/4 of 1% (25 basis points)"),
    # DNOW, definition of Benchmark Replacement Adjustment
    ("an amount equal to (A) 0.11448% (11.448 basis points) for an Available Tenor of one-month’s duration",
     "0.11448", "0.11448% (11.448 basis points)"),
    ("rounded upward, if necessary, to the\n       next 1/16 of 1%) at which", "0.0625", "1/16 of 1%"),  # Richey
    ("rounded upward, if necessary, to the nearest\n       1/16 of one percent) determined", "0.0625",
     "1/16 of one percent"),  # Richey, definition of Eurodollar Rate
    ("rounded upward, if necessary, to the nearest 1/100th of 1%) in", "0.01", "1/100th of 1%"),  # Richey
    ("rounded to the nearest 1/16th of 1%", "0.0625", "1/16th of 1%"),
    ("plus one-eighth of one percent", "0.125", "one-eighth of one percent"),
    ("plus one-quarter of one percent", "0.25", "one-quarter of one percent"),
    ("plus one-half of one percent (0.50%)", "0.50", "one-half of one percent (0.50%)"),
    # DNOW, Section 2.6(c): "two percentage points above the per annum rate otherwise applicable"
    ("a per annum rate equal to two percentage points above the per annum rate", "2", "two percentage points"),
])
def test_basis_points_and_fractions_of_one_percent_are_one_percentage(text, value, written):
    assert read(text) == [("percent", D(value), written)]


def test_a_restatement_that_differs_is_a_second_figure():
    assert read("195 basis points (1.90%)") == [("percent", D("1.95"), "195 basis points"),
                                               ("percent", D("1.90"), "1.90%")]


def test_a_percentage_in_basis_points_passes_when_the_terms_use_it(tmp_path):
    text = "the Applicable Margin shall be 195 basis points (1.95%) per annum"
    assert differences(tmp_path, text, percent("1.95")) == []
    assert differences(tmp_path, text, percent("19.5")) == [  # (195% is refused when the folder is loaded)
        "agreement: the text gives '195 basis points (1.95%)', which the terms do not use",
        "agreement: the terms set terms[0].figures[0].value = 19.500, which the text does not state and no assumption "
        "declares"]
    both = differences(tmp_path, "195 basis points (1.90%)", percent("1.95"))
    assert both == ["agreement: the text gives '1.90%', which the terms do not use"]


@pytest.mark.parametrize("text, value", [
    ("a letter of credit fee equal to 1/4 of 1% (25 basis points) per annum", "0.25"),
    ("a commitment fee of fifty (50) basis points", "0.50"),
    ("the Federal Funds Rate plus one-half of one percent (0.50%)", "0.50"),
    ("rounded upwards to the next one-eighth of one percent", "0.125"),
    ("at a rate of two percentage points above the rate otherwise applicable", "2"),
])
def test_each_spelling_of_a_percentage_passes_with_its_value_and_fails_with_another(tmp_path, text, value):
    assert differences(tmp_path, text, percent(value)) == []
    assert differences(tmp_path, text, percent(str(D(value) * 10))) != []  # ten times the text's


# --- numbers in words -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, value, written", [
    ("such failure continues for a period of twenty days", "days", 20, "twenty days"),
    ("within five Business Days of its receipt thereof", "days", 5, "five Business Days"),  # DNOW 5.13
    ("within ninety (90) days after the end of each Fiscal Year", "days", 90, "ninety (90) days"),
    ("terminated effective on the date which is thirty (30) days subsequent to written", "days", 30,
     "thirty (30) days"),  # Richey 2.7
    ("thirty (30) days after the date of such notice", "days", 30, "thirty (30) days"),
    ("upon at\nleast five (5) Banking Days' prior written notice", "days", 5, "five (5) Banking Days"),  # Richey 2.5
    ("undischarged or unstayed for sixty (60) calendar days; or", "days", 60, "sixty (60) calendar days"),  # Richey
    ("there is a period of sixty consecutive days at any time", "days", 60, "sixty consecutive days"),  # DNOW 8.3
    ("shall not be earlier than one hundred eighty days after the Maturity Date", "days", 180,
     "one hundred eighty days"),  # DNOW, Permitted Indebtedness
    ("a period of forty-five (45) days", "days", 45, "forty-five (45) days"),
    ("a 30-day period", "days", 30, "30-day"),
    ("the one hundred twenty (120) Eligible Accounts", "count", 120, "one hundred twenty (120)"),
    ("for the three (3)\n       Fiscal Months then most recently ended", "count", 3, "three (3)"),  # Richey
    ("two hundred and fifty (250) Business Days", "days", 250, "two hundred and fifty (250) Business Days"),
])
def test_numbers_in_words_are_read_once(text, kind, value, written):
    assert read(text) == [(kind, D(value), written)]


def test_words_and_digits_that_disagree_are_two_figures():
    assert read("within ten (12) days") == [("days", D(10), "ten (12) days"), ("days", D(12), "ten (12) days")]


@pytest.mark.parametrize("text, value", [
    ("within ninety (90) days after the end of each Fiscal Year", "90"),
    ("such failure continues for a period of fifteen days after the earlier of", "15"),  # DNOW 8.2
    ("at least one hundred twenty (120) Eligible Accounts", "120"),
])
def test_a_day_count_in_words_passes_with_its_value_and_fails_with_another(tmp_path, text, value):
    assert differences(tmp_path, text, number(value)) == []
    found = differences(tmp_path, text, number(str(int(value) + 1)))
    assert len(found) == 2 and "which the terms do not use" in found[0]


# --- day bases ------------------------------------------------------------------------------------------------

DNOW_COMPUTATION = ("All interest and fees chargeable under the Loan Documents shall be calculated on the basis of "
                    "a 360 day year and actual days elapsed, other than for Base Rate Loans (including Canadian "
                    "Revolving Loans bearing interest at the applicable Base Rate or CDOR Rate) which shall be "
                    "calculated on the basis of 365 or 366 day year, as applicable, and actual days elapsed.")
RICHEY_COMPUTATION = """\
            3.9  COMPUTATION OF INTEREST AND FEES.  Computation of interest on
Alternate Base Rate Loans shall be calculated on the basis of a year of 365
or 366 days, as the case may be, and the actual number of days elapsed;"""


def test_day_bases_are_read():
    assert read(DNOW_COMPUTATION) == [
        ("day_basis", D(360), "360 day year"), ("day_basis", "actual", "actual days elapsed"),
        ("day_basis", D(365), "365 or 366 day year"), ("day_basis", D(366), "365 or 366 day year"),
        ("day_basis", "actual", "actual days elapsed")]
    assert read(RICHEY_COMPUTATION) == [
        ("day_basis", D(365), "a year of 365 or 366 days"), ("day_basis", D(366), "a year of 365 or 366 days"),
        ("day_basis", "actual", "actual number of days elapsed")]
    assert read("on the basis of a 360-day year") == [("day_basis", D(360), "360-day year")]
    assert read("on the basis of a 365/366-day year") == [("day_basis", D(365), "365/366-day year"),
                                                          ("day_basis", D(366), "365/366-day year")]
    assert read("computed on a year of 360 days") == [("day_basis", D(360), "a year of 360 days")]


def interest(day_basis: str) -> list:
    return [{"kind": "interest_rate", "tranche": "loans", "rate": "prime", "day_basis": day_basis}]


def test_a_day_basis_the_text_gives_passes_without_an_assumption(tmp_path):
    dnow_fees = "calculated on the basis of a 360 day year and actual days elapsed"
    assert differences(tmp_path, dnow_fees, interest("actual/360")) == []
    assert differences(tmp_path, RICHEY_COMPUTATION, interest("actual/actual")) == []
    assert differences(tmp_path, "on the basis of a 365-day year", interest("actual/365")) == []


def test_a_day_basis_the_text_does_not_give_fails(tmp_path):
    dnow_fees = "calculated on the basis of a 360 day year and actual days elapsed"
    assert differences(tmp_path, dnow_fees, interest("actual/365")) == [
        "agreement: the text gives '360 day year', which the terms do not use",
        "agreement: the terms set terms[0].day_basis = 365, which the text does not state and no assumption declares"]
    # actual/365 counts no year of 366 days
    assert differences(tmp_path, RICHEY_COMPUTATION, interest("actual/365")) == [
        "agreement: the text gives 'a year of 365 or 366 days', which the terms do not use"]
    # actual/actual needs both years: "a 365-day year" gives only one
    assert differences(tmp_path, "on the basis of a 365-day year", interest("actual/actual")) == [
        "agreement: the terms set terms[0].day_basis = 366, which the text does not state and no assumption declares"]


def test_a_notice_period_is_not_a_day_basis(tmp_path):
    """'360 days' of a notice period does not state the year of actual/360, nor does the year count as days."""
    found = differences(tmp_path, "no later than 360 days after the Closing Date", interest("actual/360"))
    assert found == ["agreement: the text gives '360 days', which the terms do not use",
                     "agreement: the terms set terms[0].day_basis = 360, which the text does not state and no "
                     "assumption declares"]


def test_actual_days_elapsed_needs_a_day_basis(tmp_path):
    assert differences(tmp_path, "interest on the actual number of days elapsed", number("0.5")) == [
        "agreement: the text gives 'actual number of days elapsed', which the terms do not use",
        "agreement: the terms set terms[0].figures[0].value = 0.5, which the text does not state and no assumption "
        "declares"]


# --- not_encoded by figure ------------------------------------------------------------------------------------

NOTICE = ("Borrower shall give the Agent ten (10) days prior written notice, and in any event not less than "
          "10 days before the Maturity Date, of any prepayment in excess of $5,000,000, and shall pay a fee of "
          "0.25% of the amount prepaid.")


def not_encoded(*texts: str) -> list:
    return [{"text": text, "reason": "left to the Agent"} for text in texts]


@pytest.mark.parametrize("declared", ["ten (10) days", "10 days", "ten days"])
def test_one_declaration_covers_the_word_and_the_digit_forms_of_a_figure(tmp_path, declared):
    found = differences(tmp_path, NOTICE, [], not_encoded=not_encoded(declared, "$5,000,000", "0.25%"))
    assert found == []


def test_a_declaration_that_names_nothing_lists_the_figures_of_the_text(tmp_path):
    found = differences(tmp_path, NOTICE, [], not_encoded=not_encoded("ten (10)", "$5,000,000", "0.25%"))
    assert found == [
        "agreement: the text gives 'ten (10) days', which the terms do not use",
        "agreement: the text gives '10 days', which the terms do not use",
        "agreement: not_encoded names 'ten (10)', which the text does not give as a figure; the text gives "
        "'ten (10) days' (days 10), '10 days' (days 10), '$5,000,000' (amount 5000000), '0.25%' (percent 0.25)"]


def test_a_declaration_excuses_only_its_own_kind_and_value(tmp_path):
    """"$5,000,000" does not excuse 5,000 days, nor "10 days" ten percent."""
    text = "within 10 days, 10% of the excess, $5,000,000"
    found = differences(tmp_path, text, [], not_encoded=not_encoded("10 days", "$5,000,000"))
    assert found == ["agreement: the text gives '10%', which the terms do not use"]


def test_a_table_figure_is_named_as_the_check_lists_it(tmp_path):
    """Richey's margin table: a bare number of a table is named as written ("50.00")."""
    text = RICHEY_MARGIN.replace("III                  25.00\n", "").replace("IV                   00.00", "")
    text += "\n       Level I applies at a Leverage Ratio of at least 1.50 to 1.00."
    terms = grid({"I": "100.00", "II": "100.00"}, basis_points=True)
    found = differences(tmp_path, text, terms, not_encoded=not_encoded("50.00"))
    assert found == []


def test_a_truncated_date_is_still_named_as_written(tmp_path):
    found = differences(tmp_path, "until December 31, 200", [], not_encoded=not_encoded("December 31, 200"))
    assert found == []


def test_dates_are_read_as_before():
    assert read("from October 1, 2002 to 10/1/02") == [("date", date(2002, 10, 1), "October 1, 2002"),
                                                       ("date", date(2002, 10, 1), "10/1/02")]


def test_a_fraction_over_zero_is_no_fraction():
    assert read("1/0% of the excess") == [("percent", D("0"), "0%")]
