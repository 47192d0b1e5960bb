"""Proposers of price and fees on synthetic clauses, written in other words, numbers and order than the examples:
each expected block is worked by hand from the text beside it, and each near-miss proposes nothing."""
from __future__ import annotations

import shutil
from datetime import date

import pytest
import yaml
from typer.testing import CliRunner

from conftest import ROOT, accepted_terms
from loanbook.cli import app
from loanbook.ingest import phrasings  # noqa: F401  (registers the proposers)
from loanbook.ingest.draft import ingest, same_terms
from loanbook.ingest.tables import tables
from loanbook.ingest.terms import Facility, clause_text, propose

runner = CliRunner()


def _facility(text: str, vocabulary: dict | None = None, interpretations: list | None = None) -> Facility:
    return Facility(vocabulary or {}, interpretations or [], [], "doc", date(2024, 1, 2), frozenset(), text)


def _proposed(body: str, clause_id: str = "section-4.3", text: str | None = None, **facility) -> list[dict]:
    """The blocks proposed for one clause whose text is `body`, in a filing whose whole text is `text` (the clause
    alone by default)."""
    whole = body if text is None else text
    base = whole.index(body)
    return [p.block for p in propose(clause_text(clause_id, "", body, base), _facility(whole, **facility))]


# --- the default rate and the fees it raises ------------------------------------------------------------------

FEE_CLAUSE = ("(f) Standby Fee. The Company shall pay the Bank a standby fee (the \"Standby L/C Fee\") on the undrawn "
              "amount of each standby letter of credit.")
DEFAULT_CLAUSE = ("(g) Default Interest. During the continuation of an Event of Default, at the election of the Bank, "
                  "the Loans shall bear interest at a per annum rate equal to three percentage points above the per "
                  "annum rate otherwise applicable, and the Standby L/C Fee shall be increased by three percentage "
                  "points above the per annum rate otherwise applicable.")


def test_a_default_margin_raises_the_fee_the_filing_defines():
    # "three percentage points above the per annum rate otherwise applicable" is a margin of 3; the same three
    # points on "the Standby L/C Fee", which clause (f) defines, names that fee (standby_l_c_fee, its name)
    blocks = _proposed(DEFAULT_CLAUSE, text=FEE_CLAUSE + "\n\n" + DEFAULT_CLAUSE)
    assert blocks == [{"kind": "default_rate", "margin": "3", "fees": ["standby_l_c_fee"]}]


def test_a_default_margin_on_a_fee_the_filing_does_not_define_proposes_nothing():
    # the fee's defining clause is not in the filing: which fee is raised cannot be named, so nothing is proposed
    assert _proposed(DEFAULT_CLAUSE) == []


# --- a grid of levels in a table ---------------------------------------------------------------------------------

GRID_VOCABULARY = {
    "measures": [{"id": "senior_leverage", "label": "Senior Leverage Ratio (quarterly)", "unit": "number",
                  "period": True},
                 {"id": "line_usage", "label": "Line Usage (% of the Revolving Commitment)", "unit": "percent",
                  "period": True},
                 {"id": "cash_on_hand", "label": "Cash on Hand", "unit": "money"}],
    "documents": [{"id": "officer_certificate", "label": "Officer's Certificate (Exhibit D)"},
                  {"id": "usage_report", "label": "Usage Report"}],
}

PIPE_GRID = """"Applicable Rate" means the rate per annum set forth below opposite the Senior Leverage Ratio shown in
the most recent Officer's Certificate, each change to be effective on the third Business Day after delivery of
that certificate; provided, that for the period from March 1, 2024 through and including June 30, 2024, the
Applicable Rate shall be set at Level 2; and provided further, that while an Event of Default is continuing, the
Applicable Rate shall be set at Level 3:

| Level | Senior Leverage Ratio | Spread (the "Benchmark Spread") | Fee in bps (the "Unused Fee Rate") |
| --- | --- | --- | --- |
| 1 | less than 1.75 to 1.00 | 1.60% | 20 |
| 2 | greater than or equal to 1.75 to 1.00 but less than 2.50 to 1.00 | 1.85% | 25 |
| 3 | greater than or equal to 2.50 to 1.00 | 2.10% | 30 |
"""


