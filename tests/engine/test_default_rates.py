"""A default rate as agreements write it: "in lieu of the rate otherwise applicable" (a rate that replaces the
contract rate) beside "2% per annum above" it (a margin that adds), and a default rate on a letter of credit fee.

tests/fixtures/harbor, Section 2.3: Base Rate Loans bear 12% in lieu of their rate; Term SOFR Loans 2% above
theirs; the Letter of Credit Fee is increased by 2%. The history: Prime 8.50%, the Federal Funds Rate 5.33%,
Term SOFR 5.30% from 2024-01-02; 1,000,000.00 of Base Rate Loans, 500,000.00 of Term SOFR Loans and a letter of
credit of 1,000,000.00 from 2024-01-02; an Event of Default from 2024-02-01, cured on 2024-02-11 (so the default
days are February 1 to 10, ten days). The Base Rate is the greatest of Prime (8.50%, on 360 days) and the
Federal Funds Rate + 0.5% (5.83%): Prime wins, so the Base Rate Loans accrue over 360 days.
"""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import DNOW, FIXTURES, copy_of, edit, facility, folder_facility
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError
from loanbook.events.parse import events_from

HARBOR = FIXTURES / "harbor"
DOC = "documents/credit-agreement.yaml"
CENT = D("0.01")
HISTORY = [
    {"date": "2024-01-02", "type": "index_rate", "index": "prime", "rate": "8.50"},
    {"date": "2024-01-02", "type": "index_rate", "index": "federal_funds", "rate": "5.33"},
    {"date": "2024-01-02", "type": "index_rate", "index": "term_sofr", "rate": "5.30"},
    {"date": "2024-01-02", "type": "borrowing_base_report", "values": {"eligible_receivables": "5000000.00"}},
    {"date": "2024-01-02", "type": "advance", "loan": "base_rate_loans", "amount": "1000000.00"},
    {"date": "2024-01-02", "type": "advance", "loan": "sofr_loans", "amount": "500000.00"},
    {"date": "2024-01-02", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-1",
     "amount": "1000000.00", "expires": "2024-07-01"},
    {"date": "2024-02-01", "type": "default_declared", "description": "a payment default"},
    {"date": "2024-02-11", "type": "default_ended", "how": "cured"},
]


@pytest.fixture(scope="module")
def harbor():
    return facility(load_agreement(HARBOR), HISTORY)


def test_the_harbor_folder_and_dnow_pass_the_fidelity_check():
    """Every figure of the harbor fixture's text is used by its terms (12%, 2%, 360 and 365 days, 1/4 of 1% ...),
    and DNOW's Section 2.6(c) with its Letter of Credit Fee now encoded."""
    assert passed(fidelity_check(load_agreement(HARBOR)))
    assert passed(fidelity_check(load_agreement(DNOW)))


def february(engine, tranche):
    [month] = engine.interest_statement(date(2024, 2, 1), date(2024, 2, 29))
    return month.classes[tranche]


def test_a_default_rate_in_lieu_replaces_the_contract_rate(harbor):
    lines = february(harbor, "base_rate_loans").lines
    assert [(x.start, x.end, x.rate, x.day_basis) for x in lines] == [
        (date(2024, 2, 1), date(2024, 2, 10), D("12"), "actual/360"),        # 12%, not 9.50% + anything
        (date(2024, 2, 11), date(2024, 2, 29), D("9.50"), "actual/360")]     # Prime 8.50% + 1.00% once cured
    assert "in lieu of" in lines[0].rate_formula
    # 1,000,000.00 x 12% x 10 / 360 = 3,333.3333...; 1,000,000.00 x 9.50% x 19 / 360 = 5,013.8888...
    assert [x.interest.quantize(CENT) for x in lines] == [D("3333.33"), D("5013.89")]
    # the month: 3,333.3333 + 5,013.8888 = 8,347.2222 -> 8,347.22 (rounded once)
    assert february(harbor, "base_rate_loans").interest == D("8347.22")


def test_a_default_margin_adds_to_the_contract_rate(harbor):
    lines = february(harbor, "sofr_loans").lines
    # Term SOFR 5.30% + 2.50% = 7.80%; + 2% while the default continues = 9.80%
    assert [(x.rate, x.days) for x in lines] == [(D("9.80"), 10), (D("7.80"), 19)]
    # 500,000.00 x 9.80% x 10 / 360 = 1,361.1111...; 500,000.00 x 7.80% x 19 / 360 = 2,058.3333...
    # together 3,419.4444 -> 3,419.44
    assert february(harbor, "sofr_loans").interest == D("3419.44")


