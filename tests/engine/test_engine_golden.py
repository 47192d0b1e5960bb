"""Every figure of Amendment No. 10 against arithmetic worked by hand (RULES.md 2-7)."""
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import SEED, decide, facility, flat, folder_facility
from loanbook.core.errors import InputError, RecordError

OCT1 = "2002-10-01"


def base(advances="1000000.00", rbb="1000000.00", reserve="500000.00"):
    return [{"date": OCT1, "type": "opening_balance", "loan": "advances", "amount": advances},
            {"date": OCT1, "type": "borrowing_base_report", "receivables_borrowing_base": rbb},
            {"date": OCT1, "type": "term_loan_reserve", "amount": reserve}]


# --- the seed facility on 2002-10-15 ---------------------------------------------------------------

def test_seed_status_on_2002_10_15(seed):
    engine = folder_facility(SEED, seed)
    s = flat(engine.status(date(2002, 10, 15)))
    # Report of 10/14: 1,420,000 x 85% = 1,207,000 (IEC Borrowing Capacity) < 1,750,000
    assert s["iec_borrowing_capacity"] == D("1207000.00")
    # less the open letter of credit LC-1 60,000 = 1,147,000
    assert s["borrowing_capacity"] == D("1147000.00")
    # advances 1,250,000 + 100,000 (10/8) + 40,000 (10/15) = 1,390,000 > capacity: availability 0
    assert s["advances_outstanding"] == D("1390000.00") and s["availability"] == D("0")
    # overadvance 1,390,000 - 1,147,000 = 243,000; cap 10/14-10/20 = 400,000; reserve 250,000: limit 250,000
    assert s["overadvance"] == D("243000.00")
    assert (s["overadvance_cap"], s["overadvance_limit"]) == (D("400000.00"), D("250000.00"))
    assert s["breaches"] == []
    # interest, prime 4.75%, Actual/360 (I-3):
    #   advances 8.25%: 1,250,000 x 7 days (10/1-10/7) + 1,350,000 x 7 (10/8-10/14) + 1,390,000 x 1
    #     = (8,750,000 + 9,450,000 + 1,390,000) x 0.0825 / 360 = 19,590,000 x 0.0825 / 360 = 4,489.375
    #   term loan 8.75%: 1,500,000 x 15 x 0.0875 / 360 = 5,468.75
    #   total 9,958.125 -> 9,958.13 (half-up, once)
    assert s["interest_accrued_unpaid"] == D("9958.13")
    # lenders 50/50 (assumed): interest 4,979.07 + 4,979.06 (the last takes the remainder)
    assert [row["interest"] for row in s["lenders"]] == [D("4979.07"), D("4979.06")]


def test_each_line_names_its_advance_rate(seed):
    """The rate a line applies, by the line's id: here the figure the clause names (advance_rate), not a part."""
    base = folder_facility(SEED, seed).status(date(2002, 10, 15)).borrowing_bases[0]
    rate = base.rates["iec_receivables"]
    assert (rate.id, rate.label, rate.unit, rate.value) == ("advance_rate", "advance rate (up to)", "percent", D("85"))
    # the line is 1,420,000 x 85% = 1,207,000, and its explanation multiplies by the same figure
    assert base.lines[0].value == D("1207000.00") and rate.explanation in base.lines[0].explanation.inputs


def test_lender_shares_part_each_amount_and_the_last_takes_the_remainder(seed):
    engine = folder_facility(SEED, seed)
    first, last = engine.lender_shares(principal=D("100.01"), interest=D("0.03"), fees=D("0.00"))
    # 50% of 100.01 = 50.005 -> 50.01 (half-up); the last: 100.01 - 50.01 = 50.00
    assert (first.principal, last.principal) == (D("50.01"), D("50.00"))
    # 50% of 0.03 = 0.015 -> 0.02; the last: 0.03 - 0.02 = 0.01
    assert (first.interest, last.interest) == (D("0.02"), D("0.01"))
    assert (first.fees, last.fees) == (D("0.00"), D("0.00"))
    assert (first.party, last.party) == ("hsbc", "ge-capital")


# --- overadvance cap windows ---------------------------------------------------------------------

