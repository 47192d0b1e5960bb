"""The DNOW / Wells Fargo facility (examples/dnow-2022): figures worked by hand from the conformed text."""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import DNOW, decide, facility, flat
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.load import load_agreement
from loanbook.engine.facility import Facility
from loanbook.events.parse import parse_events
from loanbook.market import shipped_prime_series


@pytest.fixture(scope="module")
def dnow():
    return load_agreement(DNOW)


@pytest.fixture(scope="module")
def engine(dnow):
    return Facility(dnow, parse_events(DNOW / "events.yaml", dnow), shipped_prime_series())


def test_the_folder_passes_the_fidelity_check(dnow):
    findings = fidelity_check(dnow)
    assert passed(findings)
    assert [f.message for f in findings if "not encoded" in f.message]  # the Canadian provisos, said aloud


def test_us_borrowing_base_of_the_first_certificate(engine):
    s = flat(engine.status(date(2023, 1, 3)))
    lines = {line["id"]: line["value"] for line in s["borrowing_base"]["lines"]}
    # (a) 90% x 100,000,000 = 90,000,000          (b) 85% x 200,000,000 = 170,000,000
    assert lines["us_rated_accounts_line"] == D("90000000.00") and lines["us_other_accounts_line"] == D("170000000.00")
    # (c) the lesser of 70% and 85% x NRP 60% = 51%: 51% x 400,000,000 = 204,000,000   (d) 100% x 20,000,000
    assert lines["us_inventory_line"] == D("204000000.00") and lines["us_cash_line"] == D("20000000.00")
    # dilution 6% - 5% = 1 point on 100,000,000 + 200,000,000 of accounts = 3,000,000;
    # Agent's reserves 2,000,000 + 3,000,000 + 5,000,000 + 0 = 10,000,000
    assert s["us_dilution_reserve"] == D("3000000.00") and s["agent_reserves"] == D("10000000.00")
    # 90,000,000 + 170,000,000 + 204,000,000 + 20,000,000 - 3,000,000 - 10,000,000 = 471,000,000
    assert s["us_borrowing_base"] == D("471000000.00") and s["borrowing_base"]["total"] == D("471000000.00")
    # Line Cap = min(500,000,000, 0 Canadian + 471,000,000) = 471,000,000
    assert s["line_cap"] == D("471000000.00")
    # usage = 150,000,000 loans + 15,000,000 letter of credit = 165,000,000;
    # availability = min(500,000,000 - 0, 471,000,000) - 165,000,000 = 306,000,000 (Aggregate Excess the same)
    assert s["us_revolver_usage"] == D("165000000.00")
    assert s["availability"] == D("306000000.00") and s["excess_availability"] == D("306000000.00")
    # the inventory rate keeps its precision: 85% x 60% = 51%
    assert s["borrowing_base"]["lines"][2]["rate"] == D("51.00")
    assert s["overadvance"] == D("0") and s["overadvance_limit"] == D("50000000.00") and s["breaches"] == []


def test_second_certificate_keeps_the_rate_precision(engine):
    s = flat(engine.status(date(2023, 2, 1)))
    lines = {line["id"]: line for line in s["borrowing_base"]["lines"]}
    # 85% x NRP 62.5% = 53.125% < 70%: 53.125% x 380,000,000 = 201,875,000
    assert str(lines["us_inventory_line"]["rate"]) == "53.125"
    assert lines["us_inventory_line"]["value"] == D("201875000.00")
    # dilution 7.5% - 5% = 2.5 points on 95,000,000 + 190,000,000 = 7,125,000; reserves 2 + 5 + 3 + 1 million
    assert s["us_dilution_reserve"] == D("7125000.00") and s["agent_reserves"] == D("11000000.00")
    # 85,500,000 + 161,500,000 + 201,875,000 + 0 cash - 7,125,000 - 11,000,000 = 430,750,000
    assert s["us_borrowing_base"] == D("430750000.00")
    # availability 430,750,000 - 165,000,000 = 265,750,000
    assert s["availability"] == D("265750000.00")


