"""Pricing grids, computed fees and financial covenants (issue 8) on tests/fixtures/widget, a facility
written from the docs alone: every figure worked by hand from its text."""
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from conftest import FIXTURES, facility, flat
from loanbook.agreement.load import load_agreement
from loanbook.engine.facility import Facility
from loanbook.events.parse import events_from
from loanbook.market import shipped_prime_series
from loanbook.projection import explanation_json

WIDGET = FIXTURES / "widget"


@pytest.fixture(scope="module")
def widget():
    return load_agreement(WIDGET)


def opening(loans="1000000.00", receivables="10000000.00"):
    return [{"date": "2024-01-02", "type": "prime_rate", "rate": "8.50"},
            {"date": "2024-01-02", "type": "opening_balance", "loan": "revolver", "amount": loans},
            {"date": "2024-01-02", "type": "borrowing_base_report",
             "values": {"eligible_receivables": receivables, "eligible_inventory": "0", "eligible_equipment": "0"}}]


def certificate(period_end, delivered, **figures):
    return {"date": delivered, "type": "document_delivered", "document": "compliance_certificate",
            "period_end": period_end, "figures": figures}


def margin(engine, day):
    return engine.book(day).value("applicable_margin")


# --- the level grid -----------------------------------------------------------------------------------

@pytest.mark.parametrize("leverage,level_margin", [
    ("3.50", "1.00"), ("3.00", "1.00"),    # at least 3.00: Level I
    ("2.99", "0.75"), ("2.00", "0.75"),    # below 3.00 and at least 2.00: Level II
    ("1.99", "0.50"),                      # below 2.00: Level III
])
def test_each_side_of_each_boundary(widget, leverage, level_margin):
    rows = opening() + [certificate("2024-01-31", "2024-02-20", leverage_ratio="3.50"),
                        certificate("2024-02-29", "2024-03-20", leverage_ratio="3.50"),
                        certificate("2024-03-31", "2024-04-20", leverage_ratio=leverage)]
    engine = facility(widget, rows)
    # until 3/31 the margin is forced to Level I; on 4/30 the February certificate (delivered 3/20, in
    # effect from 4/1) gives 3.50: Level I
    assert margin(engine, date(2024, 3, 31)) == D("1.00") and margin(engine, date(2024, 4, 30)) == D("1.00")
    # the March certificate, delivered 4/20, takes effect on the first day of the next month
    assert margin(engine, date(2024, 5, 1)) == D(level_margin)


def test_a_level_priced_into_a_month_of_interest(widget):
    rows = opening() + [certificate("2024-01-31", "2024-02-20", leverage_ratio="3.50"),
                        certificate("2024-02-29", "2024-03-20", leverage_ratio="3.50"),
                        certificate("2024-03-31", "2024-04-20", leverage_ratio="2.50"),
                        certificate("2024-04-30", "2024-05-20", leverage_ratio="2.50")]  # else late from 5/31
    month = facility(widget, rows).interest_statement(date(2024, 5, 1), date(2024, 5, 31))[0]
    # 1,000,000 x (8.50% prime + 0.75% Level II) x 31 days / 360 = 7,965.2777... -> 7,965.28
    assert month.interest == D("7965.28")
    assert [line.rate for line in month.classes["revolver"].lines] == [D("9.25")]


def test_a_late_certificate_forces_level_one_until_it_comes(widget):
    rows = opening() + [certificate("2024-01-31", "2024-02-20", leverage_ratio="1.50"),
                        certificate("2024-02-29", "2024-04-10", leverage_ratio="2.50"),
                        certificate("2024-03-31", "2024-04-20", leverage_ratio="2.50")]
    engine = facility(widget, rows)
    # the February certificate was due 3/30 (30 days after 2/29); from 3/31 it is late: Level I (1.00%)
    assert margin(engine, date(2024, 4, 5)) == D("1.00")
    state = engine.levels.level_on(engine.book(date(2024, 4, 5)).definition("applicable_margin").block,
                                   date(2024, 4, 5))
    assert state.reason == "late"
    # delivered 4/10: no longer late; the January certificate (1.50, in effect from 3/1) gives Level III
    assert margin(engine, date(2024, 4, 15)) == D("0.50")
    # the February and March certificates (2.50) take effect on 5/1: Level II
    assert margin(engine, date(2024, 5, 1)) == D("0.75")


