"""A facility written from docs/agreement-format.md alone (tests/fixtures/widget): every shape of the
borrowing base, each figure worked by hand."""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import FIXTURES, facility, flat, folder_facility
from loanbook.agreement.check import fidelity_check, passed
from loanbook.agreement.load import load_agreement

WIDGET = FIXTURES / "widget"


@pytest.fixture(scope="module")
def widget():
    return load_agreement(WIDGET)


@pytest.fixture(scope="module")
def engine(widget):
    return folder_facility(WIDGET, widget)


def parts(engine, day):
    s = flat(engine.status(day))
    base = s["borrowing_base"]
    return (s, {line["id"]: (line["rate"], line["value"]) for line in base["lines"]},
            {r["id"]: r["value"] for r in base["reserves"]})


def test_check_passes(widget):
    assert passed(fidelity_check(widget))


def test_march(engine):
    s, lines, reserves = parts(engine, date(2024, 3, 15))
    # (a) 85% x 4,000,000 = 3,400,000
    assert lines["receivables_line"] == (D("85.00"), D("3400000.00"))
    # (b) rate = min(60%, 85% x 50%) = 42.5%; 42.5% x 6,000,000 = 2,550,000, under 4,000,000 and under
    #     50% of the total (the other lines: 3,400,000 + 1,950,000 = 5,350,000)
    assert lines["inventory_line"] == (D("42.50"), D("2550000.00"))
    # (c) 80% less 1% on 2/1 and 3/1 = 78%; 78% x 3,000,000 = 2,340,000, capped at 2,500,000 x 78% = 1,950,000
    assert lines["equipment_line"] == (D("78.00"), D("1950000.00"))
    # reserves: landlord 150,000; 10% x LC 1,000,000 = 100,000; seasonal not yet; appraisal not yet due
    assert reserves == {"landlord_reserve": D("150000.00"), "lc_reserve": D("100000.00"),
                        "seasonal_reserve": D("0.00"), "appraisal_reserve": D("0.00")}
    # 3,400,000 + 2,550,000 + 1,950,000 - 250,000 = 7,650,000
    assert s["widget_borrowing_base"] == D("7650000.00")
    # min(10,000,000, 7,650,000) - 1,000,000 LC - 500,000 block - 5,000,000 loans = 1,150,000
    assert s["availability"] == D("1150000.00")
    # excess = 1,150,000 - 200,000 past-due payables = 950,000
    assert s["excess_availability"] == D("950000.00")


def test_april_the_appraisal_is_late_and_the_rate_steps_down(engine):
    s, lines, reserves = parts(engine, date(2024, 4, 15))
    # three steps by 4/1: 77%; 77% x 3,000,000 = 2,310,000 capped at 2,500,000 x 77% = 1,925,000
    assert lines["equipment_line"] == (D("77.00"), D("1925000.00"))
    # the appraisal was due by 3/31: 5% x 6,000,000 = 300,000 until delivered (it was, on 5/2)
    assert reserves["appraisal_reserve"] == D("300000.00")
    # 3,400,000 + 2,550,000 + 1,925,000 - (150,000 + 100,000 + 300,000) = 7,325,000
    assert s["widget_borrowing_base"] == D("7325000.00")
    assert flat(engine.status(date(2024, 5, 2)))["appraisal_reserve"] == D("0.00")


def test_december_floor_and_seasonal_reserve(engine):
    s, lines, reserves = parts(engine, date(2024, 12, 15))
    # eleven steps (2/1 .. 12/1) would give 69%; the floor is 70%: 2,500,000 x 70% = 1,750,000
    assert lines["equipment_line"] == (D("70.00"), D("1750000.00"))
    assert reserves["seasonal_reserve"] == D("200000.00")
    # 3,400,000 + 2,550,000 + 1,750,000 - (150,000 + 100,000 + 200,000) = 7,250,000
    assert s["widget_borrowing_base"] == D("7250000.00")
    # the term loan paid 3/31 only: 6/30 and 9/30 are unpaid (250,000 each)
    assert [(b["rule"], b["amount"]) for b in s["breaches"]] == [("amortization", D("250000.00"))] * 2
    assert flat(engine.status(date(2025, 2, 1)))["seasonal_reserve"] == D("0.00")  # its window ended 1/31