def test_a_grid_in_a_pipe_table_with_its_bounds_in_words():
    blocks = _proposed(PIPE_GRID, "def.applicable-rate", vocabulary=GRID_VOCABULARY)
    # the header "Senior Leverage Ratio" is the measure so labelled; the one document the clause names is the
    # Officer's Certificate; "less than 1.75" is an upper bound 1.75 that does not hold 1.75 (the default),
    # "greater than or equal to 1.75" a lower bound that does (the default), so 1.75 is in level 2 and 2.50 in
    # level 3 and every ratio is in one level. "(the "Benchmark Spread")" names the first column, in percent
    # ("1.60%"); the second's header says basis points ("bps"); "the third Business Day after delivery" is 3
    # business days; March 1 to June 30, 2024 is level 2; an Event of Default is level 3.
    assert blocks == [{
        "kind": "level_grid", "id": "rate_level", "label": "Applicable Rate level", "measure": "senior_leverage",
        "certificate": "officer_certificate",
        "levels": [{"level": "1", "upper": "1.75"}, {"level": "2", "lower": "1.75", "upper": "2.50"},
                   {"level": "3", "lower": "2.50"}],
        "values": [{"id": "benchmark_spread", "label": "Benchmark Spread", "by_level": {"1": "1.60", "2": "1.85",
                                                                                       "3": "2.10"}},
                   {"id": "unused_fee_rate", "label": "Unused Fee Rate", "basis_points": True,
                    "by_level": {"1": "20", "2": "25", "3": "30"}}],
        "takes_effect": "business_days_after_delivery", "business_days": 3,
        "forced": [{"level": "2", "from": date(2024, 3, 1), "to": date(2024, 6, 30)}],
        "while_default": "3"}]


SPACED_GRID = """"Applicable Usage Fee Rate" means the percentage set forth below opposite the Line Usage for the
quarter then ended, as shown in the Usage Report, which percentage shall take effect on the first day of the
calendar quarter following its delivery:

              Tier         Line Usage                                 Usage Fee Rate
              ----         ----------                                 --------------
               A           < 40% of the Revolving Commitment          0.30% per annum
               B           > 40% of the Revolving Commitment and      0.20% per annum
                           < 70% of the Revolving Commitment
               C           > 70% of the Revolving Commitment          0.15% per annum

If the Borrower fails to deliver the Usage Report when due, Tier A shall apply from the day after it was due until it
is delivered.
"""

USAGE_LEVELS = {
    "id": "I-7", "clause": "def.applicable-usage-fee-rate", "in_force": "at_the_lower_tier",
    "readings": [
        {"id": "at_the_lower_tier", "value": [{"level": "A", "upper": "40", "upper_inclusive": True},
                                              {"level": "B", "lower": "40", "lower_inclusive": False,
                                               "upper": "70", "upper_inclusive": True},
                                              {"level": "C", "lower": "70", "lower_inclusive": False}]},
        {"id": "at_the_higher_tier", "value": [{"level": "A", "upper": "40"}, {"level": "B", "lower": "40",
                                                                               "upper": "70"},
                                               {"level": "C", "lower": "70"}]}]}


def test_a_grid_drawn_with_spaces_whose_printed_bounds_leave_a_gap_takes_the_register_s_levels():
    # "< 40%" and "> 40%" leave 40% in no tier: the register's interpretation of the clause gives the levels
    blocks = _proposed(SPACED_GRID, "def.applicable-usage-fee-rate", vocabulary=GRID_VOCABULARY,
                       interpretations=[USAGE_LEVELS])
    # the bounds column's header "Line Usage" is the measure in percent whose label says "% of the Revolving
    # Commitment", as each bound does; the Tier B row runs over two lines; "0.30% per annum" is 0.30%; "the first
    # day of the calendar quarter following its delivery" is next_quarter_after_delivery; "fails to deliver ...
    # Tier A shall apply from the day after it was due" is Tier A from the day after the due date
    assert blocks == [{
        "kind": "level_grid", "id": "usage_fee_rate_level", "label": "Applicable Usage Fee Rate level",
        "measure": "line_usage", "certificate": "usage_report", "levels": {"interpretation": "I-7"},
        "values": [{"id": "usage_fee_rate", "label": "Usage Fee Rate",
                    "by_level": {"A": "0.30", "B": "0.20", "C": "0.15"}}],
        "takes_effect": "next_quarter_after_delivery", "while_late": {"level": "A", "starts": "day_after_due"}}]


