"""`loanbook ingest` reading what a clause leaves to other clauses of the same filing: the notes that evidence the
loans a fee is measured on, a payment date defined as four days of the year, a fee's due day the clause on payment
gives, a grid's column defined on its own, a date a term defines, a measure the Agent determines, a rate that is the
greatest of its limbs, a definition the facility already records under its own id. Each text is written in other
words and figures than the examples; each expected block is worked by hand in the comments."""
from __future__ import annotations

import shutil
from datetime import date

import pytest
from typer.testing import CliRunner

from conftest import ROOT, accepted_terms
from loanbook.cli import app
from loanbook.ingest import phrasings  # noqa: F401  (registers the proposers)
from loanbook.ingest.draft import _as_recorded
from loanbook.ingest.phrasings.grids import figure_of
from loanbook.ingest.structure import parse
from loanbook.ingest.terms import Facility, clause_text, propose

runner = CliRunner()


def _facility(text: str, vocabulary: dict | None = None, interpretations: list | None = None,
              defined: frozenset[str] = frozenset()) -> Facility:
    return Facility(vocabulary or {}, interpretations or [], [], "doc", date(2024, 1, 2), defined, text)


def _blocks(body: str, text: str, kind: str, clause_id: str = "section-4.3", **facility) -> list[dict]:
    return [p.block for p in propose(clause_text(clause_id, "", body, text.index(body)), _facility(text, **facility))
            if p.block["kind"] == kind]


# --- a fee on the loans the notes evidence, due on each day a definition lists -------------------------------------

FEE_VOCABULARY = {
    "tranches": [{"id": "revolver", "label": "Revolving Loans", "type": "revolving", "figure": "revolving_loans"}],
    "contingents": [{"id": "standby_lc", "label": "Standby Letters of Credit (Aggregate Effective Amount)",
                     "figure": "standby_letters_of_credit"}],
}
LOAN = "\"Loan\" means the aggregate of the Advances of one type made by the Lenders on the same day."
NOTES = ("(e) The Revolving Advances made by each Lender shall be evidenced by that Lender's Revolving Note, and its "
         "Swing Advances by its Swing Note.")
FEE_DATE = "\"Fee Payment Date\" means each January 31, April 30, July 31 and October 31."
COMMITMENT = "\"Revolving Commitment\" means $12,000,000."
FEE_RATE = ("\"Applicable Unused Fee Rate\" means, for each Pricing Period, the rate set forth below opposite the "
            "Applicable Pricing Level for that Pricing Period:")
UNUSED_FEE = ("2.7 Unused Fee. From and including the Closing Date, the Borrower shall pay to the Agent an unused fee "
              "equal to the Applicable Unused Fee Rate per annum times the average daily amount by which the Revolving "
              "Commitment exceeds the sum of (a) the aggregate principal Indebtedness evidenced by the Revolving Notes "
              "plus (b) the Aggregate Effective Amount of all Standby Letters of Credit outstanding. The unused fee "
              "shall be payable quarterly in arrears on each Fee Payment Date.")
COMPUTATION = "2.9 Computation. All fees hereunder shall be computed on the basis of a year of 360 days."


def _fee_text(*clauses: str) -> str:
    return "\n\n".join(clauses)


FEE_TEXT = _fee_text(COMMITMENT, FEE_DATE, FEE_RATE, LOAN, NOTES, UNUSED_FEE, COMPUTATION)


def test_a_fee_on_the_loans_the_notes_evidence_due_on_each_payment_date_the_definition_lists():
    [block] = _blocks(UNUSED_FEE, FEE_TEXT, "computed_fee", vocabulary=FEE_VOCABULARY,
                      defined=frozenset({"applicable_unused_fee_rate", "revolving_commitment"}))
    # "the Indebtedness evidenced by the Revolving Notes": Section (e) says the Revolving Advances are evidenced by
    # the Revolving Notes, and a Loan is "the aggregate of the Advances", so the Revolving Loans (the tranche's
    # figure revolving_loans). "each Fee Payment Date" is each January 31, April 30, July 31 and October 31: each
    # its month's last day, three months apart, so the fee is due on the last day of quarters ending in those
    # months. "Applicable Unused Fee Rate" is defined opposite a Pricing Level: a grid's column, named without
    # "Applicable" though the filing defines it. "All fees ... a year of 360 days" (Section 2.9); the Closing Date
    # is no date in the filing, so the fee accrues from the document's date (2024-01-02).
    assert block == {"kind": "computed_fee", "id": "unused_fee", "label": "Unused Fee",
                     "base": "revolving_commitment - (revolving_loans + standby_letters_of_credit)",
                     "rate": "unused_fee_rate", "day_basis": "actual/360", "every": "quarter",
                     "quarter_ends": ["january", "april", "july", "october"], "accrues_from": date(2024, 1, 2),
                     "due": "last_day"}