def test_the_commitment_reduces_on_its_date(widget):
    rows = [{"date": "2024-12-31", "type": "borrowing_base_report",
             "values": {"eligible_receivables": "20000000.00", "eligible_inventory": "0",
                        "eligible_equipment": "0"}}]
    engine = facility(widget, rows)
    # 85% x 20,000,000 = 17,000,000 less the landlord (150,000) and seasonal (200,000) reserves = 16,650,000:
    # the commitment binds: min(10,000,000, 16,650,000) - 500,000 block = 9,500,000 on 12/31 ...
    assert flat(engine.status(date(2024, 12, 31)))["availability"] == D("9500000.00")
    # ... and min(8,000,000, 16,650,000) - 500,000 = 7,500,000 from 1/1/2025
    assert flat(engine.status(date(2025, 1, 1)))["availability"] == D("7500000.00")


def test_the_share_of_total_cap_binds(widget):
    rows = [{"date": "2024-01-15", "type": "borrowing_base_report",
             "values": {"eligible_receivables": "1000000.00", "eligible_inventory": "10000000.00",
                        "eligible_equipment": "1000000.00"}, "measures": {"net_recovery_rate": "100"}}]
    s, lines, _ = parts(facility(widget, rows), date(2024, 1, 15))
    # receivables 85% x 1,000,000 = 850,000; equipment 80% x 1,000,000 = 800,000 (caps 2,000,000 and 850,000)
    assert lines["receivables_line"][1] == D("850000.00") and lines["equipment_line"][1] == D("800000.00")
    # inventory min(60%, 85%) = 60% x 10,000,000 = 6,000,000; caps 4,000,000 and 50% of the total with
    # itself: 50 / (100 - 50) x (850,000 + 800,000) = 1,650,000, which is half of 3,300,000
    assert lines["inventory_line"] == (D("60.00"), D("1650000.00"))
    assert s["widget_borrowing_base"] == D("3300000.00") - D("150000.00")  # less the landlord reserve


def test_the_equipment_line_is_capped_by_the_receivables_line(widget):
    rows = [{"date": "2024-01-15", "type": "borrowing_base_report",
             "values": {"eligible_receivables": "100000.00", "eligible_inventory": "0",
                        "eligible_equipment": "1000000.00"}}]
    _, lines, _ = parts(facility(widget, rows), date(2024, 1, 15))
    # 80% x 1,000,000 = 800,000, but not more than clause (a): 85% x 100,000 = 85,000
    assert lines["equipment_line"] == (D("80.00"), D("85000.00"))


def test_each_line_names_its_collateral_and_caps(widget):
    """A line's collateral and caps by the line's id (BorrowingBaseResult.line_collateral and .caps), in the
    clause's order; the line's explanation uses the same figures."""
    rows = [{"date": "2024-01-15", "type": "borrowing_base_report",
             "values": {"eligible_receivables": "1000000.00", "eligible_inventory": "10000000.00",
                        "eligible_equipment": "1000000.00"}, "measures": {"net_recovery_rate": "100"}}]
    base = facility(widget, rows).status(date(2024, 1, 15)).borrowing_bases[0]
    line = next(x for x in base.lines if x.id == "inventory_line")
    collateral = base.line_collateral["inventory_line"]
    assert (collateral.id, collateral.value) == ("eligible_inventory", D("10000000.00"))
    # caps 4,000,000 and 50% of the total with itself: 50 / (100 - 50) x (850,000 + 800,000) = 1,650,000
    caps = base.caps["inventory_line"]
    assert [(c.id, c.value) for c in caps] == [("inventory_line.cap_1", D("4000000.00")),
                                              ("inventory_line.cap_2", D("1650000.00"))]
    assert all(x.explanation in line.explanation.inputs for x in (collateral, *caps))
