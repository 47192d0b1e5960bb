"""A rate defined as the greatest of several prongs whose day basis follows the prong that wins: tests/fixtures/harbor,
Section 2.1, "the greatest of (a) the Prime Rate ..., computed on the basis of a year of 360 days, and (b) the
Federal Funds Rate ... plus 1/2 of 1%, computed on the basis of a year of 365 days", plus 1.00% for Base Rate
Loans. Each day's interest is on the basis of the prong that wins that day (the first listed, of equal ones)."""
from datetime import date, timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, copy_of, edit, facility
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError

HARBOR = FIXTURES / "harbor"
CENT = D("0.01")


def loans(prime: str, federal_funds: str, *later: dict) -> list[dict]:
    return [{"date": "2024-01-02", "type": "index_rate", "index": "prime", "rate": prime},
            {"date": "2024-01-02", "type": "index_rate", "index": "federal_funds", "rate": federal_funds},
            {"date": "2024-01-02", "type": "index_rate", "index": "term_sofr", "rate": "5.30"},
            {"date": "2024-01-02", "type": "borrowing_base_report", "values": {"eligible_receivables": "5000000.00"}},
            {"date": "2024-01-02", "type": "advance", "loan": "base_rate_loans", "amount": "1000000.00"}, *later]


@pytest.fixture(scope="module")
def agreement():
    return load_agreement(HARBOR)


def test_each_day_accrues_on_the_basis_of_the_winning_prong(agreement):
    engine = facility(agreement, loans("8.50", "5.33",
                                       {"date": "2024-01-16", "type": "index_rate", "index": "federal_funds",
                                        "rate": "8.25"}))
    [month] = engine.interest_statement(date(2024, 1, 1), date(2024, 1, 31))
    lines = month.classes["base_rate_loans"].lines
    # January 2-15: Prime 8.50% beats 5.33% + 0.5% = 5.83%: 8.50% + 1.00% = 9.50% over 360
    # January 16-31: 8.25% + 0.5% = 8.75% beats Prime 8.50%: 8.75% + 1.00% = 9.75% over 365
    assert [(x.days, x.rate, x.day_basis) for x in lines] == [(14, D("9.50"), "actual/360"),
                                                                       (16, D("9.75"), "actual/365")]
    # 1,000,000.00 x 9.50% x 14 / 360 = 3,694.4444...; 1,000,000.00 x 9.75% x 16 / 365 = 4,273.9726...
    assert [x.interest.quantize(CENT) for x in lines] == [D("3694.44"), D("4273.97")]
    # 3,694.4444 + 4,273.9726 = 7,968.4170 -> 7,968.42 (rounded once)
    assert month.classes["base_rate_loans"].interest == D("7968.42")
    assert "the greatest of prime = 8.50% on actual/360; federal_funds + 0.5% = 8.75% on actual/365" in \
        lines[1].rate_formula


def test_of_equal_prongs_the_first_listed_wins(agreement):
    engine = facility(agreement, loans("8.50", "8.00"))  # 8.00% + 0.5% = 8.50%, equal to Prime
    rate = engine.pricing.rate("base_rate_loans", date(2024, 1, 2))
    assert (rate.rate, rate.basis) == (D("9.50"), "actual/360")
    # 1,000,000.00 x 9.50% x 29 / 360 = 7,652.7777... -> 7,652.78 (February 2024, 29 days)
    [month] = engine.interest_statement(date(2024, 2, 1), date(2024, 2, 29))
    assert month.classes["base_rate_loans"].interest == D("7652.78")


@settings(max_examples=30, deadline=None)
@given(prime=st.integers(0, 2000), federal_funds=st.integers(0, 2000), days=st.integers(1, 90))
def test_interest_follows_a_model_of_the_winning_prong(agreement, prime, federal_funds, days):
    """A model written from the clause: the nominal rates are compared, the greater (Prime on a tie) plus 1.00%
    accrues over its own year. Prime and the Federal Funds Rate in hundredths of a percent."""
    p, f = D(prime) / 100, D(federal_funds) / 100
    engine = facility(agreement, loans(str(p), str(f)))
    prime_wins = p >= f + D("0.5")
    rate, year = (p, 360) if prime_wins else (f + D("0.5"), 365)
    end = date(2024, 1, 2) + timedelta(days=days - 1)
    expected = (D(1000000) * (rate + 1) / 100 * days / year).quantize(CENT, ROUND_HALF_UP)
    assert engine.interest_unpaid(end) == expected


def test_greatest_of_lists_two_prongs_or_more_and_no_rate_beside_them(tmp_path):
    folder = copy_of(HARBOR, tmp_path)
    doc = folder / "documents" / "credit-agreement.yaml"
    edit(doc, "          - {label: the Federal Funds Rate plus 1/2 of 1%, rate: federal_funds + 0.5%, "
              "day_basis: actual/365}\n", "")
    with pytest.raises(InputError, match="greatest_of lists two prongs or more"):
        load_agreement(folder)
