"""The proposers of collateral and limits (borrowing base lines, availability, overadvance) on texts written for
the test in other words, numbers and order than the examples', each block worked by hand; and the near-misses
they refuse: a class the vocabulary lacks, a line without its rate, two limbs of a lesser-of on different classes,
a limit nobody defines, a percentage without its base."""
from datetime import date

from loanbook.ingest.phrasings.limits import availability_below_lesser, availability_limbs, overadvance_share
from loanbook.ingest.phrasings.lines import borrowing_base_lines
from loanbook.ingest.terms import Facility, clause_text

VOCABULARY = {
    "tranches": [{"id": "domestic", "label": "Domestic Loans (Swingline Loans included)", "type": "revolving",
                  "figure": "domestic_loans"},
                 {"id": "foreign", "label": "Foreign Loans", "type": "revolving", "figure": "foreign_loans"},
                 {"id": "revolver", "label": "Revolving Credit Loans", "type": "revolving",
                  "figure": "revolving_loans"}],
    "collateral": [{"id": "eligible_domestic_receivables", "label": "Eligible Domestic Receivables"},
                   {"id": "eligible_foreign_receivables", "label": "Eligible Foreign Receivables (in Dollars)"},
                   {"id": "raw_materials", "label": "Eligible Raw Materials (at cost)"}],
    "contingents": [{"id": "standby", "label": "Standby Letters of Credit", "figure": "standby_letters_of_credit"},
                    {"id": "lc", "label": "Letter of Credit Exposure", "figure": "lc_exposure"}],
    "measures": [{"id": "appraised_liquidation", "label": "Appraised Liquidation Percentage (latest appraisal)",
                  "unit": "percent"},
                 {"id": "rent_reserves", "label": "Rent Reserves set by Lender", "unit": "money"},
                 {"id": "availability_reserves", "label": "Availability Reserves set by Lender", "unit": "money"},
                 {"id": "dilution", "label": "Dilution (trailing 90 days)", "unit": "percent"}],
}


def _facility(defined: tuple[str, ...] = (), text: str = "", interpretations: tuple[dict, ...] = ()) -> Facility:
    return Facility(VOCABULARY, list(interpretations), [], "credit-agreement", None, frozenset(defined), text)


BASE = """"ELIGIBLE BORROWING AMOUNT" means, at any time, the sum of:

     (a)  80% of Eligible Domestic Receivables, less the amount, if any, of the Dilution Reserve
     attributable to such Eligible Domestic Receivables; plus

     (b)  the lesser of (i) the product of 60% multiplied by the value of Eligible Raw Materials at such
     time, and (ii) the product of 90% multiplied by the Appraised Liquidation Percentage most recently
     reported, multiplied by the value of Eligible Raw Materials at such time; plus

     (c)  75% of Eligible Foreign Receivables, less the amount, if any, of the Dilution Reserve attributable
     to such Eligible Foreign Receivables; minus

     (d)  the aggregate amount of Rent Reserves and Availability Reserves, in each case if any, established
     by Lender.
"""


def _base(text: str, elsewhere: str = "") -> list[dict]:
    clause = clause_text("def.eligible-borrowing-amount", "Eligible Borrowing Amount", text, 0)
    facility = _facility(defined=("dilution_reserve",), text=text + elsewhere)
    return [p.block for p in borrowing_base_lines(clause, facility)]


def test_a_borrowing_base_of_lines_less_reserves():
    assert _base(BASE) == [{
        "kind": "borrowing_base", "id": "eligible_borrowing_amount", "label": "Eligible Borrowing Amount",
        "lines": [
            # (a) 80% of the class labelled "Eligible Domestic Receivables"; its line is named from the class
            {"id": "domestic_receivables_line", "label": "80% of Eligible Domestic Receivables",
             "collateral": "eligible_domestic_receivables", "rate": "80"},
            # (b) the lesser of 60% of cost and 90% of the appraised percentage, of the same class
            {"id": "raw_materials_line",
             "label": "the lesser of the product of 60% multiplied by the value of Eligible Raw Materials at such "
                      "time, and the product of 90% multiplied by the Appraised Liquidation Percentage most "
                      "recently reported, multiplied by the value of Eligible Raw Materials at such time",
             "collateral": "raw_materials", "rate": "min(60%, 90% * appraised_liquidation)"},
            # (c) the class whose label says "Foreign": its parenthesis "(in Dollars)" is no word the text must have
            {"id": "foreign_receivables_line", "label": "75% of Eligible Foreign Receivables",
             "collateral": "eligible_foreign_receivables", "rate": "75"}],
        "reserves": [
            # the Dilution Reserve, taken off within (a) and (c), is one deduction of the defined figure
            {"id": "dilution_reserve_deduction",
             "label": "less the amount, if any, of the Dilution Reserve attributable to such Eligible Domestic "
                      "Receivables (in each line it is attributable to: the parts add up to it, taken off once)",
             "amount": "dilution_reserve"},
            # (d) after "minus": two money measures by their labels' words, "established by Lender" naming the id
            {"id": "lender_reserves", "label": "the aggregate amount of Rent Reserves and Availability Reserves, in "
                                               "each case if any, established by Lender",
             "amount": "rent_reserves + availability_reserves"}]}]