@pytest.mark.parametrize("day,cap", [(date(2002, 10, 13), "300000.00"), (date(2002, 10, 14), "400000.00"),
                                     (date(2002, 10, 20), "400000.00"), (date(2002, 10, 21), "300000.00"),
                                     (date(2002, 10, 27), "300000.00"), (date(2002, 10, 28), "0.00")])
def test_cap_windows_at_their_edges(seed, day, cap):
    s = flat(facility(seed, base()).status(day))
    # 85% x 1,000,000 = 850,000; advances 1,000,000: overadvance 150,000; reserve 500,000 above every cap
    assert s["overadvance"] == D("150000.00")
    assert s["overadvance_cap"] == D(cap) and s["overadvance_limit"] == D(cap)
    assert bool(s["breaches"]) == (day == date(2002, 10, 28))  # 150,000 > 0 once no overadvance is permitted


def test_term_loan_reserve_below_the_cap(seed):
    s = flat(facility(seed, base(reserve="100000.00")).status(date(2002, 10, 14)))
    # limit = min(cap 400,000, reserve 100,000) = 100,000; overadvance 150,000 breaches it by 50,000
    assert s["overadvance_limit"] == D("100000.00")
    assert [b["rule"] for b in s["breaches"]] == ["overadvance_limit"]


def test_letters_of_credit_make_capacity_negative(seed):
    rows = [{"date": OCT1, "type": "borrowing_base_report", "receivables_borrowing_base": "100000.00"},
            {"date": OCT1, "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-9",
             "amount": "120000.00"}]
    s = flat(facility(seed, rows).status(date(2002, 10, 2)))
    # 85% x 100,000 = 85,000 - 120,000 = -35,000 (shown as computed); availability floors at 0
    assert s["borrowing_capacity"] == D("-35000.00") and s["availability"] == D("0")
    # I-2 (net reading): overadvance = max(0, 0 - (-35,000)) = 35,000; the literal reading: max(0, 0 - 85,000) = 0
    assert s["overadvance"] == D("35000.00")
    from loanbook.agreement.load import load_agreement
    literal = load_agreement(SEED, {"I-2": "iec_borrowing_capacity"})
    assert flat(facility(literal, rows).status(date(2002, 10, 2)))["overadvance"] == D("0")


def test_maximum_limit_breach(seed):
    s = flat(facility(seed, base(advances="1800000.00", rbb="3000000.00")).status(date(2002, 10, 2)))
    # capacity min(1,750,000, 2,550,000) = 1,750,000; advances 1,800,000 exceed the Maximum Limit
    assert "maximum_limit" in [b["rule"] for b in s["breaches"]]


# --- advance requests ------------------------------------------------------------------------------

def test_advance_decisions(seed):
    engine = facility(seed, base(advances="800000.00"))  # capacity 850,000; limit on 10/14: 400,000
    assert decide(engine, date(2002, 10, 14), D("50000.00"))["decision"] == "within_capacity"   # 850,000
    d = decide(engine, date(2002, 10, 14), D("50000.01"))
    assert d["decision"] == "overadvance_requires_approval" and d["overadvance_after"] == D("0.01")
    d = decide(engine, date(2002, 10, 14), D("450000.00"))  # 1,250,000 - 850,000 = 400,000 = limit
    assert d["decision"] == "overadvance_requires_approval"
    d = decide(engine, date(2002, 10, 14), D("450000.01"))
    assert d["decision"] == "refused" and "overadvance limit" in d["reasons"][0]
    d = decide(engine, date(2002, 10, 28), D("50000.01"))   # no overadvance permitted from 10/28
    assert d["decision"] == "refused"
    d = decide(engine, date(2002, 10, 14), D("1000000.00"))  # 1,800,000 > 1,750,000 and > limit: both named
    assert d["decision"] == "refused" and len(d["reasons"]) == 2
    d = decide(engine, date(2003, 1, 2), D("1.00"))
    assert d["decision"] == "refused" and "term expired" in d["reasons"][0]


# --- interest --------------------------------------------------------------------------------------