def test_a_gap_the_register_does_not_settle_proposes_nothing():
    # the same grid without the interpretation: 40% and 70% are in no tier, which the kind refuses
    assert _proposed(SPACED_GRID, "def.applicable-usage-fee-rate", vocabulary=GRID_VOCABULARY) == []


@pytest.mark.parametrize("change", [
    ("| 2 | greater than", "| 4 | greater than"),  # levels 1, 4, 3: a level missing from the sequence
    ("| 1.85% | 25 |", "| 1.85% |"),  # a row with a cell fewer: the columns do not line up
    ("| 20 |", "| 20 bps |"),  # a value in basis points under a header that already says so: still read ...
    ("less than 1.75 to 1.00 |", "less than 1.75 |"),  # ... and a ratio written bare is still a ratio
    ("| 2.10% |", "| 2.10 |"),  # a value without its unit in a column whose header gives none
    ("greater than or equal to 2.50 to 1.00", "greater than or equal to 25%"),  # a percentage on a ratio measure
    ("Officer's Certificate, each", "Officer's Certificate or Usage Report, each"),  # two certificates named
    ("the third Business Day after delivery", "a date the Agent chooses"),  # no rule of when a level takes effect
])
def test_near_misses_of_the_pipe_grid(change):
    old, new = change
    assert old in PIPE_GRID
    blocks = _proposed(PIPE_GRID.replace(old, new), "def.applicable-rate", vocabulary=GRID_VOCABULARY)
    readable = new in ("| 20 bps |", "less than 1.75 |")
    assert (blocks != []) is readable


def test_a_percentage_of_something_the_measure_is_not_proposes_nothing():
    text = SPACED_GRID.replace("> 70% of the Revolving Commitment ", "> 70% of the Borrowing Base      ")
    assert _proposed(text, "def.applicable-usage-fee-rate", vocabulary=GRID_VOCABULARY,
                     interpretations=[USAGE_LEVELS]) == []


def test_a_spaced_row_out_of_its_columns_proposes_nothing():
    # row C's bound and value written with one space between them: one chunk across two columns
    text = SPACED_GRID.replace("> 70% of the Revolving Commitment          0.15%",
                               "> 70% of the Revolving Commitment 0.15%")
    assert text != SPACED_GRID
    assert _proposed(text, "def.applicable-usage-fee-rate", vocabulary=GRID_VOCABULARY,
                     interpretations=[USAGE_LEVELS]) == []


# --- a fee computed on a daily amount ------------------------------------------------------------------------------

FEE_VOCABULARY = {
    "tranches": [{"id": "revolver", "label": "Revolving Loans", "type": "revolving", "figure": "revolving_loans"}],
    "contingents": [{"id": "standby_lc", "label": "Standby Letters of Credit (Aggregate Effective Amount)",
                     "figure": "standby_letters_of_credit"}],
}
FACILITY_FEE = ("(c) Facility Fee. The Borrower shall pay to the Lender a facility fee (the \"Facility Fee\") equal to "
                "0.375% per annum times the average daily amount by which the Revolving Commitment exceeds the sum of "
                "(a) the outstanding Revolving Loans plus (b) the Aggregate Effective Amount of all Standby Letters of "
                "Credit, payable monthly in arrears on the last day of each calendar month.")
COMMITMENT = "\"Revolving Commitment\" means $20,000,000."
COMPUTATION = ("2.9 Computation. Interest on the Revolving Loans shall be computed on the basis of a year of 365 or "
               "366 days, as the case may be; all fees hereunder shall be computed on the basis of a 360-day year, "
               "for the actual number of days elapsed.")


def _fee_filing(*clauses: str) -> str:
    return "\n\n".join(clauses)