def test_a_reserve_taken_off_whole_only_where_it_lowers_the_rate_of_those_lines():
    reserve = ('\n"Dilution Reserve" means an amount sufficient to reduce the advance rate against Eligible {} by 1 '
               'percentage point for each percentage point by which Dilution is in excess of 5%.\n')
    # defined on both kinds of receivables, the lines (a) and (c) it is taken off: the whole reserve, once
    assert _base(BASE, reserve.format("Receivables"))[0]["reserves"][0]["amount"] == "dilution_reserve"
    # defined on the domestic receivables alone, yet taken off the foreign line too: not read as its whole
    assert _base(BASE, reserve.format("Domestic Receivables")) == []


def test_a_borrowing_base_with_a_class_the_vocabulary_lacks_proposes_nothing():
    assert _base(BASE.replace("75% of Eligible Foreign Receivables", "75% of Eligible Consigned Goods")) == []


def test_a_line_without_its_rate_proposes_nothing():
    assert _base(BASE.replace("80% of Eligible Domestic Receivables", "Eligible Domestic Receivables")) == []


def test_a_lesser_of_on_two_classes_proposes_nothing():
    assert _base(BASE.replace("multiplied by the value of Eligible Raw Materials at such time; plus",
                              "multiplied by the value of Eligible Domestic Receivables at such time; plus")) == []


def test_a_reserve_that_is_no_money_measure_proposes_nothing():
    assert _base(BASE.replace("Rent Reserves and", "Dilution and")) == []


def test_items_not_joined_by_plus_or_minus_are_no_list_of_lines():
    assert _base(BASE.replace("Receivables; plus", "Receivables;")) == []


LESSER = """2.2 Revolving Advances. The Lenders shall make Revolving Credit Loans to the Company in amounts that do not
cause the sum of (i) the outstanding principal amount of the Revolving Credit Notes plus (ii) the undrawn amount of
Standby Letters of Credit to exceed the lesser of (a) the Borrowing Base then in effect and (b) the Revolving
Commitment then in effect. The Company may borrow, repay and reborrow.
"""


def _lesser(text: str, defined=("borrowing_base", "revolving_commitment")) -> list[dict]:
    clause = clause_text("section-2.2", "Revolving Advances", text, 0)
    return [p.block for p in availability_below_lesser(clause, _facility(defined=defined))]


def test_availability_below_the_lesser_of_two_limits():
    # usage: the tranche's loans ("the Revolving Credit Notes": the tranche labelled "Revolving Credit Loans") plus
    # the contingent kind labelled "Standby Letters of Credit"; capacity: the lesser of the two defined limits, the
    # Borrowing Base's figure being borrowing_base_total (the status reports a "borrowing_base" itself)
    assert _lesser(LESSER) == [{"kind": "availability", "tranche": "revolver",
                                "capacity": "min(borrowing_base_total, revolving_commitment)",
                                "usage": "revolving_loans + standby_letters_of_credit"}]


def test_availability_of_the_loans_alone():
    text = ("2.3 Limit. The Revolving Credit Loans outstanding at any time shall not exceed the lesser of (a) the "
            "Revolving Commitment and (b) the Borrowing Base.")
    # no usage but the tranche's own loans: the block leaves `usage` to its default
    assert _lesser(text) == [{"kind": "availability", "tranche": "revolver",
                              "capacity": "min(revolving_commitment, borrowing_base_total)"}]
    assert _lesser(text.replace("(b) the Borrowing Base", "(b) 85% of the Borrowing Base")) == []


def test_availability_with_a_limit_nobody_defines_proposes_nothing():
    assert _lesser(LESSER, defined=("borrowing_base",)) == []


