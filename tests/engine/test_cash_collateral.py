"""Cash collateral at payoff (CONTRACT.md: `payoff` adds `cash_collateral` and `to_close` = `total` + it): open
letters of credit are covered in cash at the percentage the agreement states, or at 100% as an assumption shown
as such. Figures worked by hand."""
import json
from datetime import date
from decimal import Decimal as D

import pytest
from typer.testing import CliRunner

from conftest import ACME, SEED, copy_of, edit, facility
from loanbook.agreement.load import load_agreement
from loanbook.cli import app
from loanbook.core.errors import InputError

TERM = "      - {kind: term, initial_term_end: 2024-12-31}"
HISTORY = [{"date": "2024-01-02", "type": "borrowing_base_report", "receivables_borrowing_base": "1000000.00"},
           {"date": "2024-01-02", "type": "advance", "amount": "500000.00"},
           {"date": "2024-01-02", "type": "prime_rate", "rate": "8.50"},
           {"date": "2024-02-01", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-1",
            "amount": "200000.00"},
           {"date": "2024-02-15", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-2",
            "amount": "50000.00"},
           {"date": "2024-03-01", "type": "contingent_closed", "id": "LC-2"}]


def acme(tmp_path, collateral: str | None):
    folder = copy_of(ACME, tmp_path)
    if collateral is not None:
        edit(folder / "documents" / "loan-agreement.yaml", TERM, f"{TERM}\n      - {collateral}")
    return facility(load_agreement(folder), HISTORY)


def test_open_letters_of_credit_are_covered_at_the_agreements_percentage(tmp_path):
    engine = acme(tmp_path, '{kind: cash_collateral, percent: "105"}')
    payoff = engine.payoff(date(2024, 3, 15))
    # open on 2024-03-15: LC-1 200,000.00 (LC-2 closed on 2024-03-01); 105% x 200,000.00 = 210,000.00
    [part] = payoff.collateral
    assert (part.contingent, part.open, part.percent, part.amount) == ("letter_of_credit", D("200000.00"), D("105"),
                                                                       D("210000.00"))
    assert payoff.cash_collateral == D("210000.00") and payoff.to_close == payoff.total + D("210000.00")
    assert part.source.startswith("schedule.item-3")
    # on 2024-02-20 both are open: 105% x 250,000.00 = 262,500.00
    assert engine.payoff(date(2024, 2, 20)).cash_collateral == D("262500.00")


def test_where_the_record_gives_no_percentage_the_whole_amount_is_assumed(tmp_path):
    payoff = acme(tmp_path, None).payoff(date(2024, 3, 15))
    [part] = payoff.collateral
    assert (part.percent, part.amount) == (D("100"), D("200000.00")) and part.source.startswith("assumed")


def test_a_clause_naming_a_kind_the_vocabulary_lacks_is_refused(tmp_path):
    with pytest.raises(InputError, match="bankers_acceptance"):  # a kind the vocabulary does not declare
        acme(tmp_path, '{kind: cash_collateral, percent: "105", contingents: [bankers_acceptance]}')


def test_a_percentage_that_cannot_be_meant_is_refused(tmp_path):
    with pytest.raises(InputError, match="'250' is 250%: a cash collateral percentage is at least 0% and at most 200%"):
        acme(tmp_path, '{kind: cash_collateral, percent: "250"}')


def test_nothing_open_needs_no_collateral(tmp_path):
    payoff = acme(tmp_path, '{kind: cash_collateral, percent: "105"}').payoff(date(2024, 1, 15))
    assert payoff.collateral == () and payoff.cash_collateral == D("0") and payoff.to_close == payoff.total


def test_the_payoff_json_carries_the_contract_keys():
    result = CliRunner().invoke(app, ["payoff", "--facility", str(SEED), "--on", "2002-10-15", "--json"])
    body = json.loads(result.stdout)
    # the seed's letters of credit on 2002-10-15: 60,000.00 open, no clause in the record: 100% assumed
    assert body["cash_collateral"] == "60000.00"
    assert D(body["to_close"]) == D(body["total"]) + D("60000.00")
    assert body["cash_collateral_parts"][0]["source"].startswith("assumed")
