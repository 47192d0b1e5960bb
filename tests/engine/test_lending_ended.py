"""Termination and acceleration end the right to borrow: `advance` refuses and says why, and availability is 0
with the reason (in status, its JSON and the explanation), while the capacity is still shown.

On tests/fixtures/acme: receivables of 1,000,000.00 at 80% give 800,000.00; the Maximum Limit is 1,000,000.00,
so the capacity is min(1,000,000.00, 800,000.00) = 800,000.00. With 500,000.00 advanced, 300,000.00 is available
until the facility ends."""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import ACME, decide, facility, flat
from loanbook.agreement.load import load_agreement

HISTORY = [{"date": "2024-01-02", "type": "borrowing_base_report", "receivables_borrowing_base": "1000000.00"},
           {"date": "2024-01-02", "type": "advance", "amount": "500000.00"},
           {"date": "2024-01-02", "type": "prime_rate", "rate": "8.50"}]


@pytest.fixture(scope="module")
def acme():
    return load_agreement(ACME)


@pytest.mark.parametrize("ending", ["terminated", "accelerated"])
def test_availability_is_zero_from_the_day_the_facility_ends(acme, ending):
    engine = facility(acme, HISTORY + [{"date": "2024-02-01", "type": ending}])
    before = flat(engine.status(date(2024, 1, 31)))
    # 800,000.00 capacity - 500,000.00 outstanding = 300,000.00
    assert before["availability"] == D("300000.00") and before["availabilities"][0]["ended"] is None
    after = flat(engine.status(date(2024, 2, 1)))
    assert after["availability"] == D("0.00")
    row = after["availabilities"][0]
    assert (row["capacity"], row["usage"]) == (D("800000.00"), D("500000.00"))  # still shown: what it was
    assert row["ended"] == f"the facility was {ending} on 2024-02-01 (test: event 4): no more is lent"
    # the outstanding loans are not a breach of availability: they are within the capacity
    assert after["breaches"] == []
    explained = engine.explain("availability", date(2024, 2, 1))
    assert explained.value == D("0.00") and "no more is lent" in (explained.source or "")


@pytest.mark.parametrize("ending", ["terminated", "accelerated"])
def test_advance_refuses_after_the_end_and_says_so(acme, ending):
    engine = facility(acme, HISTORY + [{"date": "2024-02-01", "type": ending}])
    assert decide(engine, date(2024, 1, 31), D("100000.00"))["decision"] == "within_capacity"
    answer = decide(engine, date(2024, 2, 1), D("100000.00"))
    assert (answer["decision"], answer["reason_codes"]) == ("refused", ["facility_ended"])
    assert answer["reasons"] == [f"the facility was {ending} on 2024-02-01 (test: event 4): no more is lent"]


def test_a_later_end_refuses_a_back_dated_advance_to_record(acme):
    """Recording an advance on 2024-01-15 is judged again on every later day of the record: it would still be
    outstanding after the termination, but the loan was made before it, so the termination day does not
    refuse it (only new lending ends)."""
    engine = facility(acme, HISTORY + [{"date": "2024-02-01", "type": "terminated"}])
    assert engine.advance_to_record(date(2024, 1, 15), D("100000.00")).decision == "within_capacity"
    assert engine.advance_to_record(date(2024, 2, 1), D("100000.00")).decision == "refused"