LIMBS = """(a) Each Lender agrees to make revolving loans (“Domestic Loans”) to the Company in an amount at any one
time outstanding not to exceed the lesser of:

- the amount equal to (1) the Facility Limit, less
- the sum of (x) the Letter of Credit Exposure at such time, plus
- the principal amount of Swingline Loans outstanding at such time, plus
- the Foreign Loans at such time, and

- the amount equal to (1) the Domestic Borrowing Base as of such date (as most recently certified), less
- the sum of (x) the Letter of Credit Exposure at such time, plus
- the principal amount of Swingline Loans outstanding at such time.

(b) Amounts repaid may be reborrowed.
"""
USAGE = """“Domestic Usage” means, as of any date of determination, the sum of (a) the amount of outstanding Domestic
Loans, plus (b) the amount of the Letter of Credit Exposure.
"""


def _limbs(text: str, whole: str = "", interpretations: tuple[dict, ...] = ()) -> list[dict]:
    clause = clause_text("section-2.1a", "", text, 0)
    facility = _facility(("facility_limit", "domestic_borrowing_base", "domestic_usage"), whole or text,
                         interpretations)
    return [p.block for p in availability_limbs(clause, facility)]


def test_availability_from_limbs_each_less_the_usage():
    # both limbs take off the Letter of Credit Exposure and the Swingline Loans (the tranche's own, its label says
    # "(Swingline Loans included)"): with the loans they are the usage; the Foreign Loans only the first limb takes
    # off are part of that limit: min(facility_limit - foreign_loans, domestic_borrowing_base)
    assert _limbs(LIMBS) == [{"kind": "availability", "tranche": "domestic",
                              "capacity": "min(facility_limit - foreign_loans, domestic_borrowing_base)",
                              "usage": "domestic_loans + lc_exposure"}]
    # where the document defines that sum ("Domestic Usage"), the usage is its name
    assert _limbs(LIMBS, USAGE + LIMBS)[0]["usage"] == "domestic_usage"
    # where the register reads this clause, and one of its readings is the capacity read, the capacity names it
    register = ({"id": "I-4", "clause": "section-2.1a", "readings": [
        {"id": "once", "value": "min(facility_limit - foreign_loans, domestic_borrowing_base)"},
        {"id": "twice", "value": "min(facility_limit - foreign_loans, domestic_borrowing_base - reserves)"}]},)
    assert _limbs(LIMBS, interpretations=register)[0]["capacity"] == {"interpretation": "I-4"}


def test_availability_limbs_with_an_unknown_deduction_propose_nothing():
    assert _limbs(LIMBS.replace("the Foreign Loans at such time", "the Bank Product Exposure at such time")) == []
    # words of the tranche's label ("Domestic") in a name that is not its loans name nothing
    assert _limbs(LIMBS.replace("the Foreign Loans at such time", "the Domestic Bank Products at such time")) == []


OVER = """(ii) The Agent may, but is not obligated to, continue to make Domestic Loans notwithstanding that an
Overadvance exists or would be created thereby, so long as (A) with respect to any such Domestic Loans, (i) after
giving effect to any such Domestic Loans, the outstanding Domestic Usage does not exceed the Domestic Borrowing Base
(as most recently certified) by more than 7.5% of the Facility Limit, and (ii) after giving effect to such Domestic
Loans, the sum of the outstanding Domestic Usage and the Foreign Usage does not exceed the Facility Limit.
"""


def _over(text: str) -> list[dict]:
    clause = clause_text("section-2.4b", "", text, 0)
    facility = _facility(("facility_limit", "domestic_borrowing_base", "domestic_usage", "foreign_usage"))
    return [p.block for p in overadvance_share(clause, facility)]


def test_an_overadvance_up_to_a_share_of_a_maximum():
    # "does not exceed the Domestic Borrowing Base by more than 7.5% of the Facility Limit": measured against the
    # borrowing base, capped at 7.5% of the limit; "the sum of ... Domestic Usage and the Foreign Usage does not
    # exceed the Facility Limit": the domestic usage never above the limit less the foreign usage; "may, but is
    # not obligated to": at the Agent's discretion
    assert _over(OVER) == [{"kind": "overadvance", "tranche": "domestic",
                            "measured_against": "domestic_borrowing_base", "cap": "7.5% * facility_limit",
                            "total_ceiling": "facility_limit - foreign_usage", "discretionary": True}]
    assert _over(OVER.replace("may, but is not obligated to,", "shall"))[0]["discretionary"] is False