def test_prime_change_mid_period(seed):
    rows = [{"date": "2002-11-01", "type": "opening_balance", "loan": "advances", "amount": "1000000.00"}]
    engine = facility(seed, rows)
    # 11/1-11/6: 6 days x 1,000,000 x (4.75 + 3.5)% / 360 = 1,375.00
    assert engine.interest.accrued("advances", date(2002, 11, 1), date(2002, 11, 6)) == D("1375")
    # 11/7-11/30: 24 days x 1,000,000 x (4.25 + 3.5)% / 360 = 5,166.666...
    # November: 1,375 + 5,166.67 = 6,541.67
    month = engine.interest_statement(date(2002, 11, 1), date(2002, 11, 30))[0]
    assert month.interest == D("6541.67")
    assert [line.rate for line in month.classes["advances"].lines] == [D("8.25"), D("7.75")]


def test_repayment_day_does_not_accrue(seed):
    rows = [{"date": OCT1, "type": "opening_balance", "loan": "advances", "amount": "360000.00"},
            {"date": "2002-10-03", "type": "repayment", "loan": "advances", "amount": "360000.00"}]
    engine = facility(seed, rows)
    # 10/1 and 10/2 accrue; 10/3 ends at zero: 2 x 360,000 x 8.25% / 360 = 165.00
    assert flat(engine.status(date(2002, 10, 31)))["interest_accrued_unpaid"] == D("165.00")


def test_day_with_principal_and_no_pricing_row_is_an_error(seed):
    rows = [{"date": "2002-09-25", "type": "opening_balance", "loan": "advances", "amount": "1000.00"}]
    with pytest.raises(RecordError, match=r"2002-09-25.*schedule.item-18g|schedule.item-18g.*2002-09-25"):
        facility(seed, rows).interest_unpaid(date(2002, 10, 5))


def test_interest_payment_above_accrued_is_refused(seed):
    rows = [{"date": OCT1, "type": "opening_balance", "loan": "advances", "amount": "360000.00"},
            # accrued through 10/1 (the day before the payment): 360,000 x 8.25% / 360 = 82.50
            {"date": "2002-10-02", "type": "interest_payment", "amount": "82.50"}]
    facility(seed, rows)
    rows[1]["amount"] = "82.51"
    with pytest.raises(InputError, match="82.50 is accrued and unpaid through 2002-10-01"):
        facility(seed, rows)


# --- the Extension Fee -----------------------------------------------------------------------------

def fee_rows(engine, day):
    return {(s.component, s.due): s.status for s in engine.fees(day).installments}


@pytest.mark.parametrize("received,waived", [
    ("2002-10-20", {"2002-10-31", "2002-11-27"}),   # before 10/31: both Additional installments
    ("2002-10-31", {"2002-10-31", "2002-11-27"}),   # on 10/31: due on or after receipt
    ("2002-11-10", {"2002-11-27"}),                 # between: 10/31 stays due
    ("2002-11-27", {"2002-11-27"}),                 # on 11/27
    ("2002-11-28", set()),                          # after 11/27: nothing waived
])
def test_financing_commitment_timing(seed, received, waived):
    rows = [{"date": received, "type": "document_delivered", "document": "financing_commitment"}]
    state = facility(seed, rows).fees(date(2002, 12, 31))
    got = {s.due.isoformat() for s in state.installments if s.status == "waived"}
    assert got == waived
    assert all(s.component == "additional" for s in state.installments if s.status == "waived")
    assert state.total_waived == D("25000.00") * len(waived)


def test_unaccepted_commitment_waives_nothing(seed):
    rows = [{"date": "2002-10-20", "type": "document_delivered", "document": "financing_commitment",
             "accepted": False}]
    assert facility(seed, rows).fees(date(2002, 12, 31)).total_waived == D("0")