def test_calendar_quarter_ends_need_no_quarter_ends():
    text = FEE_TEXT.replace(FEE_DATE, "\"Fee Payment Date\" means each March 31, June 30, September 30 and "
                                      "December 31.")
    [block] = _blocks(UNUSED_FEE, text, "computed_fee", vocabulary=FEE_VOCABULARY)
    assert (block["every"], block["due"], "quarter_ends" in block) == ("quarter", "last_day", False)


@pytest.mark.parametrize("old, new", [
    (NOTES, ""),  # nothing says what the notes evidence
    (LOAN, ""),  # advances, but no definition that makes them the loans
    ("Revolving Advances made by each Lender shall be evidenced by that Lender's Revolving Note, and its Swing "
     "Advances by its Swing Note", "Revolving Advances made by each Lender shall be evidenced by that Lender's "
     "Revolving Note, and the Swing Advances made by each Lender shall be evidenced by that Lender's Revolving "
     "Note"),  # the same notes evidence two kinds of advance
    ("January 31, April 30, July 31 and October 31", "February 28, May 31, August 31 and November 30"),  # February
    ("January 31, April 30, July 31 and October 31", "January 15, April 15, July 15 and October 15"),  # mid-month
    ("January 31, April 30, July 31 and October 31", "January 31, March 31, July 31 and October 31"),  # not 3 apart
    ("October 31.", "October 31, 2024."),  # a date, not a day of every year
    ("payable quarterly in arrears", "payable monthly in arrears"),  # monthly, on four days a year
])
def test_near_misses_of_the_fee_read_from_other_clauses(old, new):
    assert _blocks(UNUSED_FEE, FEE_TEXT, "computed_fee", vocabulary=FEE_VOCABULARY) != []  # as written, proposed
    text, fee = FEE_TEXT.replace(old, new), UNUSED_FEE.replace(old, new)
    assert _blocks(fee, text, "computed_fee", vocabulary=FEE_VOCABULARY) == []


def test_a_rate_defined_on_its_own_keeps_its_defined_name():
    # "Applicable Fee Rate" means a flat 0.25%: a figure the document defines (its own name), not a grid's column
    flat_rate = "\"Applicable Fee Rate\" means 0.25% per annum."
    by_level = ("\"Applicable Fee Rate\" means, for each Pricing Period, the rate set forth below (in basis points) "
                "opposite the Applicable Pricing Level for that Pricing Period:")
    defined = frozenset({"applicable_fee_rate"})
    assert figure_of("the Applicable Fee Rate", _facility(flat_rate, defined=defined)) == "applicable_fee_rate"
    assert figure_of("the Applicable Fee Rate", _facility(by_level, defined=defined)) == "fee_rate"


# --- a fee whose due day the filing's clause on payment gives ----------------------------------------------------

STANDBY_FEE = ("2.6 Standby Fee. The Borrower shall pay to the Agent a standby fee (the \"Standby Fee\") equal to "
               "1.50% per annum times the average daily amount of the Standby Letters of Credit outstanding.")
PAYMENTS = ("2.8 Payments. Except as Section 2.5 provides otherwise, (a) all interest shall be payable monthly in "
            "arrears on the first day of each month, and (b) all Standby Fees and all other charges under Section "
            "2.10 shall be due and payable, in arrears, on the last day of each calendar quarter; provided that while "
            "an Event of Default continues, such Standby Fees shall be due and payable on the first day of each month.")
PAID_TEXT = _fee_text(STANDBY_FEE, PAYMENTS, COMPUTATION)