def test_an_overadvance_percentage_without_its_base_proposes_nothing():
    assert _over(OVER.replace("7.5% of the Facility Limit", "7.5%")) == []


INSTALLMENTS = """"Installment Amount" means, with respect to each Installment Date, the amount set forth below opposite
that Installment Date or opposite the period during which such Installment Date occurs:

      January 31, 2021 through April 30, 2021        $250,000
      May 31, 2021                                   $400,000
      June 30, 2021 and July 31, 2021              $1,050,000
"""
DATES = """"Installment Date" means January 31, 2021 and each Monthly Payment Date thereafter through and including
the Term Loan Maturity Date.

"Term Loan Maturity Date" means July 31, 2021.

"Term Loan Commitment" means $3,500,000.
"""


def _installments(table: str = INSTALLMENTS, dates: str = DATES):
    from loanbook.ingest.phrasings.amortization import installments

    vocabulary = {"tranches": [{"id": "term", "label": "Term Loan", "type": "term", "figure": "term_loans"}]}
    text = table + "\n" + dates
    facility = Facility(vocabulary, [], [], "loan-agreement", None, frozenset(), text)
    return installments(clause_text("def.installment-amount", "", table, 0), facility)


def test_installments_from_a_table_by_date_and_period():
    [proposal] = _installments()
    # monthly from January 31, 2021 (month ends stay month ends) to the Term Loan Maturity Date, July 31, 2021: the
    # period row gives January, February, March and April; 4 x 250,000 + 400,000 + 2 x 1,050,000 = 3,500,000, the
    # Term Loan Commitment
    assert proposal.block == {"kind": "amortization", "id": "term_amortization", "tranche": "term", "installments": [
        {"due": date(2021, 1, 31), "amount": "250000.00"}, {"due": date(2021, 2, 28), "amount": "250000.00"},
        {"due": date(2021, 3, 31), "amount": "250000.00"}, {"due": date(2021, 4, 30), "amount": "250000.00"},
        {"due": date(2021, 5, 31), "amount": "400000.00"}, {"due": date(2021, 6, 30), "amount": "1050000.00"},
        {"due": date(2021, 7, 31), "amount": "1050000.00"}]}
    # the dates inside the period, which the text does not write, are assumptions for the reviewer
    assert [a["value"] for a in proposal.assumptions] == ["2021-02-28", "2021-03-31"]


def test_installments_that_do_not_repay_the_commitment_propose_nothing():
    assert _installments(dates=DATES.replace("$3,500,000", "$3,600,000")) == []


def test_a_table_date_off_the_payment_dates_proposes_nothing():
    assert _installments(INSTALLMENTS.replace("May 31, 2021", "May 15, 2021")) == []


def test_a_period_not_written_with_through_proposes_nothing():
    assert _installments(INSTALLMENTS.replace("2021 through April", "2021 until April")) == []


def test_installments_without_the_payment_dates_defined_propose_nothing():
    assert _installments(dates=DATES.replace("Monthly Payment Date", "Payment Date as the Agent sets")) == []


REPORT = """(c) not later than twenty (20) days after the end of each calendar month, commencing with the month ending
March 31, 2024, a Borrowing Base Certificate signed by a Responsible Officer of the Company;
"""


def _reporting(text: str = REPORT) -> list[dict]:
    from loanbook.ingest.phrasings.reporting import reporting

    vocabulary = {"documents": [{"id": "borrowing_base_certificate", "label": "Borrowing Base Certificate (Exhibit B)"},
                                {"id": "compliance_certificate", "label": "Compliance Certificate (Exhibit C)"}]}
    facility = Facility(vocabulary, [], [], "credit-agreement", None, frozenset(), text)
    return [p.block for p in reporting(clause_text("section-5.2c", "", text, 0), facility)]


def test_a_document_due_days_after_each_period():
    # "twenty (20) days after the end of each calendar month, commencing with the month ending March 31, 2024":
    # monthly from 2024-03-31, due 20 days after; the document by its label's words
    assert _reporting() == [{"kind": "reporting", "id": "borrowing_base_certificates",
                             "document": "borrowing_base_certificate", "every": "month",
                             "first_period_end": date(2024, 3, 31), "due_days_after": 20,
                             "label": "Borrowing Base Certificate"}]