@pytest.mark.parametrize("paid_on,paid,waived", [
    # executed 10/25: due by 11/14 are 15,000 (execution) + 25,000 (10/31) = 40,000 paid;
    # waived: 15,000 (11/15) + 25,000 (11/27) + 30,000 (12/16) + 40,000 (12/31) = 110,000
    ("2002-11-14", "40000.00", "110000.00"),
    # on 11/15 the 11/15 installment stays due: 55,000 paid; waived 25,000 + 30,000 + 40,000 = 95,000
    ("2002-11-15", "55000.00", "95000.00"),
    ("2002-11-16", "55000.00", "95000.00"),
])
def test_full_payment_before_on_and_after_an_installment_date(seed, paid_on, paid, waived):
    rows = [{"date": "2002-10-25", "type": "amendment_executed", "amendment": "amendment-10"},
            {"date": paid_on, "type": "fee_payment", "amount": paid},
            {"date": paid_on, "type": "paid_in_full"}]
    state = facility(seed, rows).fees(date(2002, 12, 31))
    assert (state.total_paid, state.total_waived, state.total_due) == (D(paid), D(waived), D("0"))
    assert state.total_paid + state.total_waived == D("150000.00")


def test_paid_in_full_with_fees_due_is_refused(seed):
    rows = [{"date": "2002-11-01", "type": "paid_in_full"}]
    # due by 11/1: 15,000 (provisionally 10/1) + 25,000 (10/31) unpaid
    with pytest.raises(InputError, match="still owed: fees 40,000.00"):
        facility(seed, rows)


def test_first_installment_before_and_after_execution_is_recorded(seed):
    rows = [{"date": "2002-10-25", "type": "amendment_executed", "amendment": "amendment-10"}]
    engine = facility(seed, rows)
    first = engine.fees(date(2002, 10, 15)).installments[0]
    assert (first.due, first.provisional, first.status) == (date(2002, 10, 1), True, "due")
    first = engine.fees(date(2002, 10, 25)).installments[0]
    assert (first.due, first.provisional, first.status) == (date(2002, 10, 25), False, "due")
    first = facility(seed, []).fees(date(2002, 12, 31)).installments[0]
    assert (first.due, first.provisional) == (date(2002, 10, 1), True)


def test_payments_apply_oldest_first_and_reapply_after_waiver(seed):
    rows = [{"date": "2002-10-25", "type": "amendment_executed", "amendment": "amendment-10"},
            {"date": "2002-10-26", "type": "fee_payment", "amount": "50000.00"},
            {"date": "2002-11-01", "type": "document_delivered", "document": "financing_commitment"}]
    state = facility(seed, rows).fees(date(2002, 11, 20))
    # 50,000: 15,000 (10/25) + 25,000 (10/31) + 10,000 toward 11/15; 11/27 waived (received 11/1)
    by_due = {s.due: (s.status, s.paid) for s in state.installments}
    assert by_due[date(2002, 11, 15)] == ("due", D("10000.00"))
    assert state.total_due == D("5000.00") and by_due[date(2002, 11, 27)][0] == "waived"


# --- obligations -------------------------------------------------------------------------------------

def test_obligations_deadlines(seed):
    rows = [{"date": "2002-10-25", "type": "document_delivered", "document": "texas_property_offer"},
            {"date": "2002-11-02", "type": "document_delivered", "document": "purchase_offer"}]
    engine = facility(seed, rows)
    status = {o.id: o.status for o in engine.obligations(date(2002, 10, 31))}
    assert status["texas_property"] == "satisfied" and status["purchase_offer"] == "pending"
    assert status["maturity"] == "pending" and status["executed_originals"] == "pending"
    status = {o.id: o.status for o in engine.obligations(date(2002, 11, 5))}
    assert status["purchase_offer"] == "breached"   # delivered 11/2, after the 10/31 deadline
    status = {o.id: o.status for o in engine.obligations(date(2003, 1, 1))}
    assert status["maturity"] == "breached"


def test_purchase_offer_not_applicable_when_repaid(seed):
    rows = [{"date": "2002-10-02", "type": "fee_payment", "amount": "15000.00"},
            {"date": "2002-10-02", "type": "paid_in_full"}]
    status = {o.id: o.status for o in facility(seed, rows).obligations(date(2002, 11, 5))}
    assert status["purchase_offer"] == "not_applicable" and status["maturity"] == "satisfied"


def test_refinancing_makes_term_notes_due(seed):
    rows = [{"date": OCT1, "type": "opening_balance", "loan": "term_loan", "amount": "100.00"},
            {"date": "2002-10-10", "type": "refinanced"}]
    engine = facility(seed, rows)
    notes = {o.id: o for o in engine.obligations(date(2002, 10, 10))}["term_notes_due"]
    assert notes.status == "pending" and notes.deadline == date(2002, 10, 10)
    notes = {o.id: o for o in engine.obligations(date(2002, 10, 11))}["term_notes_due"]
    assert notes.status == "breached"