# the Facility Fee as the tests below read it: its base, rate, period and due day from its own clause, its day
# basis from the filing's clause on computation, from the document's date (2024-01-02)
FACILITY_FEE_BLOCK = {"kind": "computed_fee", "id": "facility_fee", "label": "Facility Fee",
                      "base": "revolving_commitment - (revolving_loans + standby_letters_of_credit)",
                      "rate": "0.375", "day_basis": "actual/360", "every": "month",
                      "accrues_from": date(2024, 1, 2), "due": "last_day"}


def _the_fee(text: str):
    """The one computed fee proposed for the Facility Fee's clause within `text`."""
    [proposal] = [p for p in propose(clause_text("section-2.5c", "", FACILITY_FEE, text.index(FACILITY_FEE)),
                                     _facility(text, vocabulary=FEE_VOCABULARY)) if p.block["kind"] == "computed_fee"]
    return proposal


def test_a_computed_fee_with_its_day_basis_from_the_clause_on_computation():
    proposal = _the_fee(_fee_filing(COMMITMENT, FACILITY_FEE, COMPUTATION))
    # "0.375% per annum times the average daily amount by which the Revolving Commitment exceeds the sum of (a) the
    # outstanding Revolving Loans plus (b) the Aggregate Effective Amount of all Standby Letters of Credit": the
    # defined Revolving Commitment less the tranche's and the contingent kind's figures; "payable monthly in
    # arrears on the last day of each calendar month"; "all fees ... a 360-day year" in Section 2.9, cited as an
    # assumption (the clause itself does not write it); from the document's date (2024-01-02), assumed too
    assert proposal.block == FACILITY_FEE_BLOCK
    assert [a["value"] for a in proposal.assumptions] == ["2024-01-02", "360"]


@pytest.mark.parametrize("change", [
    (COMPUTATION, ""),  # no day basis anywhere in the filing
    ("all fees hereunder shall be computed on the basis of a 360-day year", "all fees hereunder shall be computed on "
     "the basis of a 360-day year; the Facility Fee shall be computed on the basis of a 365-day year; and other fees "
     "on the basis of a 360-day year"),  # ... read both ways: no, the fee named wins (365)
    ("(b) the Aggregate Effective Amount of all Standby Letters of Credit", "(b) the Swingline Exposure"),  # unnamed
    ("payable monthly in arrears on the last day of each calendar month", "payable in arrears on each Fee Date"),
    ("equal to 0.375% per annum times the average daily amount by which", "equal to 0.375% per annum of"),
])
def test_near_misses_of_the_computed_fee(change):
    old, new = change
    text = _fee_filing(COMMITMENT, FACILITY_FEE, COMPUTATION).replace(old, new)
    fee = FACILITY_FEE.replace(old, new)
    blocks = [p.block for p in propose(clause_text("section-2.5c", "", fee, text.index(fee)),
                                       _facility(text, vocabulary=FEE_VOCABULARY)) if p.block["kind"] == "computed_fee"]
    if "365-day year; and" in new:  # the stretch that names the Facility Fee gives its basis
        assert [b["day_basis"] for b in blocks] == ["actual/365"]
    else:
        assert blocks == []


EXCEPTED = ("2.9 Computation. All interest and fees hereunder shall be computed on the basis of a 360 day year and "
            "actual days elapsed, other than for Prime Rate Loans, which shall be computed on the basis of a 365 or "
            "366 day year, as applicable.")


def test_a_fee_s_day_basis_before_an_exception_said_of_loans():
    proposal = _the_fee(_fee_filing(COMMITMENT, FACILITY_FEE, EXCEPTED))
    # "All interest and fees ... a 360 day year ..., other than for Prime Rate Loans, which ... 365 or 366 day year":
    # the second basis is said of Prime Rate Loans (the words since the first name them), so fees keep the first,
    # actual/360, cited as an assumption (Section 2.9 is not the fee's clause); the rest as in the test above
    assert proposal.block == FACILITY_FEE_BLOCK
    assert [a["value"] for a in proposal.assumptions] == ["2024-01-02", "360"]