def test_reporting_without_its_first_period_or_its_document_proposes_nothing():
    assert _reporting(REPORT.replace("commencing with the month ending\nMarch 31, 2024, ", "")) == []
    assert _reporting(REPORT.replace("Borrowing Base Certificate", "Inventory Appraisal")) == []
    assert _reporting(REPORT.replace("March 31, 2024", "March 15, 2024")) == []  # no month ends on the 15th


def _defined(text: str, defined: tuple[str, ...]) -> list[dict]:
    from loanbook.ingest.phrasings.differences import advance_rate_reserve, difference

    clause = clause_text("def.x", "", text, 0)
    facility = _facility(defined)
    return [p.block for p in difference(clause, facility) + advance_rate_reserve(clause, facility)]


def test_a_defined_difference_and_the_excess_availability():
    text = '"Net Availability" means (a) the Facility Limit, minus (b) the sum of Domestic Usage plus Foreign Usage.'
    defined = ("net_availability", "facility_limit", "domestic_usage", "foreign_usage")
    assert _defined(text, defined) == [{"kind": "definitions", "figures": [
        {"id": "net_availability", "label": "Net Availability",
         "value": "facility_limit - (domestic_usage + foreign_usage)"}]}]
    assert _defined(text.replace("Foreign Usage", "Bank Product Exposure"), defined) == []
    # the one excess availability the document defines is the figure the status reports as such; its proviso is
    # the reviewer's (its 25% stays unmapped)
    text = ('"Total Excess Availability" means (a) the Borrowing Limit, minus (b) the Total Usage; provided, however, '
            'that no more than 25% of it shall come from Foreign Usage.')
    assert _defined(text, ("total_excess_availability", "borrowing_limit", "total_usage")) == [
        {"kind": "definitions", "figures": [{"id": "excess_availability", "label": "Total Excess Availability",
                                             "value": "borrowing_limit - total_usage"}]}]


RESERVE = ('"Shrink Reserve" means an amount sufficient to reduce the advance rate against Eligible Receivables by 2 '
           'percentage points for each percentage point by which Dilution is in excess of 4.5%.')


def test_a_reserve_that_lowers_the_advance_rate_by_an_excess():
    # 2 points of advance rate for each point of Dilution above 4.5%, on every class whose label has the words
    # "Eligible Receivables" (domestic and foreign, not the raw materials): 2 x (dilution - 4.5%) x their value
    assert _defined(RESERVE, ()) == [{"kind": "definitions", "figures": [
        {"id": "shrink_reserve", "label": "Shrink Reserve",
         "value": "max(0, dilution - 4.5%) * 2 * (eligible_domestic_receivables + eligible_foreign_receivables)"}]}]
    assert _defined(RESERVE.replace("Eligible Receivables", "Eligible Consigned Goods"), ()) == []
    assert _defined(RESERVE.replace("Dilution", "Rent Reserves"), ()) == []  # a money measure is no rate


def test_the_threshold_an_event_of_a_figure_falling_below_defines():
    from loanbook.ingest.phrasings.covenants import trigger_threshold

    text = ('"Liquidity Event" means if at any time Excess Availability falls below the lesser of (i) 12.5% of the '
            'Borrowing Limit, and (ii) $7,500,000.')

    def proposed(words: str) -> list[dict]:
        clause = clause_text("def.liquidity-event", "", words, 0)
        return [p.block for p in trigger_threshold(clause, _facility(("excess_availability", "borrowing_limit")))]

    # the event is no figure: its threshold is, min(12.5% x the limit, 7,500,000)
    assert proposed(text) == [{"kind": "definitions", "figures": [
        {"id": "liquidity_threshold", "label": "Liquidity Event threshold", "value": "min(12.5% * borrowing_limit, "
                                                                                      "7500000)"}]}]
    assert proposed(text.replace("Borrowing Limit", "Aggregate Cap")) == []


COVENANT = """6.3 MINIMUM INTEREST COVERAGE. Permit the Interest Coverage Ratio, as of March 31, 2025 and the last day
of each Fiscal Quarter thereafter, to be less than the ratio set forth below opposite the period during which such
date occurs (each as reported in the Compliance Certificate):

            March 31, 2025 through December 31, 2025        1.50 to 1.00
            March 31, 2026 and thereafter                   1.75 to 1.00
"""