# --- payoff ------------------------------------------------------------------------------------------

def test_payoff(seed):
    rows = [{"date": OCT1, "type": "opening_balance", "loan": "advances", "amount": "360000.00"},
            {"date": "2002-10-25", "type": "amendment_executed", "amendment": "amendment-10"},
            {"date": "2002-10-28", "type": "expense_demanded", "amount": "1000.00", "description": "counsel"}]
    p = facility(seed, rows).payoff(date(2002, 11, 1))
    # interest through 10/31: 31 days x 360,000 x 8.25% / 360 = 2,557.50
    # fees due by 11/1: 15,000 (10/25) + 25,000 (10/31) = 40,000; expenses 1,000
    assert (p.principal, p.interest, p.fees, p.expenses) == (
        D("360000.00"), D("2557.50"), D("40000.00"), D("1000.00"))
    assert p.total == D("403557.50")
    # paying in full on 11/1 waives 11/15, 11/27, 12/16, 12/31: 15,000 + 25,000 + 30,000 + 40,000
    assert sum(w.amount for w in p.would_waive) == D("110000.00")


# --- bad histories ---------------------------------------------------------------------------------

@pytest.mark.parametrize("row,message", [
    ({"date": OCT1, "type": "repayment", "loan": "advances", "amount": "1.00"}, "only 0.00 is outstanding"),
    ({"date": OCT1, "type": "contingent_closed", "id": "LC-404"}, "not an open contingent"),
])
def test_impossible_events_are_refused_with_their_position(seed, row, message):
    with pytest.raises(InputError, match=message) as exc:
        facility(seed, [row])
    assert exc.value.problems[0].position.startswith("event 1")


def test_known_at_hides_later_recordings(seed):
    from datetime import datetime
    rows = base() + [{"date": "2002-10-05", "type": "advance", "amount": "1000.00",
                      "recorded_at": "2002-10-20T09:00:00"}]
    assert flat(facility(seed, rows).status(date(2002, 10, 6)))["advances_outstanding"] == D("1001000.00")
    then = flat(facility(seed, rows, known_at=datetime(2002, 10, 10)).status(date(2002, 10, 6)))
    assert then["advances_outstanding"] == D("1000000.00")


def test_accrual_is_exact_where_the_arithmetic_terminates(seed):
    rows = [{"date": OCT1, "type": "opening_balance", "loan": "advances", "amount": "1250000.00"}]
    # 1,250,000 x 8.25% = 103,125 a year; x 3 days / 360 = 859.375 exactly (a per-day rate would give
    # 859.3749...; half-up on the exact figure gives 859.38)
    engine = facility(seed, rows)
    assert engine.interest.accrued("advances", date(2002, 10, 1), date(2002, 10, 3)) == D("859.375")
    assert flat(engine.status(date(2002, 10, 3)))["interest_accrued_unpaid"] == D("859.38")


def test_the_seed_s_line_in_the_book(seed):
    """What the web app's book lists for the seed on 2002-10-15: capacity 85% x 1,420,000 = 1,207,000 less
    60,000 of letters of credit = 1,147,000 against 1,390,000 of advances: nothing available, utilisation
    1,390,000 / 1,147,000 = 121.1857...% -> 121.19%; the extension fee's 15,000.00 installment due 2002-10-01 is
    past due; of the obligations due on or after the day and not met (investment banker updates 2002-10-15, Texas
    property 2002-10-25, purchase offer 2002-10-31, maturity 2002-12-31) the next is the updates, due that day."""
    line = folder_facility(SEED, seed).book_line(date(2002, 10, 15))
    assert (line.availability, line.capacity, line.usage) == (D("0"), D("1147000.00"), D("1390000.00"))
    assert line.utilisation == D("121.19")
    assert line.past_due == D("15000.00") and not line.breaches
    assert line.next_deadline is not None
    assert (line.next_deadline.id, line.next_deadline.deadline) == ("investment_banker_updates", date(2002, 10, 15))
