"""After the term ends: principal still unpaid bears the rate the agreement gives after maturity, and status says
"matured, unpaid" (it used to exit 2: no pricing row in force). Every figure worked by hand on tests/fixtures/acme:
Advances of 500,000.00 from 2024-01-02, priced at Prime + 2.0% on actual/365 (I-1), the term ending 2024-12-31;
Prime 7.50% from 2025-01-01 (an event)."""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import ACME, copy_of, edit, facility
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError

TERM = "      - {kind: term, initial_term_end: 2024-12-31}"
HISTORY = [{"date": "2024-01-02", "type": "borrowing_base_report", "receivables_borrowing_base": "1000000.00"},
           {"date": "2024-01-02", "type": "advance", "amount": "500000.00"},
           {"date": "2024-01-02", "type": "prime_rate", "rate": "8.50"},
           {"date": "2025-01-01", "type": "prime_rate", "rate": "7.50"}]
JAN_1, JAN_10 = date(2025, 1, 1), date(2025, 1, 10)


def acme(tmp_path, term: str = TERM, *, default_rate: bool = False):
    folder = copy_of(ACME, tmp_path)
    doc = folder / "documents" / "loan-agreement.yaml"
    edit(doc, TERM, term)
    if default_rate:
        row = '          - {from: 2024-01-02, to: 2024-12-31, loan_class: term_loan, index: prime, margin: "2.0"}'
        edit(doc, row, row + '\n      - {kind: default_rate, margin: "2"}')
    return facility(load_agreement(folder), HISTORY)


def january(engine):
    """The Advances' statement line from 2025-01-01 to 2025-01-10."""
    [month] = engine.interest_statement(JAN_1, JAN_10)
    [line] = month.classes["advances"].lines
    return line


def test_silent_agreement_takes_the_last_days_pricing_and_says_it_is_assumed(tmp_path):
    line = january(acme(tmp_path))
    # Prime 7.50% + 2.0% = 9.50%; 500,000.00 x 9.50% x 10 / 365 = 1,301.369863 -> 1,301.37
    assert (line.rate, line.days, line.interest.quantize(D("0.01"))) == (D("9.50"), 10, D("1301.37"))
    assert "assumed after maturity" in line.rate_formula


def test_last_rate_is_the_last_days_pricing_as_the_agreement_says(tmp_path):
    line = january(acme(tmp_path, "      - {kind: term, initial_term_end: 2024-12-31, after_maturity: last_rate}"))
    assert line.interest.quantize(D("0.01")) == D("1301.37")  # as above: 9.50% on 10 days over 365
    assert "after maturity" in line.rate_formula and "assumed" not in line.rate_formula


def test_default_rate_adds_the_default_margin_after_maturity(tmp_path):
    engine = acme(tmp_path, "      - {kind: term, initial_term_end: 2024-12-31, after_maturity: default_rate}",
                  default_rate=True)
    line = january(engine)
    # 7.50% + 2.0% + 2% default margin = 11.50%; 500,000.00 x 11.50% x 10 / 365 = 1,575.342466 -> 1,575.34
    assert (line.rate, line.interest.quantize(D("0.01"))) == (D("11.50"), D("1575.34"))
    # within the term, no Event of Default: the contract rate, 8.50% + 2.0% = 10.50%
    assert engine.pricing.rate("advances", date(2024, 12, 31)).rate == D("10.50")


def test_a_rate_of_its_own_after_maturity(tmp_path):
    line = january(acme(tmp_path, "      - {kind: term, initial_term_end: 2024-12-31, after_maturity: prime + 6%}"))
    # 7.50% + 6% = 13.50%; 500,000.00 x 13.50% x 10 / 365 = 1,849.315068 -> 1,849.32
    assert (line.rate, line.interest.quantize(D("0.01"))) == (D("13.50"), D("1849.32"))


def test_a_rate_after_maturity_is_read_by_the_one_unit_rule(tmp_path):
    with pytest.raises(InputError, match="0.5 beside a percentage is ambiguous"):
        acme(tmp_path, "      - {kind: term, initial_term_end: 2024-12-31, after_maturity: prime + 0.5}")


def test_status_after_maturity_says_matured_unpaid(tmp_path):
    engine = acme(tmp_path)
    status = engine.status(JAN_10)
    [breach] = [b for b in status.breaches if b.rule == "matured_unpaid"]
    assert (breach.tranche, breach.amount, breach.facts["maturity"]) == ("advances", D("500000.00"),
                                                                         date(2024, 12, 31))
    # on the last day of the term nothing has matured yet
    assert not [b for b in engine.status(date(2024, 12, 31)).breaches if b.rule == "matured_unpaid"]


def test_the_payoff_after_maturity_counts_the_interest_since(tmp_path):
    engine = acme(tmp_path)
    before, after = engine.payoff(JAN_1), engine.payoff(date(2025, 1, 11))
    # interest accrues through the day before the payoff: 2025-01-01 to 2025-01-10 adds the 1,301.37 above
    # (to the cent, give or take the one rounding of the whole total)
    assert abs((after.interest - before.interest) - D("1301.37")) <= D("0.01")