def test_a_default_rate_period(widget):
    rows = opening() + [certificate(f"2024-0{m}-{d}", f"2024-0{m + 1}-15", leverage_ratio="1.50")
                        for m, d in ((1, 31), (2, 29), (3, 31), (4, 30))] + [
        {"date": "2024-06-10", "type": "default_declared", "description": "a covenant breach"},
        {"date": "2024-06-20", "type": "default_ended", "how": "cured"}]
    month = facility(widget, rows).interest_statement(date(2024, 6, 1), date(2024, 6, 30))[0]
    # Level III (0.50%) from the certificates; while the default continues (6/10 to 6/19) the margin is
    # forced to Level I (1.00%) and 2% is added:
    #   6/1-6/9:   1,000,000 x  9.00% x  9 / 360 = 2,250.00
    #   6/10-6/19: 1,000,000 x 11.50% x 10 / 360 = 3,194.444...
    #   6/20-6/30: 1,000,000 x  9.00% x 11 / 360 = 2,750.00
    #   total 8,194.444... -> 8,194.44
    assert month.interest == D("8194.44")
    assert [line.rate for line in month.classes["revolver"].lines] == [D("9.00"), D("11.50"), D("9.00")]


# --- computed fees ------------------------------------------------------------------------------------

def test_unused_line_fee_over_a_month_with_letters_of_credit(widget):
    rows = opening() + [
        {"date": "2024-01-10", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-1",
         "amount": "200000.00"},
        {"date": "2024-01-20", "type": "advance", "loan": "revolver", "amount": "500000.00"},
        {"date": "2024-02-01", "type": "fee_payment", "fee": "unused_line_fee", "amount": "1802.78"}]
    engine = facility(widget, rows)
    january = [c for c in engine.charges_on(date(2024, 1, 31)) if c.fee == "unused_line_fee"][0]
    # unused = 10,000,000 - (loans + letters of credit):
    #   1/2-1/9   (8 days):  10,000,000 - 1,000,000 = 9,000,000 -> 72,000,000
    #   1/10-1/19 (10 days): 10,000,000 - 1,200,000 = 8,800,000 -> 88,000,000
    #   1/20-1/31 (12 days): 10,000,000 - 1,700,000 = 8,300,000 -> 99,600,000
    #   259,600,000 day-dollars x 0.25% / 360 = 1,802.777... -> 1,802.78; average 259,600,000 / 30 = 8,653,333.33
    assert (january.days, january.base, january.rate, january.amount) == (30, D("8653333.33"), D("0.25"),
                                                                          D("1802.78"))
    assert (january.due, january.status) == (date(2024, 2, 1), "scheduled")  # complete, due tomorrow
    assert [c for c in engine.charges_on(date(2024, 1, 30)) if c.fee == "unused_line_fee"][0].status == "accruing"
    paid = [c for c in engine.charges_on(date(2024, 2, 1)) if c.start == date(2024, 1, 2)][0]
    assert (paid.status, paid.paid) == ("paid", D("1802.78"))


@pytest.mark.parametrize("day,fee", [("2024-06-30", "200000.00"),   # before July 1: 2% x 10,000,000
                                     ("2024-07-01", "100000.00"),   # from July 1: 1% x 10,000,000
                                     ("2024-12-31", "100000.00"),
                                     ("2025-01-02", None)])         # after December 31: no fee