def test_a_fee_due_as_the_clause_on_payment_says():
    [block] = _blocks(STANDBY_FEE, PAID_TEXT, "computed_fee", vocabulary=FEE_VOCABULARY)
    # 1.50% a year on the contingent kind labelled "Standby Letters of Credit"; its clause says no due day, Section
    # 2.8(b) makes "all Standby Fees" its subject: in arrears on the last day of each calendar quarter (the Event of
    # Default proviso, of "such Standby Fees", is not read); "All fees ... a year of 360 days" (Section 2.9); from
    # the document's date, 2024-01-02
    assert block == {"kind": "computed_fee", "id": "standby_fee", "label": "Standby Fee",
                     "base": "standby_letters_of_credit", "rate": "1.50", "day_basis": "actual/360",
                     "every": "quarter", "accrues_from": date(2024, 1, 2), "due": "last_day"}


def test_a_fee_the_clause_on_payment_names_alone():
    payments = "2.8 Payments. The Standby Fee shall be payable quarterly in arrears on the first day of each quarter."
    [block] = _blocks(STANDBY_FEE, _fee_text(STANDBY_FEE, payments, COMPUTATION), "computed_fee",
                      vocabulary=FEE_VOCABULARY)
    # "The Standby Fee shall be payable quarterly in arrears on the first day of each quarter": for the quarter
    # before, due on the day after it ends
    assert (block["every"], block["due"]) == ("quarter", "first_day_after")


@pytest.mark.parametrize("old, new", [
    ("(b) all Standby Fees and all other charges", "(b) all other charges (other than the Standby Fees)"),  # passing
    ("(b) all Standby Fees and all other charges", "(b) all other charges"),  # only the proviso's "such Standby Fees"
    ("on the first day of each month.", "on the first day of each month. All Standby Fees shall be payable in "
     "arrears on the first day of each month."),  # two sentences make it their subject, on different days
])
def test_near_misses_of_a_fee_due_as_the_clause_on_payment_says(old, new):
    text = PAID_TEXT.replace(old, new)
    assert text != PAID_TEXT
    assert _blocks(STANDBY_FEE, text, "computed_fee", vocabulary=FEE_VOCABULARY) == []


# --- a grid whose measure the Agent determines, forced from a date a term defines -----------------------------------

GRID_VOCABULARY = {
    "measures": [{"id": "line_usage", "label": "Line Usage (% of the Commitments)", "unit": "percent",
                  "period": True}],
    "documents": [{"id": "officer_certificate", "label": "Officer's Certificate (Exhibit D)"},
                  {"id": "agent_usage_notice", "label": "the Agent's determination of Line Usage for the month"}],
}
RESTATEMENT = "\"Restatement Date\" means March 3, 2023."
AGENT_GRID = """"Applicable Commitment Fee" means the rate set forth in the following table that corresponds to the Line
Usage for the most recently ended month as determined by Agent; provided, that for the period from the Restatement
Date through and including June 30, 2023, the Applicable Commitment Fee shall be set at the rate in the row styled
"Tier B"; and provided further, that while an Event of Default is continuing, the Applicable Commitment Fee shall
be set at the rate in the row styled "Tier B":

| Tier | Line Usage | Applicable Commitment Fee |
| --- | --- | --- |
| A | at least 40% of the Commitments | 0.20% |
| B | less than 40% of the Commitments | 0.30% |

The Applicable Commitment Fee shall be re-determined on the first day of each month by Agent.
"""


def test_a_grid_the_agent_determines_forced_from_a_defined_date():
    text = RESTATEMENT + "\n\n" + AGENT_GRID
    [proposal] = [p for p in propose(clause_text("def.applicable-commitment-fee", "", AGENT_GRID,
                                                 text.index(AGENT_GRID)), _facility(text, GRID_VOCABULARY))
                  if p.block["kind"] == "level_grid"]
    # "as determined by Agent": no certificate of the Borrower reports Line Usage, the Agent's determination of it
    # does (the one document so labelled), and "re-determined on the first day of each month by Agent" makes the
    # tier the Agent determines apply from its determination. "at least 40%" is a lower bound holding 40, "less
    # than 40%" an upper bound that does not. "from the Restatement Date" is March 3, 2023 by its definition
    # (cited as an assumption), to June 30, 2023: Tier B; an Event of Default: Tier B.
    assert proposal.block == {
        "kind": "level_grid", "id": "commitment_fee_level", "label": "Applicable Commitment Fee level",
        "measure": "line_usage", "certificate": "agent_usage_notice",
        "levels": [{"level": "A", "lower": "40"}, {"level": "B", "upper": "40"}],
        "values": [{"id": "commitment_fee", "label": "Applicable Commitment Fee", "by_level": {"A": "0.20",
                                                                                              "B": "0.30"}}],
        "takes_effect": "on_delivery", "forced": [{"level": "B", "from": date(2023, 3, 3), "to": date(2023, 6, 30)}],
        "while_default": "B"}
    assert [a["value"] for a in proposal.assumptions] == ["2023-03-03"]