@pytest.mark.parametrize("old, new, basis", [
    (", other than for Prime Rate Loans, which shall be computed", ", or, if the Lender so elects,",
     None),  # the second basis says nothing of what it is for: the whole sentence, fees both ways, unanswered
    ("other than for Prime Rate Loans", "other than for fees on Prime Rate Loans", None),  # the exception is fees'
    ("other than for Prime Rate Loans", "other than for the Facility Fee", "actual/actual"),  # the fee named wins
])
def test_near_misses_of_a_fee_s_day_basis_before_an_exception(old, new, basis):
    text = _fee_filing(COMMITMENT, FACILITY_FEE, EXCEPTED.replace(old, new))
    assert new in text
    blocks = [p.block for p in propose(clause_text("section-2.5c", "", FACILITY_FEE, text.index(FACILITY_FEE)),
                                       _facility(text, vocabulary=FEE_VOCABULARY)) if p.block["kind"] == "computed_fee"]
    assert [b["day_basis"] for b in blocks] == ([basis] if basis else [])


# --- a tranche's interest rate ------------------------------------------------------------------------------------

RATE_VOCABULARY = FEE_VOCABULARY | {"indices": [{"id": "term_sofr", "label": "Term SOFR Rate", "series": "file",
                                                 "file": "rates/term_sofr.yaml"}]}
SPREAD = "\"Applicable Spread\" means 2.25% per annum."
RATE_CLAUSE = ("(a) Revolving Loans. Each Revolving Loan shall bear interest at a rate per annum equal to the Term "
               "SOFR Rate plus the Applicable Spread, payable monthly in arrears.")


def _rates(clause: str, *others: str) -> list:
    text = "\n\n".join((SPREAD, clause) + others)
    return [p for p in propose(clause_text("section-2.4a", "", clause, text.index(clause)),
                               _facility(text, vocabulary=RATE_VOCABULARY)) if p.block["kind"] == "interest_rate"]


def test_a_tranche_s_rate_with_the_day_basis_the_filing_states_for_its_loans():
    # "Each Revolving Loan" is the tranche labelled "Revolving Loans"; the Term SOFR Rate is the index so labelled;
    # "Applicable Spread" is defined, named as a grid names its column ("Applicable" left out); "Interest on the
    # Revolving Loans ... a year of 365 or 366 days" (Section 2.9) is actual/actual, cited as two assumptions
    [proposal] = _rates(RATE_CLAUSE, COMPUTATION)
    assert proposal.block == {"kind": "interest_rate", "tranche": "revolver", "rate": "term_sofr + spread",
                              "day_basis": "actual/actual"}
    assert [a["value"] for a in proposal.assumptions] == ["365", "366"]


def test_a_margin_written_as_a_percentage():
    # "plus 1.75%": the margin is the constant 1.75%
    [proposal] = _rates(RATE_CLAUSE.replace("the Applicable Spread", "1.75%"), COMPUTATION)
    assert proposal.block["rate"] == "term_sofr + 1.75%"


@pytest.mark.parametrize("clause, others", [
    (RATE_CLAUSE, ()),  # no day basis in the filing
    (RATE_CLAUSE.replace("Each Revolving Loan", "Each Swingline Loan"), (COMPUTATION,)),  # no such tranche
    (RATE_CLAUSE.replace("the Applicable Spread", "the Applicable Premium"), (COMPUTATION,)),  # an undefined margin
    (RATE_CLAUSE + " If the relevant Revolving Loan is a Base Rate Loan, it shall bear interest at a rate per annum "
     "equal to the Base Rate plus the Applicable Spread.", (COMPUTATION,)),  # two rate options for one tranche
    (RATE_CLAUSE, ("Interest shall be computed on the basis of a 360-day year; provided that interest computed by "
                   "reference to the Term SOFR Rate shall be computed on the basis of a 365-day year, and interest "
                   "on the Revolving Loans on the basis of a 360-day year.",)),  # two bases said of these loans
    (RATE_CLAUSE, ("All interest and fees hereunder shall be computed on the basis of a 360 day year, other than for "
                   "Term SOFR Loans, which shall be computed on the basis of a 365 day year.",)),  # are these loans
    # the Term SOFR Loans the exception names? the sentence does not say: unanswered (a fee's basis splits there)
])
def test_near_misses_of_the_interest_rate(clause, others):
    assert _rates(clause, *others) == []


# --- an agreement priced by a grid, ingested, accepted and checked -----------------------------------------------