def test_termination_fee_on_each_side_of_its_dates(widget, day, fee):
    engine = facility(widget, opening() + [{"date": day, "type": "terminated"}])
    charges = [c for c in engine.charges_on(date(2025, 6, 1)) if c.fee == "termination_fee"]
    assert [c.amount for c in charges] == ([D(fee)] if fee else [])
    # the unused line fee stops accruing on the day of termination
    last = [c for c in engine.charges_on(date(2025, 6, 1)) if c.fee == "unused_line_fee"][-1]
    assert last.end == date.fromisoformat(day)


# --- covenants ----------------------------------------------------------------------------------------

def quarter(march_ebitda="80000.00", plan=None):
    rows = opening() + [
        certificate("2023-12-31", "2024-01-20", ebitda="100000.00", fixed_charges="90000.00", leverage_ratio="3"),
        certificate("2024-01-31", "2024-02-20", ebitda="110000.00", fixed_charges="90000.00", leverage_ratio="3"),
        certificate("2024-02-29", "2024-03-20", ebitda="120000.00", fixed_charges="100000.00", leverage_ratio="3"),
        certificate("2024-03-31", "2024-04-20", ebitda=march_ebitda, fixed_charges="110000.00", leverage_ratio="3")]
    if plan:
        rows.append({"date": plan, "type": "document_delivered", "document": "business_plan"})
    return rows


def covenant_results(engine, day, covenant="fixed_charge_coverage"):
    return {r.test_date: r for r in engine.covenant_tests(day) if r.covenant == covenant}


def test_a_schedule_replaced_as_of_an_earlier_date_and_both_views(widget):
    # February: (100,000 + 110,000 + 120,000) / (90,000 + 90,000 + 100,000) = 330,000 / 280,000 = 1.1785... -> 1.18
    today = covenant_results(facility(widget, quarter()), date(2024, 6, 1))[date(2024, 2, 29)]
    # Amendment No. 1 (recorded 5/15) sets 1.10 for months to June 30, as of January 31: compliant
    assert (today.measure, today.threshold, today.status) == (D("1.18"), D("1.10"), "compliant")
    # as known on 5/1, before the amendment was recorded, the test was the original 1.25: breached
    then = datetime(2024, 5, 1, tzinfo=UTC)
    before = load_agreement(WIDGET, known_at=then)
    engine = Facility(before, events_from(quarter(), before, "test"), shipped_prime_series(), known_at=then)
    earlier = covenant_results(engine, date(2024, 5, 1))[date(2024, 2, 29)]
    assert (earlier.measure, earlier.threshold, earlier.status) == (D("1.18"), D("1.25"), "breached")
    assert "covenant" in [b["rule"] for b in flat(engine.status(date(2024, 5, 1)))["breaches"]]


@pytest.mark.parametrize("march_ebitda,plan,status", [
    # March: (110,000 + 120,000 + 80,000) / (90,000 + 100,000 + 110,000) = 310,000 / 300,000 = 1.0333 -> 1.03,
    # below 1.10; the waiver holds if the plan came by 5/31 and the ratio is at least the floor 1.00
    ("80000.00", "2024-05-20", "waived"),
    ("80000.00", None, "breached"),                 # no business plan: the waiver's condition failed
    ("80000.00", "2024-06-02", "breached"),         # too late
    # 110,000 + 120,000 + 65,000 = 295,000 / 300,000 = 0.9833 -> 0.98, below the floor: breached
    ("65000.00", "2024-05-20", "breached"),
])
def test_a_conditional_waiver_with_a_floor(widget, march_ebitda, plan, status):
    march = covenant_results(facility(widget, quarter(march_ebitda, plan)), date(2024, 6, 5))[date(2024, 3, 31)]
    assert march.status == status