def test_a_discretionary_overadvance_within_its_cap(engine):
    s = flat(engine.status(date(2023, 3, 15)))
    # US loans 150 + 250 + 30 million = 430,000,000; usage 430,000,000 + 15,000,000 = 445,000,000
    # capacity = min(500,000,000 - 20,000,000 Canadian, 430,750,000) = 430,750,000: availability 0
    assert s["us_revolver_usage"] == D("445000000.00") and s["availability"] == D("0")
    # overadvance = 445,000,000 - 430,750,000 = 14,250,000, within 10% x 500,000,000 = 50,000,000
    assert s["overadvance"] == D("14250000.00") and s["overadvance_limit"] == D("50000000.00")
    assert s["breaches"] == []
    # Line Cap = min(500,000,000, 40,000,000 + 430,750,000) = 470,750,000;
    # Aggregate Excess Availability = 470,750,000 - (20,000,000 + 445,000,000) = 5,750,000
    assert s["line_cap"] == D("470750000.00") and s["excess_availability"] == D("5750000.00")


def test_advance_decisions_on_each_side_of_the_limits(engine):
    day = date(2023, 2, 1)  # capacity 430,750,000, usage 165,000,000, availability 265,750,000
    assert decide(engine, day, D("265750000.00"), "us_revolver")["decision"] == "within_capacity"
    d = decide(engine, day, D("265750000.01"), "us_revolver")
    assert d["decision"] == "overadvance_requires_approval" and d["overadvance_after"] == D("0.01")
    # overadvance = usage after - US Borrowing Base; the cap 50,000,000 is reached at 315,750,000
    d = decide(engine, day, D("315750000.00"), "us_revolver")
    assert d["decision"] == "overadvance_requires_approval" and d["overadvance_after"] == D("50000000.00")
    d = decide(engine, day, D("315750000.01"), "us_revolver")
    assert d["decision"] == "refused" and d["reason_codes"] == ["over_limit"]
    # two revolving tranches: a request must name one
    with pytest.raises(Exception, match="name the tranche"):
        engine.advance(day, D("1.00"))


def test_the_ceiling_refuses_what_the_cap_would_allow(dnow):
    rows = [{"date": "2023-01-03", "type": "opening_balance", "loan": "us_revolver", "amount": "460000000.00"},
            {"date": "2023-01-03", "type": "opening_balance", "loan": "canadian_revolver", "amount": "30000000.00"},
            {"date": "2023-01-03", "type": "borrowing_base_report", "values": {
                "us_rated_accounts": "0", "us_other_accounts": "0", "us_finished_goods": "0",
                "us_cash": "460000000.00"}}]
    engine = facility(dnow, rows)
    # US Borrowing Base = 100% x 460,000,000 = 460,000,000; capacity = min(500,000,000 - 30,000,000, 460,000,000)
    # = 460,000,000 = usage: availability 0
    assert flat(engine.status(date(2023, 1, 3)))["availability"] == D("0")
    # 15,000,000 more: overadvance 475,000,000 - 460,000,000 = 15,000,000, within the 50,000,000 cap, but
    # US usage 475,000,000 + Canadian 30,000,000 exceeds the Maximum Revolver Amount (ceiling 470,000,000)
    d = decide(engine, date(2023, 1, 3), D("15000000.00"), "us_revolver")
    assert d["decision"] == "refused" and d["reason_codes"] == ["over_ceiling"]
    assert d["overadvance_after"] == D("15000000.00")
    assert "maximum revolver amount - canadian revolver usage 470,000,000.00" in d["reasons"][0]
    # 10,000,000 more stays under both: it needs the Agent's approval
    assert decide(engine, date(2023, 1, 3), D("10000000.00"), "us_revolver")["decision"] == \
        "overadvance_requires_approval"


def test_reading_reserves_twice_lowers_availability(dnow):
    twice = load_agreement(DNOW, {"I-1": "twice"})
    engine = Facility(twice, parse_events(DNOW / "events.yaml", twice), shipped_prime_series())
    s = flat(engine.status(date(2023, 1, 3)))
    # min(500,000,000, 471,000,000 - 10,000,000) - 165,000,000 = 296,000,000
    assert s["availability"] == D("296000000.00")


def test_no_pricing_clause_means_no_interest_figure(engine):
    s = flat(engine.status(date(2023, 3, 15)))
    assert s["interest_accrued_unpaid"] is None
    assert engine.payoff(date(2023, 3, 15)).interest is None