PRICED = ROOT / "tests" / "fixtures" / "ingest" / "priced"


def test_a_priced_agreement_is_proposed_accepted_and_passes_the_check(tmp_path):
    """tests/fixtures/ingest/priced: a grid, a rate on its column, an unused fee on its other column, a letter of
    credit fee and a default rate that raises it, and a clause on computation. Every block is proposed, the draft is
    accepted as it is (the check finds each figure of each clause used, the day bases cited as assumptions), and the
    accepted terms are the ones worked by hand below."""
    folder = tmp_path / "priced"
    folder.mkdir()
    shutil.copy(PRICED / "facility.yaml", folder / "facility.yaml")
    result = runner.invoke(app, ["ingest", str(PRICED / "agreement.txt"), "--facility", str(folder), "--id",
                                 "loan-agreement"])
    assert result.exit_code == 0, result.output
    # the unmapped figures are the clause on computation's (365, 366, 360): that clause carries no terms of its own
    assert "3 figures unmapped" in result.output
    terms = accepted_terms(folder, "loan-agreement")
    assert terms["def.revolving-commitment"][0]["figures"][0]["value"] == "20000000.00"
    assert terms["def.applicable-rate"][0]["levels"] == [
        {"level": "1", "upper": "1.75"}, {"level": "2", "lower": "1.75", "upper": "2.50"},
        {"level": "3", "lower": "2.50"}]
    # "Each Revolving Loan ... the Prime Rate plus the Benchmark Spread"; Section 2.9: "Interest on the Revolving
    # Loans ... a year of 365 or 366 days"
    assert terms["section-2.4"] == [{"kind": "interest_rate", "tranche": "revolver", "rate": "prime + benchmark_spread",
                                     "day_basis": "actual/actual"}]
    # "the Unused Fee Rate per annum times the average daily amount by which the Revolving Commitment exceeds the sum
    # of (a) the outstanding Revolving Loans plus (b) the Aggregate Effective Amount of all Standby Letters of Credit,
    # payable quarterly in arrears on the first day of each quarter"; "all fees ... a 360-day year"; from the
    # agreement's date, January 2, 2024
    assert terms["section-2.5"] == [{
        "kind": "computed_fee", "id": "unused_line_fee", "label": "Unused Line Fee",
        "base": "revolving_commitment - (revolving_loans + standby_letters_of_credit)", "rate": "unused_fee_rate",
        "day_basis": "actual/360", "every": "quarter", "accrues_from": date(2024, 1, 2), "due": "first_day_after"}]
    # "2.00% per annum times the average daily amount of the Standby Letters of Credit"
    assert terms["section-2.6"][0]["base"] == "standby_letters_of_credit" and terms["section-2.6"][0]["rate"] == "2"
    # "two percentage points above ..., and the Letter of Credit Fee shall be increased to two percentage points
    # above ...": the fee Section 2.6 defines; "the Revolving Loans" are the tranche so labelled
    assert terms["section-2.7"] == [{"kind": "default_rate", "margin": "2", "tranches": ["revolver"],
                                     "fees": ["letter_of_credit_fee"]}]


# --- the default rate's other shapes --------------------------------------------------------------------------

DEFAULT_VOCABULARY = {"tranches": [{"id": "prime_loans", "label": "Prime Rate Loans", "type": "revolving"},
                                   {"id": "sofr_loans", "label": "SOFR Loans", "type": "revolving"},
                                   {"id": "term_loan", "label": "Term Loan", "type": "term"}],
                      "indices": [{"id": "prime", "label": "Prime Rate", "series": "events"}]}
LC_FEE = "(d) L/C Fee. The Borrower shall pay the Agent a fee (the \"L/C Fee\") on each standby letter of credit."


def _defaults(clause: str, *others: str) -> list[dict]:
    text = "\n\n".join(others + (clause,))
    return [p.block for p in propose(clause_text("section-2.8", "", clause, text.index(clause)),
                                     _facility(text, vocabulary=DEFAULT_VOCABULARY))
            if p.block["kind"] == "default_rate"]