def test_an_undefined_start_of_the_forced_window_is_left_out():
    [block] = _blocks(AGENT_GRID, AGENT_GRID, "level_grid", vocabulary=GRID_VOCABULARY)
    assert "forced" not in block and block["while_default"] == "B"


@pytest.mark.parametrize("old, new", [
    ("as determined by Agent", "as determined by the Required Lenders"),  # no document of theirs
    ("The Applicable Commitment Fee shall be re-determined on the first day of each month by Agent.", ""),  # when?
])
def test_near_misses_of_the_agent_s_grid(old, new):
    grid = AGENT_GRID.replace(old, new)
    assert _blocks(grid, grid, "level_grid", vocabulary=GRID_VOCABULARY) == []


def test_a_document_labelled_for_another_measure_is_not_the_agent_s_determination():
    vocabulary = GRID_VOCABULARY | {"documents": [{"id": "agent_notice", "label": "the Agent's determination of "
                                                                                  "Availability"}]}
    assert _blocks(AGENT_GRID, AGENT_GRID, "level_grid", vocabulary=vocabulary) == []


# --- a rate that is the greatest of its limbs ------------------------------------------------------------------------

RATE_VOCABULARY = {"indices": [
    {"id": "obfr", "label": "Overnight Bank Funding Rate", "series": "file", "file": "rates/obfr.yaml"},
    {"id": "corra_3m", "label": "three-month Term CORRA", "series": "file", "file": "rates/corra.yaml"},
    {"id": "bank_base", "label": "base rate (the Bank's, as published)", "series": "file", "file": "rates/base.yaml"},
]}
MINIMUM = "\"Minimum Rate\" means <zero.> a rate of interest equal to 0.25%."
REFERENCE = ("\"Reference Rate\" means, for any day, the highest of (a) the Overnight Bank Funding Rate in effect on "
             "such day plus 0.50%, (b) Term CORRA (which rate shall be calculated based upon an Interest Period of "
             "three months), plus 1.50%, provided that this clause (b) shall not be applicable during any period in "
             "which Term CORRA is unavailable or unascertainable, (c) the rate of interest publicly announced from "
             "time to time by the Bank as its \"base rate\" in effect on such day, and (d) the Minimum Rate.")


def _rate(reference: str = REFERENCE, minimum: str = MINIMUM, vocabulary: dict = RATE_VOCABULARY) -> list:
    text = minimum + "\n\n" + reference
    return [p for p in propose(clause_text("def.reference-rate", "", reference, text.index(reference)),
                               _facility(text, vocabulary)) if p.block["kind"] == "definitions"]


def test_a_rate_that_is_the_highest_of_its_limbs():
    [proposal] = _rate()
    # (a) the index labelled "Overnight Bank Funding Rate" plus 0.50%; (b) Term CORRA over an Interest Period of
    # three months, the index labelled "three-month Term CORRA", plus 1.50% (its proviso only switches it off while
    # Term CORRA is not published); (c) the rate the Bank announces "as its 'base rate'", the index so labelled;
    # (d) the Minimum Rate, 0.25% by its definition (the struck "<zero.>" not read), cited as an assumption
    assert proposal.block == {"kind": "definitions", "figures": [{
        "id": "reference_rate", "label": "Reference Rate", "unit": "percent",
        "value": "max(obfr + 0.50%, corra_3m + 1.50%, bank_base, 0.25%)"}]}
    assert [a["value"] for a in proposal.assumptions] == ["0.25"]


