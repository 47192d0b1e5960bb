"""An advance's size as the clause sets it: at least a minimum, in whole multiples of a step above it ("each
Borrowing shall be in an aggregate amount of $100,000 or an integral multiple of $50,000 in excess thereof").
On tests/fixtures/acme, 2024-01-02: capacity min(1,000,000.00, 80% x 1,000,000.00) = 800,000.00 less 500,000.00
advanced: 300,000.00 available."""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import ACME, copy_of, decide, edit, facility
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError

DAY = date(2024, 1, 2)
HISTORY = [{"date": "2024-01-02", "type": "borrowing_base_report", "receivables_borrowing_base": "1000000.00"},
           {"date": "2024-01-02", "type": "advance", "amount": "500000.00"},
           {"date": "2024-01-02", "type": "prime_rate", "rate": "8.50"}]


def acme(tmp_path, sizes: str):
    folder = copy_of(ACME, tmp_path)
    edit(folder / "documents" / "loan-agreement.yaml", "        capacity: borrowing_capacity",
         f"        capacity: borrowing_capacity\n        advances: {sizes}")
    return facility(load_agreement(folder), HISTORY)


@pytest.mark.parametrize("amount, decision, code", [
    ("100000.00", "within_capacity", "within_capacity"),     # the minimum itself
    ("150000.00", "within_capacity", "within_capacity"),     # 100,000 + one step of 50,000
    ("300000.00", "within_capacity", "within_capacity"),     # 100,000 + 4 x 50,000: all that is available
    ("120000.00", "refused", "not_a_multiple"),              # 20,000 above the minimum: not a whole step
    ("50000.00", "refused", "below_minimum"),                # below 100,000
])
def test_minimum_and_multiples(tmp_path, amount, decision, code):
    engine = acme(tmp_path, '{minimum: "100000.00", multiple: "50000.00"}')
    answer = decide(engine, DAY, D(amount))
    assert (answer["decision"], answer["reason_codes"]) == (decision, [code])


def test_the_reason_says_the_rule(tmp_path):
    answer = decide(acme(tmp_path, '{minimum: "100000.00", multiple: "50000.00"}'), DAY, D("120000.00"))
    assert answer["reasons"] == ["an advance is 100,000.00 or more, in whole multiples of 50,000.00 above it"]
    only = decide(acme(tmp_path / "b", '{multiple: "50000.00"}'), DAY, D("75000.00"))
    assert only["reasons"] == ["an advance is in whole multiples of 50,000.00"]


def test_a_multiple_of_zero_is_refused(tmp_path):
    with pytest.raises(InputError, match="a multiple is above zero"):
        acme(tmp_path, '{multiple: "0.00"}')
