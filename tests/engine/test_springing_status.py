"""A springing covenant in force is named in status: which test, since when, and what sprang it.

tests/fixtures/harbor, Section 5.1: the Fixed Charge Coverage Ratio is tested while Excess Availability (the
Availability Limit less the loans and letters of credit) is below $1,500,000. And DNOW's Section 7, sprung by
Aggregate Excess Availability below the Covenant Trigger Event threshold (figures as tests/engine/test_dnow.py works
them).
"""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import DNOW, FIXTURES, decimals, facility, folder_facility
from loanbook.agreement.load import load_agreement
from loanbook.projection import status_answer

HARBOR = FIXTURES / "harbor"


@pytest.fixture(scope="module")
def harbor():
    return facility(load_agreement(HARBOR), [
        {"date": "2024-01-02", "type": "index_rate", "index": "prime", "rate": "8.50"},
        {"date": "2024-01-02", "type": "index_rate", "index": "federal_funds", "rate": "5.33"},
        {"date": "2024-01-02", "type": "index_rate", "index": "term_sofr", "rate": "5.30"},
        {"date": "2024-01-02", "type": "borrowing_base_report", "values": {"eligible_receivables": "5000000.00"}},
        {"date": "2024-01-02", "type": "advance", "loan": "sofr_loans", "amount": "1500000.00"},
        {"date": "2024-02-15", "type": "advance", "loan": "base_rate_loans", "amount": "1200000.00"},
        {"date": "2024-03-20", "type": "repayment", "loan": "base_rate_loans", "amount": "500000.00"}])


def test_status_names_the_springing_covenant_since_the_advance_that_sprang_it(harbor):
    # Availability Limit min(10,000,000.00, 80% x 5,000,000.00) = 4,000,000.00
    # until 2024-02-14: 4,000,000.00 - 1,500,000.00 = 2,500,000.00 of Excess Availability, not below 1,500,000.00
    # from 2024-02-15: 4,000,000.00 - (1,200,000.00 + 1,500,000.00) = 1,300,000.00, below it: the test applies
    status = decimals(status_answer(harbor, date(2024, 3, 10)))
    [sprung] = status["springing"]
    assert (sprung["covenant"], sprung["clause"], sprung["figure"], sprung["value"], sprung["threshold"],
            sprung["since"]) == ("fixed_charge_coverage", "section-5.1", "excess_availability", D("1300000.00"),
                                 D("1500000.00"), "2024-02-15")
    assert sprung["trigger"] == "sprung by the events of that day: advance of 1,200,000.00 (Base Rate Loans), " \
                                "advance@2024-02-15#1"
    assert sprung["message"].startswith("Fixed Charge Coverage Ratio applies: excess availability 1,300,000.00 is "
                                        "below 1,500,000.00, since 2024-02-15")


def test_not_in_force_before_it_springs_or_after_availability_recovers(harbor):
    assert harbor.status(date(2024, 2, 14)).springing == ()
    # after 2024-03-20: 4,000,000.00 - (700,000.00 + 1,500,000.00) = 1,800,000.00, not below 1,500,000.00
    assert harbor.status(date(2024, 3, 20)).springing == ()
    # and the quarter's test is not applicable
    [march] = [r for r in harbor.covenant_tests(date(2024, 4, 30)) if r.test_date == date(2024, 3, 31)]
    assert march.status == "not_applicable"


def test_dnow_section_7_springs_on_the_advance_of_march_1():
    engine = folder_facility(DNOW, load_agreement(DNOW))
    # 2023-02-28: US usage 150,000,000 + 15,000,000 = 165,000,000, Canadian 20,000,000; Line Cap 470,750,000:
    # Aggregate Excess Availability 470,750,000 - 185,000,000 = 285,750,000, above max(10% x 470,750,000,
    # 40,000,000) = 47,075,000
    assert engine.status(date(2023, 2, 28)).springing == ()
    # 2023-03-01: an advance of 250,000,000: 470,750,000 - (20,000,000 + 415,000,000) = 35,750,000, below it
    # 2023-04-10: after 30,000,000 more and 40,000,000 repaid, 470,750,000 - (20,000,000 + 405,000,000) = 45,750,000,
    # still below: in force since 2023-03-01
    [sprung] = engine.status(date(2023, 4, 10)).springing
    assert (sprung.since, sprung.value_then, sprung.threshold_then, sprung.value, sprung.threshold) == (
        date(2023, 3, 1), D("35750000.00"), D("47075000.00"), D("45750000.00"), D("47075000.00"))
    assert sprung.trigger.startswith("sprung by the events of that day: advance of 250,000,000.00 (US Revolving Loans")