@pytest.mark.parametrize("old, new", [
    ("Interest Period of three months", "Interest Period of six months"),  # no six-month index in the vocabulary
    ("(c) the rate of interest", "(d) the rate of interest"),  # labels out of order: (a), (b), (d)
    ("provided that this clause (b) shall not be applicable during any period in which Term CORRA is unavailable or "
     "unascertainable", "provided that the Agent may elect not to apply this clause (b)"),  # a proviso not read
    ("plus 0.50%", "plus the Applicable Margin"),  # a limb plus a figure, not a percentage
    ("(d) the Minimum Rate", "(d) the Eurocurrency Rate"),  # neither an index nor a defined fixed rate
])
def test_near_misses_of_the_highest_of(old, new):
    assert _rate(REFERENCE.replace(old, new)) == []


def test_a_defined_limb_that_is_no_fixed_rate_proposes_nothing():
    assert _rate(minimum="\"Minimum Rate\" means the rate the Agent determines in its discretion.") == []


# --- a definition the facility already records under its own id ----------------------------------------------------

def test_a_restated_definition_takes_the_id_the_facility_records_it_by():
    text = ("Exhibit A, the Credit Agreement as amended.\n\n\"Applicable Fee Percentage\" means 0.25%.\n\n"
            "\"Borrowing Base\" means $10.\n")
    [fee, base] = [c for c in parse(text, "doc").clauses if c.level == "definition"]
    prior = {"def.fee-percentage": "Definition of Applicable Fee Percentage", "def.other": "Definition of Other"}
    assert _as_recorded(fee, prior).id == "def.fee-percentage"
    assert _as_recorded(base, prior).id == base.id == "def.borrowing-base"  # no recorded clause of that title
    assert _as_recorded(fee, prior | {"def.fee-pct": "Definition of Applicable Fee Percentage"}).id == fee.id  # two


# --- an agreement of them, ingested, accepted as drafted and checked -------------------------------------------------

ELSEWHERE = ROOT / "tests" / "fixtures" / "ingest" / "elsewhere"


def test_an_agreement_priced_from_other_clauses_is_proposed_accepted_and_passes_the_check(tmp_path):
    """tests/fixtures/ingest/elsewhere: a grid the Agent determines, forced from the Effective Date; a Reference Rate
    the highest of the Prime Rate plus 0.50% and a Minimum Rate defined apart; a rate on it; an unused fee on the
    loans the Revolving Notes evidence, due on each Fee Payment Date. Every block is proposed, accepted as drafted
    (the check finds each figure used, the dates and rates from other clauses cited as assumptions)."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    shutil.copy(ELSEWHERE / "facility.yaml", folder / "facility.yaml")
    result = runner.invoke(app, ["ingest", str(ELSEWHERE / "agreement.txt"), "--facility", str(folder), "--id",
                                 "loan-agreement"])
    assert result.exit_code == 0, result.output
    terms = accepted_terms(folder, "loan-agreement")
    # "at least 40%" / "less than 40%"; 0.20% and 0.30%; from the Effective Date (January 2, 2024) to March 31, 2024
    # and while an Event of Default continues, Tier B; the Agent's determination, effective when made
    [grid] = terms["def.applicable-unused-fee-rate"]
    assert (grid["certificate"], grid["takes_effect"], grid["values"][0]["by_level"], grid["forced"]) == (
        "agent_usage_notice", "on_delivery", {"A": "0.20", "B": "0.30"},
        [{"level": "B", "from": date(2024, 1, 2), "to": date(2024, 3, 31)}])
    # (a) the Prime Rate plus 0.50%, (b) the Minimum Rate, 4.50% by its definition
    assert terms["def.reference-rate"][0]["figures"][0]["value"] == "max(prime + 0.50%, 4.50%)"
    assert terms["section-2.4"] == [{"kind": "interest_rate", "tranche": "revolver", "rate": "reference_rate + 1.25%",
                                     "day_basis": "actual/actual"}]
    # the Revolving Notes evidence the Revolving Advances, which make up the Revolving Loans; each Fee Payment Date
    # ends a quarter in January, April, July and October; "all fees ... a 360-day year"; from January 2, 2024
    assert terms["section-2.5"] == [{
        "kind": "computed_fee", "id": "unused_fee", "label": "Unused Fee",
        "base": "revolving_commitment - (revolving_loans + standby_letters_of_credit)", "rate": "unused_fee_rate",
        "day_basis": "actual/360", "every": "quarter", "quarter_ends": ["january", "april", "july", "october"],
        "accrues_from": date(2024, 1, 2), "due": "last_day"}]
