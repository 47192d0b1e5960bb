"""The Richey Electronics / First Interstate facility (examples/richey-1995): figures worked by hand."""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import RICHEY, decide, facility, flat
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.load import load_agreement
from loanbook.engine.facility import Facility
from loanbook.events.parse import parse_events
from loanbook.market import shipped_prime_series


@pytest.fixture(scope="module")
def richey():
    return load_agreement(RICHEY)


@pytest.fixture(scope="module")
def engine(richey):
    return Facility(richey, parse_events(RICHEY / "events.yaml", richey), shipped_prime_series())


def test_the_folder_passes_the_fidelity_check(richey):
    assert passed(fidelity_check(richey))


def test_the_commitment_binds_at_closing(engine):
    s = flat(engine.status(date(1995, 12, 20)))
    # 85% x 40,000,000 = 34,000,000; 50% x 30,000,000 = 15,000,000; Borrowing Base 49,000,000
    assert s["borrowing_base_total"] == D("49000000.00")
    # lesser of 49,000,000 and the Line A Commitment 45,000,000 = 45,000,000;
    # usage 30,000,000 loans + 2,000,000 Line A letter of credit = 32,000,000; availability 13,000,000
    assert s["availabilities"][0]["capacity"] == D("45000000.00")
    assert s["availability"] == D("13000000.00")
    # Line B: its standby letter of credit (30,000,000) is open, no Line B Loan yet
    assert s["loans"] == {"line_a": D("30000000.00"), "line_b": D("0.00")}
    assert s["line_b_letters_of_credit"] == D("30000000.00")
    # no overadvance clause: the keys are there, empty
    assert s["overadvance"] is None and s["overadvances"] == [] and s["breaches"] == []


def test_the_borrowing_base_binds_and_an_excess_is_a_breach(engine):
    s = flat(engine.status(date(1996, 1, 31)))
    # 85% x 30,000,000 = 25,500,000; 50% x 20,000,000 = 10,000,000: 35,500,000 < 45,000,000
    # availability 35,500,000 - 32,000,000 = 3,500,000
    assert s["borrowing_base_total"] == D("35500000.00") and s["availability"] == D("3500000.00")
    s = flat(engine.status(date(1996, 2, 15)))
    # after a 5,000,000 advance: usage 37,000,000 > 35,500,000: 1,500,000 payable immediately (3.1(e)(i))
    assert [(b["rule"], b["amount"], b["limit"]) for b in s["breaches"]] == [
        ("availability", D("37000000.00"), D("35500000.00"))]
    s = flat(engine.status(date(1996, 2, 16)))  # the excess repaid
    assert s["breaches"] == [] and s["availability"] == D("0")


def test_advances_beyond_availability_are_refused_without_an_overadvance_clause(engine):
    d = decide(engine, date(1996, 1, 31), D("3500000.00"))
    assert d["decision"] == "within_capacity"
    d = decide(engine, date(1996, 1, 31), D("3500000.01"))
    assert d["decision"] == "refused" and d["reason_codes"] == ["no_overadvance"]
    # Line B is a term tranche with no availability clause
    assert decide(engine, date(1996, 1, 31), D("1.00"), "line_b")["reason_codes"] == ["not_revolving"]


def test_no_advance_on_the_maturity_date(richey):
    engine = facility(richey, [{"date": "1999-12-01", "type": "borrowing_base_report",
                                "values": {"eligible_receivables": "1000000.00", "eligible_inventory": "0"}}])
    # advances only "to, but excluding, the Line A Maturity Date" (1999-12-31); 85% x 1,000,000 = 850,000
    assert decide(engine, date(1999, 12, 30), D("850000.00"))["decision"] == "within_capacity"
    assert decide(engine, date(1999, 12, 31), D("1.00"))["reason_codes"] == ["term_expired"]
def test_line_b_amortization(engine):
    def rows(day):
        return {o.id: (o.status, o.amount) for o in engine.obligations(day) if o.kind == "installment"}
    # 1,500,000 repaid on 1997-03-31 pays the first installment exactly
    assert rows(date(1997, 4, 1))["line_b_amortization:1997-03-31"] == ("satisfied", D("1500000.00"))
    # nothing paid on 1997-06-30: 2,000,000 unpaid the next day, a breach in status too
    assert rows(date(1997, 7, 1))["line_b_amortization:1997-06-30"] == ("breached", D("2000000.00"))
    breaches = flat(engine.status(date(1997, 7, 1)))["breaches"]
    assert [(b["rule"], b["amount"]) for b in breaches] == [("amortization", D("2000000.00"))]
    # paid three days late: 1,500,000 + 2,000,000 = 3,500,000 repaid covers both installments
    assert rows(date(1997, 7, 3))["line_b_amortization:1997-06-30"][0] == "satisfied"
    assert flat(engine.status(date(1997, 7, 3)))["breaches"] == []
    # the schedule adds up to the Line B Commitment: 1.5 + 3 x 2.0 + 4 x 2.5 + 2 x 6.25 = 30 million
    assert sum(amount for _, amount in rows(date(1997, 3, 30)).values()) == D("30000000.00")


def test_each_line_has_its_own_maturity(engine):
    obligations = {o.id: o for o in engine.obligations(date(1999, 7, 1))}
    # Line B matured 1999-06-30 with 28,500,000 - 2,000,000 = 26,500,000 still outstanding: breached
    assert obligations["line_b_maturity"].status == "breached"
    assert obligations["line_a_maturity"].status == "pending"