def test_the_letter_of_credit_fee_is_increased_while_the_default_continues(harbor):
    [first] = [c for c in harbor.charges_on(date(2024, 3, 1)) if c.fee == "letter_of_credit_fee"
               and c.start == date(2024, 1, 2)]
    # the quarter ending with February: 2024-01-02 to 2024-02-29 on 1,000,000.00
    #   January 2-31, 30 days at 2.50%:   1,000,000.00 x 2.50% x 30 / 360 = 2,083.3333...
    #   February 1-10, 10 days at 4.50%:  1,000,000.00 x 4.50% x 10 / 360 = 1,250.0000
    #   February 11-29, 19 days at 2.50%: 1,000,000.00 x 2.50% x 19 / 360 = 1,319.4444...
    #   4,652.7777... -> 4,652.78 (without the default: 59 days at 2.50% = 4,097.22)
    assert (first.amount, first.rate, first.due) == (D("4652.78"), None, date(2024, 3, 1))
    # the unused fee is not named by the default clause: 7,500,000.00 x 0.25% x 59 / 360 = 3,072.9166... -> 3,072.92
    [unused] = [c for c in harbor.charges_on(date(2024, 3, 1)) if c.fee == "unused_fee"
                and c.start == date(2024, 1, 2)]
    assert unused.amount == D("3072.92")


def test_dnow_letter_of_credit_fee_is_two_points_higher_during_a_default():
    """DNOW Section 2.6(c)(B): "the Letter of Credit Fee shall be increased to two percentage points above the per
    annum rate otherwise applicable". US-LC-1 of 15,000,000.00 is open from 2023-01-03; the Non-Base Rate Margin
    is 1.50% (Level II) until 2023-03-01, then 1.25% (Level I), and Level III (1.75%) while a default continues.
    An Event of Default from 2023-01-10, cured 2023-01-20."""
    agreement = load_agreement(DNOW)
    engine = folder_facility(DNOW, agreement).extended(events_from([
        {"date": "2023-01-10", "type": "default_declared", "description": "a covenant default"},
        {"date": "2023-01-20", "type": "default_ended", "how": "cured"}], agreement, "test"))
    [quarter] = [c for c in engine.charges_on(date(2023, 4, 30)) if c.fee == "letter_of_credit_fee"
                 and c.start == date(2023, 1, 1)]
    # January 3-9, 7 days at 1.50%:            15,000,000 x 1.50% x 7 / 360  =  4,375.00
    # January 10-19, 10 days at 1.75% + 2%:    15,000,000 x 3.75% x 10 / 360 = 15,625.00
    # January 20 - February 28, 40 days, 1.50%: 15,000,000 x 1.50% x 40 / 360 = 25,000.00
    # March 1-31, 31 days at 1.25%:            15,000,000 x 1.25% x 31 / 360 = 16,145.8333...
    # 61,145.8333... -> 61,145.83
    assert quarter.amount == D("61145.83")
    [without] = [c for c in folder_facility(DNOW, agreement).charges_on(date(2023, 4, 30))
                 if c.fee == "letter_of_credit_fee" and c.start == date(2023, 1, 1)]
    assert without.amount == D("51770.83")  # the ten default days at 1.50%: 6,250.00 instead of 15,625.00


def test_a_default_rate_gives_a_margin_or_a_rate_never_both(tmp_path):
    folder = copy_of(HARBOR, tmp_path)
    edit(folder / DOC, "{kind: default_rate, rate: 12%, tranches: [base_rate_loans]}",
         '{kind: default_rate, rate: 12%, margin: "2", tranches: [base_rate_loans]}')
    with pytest.raises(InputError, match="a margin .* or a rate .*one of the two"):
        load_agreement(folder)


def test_a_default_rate_on_a_fee_names_a_computed_fee(tmp_path):
    folder = copy_of(HARBOR, tmp_path)
    edit(folder / DOC, "fees: [letter_of_credit_fee]", "fees: [lc_fee]")
    with pytest.raises(InputError, match="default_rate.fees.*no computed fee 'lc_fee'"):
        load_agreement(folder)
