"""Fees as agreements time them (tests/fixtures/harbor): a letter of credit fee paid in advance at issuance for
the letter's whole term (Section 3.3, after Richey's Section 3.5) beside fees paid in arrears; quarters that end
with February, May, August and November (Sections 3.1 and 3.2: "payable quarterly in arrears on the first day of
each March, June, September and December"); and flat fees, an upfront fee and an agency fee due each year in
advance (Section 3.4), each with its due date and paid status in `fees`.

The history: 1,000,000.00 of Base Rate Loans and 500,000.00 of Term SOFR Loans from 2024-01-02, and LC-1 of
1,000,000.00 issued 2024-01-02, expiring 2024-07-01; so the unused Commitment is 10,000,000.00 - 2,500,000.00 =
7,500,000.00 every day. The upfront fee is paid on 2024-01-02; the agency fee is not."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, decimals, facility
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError, RecordError
from loanbook.projection import fees_answer, status_answer

HARBOR = FIXTURES / "harbor"
HISTORY = [
    {"date": "2024-01-02", "type": "index_rate", "index": "prime", "rate": "8.50"},
    {"date": "2024-01-02", "type": "index_rate", "index": "federal_funds", "rate": "5.33"},
    {"date": "2024-01-02", "type": "index_rate", "index": "term_sofr", "rate": "5.30"},
    {"date": "2024-01-02", "type": "borrowing_base_report", "values": {"eligible_receivables": "5000000.00"}},
    {"date": "2024-01-02", "type": "advance", "loan": "base_rate_loans", "amount": "1000000.00"},
    {"date": "2024-01-02", "type": "advance", "loan": "sofr_loans", "amount": "500000.00"},
    {"date": "2024-01-02", "type": "contingent_issued", "kind": "letter_of_credit", "id": "LC-1",
     "amount": "1000000.00", "expires": "2024-07-01"},
    {"date": "2024-01-02", "type": "fee_payment", "fee": "upfront_fee", "amount": "50000.00"},
]


@pytest.fixture(scope="module")
def agreement():
    return load_agreement(HARBOR)


@pytest.fixture(scope="module")
def harbor(agreement):
    return facility(agreement, HISTORY)


def rows(engine, day, fee):
    return [c for c in decimals(fees_answer(engine, day))["charges"] if c["fee"] == fee]


def test_a_letter_of_credit_fee_is_paid_in_advance_for_its_term(harbor):
    [charge] = rows(harbor, date(2024, 1, 2), "issuance_fee")
    # 2024-01-02 to 2024-07-01: 30 (rest of January) + 29 + 31 + 30 + 31 + 30 = 181 days
    # 1,000,000.00 x 0.25% x 181 / 360 = 1,256.9444... -> 1,256.94, due the day LC-1 is issued
    assert (charge["kind"], charge["days"], charge["amount"], charge["due"], charge["status"]) == (
        "in_advance", 181, D("1256.94"), "2024-01-02", "due")
    assert (charge["from"], charge["to"]) == ("2024-01-02", "2024-06-30")


def test_fee_quarters_end_with_february_may_august_and_november(harbor):
    periods = [(c["from"], c["to"], c["due"], c["days"], c["amount"], c["status"])
               for c in rows(harbor, date(2024, 6, 1), "unused_fee")]
    assert periods == [
        # 2024-01-02 to 2024-02-29: 30 + 29 = 59 days; 7,500,000.00 x 0.25% x 59 / 360 = 3,072.9166... -> 3,072.92
        ("2024-01-02", "2024-02-29", "2024-03-01", 59, D("3072.92"), "due"),
        # March, April, May: 92 days; 7,500,000.00 x 0.25% x 92 / 360 = 4,791.6666... -> 4,791.67
        ("2024-03-01", "2024-05-31", "2024-06-01", 92, D("4791.67"), "due"),
        # June 1 alone so far: 7,500,000.00 x 0.25% x 1 / 360 = 52.0833... -> 52.08
        ("2024-06-01", "2024-08-31", "2024-09-01", 1, D("52.08"), "accruing")]


def test_flat_fees_with_their_due_dates_and_paid_status(harbor):
    upfront = rows(harbor, date(2024, 3, 31), "upfront_fee")
    agency = rows(harbor, date(2024, 3, 31), "agency_fee")
    assert [(c["due"], c["amount"], c["status"], c["paid"]) for c in upfront] == [
        ("2024-01-02", D("50000.00"), "paid", D("50000.00"))]
    # due in advance on 2024-01-02 and on its anniversary; the term ends 2025-12-31, before 2026-01-02
    assert [(c["kind"], c["due"], c["amount"], c["status"]) for c in agency] == [
        ("flat", "2024-01-02", D("15000.00"), "due"), ("flat", "2025-01-02", D("15000.00"), "scheduled")]


def test_an_unpaid_flat_fee_is_past_due_and_the_totals_count_every_fee(harbor):
    answer = decimals(fees_answer(harbor, date(2024, 3, 31)))
    # due and unpaid: agency 15,000.00 + issuance 1,256.94 + unused 3,072.92 + letter of credit fee 4,097.22
    # (1,000,000.00 x 2.50% x 59 / 360 = 4,097.2222...) = 23,427.08
    assert answer["total_due"] == D("23427.08")
    # still to come: March's accruals, 7,500,000.00 x 0.25% x 31 / 360 = 1,614.58 and 1,000,000.00 x 2.50% x 31 /
    # 360 = 2,152.78, and the 2025 agency fee, 15,000.00: 18,767.36
    assert answer["total_scheduled"] == D("18767.36")
    late = [(p["what"], p["amount"], p["days_past_due"]) for p in
            decimals(status_answer(harbor, date(2024, 3, 31)))["past_due"] if p["due"] == "2024-01-02"]
    assert late == [("agency fee", D("15000.00"), 89), ("letter of credit issuance fee for 2024-01-02 to 2024-06-30",
                                                        D("1256.94"), 89)]


def test_a_payment_pays_a_flat_fee(agreement):
    engine = facility(agreement, HISTORY + [{"date": "2024-01-05", "type": "fee_payment", "fee": "agency_fee",
                                             "amount": "15000.00"}])
    assert [c["status"] for c in rows(engine, date(2024, 3, 31), "agency_fee")] == ["paid", "scheduled"]


def test_a_payoff_pays_every_fee_due_and_accrued(harbor):
    payoff = harbor.payoff(date(2024, 3, 15))
    # due: agency 15,000.00 + issuance 1,256.94 + unused 3,072.92 + letter of credit fee 4,097.22 = 23,427.08;
    # accrued March 1-14: 7,500,000.00 x 0.25% x 14 / 360 = 729.17, 1,000,000.00 x 2.50% x 14 / 360 = 972.22;
    # 23,427.08 + 729.17 + 972.22 = 25,128.47 (the 2025 agency fee is not yet due, the upfront fee is paid)
    assert payoff.fees == D("25128.47")


def test_a_payoff_on_a_flat_fees_due_date_pays_it(agreement):
    engine = facility(agreement, HISTORY + [{"date": "2024-01-05", "type": "fee_payment", "fee": "agency_fee",
                                             "amount": "15000.00"}])
    # on 2025-01-02 the second agency fee falls due: the payoff that day includes it
    fees = engine.explain("payoff", date(2025, 1, 2)).inputs[2]
    assert [x.value for x in fees.inputs if x.figure == "agency_fee"] == [D("15000.00")]


def test_a_fee_for_the_term_of_a_letter_of_credit_needs_its_expiry(agreement):
    history = [dict(e) for e in HISTORY]
    del history[6]["expires"]
    engine = facility(agreement, history)
    with pytest.raises(RecordError, match="issuance_fee .*section-3.3.* LC-1 .*gives no expires date"):
        engine.charges_on(date(2024, 1, 2))


@settings(max_examples=40, deadline=None)
@given(as_of=st.dates(date(2024, 1, 2), date(2025, 12, 31)))
def test_february_quarters_tile_the_days_and_end_where_the_clause_says(harbor, as_of):
    """Whatever the day asked, the unused fee's periods run day after day from 2024-01-02 to it, each ending on the
    last day of February, May, August or November (the last one, still accruing, may end at the term's end), each
    due the next day."""
    periods = sorted((c for c in harbor.charges_on(as_of) if c.fee == "unused_fee"), key=lambda c: c.start)
    assert periods[0].start == date(2024, 1, 2)
    for a, b in zip(periods, periods[1:]):
        assert b.start == a.end + timedelta(days=1)
    for p in periods:
        month_end = (p.end + timedelta(days=1)).day == 1
        assert (month_end and p.end.month in (2, 5, 8, 11)) or p.end == date(2025, 12, 31)
        assert p.due == p.end + timedelta(days=1)
    assert sum(p.days for p in periods) == (as_of - date(2024, 1, 2)).days + 1


def test_an_expiry_on_or_before_the_issuance_is_refused(agreement):
    history = [dict(e) for e in HISTORY]
    history[6]["expires"] = "2024-01-02"
    with pytest.raises(InputError, match=r"event 7.*expires \(2024-01-02\) comes after the day it is issued"):
        facility(agreement, history)