def test_a_springing_test_on_each_side_of_its_trigger(widget):
    rows = quarter()
    # receivables 10,000,000: base 85% = 8,500,000 - 150,000 landlord reserve = 8,350,000; availability
    # = min(10,000,000, 8,350,000) - 0 letters of credit - 500,000 block - 1,000,000 loans = 6,850,000:
    # excess availability 6,850,000 is not below 1,000,000: the Minimum EBITDA test does not apply
    high = covenant_results(facility(widget, rows), date(2024, 5, 1), "minimum_ebitda")[date(2024, 2, 29)]
    assert high.status == "not_applicable"
    # receivables 1,500,000: 1,275,000 - 150,000 = 1,125,000 - 500,000 - 1,000,000 < 0: availability 0, below
    # 1,000,000: tested; EBITDA 120,000 is below 500,000: breached
    low_rows = opening(receivables="1500000.00") + rows[3:]
    low = covenant_results(facility(widget, low_rows), date(2024, 5, 1), "minimum_ebitda")[date(2024, 2, 29)]
    assert (low.status, low.measure, low.threshold) == ("breached", D("120000.00"), D("500000.00"))


def test_a_certificate_late_or_not_yet_reported(widget):
    engine = facility(widget, opening())
    results = covenant_results(engine, date(2024, 3, 15))
    # January's certificate was due 3/1: late on 3/15; February's is due 3/30: not yet reported
    assert results[date(2024, 1, 31)].status == "certificate_late"
    assert results[date(2024, 2, 29)].status == "not_reported"


# --- when a reported level takes effect ----------------------------------------------------------------

@pytest.mark.parametrize("rule,days,delivered,effective", [
    ("on_delivery", None, "2024-07-03", "2024-07-03"),
    ("next_month_after_delivery", None, "2024-07-03", "2024-08-01"),
    ("next_quarter_after_delivery", None, "2024-07-03", "2024-10-01"),
    ("next_quarter_after_delivery", None, "2024-12-31", "2025-01-01"),
    # business days on the Federal Reserve calendar: Thursday 7/4/2024 is Independence Day
    ("business_days_after_delivery", 1, "2024-07-03", "2024-07-05"),
    # Friday 3/29/2024 + 2 business days: Monday 4/1, Tuesday 4/2
    ("business_days_after_delivery", 2, "2024-03-29", "2024-04-02"),
])
def test_when_a_certificate_takes_effect(widget, rule, days, delivered, effective):
    from loanbook.agreement.kinds_pricing import LevelGrid
    from loanbook.engine.levels import effective_day
    from loanbook.events import types as ev
    grid = next(b for _, b in widget.all_terms(LevelGrid))
    changed = grid.model_copy(update={"takes_effect": rule, "business_days": days})
    report = ev.DocumentDelivered(type="document_delivered", date=delivered, document="compliance_certificate",
                                  period_end="2024-06-30")
    assert effective_day(changed, report) == date.fromisoformat(effective)


def test_each_fee_is_explained_down_to_its_clause(widget):
    rows = opening() + [{"date": "2024-01-10", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-1",
                         "amount": "200000.00"}]
    tree = explanation_json(facility(widget, rows).explain("unused_line_fee", date(2024, 2, 15)))
    january = tree["inputs"][0]
    assert january["clause"]["clause"] == "section-2.3" and "0.25% per annum" in january["clause"]["text"]
    assert "average base" in january["formula"]


def test_a_payoff_on_the_termination_day_pays_the_termination_fee(widget):
    """The fee falls due the day the facility is terminated; a payoff that day must include it (it appeared only
    the day after)."""
    rows = opening() + [{"date": "2024-06-30", "type": "terminated"}]
    engine = facility(widget, rows)
    # termination before July 1: 2% x 10,000,000 = 200,000.00;
    # unused line fee accrued through June 29 and unpaid: 2024-01-02 to 2024-06-29 is 180 days of
    # (10,000,000 - 1,000,000) x 0.25% / 360 = 62.50 a day: 11,250.00
    assert engine.payoff(date(2024, 6, 30)).fees == D("211250.00")
    # the day before, no termination yet: 179 days x 62.50 = 11,187.50
    assert engine.payoff(date(2024, 6, 29)).fees == D("11187.50")