def _covenant(text: str = COVENANT):
    from loanbook.ingest.phrasings.covenants import covenant

    vocabulary = {"measures": [{"id": "interest_coverage", "label": "Interest Coverage Ratio (four quarters)",
                                "unit": "number"},
                               {"id": "leverage", "label": "Leverage Ratio", "unit": "number"}],
                  "documents": [{"id": "compliance_certificate", "label": "Compliance Certificate (Exhibit C)"}]}
    facility = Facility(vocabulary, [], [], "credit-agreement", None, frozenset(), text)
    return covenant(clause_text("section-6.3", "", text, 0), facility)


def test_a_covenant_by_period_from_a_table():
    [proposal] = _covenant()
    # "Permit ... to be less than": at least; quarterly from March 31, 2025; 1.50 through December 31, 2025, then
    # 1.75 from March 31, 2026 (the next quarter end); ratios written to two places are compared at two places
    assert proposal.block == {
        "kind": "covenant", "id": "interest_coverage_covenant", "label": "Interest Coverage Ratio",
        "measure": "interest_coverage", "test": "at_least",
        "threshold": {"schedule": [{"from": date(2025, 3, 31), "to": date(2025, 12, 31), "value": "1.50"},
                                   {"from": date(2026, 3, 31), "value": "1.75"}]},
        "every": "quarter", "first_test": date(2025, 3, 31), "certificate": "compliance_certificate", "round_to": 2}
    assert [a["value"] for a in proposal.assumptions] == ["2"]


def test_a_covenant_at_most_one_ratio():
    text = ("6.4 LEVERAGE. Permit the Leverage Ratio, as of June 30, 2025 and the last day of each Fiscal Month "
            "thereafter, to be greater than 3.25 to 1.00 (as reported in the Compliance Certificate).")
    [proposal] = _covenant(text)
    assert (proposal.block["test"], proposal.block["threshold"], proposal.block["every"]) == ("at_most", "3.25",
                                                                                              "month")


def test_a_covenant_table_with_a_gap_or_without_its_certificate_proposes_nothing():
    assert _covenant(COVENANT.replace("March 31, 2026 and", "June 30, 2026 and")) == []  # March 2026 in no row
    assert _covenant(COVENANT.replace(" (each as reported in the Compliance Certificate)", "")) == []
    assert _covenant(COVENANT.replace("Interest Coverage Ratio", "Debt Service Coverage Ratio")) == []


def _examples(facility: str, doc_id: str):
    from conftest import ROOT
    from loanbook.ingest.draft import ingest

    folder = ROOT / "examples" / facility
    return folder, ingest(folder / "documents" / f"{doc_id}.txt", folder, doc_id)


def test_the_richey_borrowing_base_availability_installments_and_pricing_certificates():
    """As the hand-made document has them, read from the agreement's own words and its folder's vocabulary."""
    _, draft = _examples("richey-1995", "loan-agreement")
    terms = {(op["clause"], t["kind"]): t for op in draft.operations for t in op.get("terms") or []}
    # "SUM OF: (a) 85% of Eligible Receivables; PLUS (b) 50% of Eligible Inventory": the status reports a figure
    # "borrowing_base" itself, so the defined term's figure is borrowing_base_total
    base = terms[("def.borrowing-base", "borrowing_base")]
    assert (base["id"], [(line["collateral"], line["rate"]) for line in base["lines"]]) == (
        "borrowing_base_total", [("eligible_receivables", "85"), ("eligible_inventory", "50")])
    # Section 2.1(a): "the SUM OF (i) ... the Line A Notes PLUS (ii) ... Line A Letters of Credit exceeding the
    # LESSER OF (A) the Borrowing Base ... and (B) the Line A Commitment"
    assert terms[("loan-agreement.a", "availability")] == {
        "kind": "availability", "tranche": "line_a", "capacity": "min(borrowing_base_total, line_a_commitment)",
        "usage": "line_a_loans + line_a_letters_of_credit"}
    # quarterly (the "Quarterly Payment Date" of the Amortization Date) from March 31, 1997 to the Line B Maturity
    # Date, June 30, 1999: 1,500,000 + 3 x 2,000,000 + 4 x 2,500,000 + 2 x 6,250,000 = 30,000,000, the Line B
    # Commitment
    installments = terms[("def.amortization-amount", "amortization")]["installments"]
    assert [(i["due"].isoformat(), i["amount"]) for i in installments] == [
        ("1997-03-31", "1500000.00"), ("1997-06-30", "2000000.00"), ("1997-09-30", "2000000.00"),
        ("1997-12-31", "2000000.00"), ("1998-03-31", "2500000.00"), ("1998-06-30", "2500000.00"),
        ("1998-09-30", "2500000.00"), ("1998-12-31", "2500000.00"), ("1999-03-31", "6250000.00"),
        ("1999-06-30", "6250000.00")]
    # "within 45 days after the end of each Fiscal Quarter (commencing as of June 30, 1996), a Pricing Certificate"
    report = terms[("loan-agreement.d", "reporting")]
    assert (report["document"], report["every"], report["first_period_end"], report["due_days_after"]) == (
        "pricing_certificate", "quarter", date(1996, 6, 30), 45)
    # the covenants' measures are defined in clauses the excerpt leaves out, and no clause quoted names their
    # certificate: none is proposed
    assert not [key for key in terms if key[1] == "covenant"]