def test_a_rate_in_lieu_for_one_tranche_and_a_margin_for_another_that_raises_a_fee():
    clause = ("2.8 Default Interest. While an Event of Default exists, (i) each SOFR Loan shall bear interest at "
              "3.5% per annum above the rate otherwise applicable, (ii) each Prime Rate Loan shall bear interest, in "
              "lieu of the rate otherwise applicable, at a rate per annum equal to the Prime Rate plus 6%, and (iii) "
              "the L/C Fee shall be increased by 3.5% per annum.")
    # (i) a margin of 3.5 on the tranche labelled "SOFR Loans"; (ii) in lieu: the Prime Rate index plus 6%, on
    # "Prime Rate Loans"; (iii) the fee clause (d) defines, raised by the same 3.5: it joins (i)
    assert _defaults(clause, LC_FEE) == [
        {"kind": "default_rate", "margin": "3.5", "tranches": ["sofr_loans"], "fees": ["l_c_fee"]},
        {"kind": "default_rate", "rate": "prime + 6%", "tranches": ["prime_loans"]}]


def test_overdue_amounts_of_a_tranche_and_of_fees():
    clause = ("7. Overdue Amounts. If any installment of principal of the Term Loan is not paid when due, it shall "
              "thereafter bear interest at a rate per annum equal to 3% above the rate otherwise applicable to it. If "
              "any fee or other amount payable hereunder is not paid when due, it shall thereafter bear interest at "
              "the Prime Rate plus 4.25% per annum, computed on the basis of a 365-day year, until paid.")
    # the Term Loan's overdue principal at 3% above its rate; any other overdue amount at prime + 4.25% on a year
    # of 365 days (a fee has no day basis of its own, so the clause must give one)
    assert _defaults(clause) == [
        {"kind": "default_rate", "margin": "3", "tranches": ["term_loan"], "overdue": True},
        {"kind": "default_rate", "rate": "prime + 4.25%", "overdue": True, "day_basis": "actual/365"}]


@pytest.mark.parametrize("clause", [
    # an overdue fee's rate without a day basis: the interest on it cannot be computed
    "If any fee is not paid when due, it shall thereafter bear interest at the Prime Rate plus 4.25% per annum.",
    # a fee raised by a margin no item gives
    "While an Event of Default exists, each SOFR Loan shall bear interest at 2% per annum above the rate otherwise "
    "applicable, and the L/C Fee shall be increased by 1% per annum.",
    # loans the vocabulary does not name
    "While an Event of Default exists, each Swingline Loan shall bear interest at 2% per annum above the rate "
    "otherwise applicable.",
    # a rate in lieu written as something that is neither a percentage nor an index plus one
    "While an Event of Default exists, each SOFR Loan shall bear interest, in lieu of the rate otherwise applicable, "
    "at a rate per annum equal to the highest lawful rate.",
])
def test_near_misses_of_the_default_rate(clause):
    assert _defaults(clause, LC_FEE) == []


def test_an_ordinary_rate_beside_an_event_of_default_is_no_default_rate():
    # "bears interest at the Prime Rate plus 1%" says nothing of the rate otherwise applicable
    clause = ("Each Prime Rate Loan bears interest at the Prime Rate plus 1% per annum; no Event of Default changes "
              "that rate.")
    assert _defaults(clause) == []


# --- a fixture written for the engine's tests, not for the ingester: tests/fixtures/harbor ------------------------

HARBOR = ROOT / "tests" / "fixtures" / "harbor"


