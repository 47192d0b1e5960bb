"""The DNOW / Wells Fargo facility (examples/dnow-2022): figures worked by hand from the conformed text."""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import DNOW, decide, facility, flat, folder_facility
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.load import load_agreement

PRIME = {"date": "2022-12-15", "type": "prime_rate", "rate": "7.50"}
CERTIFICATE = {"date": "2022-11-14", "type": "document_delivered", "document": "compliance_certificate",
               "period_end": "2022-09-30", "figures": {"fixed_charge_coverage_ratio": "1.80"}}
USAGE = {"date": "2022-10-01", "type": "document_delivered", "document": "agent_usage_statement",
         "period_end": "2022-09-30", "figures": {"average_revolver_usage": "25"}}


@pytest.fixture(scope="module")
def dnow():
    return load_agreement(DNOW)


@pytest.fixture(scope="module")
def engine(dnow):
    return folder_facility(DNOW, dnow)


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


def test_each_line_names_its_advance_rate(engine):
    """A rate the clause writes as a number or a formula is a part of the line's own, `{line}.rate`."""
    base = engine.status(date(2023, 2, 1)).borrowing_bases[0]
    assert {line: (rate.id, rate.value) for line, rate in base.rates.items()} == {
        "us_rated_accounts_line": ("us_rated_accounts_line.rate", D("90")),
        "us_other_accounts_line": ("us_other_accounts_line.rate", D("85")),
        # the lesser of 70% and 85% x NRP 62.5% = 53.125%
        "us_inventory_line": ("us_inventory_line.rate", D("53.125")),
        "us_cash_line": ("us_cash_line.rate", D("100"))}
    assert base.rates["us_inventory_line"].explanation.formula == "min(70%, 85% * net_recovery_percentage)"


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
    rows = [PRIME,
            {"date": "2023-01-03", "type": "opening_balance", "loan": "us_revolver", "amount": "460000000.00"},
            {"date": "2023-01-03", "type": "opening_balance", "loan": "canadian_revolver", "amount": "30000000.00"},
            CERTIFICATE, USAGE,
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
    engine = folder_facility(DNOW, twice)
    s = flat(engine.status(date(2023, 1, 3)))
    # min(500,000,000, 471,000,000 - 10,000,000) - 165,000,000 = 296,000,000
    assert s["availability"] == D("296000000.00")


def test_interest_is_priced_and_payable(engine):
    # January and February (see below): 953,424.66 + 948,287.67 of US loans, and March too: the payoff
    # on 3/1 carries the interest accrued through 2/28, the Canadian loans' (from 2/15) included
    payoff = engine.payoff(date(2023, 3, 1))
    assert payoff.interest == flat(engine.status(date(2023, 2, 28)))["interest_accrued_unpaid"]
    assert payoff.interest > D("953424.66") + D("948287.67")


# --- pricing, fees and the springing covenant (issue 8) ---------------------------------------------------

@pytest.mark.parametrize("day,margin", [
    (date(2023, 1, 3), "0.50"),   # the 9/30/22 certificate (1.80, delivered 11/14, in effect 12/1): Level II
    (date(2023, 3, 1), "0.25"),   # the 12/31/22 certificate (2.40, delivered 2/14, in effect 3/1): Level I
    (date(2023, 6, 1), "0.75"),   # the 3/31/23 certificate (1.10, delivered 5/12, in effect 6/1): Level III
])
def test_the_margin_follows_the_certificates(engine, day, margin):
    assert engine.book(day).value("base_rate_margin") == D(margin)


def test_base_rate_interest_on_a_year_of_365_days(engine):
    january = engine.interest_statement(date(2023, 1, 1), date(2023, 1, 31))[0]
    # US Base Rate = the greatest of 0%, 4.33% + 0.5%, 4.36% + 1% and prime 7.50% = 7.50%; + Level II 0.50%
    # 150,000,000 x 8.00% x 29 days (1/3 to 1/31) / 365 = 953,424.6575... -> 953,424.66
    assert january.classes["us_revolver"].interest == D("953424.66")
    february = engine.interest_statement(date(2023, 2, 1), date(2023, 2, 28))[0]
    # 2/1 at 8.00%: 150,000,000 x 8.00% / 365 = 32,876.7123...; prime 7.75% from 2/2: 27 days at 8.25%:
    # 150,000,000 x 8.25% x 27 / 365 = 915,410.9589...; together 948,287.6712... -> 948,287.67
    assert february.classes["us_revolver"].interest == D("948287.67")


def test_a_ratio_on_the_boundary_under_each_reading(dnow):
    rows = [{"date": "2023-01-03", "type": "document_delivered", "document": "compliance_certificate",
             "period_end": "2022-12-31", "figures": {"fixed_charge_coverage_ratio": "2.25"}}]
    # 2.25 exactly: Level I (0.25%) under I-2's reading in force, Level II (0.50%) under the other
    assert facility(dnow, rows).book(date(2023, 2, 1)).value("base_rate_margin") == D("0.25")
    worse = load_agreement(DNOW, {"I-2": "boundary_in_worse_level"})
    assert facility(worse, rows).book(date(2023, 2, 1)).value("base_rate_margin") == D("0.50")


def test_the_unused_line_fee_of_the_first_quarter(engine):
    fees = {(c.fee, c.start): c for c in engine.charges_on(date(2023, 4, 2))}
    # 12/29-12/31/22: nothing used: 500,000,000 x 0.375% (Level II: usage 25%) x 3 / 360 = 15,625.00
    assert fees[("unused_line_fee", date(2022, 12, 29))].amount == D("15625.00")
    # the first quarter of 2023, unused = 500,000,000 - usage, at 0.375% (the Agent's 1/1 statement: 30%):
    #   1/1-1/2    (2 days)  500,000,000 -> 1,000,000,000
    #   1/3-2/14  (43 days)  335,000,000 -> 14,405,000,000
    #   2/15-2/28 (14 days)  315,000,000 -> 4,410,000,000
    #   3/1-3/14  (14 days)   65,000,000 -> 910,000,000
    #   3/15-3/31 (17 days)   35,000,000 -> 595,000,000
    #   21,320,000,000 x 0.375% / 360 = 222,083.333... -> 222,083.33, due on the first day of the quarter
    q1 = fees[("unused_line_fee", date(2023, 1, 1))]
    assert (q1.amount, q1.base, q1.rate, q1.due, q1.status) == (
        D("222083.33"), D("236888888.89"), D("0.375"), date(2023, 4, 1), "due")


def test_the_covenant_springs_when_availability_is_low(engine, dnow):
    march = {r.test_date: r for r in engine.covenant_tests(date(2023, 6, 1))}[date(2023, 3, 31)]
    # on 3/31 Aggregate Excess Availability is 5,750,000, below max(10% x 470,750,000, 40,000,000) =
    # 47,075,000: the test applies; 1.10 is at least 1.00
    assert (march.status, march.measure) == ("compliant", D("1.10"))
    rows = [{"date": "2023-01-03", "type": "opening_balance", "loan": "us_revolver", "amount": "100000000.00"},
            {"date": "2023-01-03", "type": "borrowing_base_report", "values": {
                "us_rated_accounts": "0", "us_other_accounts": "0", "us_finished_goods": "0",
                "us_cash": "400000000.00"}},
            {"date": "2023-05-12", "type": "document_delivered", "document": "compliance_certificate",
             "period_end": "2023-03-31", "figures": {"fixed_charge_coverage_ratio": "0.95"}}]
    # a base of 400,000,000 and 100,000,000 used: 300,000,000 of excess availability, above the threshold
    # max(10% x 400,000,000, 40,000,000) = 40,000,000: the test does not apply, whatever the ratio
    high = {r.test_date: r for r in facility(dnow, rows).covenant_tests(date(2023, 6, 1))}[date(2023, 3, 31)]
    assert high.status == "not_applicable"
    # with 390,000,000 used, 10,000,000 is below 40,000,000: tested, and 0.95 is below 1.00
    rows[0]["amount"] = "390000000.00"
    low = {r.test_date: r for r in facility(dnow, rows).covenant_tests(date(2023, 6, 1))}[date(2023, 3, 31)]
    assert (low.status, low.measure, low.threshold) == ("breached", D("0.95"), D("1.00"))


def test_the_default_rate(dnow):
    rows = [{"date": "2022-12-15", "type": "prime_rate", "rate": "7.50"},
            {"date": "2022-11-14", "type": "document_delivered", "document": "compliance_certificate",
             "period_end": "2022-09-30", "figures": {"fixed_charge_coverage_ratio": "3.00"}},
            {"date": "2023-01-03", "type": "opening_balance", "loan": "us_revolver", "amount": "36500000.00"},
            {"date": "2023-01-10", "type": "default_declared"},
            {"date": "2023-01-20", "type": "default_ended", "how": "waived"}]
    month = facility(dnow, rows).interest_statement(date(2023, 1, 1), date(2023, 1, 31))[0]
    # 36,500,000 at 7.50% + Level I 0.25% = 7.75%, on 365 days: 7,750 a day (36,500,000 x 7.75% / 365);
    # 1/10-1/19, the default: Level III forced (0.75%) + 2%: 10.25%, 10,250 a day
    # 7 days x 7,750 (1/3-1/9) + 10 x 10,250 + 12 x 7,750 (1/20-1/31) = 54,250 + 102,500 + 93,000 = 249,750
    assert month.classes["us_revolver"].interest == D("249750.00")