def test_the_dnow_limits_and_reserves():
    _, draft = _examples("dnow-2022", "second-amendment")
    terms = {(op["clause"], t["kind"]): t for op in draft.operations for t in op.get("terms") or []}
    # Section 2.1(a)(ii): both limbs take off the US Letter of Credit Usage and the US Swing Loans (US Revolving
    # Loans, the tranche's label says): with the loans, the US Revolver Usage the document defines; the first limb
    # also takes off the Canadian Revolver Usage, which makes the capacity the register's I-1 reads
    assert terms[("section-2.1", "availability")] == {"kind": "availability", "tranche": "us_revolver",
                                                      "capacity": {"interpretation": "I-1"},
                                                      "usage": "us_revolver_usage"}
    over = next(t for (clause, kind), t in terms.items() if kind == "overadvance")
    assert over == {"kind": "overadvance", "tranche": "us_revolver", "measured_against": "us_borrowing_base",
                    "cap": "10% * maximum_revolver_amount",
                    "total_ceiling": "maximum_revolver_amount - canadian_revolver_usage", "discretionary": True}
    values = {f["id"]: f["value"] for (_, kind), t in terms.items() if kind == "definitions" for f in t["figures"]}
    assert values["excess_availability"] == "line_cap - (canadian_revolver_usage + us_revolver_usage)"
    assert values["us_dilution_reserve"] == "max(0, us_dilution - 5%) * (us_rated_accounts + us_other_accounts)"
    assert values["covenant_trigger_threshold"] == "max(10% * line_cap, 40000000)"
    base = terms[("def.us-borrowing-base", "borrowing_base")]
    assert [(line["collateral"], line["rate"]) for line in base["lines"]] == [
        ("us_rated_accounts", "90"), ("us_other_accounts", "85"),
        ("us_finished_goods", "min(70%, 85% * net_recovery_percentage)"), ("us_cash", "100")]
    assert [r["amount"] for r in base["reserves"]] == [
        "us_dilution_reserve", "receivable_reserves + bank_product_reserves + inventory_reserves + other_reserves"]
    # Section 7 springs in a "Covenant Testing Period", which neither the excerpt nor the vocabulary defines: no
    # covenant is proposed
    assert not [key for key in terms if key[1] == "covenant"]


def test_the_proposed_blocks_pass_the_check_in_place_of_the_hand_made_ones(tmp_path):
    """Each block of these kinds the draft proposes, put in place of the hand-made block of its clause and kind (with
    the draft's assumptions), leaves the facility passing `loanbook check`."""
    import shutil

    import yaml

    from loanbook.agreement.check import fidelity_check, passed
    from loanbook.agreement.load import load_agreement
    from loanbook.ingest.draft import same_words
    from loanbook.ingest.source import clean

    kinds = {"borrowing_base", "availability", "overadvance", "amortization", "reporting", "definitions"}
    for facility, doc_id in (("dnow-2022", "second-amendment"), ("richey-1995", "loan-agreement")):
        folder, draft = _examples(facility, doc_id)
        copy = tmp_path / facility
        shutil.copytree(folder, copy)
        hand_made = yaml.safe_load((folder / "documents" / f"{doc_id}.yaml").read_text())
        replaced = 0
        for op in hand_made["operations"]:
            mine = next((o for o in draft.operations if o["clause"] == op["clause"]
                         or same_words(o.get("text"), clean(op.get("text") or ""))), {})
            for n, block in enumerate(op.get("terms") or []):
                proposed = [t for t in mine.get("terms") or [] if t["kind"] == block["kind"] in kinds]
                if len(proposed) == 1:
                    op["terms"][n] = proposed[0]
                    op["assumptions"] = (op.get("assumptions") or []) + (mine.get("assumptions") or [])
                    replaced += 1
        (copy / "documents" / f"{doc_id}.yaml").write_text(yaml.safe_dump(hand_made, sort_keys=False,
                                                                           allow_unicode=True))
        assert replaced >= 4, facility
        findings = fidelity_check(load_agreement(copy))
        assert passed(findings), [f.message for f in findings if f.severity == "difference"]