def test_the_harbor_agreement_s_rates_as_its_hand_made_document_has_them():
    """Harbor's text was written for the engine's tests, in its own words: what the ingester proposes for its rates
    is what the hand-made document says, and what it cannot read it leaves."""
    draft = ingest(HARBOR / "documents" / "credit-agreement.txt", HARBOR, "credit-agreement")
    hand_made = yaml.safe_load((HARBOR / "documents" / "credit-agreement.yaml").read_text())
    theirs = {op["clause"]: op.get("terms") or [] for op in hand_made["operations"]}
    mine = {op["clause"]: op.get("terms") or [] for op in draft.operations}
    # 2.2: "Each Term SOFR Loan shall bear interest at Term SOFR plus 2.50%, computed on the basis of a year of 360
    # days": the tranche labelled "Term SOFR Loans", the index term_sofr, 2.50%, actual/360 from the clause itself
    assert mine["section-2.2"] == [{"kind": "interest_rate", "tranche": "sofr_loans", "rate": "term_sofr + 2.50%",
                                    "day_basis": "actual/360"}]
    assert same_terms(mine["section-2.2"], theirs["section-2.2"])
    # 2.3: "(a) each Base Rate Loan shall bear interest, in lieu of the rate otherwise applicable, at a rate per annum
    # equal to 12%, (b) each Term SOFR Loan shall bear interest at 2% per annum above the rate otherwise applicable,
    # and (c) the Letter of Credit Fee shall be increased by 2% per annum": the fee 3.2 charges by that name
    assert mine["section-2.3"] == theirs["section-2.3"] == [
        {"kind": "default_rate", "rate": "12%", "tranches": ["base_rate_loans"]},
        {"kind": "default_rate", "margin": "2", "tranches": ["sofr_loans"], "fees": ["letter_of_credit_fee"]}]
    # 2.1: "Each Base Rate Loan shall bear interest at the Base Rate plus 1.00%", the Base Rate the greatest of a
    # prong on a year of 360 days and one on a year of 365: one day basis cannot be said, so no rate is proposed
    assert not [b for b in mine.get("section-2.1", []) if b["kind"] == "interest_rate"]


def test_a_fee_at_a_rate_on_an_amount_with_its_own_date_basis_and_quarters():
    fee = ("(e) The Borrower shall pay a commitment fee of 0.30% per annum on the average daily amount by which the "
           "Revolving Commitment exceeds the Revolving Loans and the Standby Letters of Credit outstanding, from "
           "February 1, 2024, computed on the basis of a year of 360 days, payable quarterly in arrears on the last "
           "day of each January, April, July and October.")
    text = _fee_filing(COMMITMENT, fee)
    [proposal] = [p for p in propose(clause_text("section-2.5e", "", fee, text.index(fee)),
                                     _facility(text, vocabulary=FEE_VOCABULARY)) if p.block["kind"] == "computed_fee"]
    # "exceeds the Revolving Loans and the Standby Letters of Credit outstanding": the commitment less both; quarters
    # that end on the last day of January, April, July and October, due that day; from the date the clause writes,
    # on the year of 360 days it writes: nothing assumed
    assert proposal.block == {"kind": "computed_fee", "id": "commitment_fee", "label": "Commitment Fee",
                              "base": "revolving_commitment - (revolving_loans + standby_letters_of_credit)",
                              "rate": "0.30", "day_basis": "actual/360", "every": "quarter",
                              "quarter_ends": ["january", "april", "july", "october"],
                              "accrues_from": date(2024, 2, 1), "due": "last_day"}
    assert proposal.assumptions == []
    # months that are not three apart are no quarters: nothing is proposed
    odd = fee.replace("January, April, July and October", "January, March, July and October")
    text = _fee_filing(COMMITMENT, odd)
    assert not [p for p in propose(clause_text("section-2.5e", "", odd, text.index(odd)),
                                   _facility(text, vocabulary=FEE_VOCABULARY)) if p.block["kind"] == "computed_fee"]


def test_a_table_drawn_with_spaces_whose_rows_run_over_two_lines():
    """Richey's Applicable Pricing Level: the header on one line, a rule of dashes, and rows II and III whose bounds
    run over two lines, read as one cell each."""
    text = (ROOT / "examples" / "richey-1995" / "documents" / "loan-agreement.txt").read_text()
    [table] = [t for t in tables(text) if t.header == ["Pricing Level", "Cash Flow Leverage"]]
    assert table.aligned
    assert [[cell.text for cell in row] for row in table.rows] == [
        ["I", "Equal to or greater than 4.00 to 1.00"],
        ["II", "Less than 4.00 to 1.00 and equal to or greater than 3.00 to 1.00"],
        ["III", "Less than 3.00 to 1.00 and equal to or greater than 2.00 to 1.00"],
        ["IV", "Less than 2.00 to 1.00;"]]
    # each cell's span is where the text writes its first and last words
    assert text[table.rows[1][1].start:].startswith("Less than 4.00")
    assert text[:table.rows[1][1].end].endswith("greater than 3.00 to 1.00")