def test_a_covenant_maintained_from_a_period_end():
    text = ("6.5 The Company will maintain, as of the last day of each fiscal quarter ending on or after September 30, "
            "2025, a Leverage Ratio of not more than 3.50 to 1.00, as reported in the Compliance Certificate.")
    [proposal] = _covenant(text)
    assert {k: proposal.block[k] for k in ("measure", "test", "threshold", "every", "first_test", "round_to")} == {
        "measure": "leverage", "test": "at_most", "threshold": "3.50", "every": "quarter",
        "first_test": date(2025, 9, 30), "round_to": 2}
    assert _covenant(text.replace("September 30", "September 15")) == []  # no quarter ends on the 15th


FILING = """LOAN AGREEMENT

This Loan Agreement is dated as of March 1, 2024 between Harbor Supply Co. and River Bank, as Agent, who agree as
follows:

"BORROWING BASE" means, as of any date of determination, the sum of:

     (a)  80% of Eligible Receivables; plus

     (b)  40% of Eligible Inventory.

"REVOLVING COMMITMENT" means $5,000,000.

2.1 Revolving Loans. The Bank shall make Revolving Loans to the Borrower in amounts that do not cause the sum of
(i) the outstanding principal amount of the Revolving Loans plus (ii) the undrawn amount of Letters of Credit to
exceed the lesser of (a) the Borrowing Base then in effect and (b) the Revolving Commitment then in effect.

5.1 Reports. Within thirty (30) days after the end of each month, commencing with the month ending March 31,
2024, a Borrowing Base Certificate.
"""
FACILITY = {
    "id": "river-2024", "name": "Harbor Supply Co. (River Bank, Agent)", "record_end": "2024-12-31",
    "parties": [{"id": "harbor", "name": "Harbor Supply Co.", "roles": ["borrower"]},
                {"id": "river", "name": "River Bank", "roles": ["agent", "lender"]}],
    "lenders": [{"party": "river", "share": "100"}],
    "vocabulary": {
        "tranches": [{"id": "revolver", "label": "Revolving Loans", "type": "revolving", "figure": "revolving_loans"}],
        "collateral": [{"id": "eligible_receivables", "label": "Eligible Receivables"},
                       {"id": "eligible_inventory", "label": "Eligible Inventory"}],
        "contingents": [{"id": "letter_of_credit", "label": "Letters of Credit", "figure": "letters_of_credit"}],
        "documents": [{"id": "borrowing_base_certificate", "label": "Borrowing Base Certificate"}]},
}
EVENTS = """- {date: 2024-03-04, type: borrowing_base_report,
   values: {eligible_receivables: "1000000.00", eligible_inventory: "500000.00"}}
- {date: 2024-03-05, type: advance, loan: revolver, amount: "300000.00"}
- {date: 2024-03-05, type: contingent_issued, kind: letter_of_credit, id: LC-1, amount: "100000.00"}
"""


def test_a_filing_ingested_accepted_and_computed(tmp_path):
    """A loan agreement of its own: every figure of its clauses used by the terms proposed, so `accept` takes the
    draft as it is, and the facility computes from it."""
    import json

    import yaml
    from typer.testing import CliRunner

    from loanbook.cli import app

    runner = CliRunner()
    folder = tmp_path / "river"
    folder.mkdir()
    (folder / "facility.yaml").write_text(yaml.safe_dump(FACILITY, sort_keys=False))
    (folder / "events.yaml").write_text(EVENTS)
    filing = tmp_path / "loan-agreement.txt"
    filing.write_text(FILING)
    result = runner.invoke(app, ["ingest", str(filing), "--facility", str(folder), "--id", "loan-agreement"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["accept", "loan-agreement", "--facility", str(folder)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["status", "--facility", str(folder), "--as-of", "2024-03-06", "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    # 80% x 1,000,000 + 40% x 500,000 = 1,000,000; the lesser of it and 5,000,000 is 1,000,000; less the loans
    # (300,000) and the letter of credit (100,000): 600,000
    assert status["borrowing_base_total"] == "1000000.00"
    assert status["availability"] == "600000.00"
