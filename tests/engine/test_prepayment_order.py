"""Prepayments applied in the order the agreement says, to a scheduled amortization.

tests/fixtures/richey-moves is examples/richey-1995 with Richey Electronics' Section 3.1(f) quoted: "The
Line B Notes shall be prepaid ... in an amount equal to such Cash proceeds ... Such prepayments shall be applied
to the then most remote Amortization Amount" (`prepayments: inverse_order_of_maturity`), and Section 2.5, the
voluntary reduction of the Line A Commitment ("in an integral multiple of $500,000 but not less than $2,000,000
... of the then undisbursed portion of the Line A Commitment").

The Line B schedule: 1997-03-31 1,500,000; 1997-06-30, -09-30, -12-31 2,000,000 each; 1998-03-31, -06-30, -09-30,
-12-31 2,500,000 each; 1999-03-31 and -06-30 6,250,000 each (30,000,000 in all). The example's history repays
1,500,000 on 1997-03-31 and 2,000,000 on 1997-07-03 (the June installment, late). A repayment pays first what is
already due, then the rest is a prepayment in the clause's order.
"""
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXTURES, copy_of, edit, make_events
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError
from loanbook.engine.facility import Facility
from loanbook.engine.obligations import _prepaid
from loanbook.events.parse import parse_events
from loanbook.market import shipped_prime_series

FOLDER = FIXTURES / "richey-moves"
EQUITY = {"date": "1997-08-15", "type": "repayment", "loan": "line_b", "amount": "7000000.00",
          "note": "net Cash proceeds of an equity issue (Section 3.1(f))"}
ASKED = date(1997, 10, 1)


def engine(folder, rows):
    agreement = load_agreement(folder)
    return Facility(agreement, parse_events(folder / "events.yaml", agreement) + make_events(agreement, rows),
                    shipped_prime_series()).history_checked()


def unpaid_by_due(book, day):
    return {o.deadline.isoformat(): (o.status, o.amount) for o in book.obligations(day) if o.kind == "installment"}


def test_a_prepayment_goes_to_the_most_remote_installment():
    """On 1997-08-15 nothing due is unpaid, so all 7,000,000 is a prepayment: 6,250,000 pays 1999-06-30 in full,
    and the other 750,000 goes to 1999-03-31, leaving 6,250,000 - 750,000 = 5,500,000 of it. The installment of
    1997-09-30 is still owed: unpaid on 1997-10-01, a breach and past due."""
    book = engine(FOLDER, [EQUITY])
    rows = unpaid_by_due(book, ASKED)
    assert rows["1999-06-30"] == ("satisfied", D("6250000.00"))
    assert rows["1999-03-31"] == ("pending", D("5500000.00"))
    assert rows["1997-09-30"] == ("breached", D("2000000.00"))
    assert rows["1997-12-31"] == ("pending", D("2000000.00"))
    assert [(p.what, p.amount, p.due) for p in book.past_due(ASKED) if "principal" in p.what] == [
        ("line_b principal installment", D("2000000.00"), date(1997, 9, 30))]


def test_earliest_first_where_the_agreement_says_so(tmp_path):
    """The same prepayment applied earliest first: 2,000,000 (1997-09-30) + 2,000,000 (1997-12-31) + 2,500,000
    (1998-03-31) = 6,500,000, and 500,000 of 1998-06-30, leaving 2,000,000 of it; nothing is unpaid on 1997-10-01."""
    folder = copy_of(FOLDER, tmp_path)
    edit(folder / "documents" / "loan-agreement.yaml", "order: inverse_order_of_maturity", "order: earliest_first")
    book = engine(folder, [EQUITY])
    rows = unpaid_by_due(book, ASKED)
    assert [rows[d][0] for d in ("1997-09-30", "1997-12-31", "1998-03-31")] == ["satisfied"] * 3
    assert rows["1998-06-30"] == ("pending", D("2000000.00"))
    assert rows["1999-06-30"] == ("pending", D("6250000.00"))
    assert not [p for p in book.past_due(ASKED) if "principal" in p.what]


def test_pro_rata_where_the_agreement_says_so(tmp_path):
    """Pro rata to the 26,500,000 still scheduled (2 x 2,000,000 + 4 x 2,500,000 + 2 x 6,250,000), each share
    rounded down to the cent, the cents left over to the most remote:
    2,000,000 x 7/26.5 = 528,301.886... -> 528,301.88; 2,500,000 x 7/26.5 = 660,377.358... -> 660,377.35;
    6,250,000 x 7/26.5 = 1,650,943.396... -> 1,650,943.39. They add up to 2 x 528,301.88 + 4 x 660,377.35
    + 2 x 1,650,943.39 = 6,999,999.94: the 0.06 left goes to 1999-06-30 (1,650,943.45).
    Unpaid: 2,000,000 - 528,301.88 = 1,471,698.12; 2,500,000 - 660,377.35 = 1,839,622.65;
    6,250,000 - 1,650,943.39 = 4,599,056.61, and 6,250,000 - 1,650,943.45 = 4,599,056.55."""
    folder = copy_of(FOLDER, tmp_path)
    edit(folder / "documents" / "loan-agreement.yaml", "order: inverse_order_of_maturity", "order: pro_rata")
    rows = unpaid_by_due(engine(folder, [EQUITY]), ASKED)
    assert rows["1997-09-30"] == ("breached", D("1471698.12"))
    assert rows["1997-12-31"] == ("pending", D("1471698.12"))
    assert rows["1998-09-30"] == ("pending", D("1839622.65"))
    assert rows["1999-03-31"] == ("pending", D("4599056.61"))
    assert rows["1999-06-30"] == ("pending", D("4599056.55"))


def test_a_repayment_pays_what_is_due_before_it_prepays():
    """On 1997-10-06 the 1997-09-30 installment is due and unpaid: a repayment of 3,000,000 pays its 2,000,000 and
    prepays 1,000,000 into 1999-06-30 (6,250,000 - 1,000,000 = 5,250,000 left)."""
    rows = unpaid_by_due(engine(FOLDER, [{"date": "1997-10-06", "type": "repayment", "loan": "line_b",
                                          "amount": "3000000.00"}]), date(1997, 10, 6))
    assert rows["1997-09-30"] == ("satisfied", D("2000000.00"))
    assert rows["1997-12-31"] == ("pending", D("2000000.00"))
    assert rows["1999-06-30"] == ("pending", D("5250000.00"))


def test_the_line_a_commitment_is_reduced_as_section_2_5_allows():
    """A reduction of 9,500,000 (19 x 500,000) on 1996-03-01 takes the Line A Commitment from 45,000,000 to
    35,500,000, the Line A Loans (33,500,000) and Letters of Credit (2,000,000) it may not go below. The commitment
    fee (Level I, 37.50 bps, a year of 360 days) on the unused Line A Commitment, 1996-01-01 to 1996-03-31:
    45,000,000 - 32,000,000 = 13,000,000 x 45 days (to 02-14) = 585,000,000; 45,000,000 - 37,000,000 =
    8,000,000 x 1 day (02-15) = 8,000,000; 45,000,000 - 35,500,000 = 9,500,000 x 14 days (02-16 to 02-29) =
    133,000,000; 0 x 31 days after the reduction. 726,000,000 x 0.375% / 360 = 7,562.50 (10,630.21 without it:
    another 31 x 9,500,000 = 294,500,000)."""
    book = engine(FOLDER, [{"date": "1996-03-01", "type": "commitment_reduced", "amount": "9500000.00"}])
    assert book.book(date(1996, 3, 1)).value("line_a_commitment") == D("35500000.00")
    fees = {c.start: c.amount for c in book.charges_on(date(1996, 4, 5)) if c.fee == "commitment_fee"}
    assert fees[date(1996, 1, 1)] == D("7562.50")


@pytest.mark.parametrize("amount, why", [
    ("9750000.00", "a reduction is a whole multiple of 500,000.00"),
    ("1500000.00", "a reduction is at least 2,000,000.00"),
    ("10000000.00", "leaves line_a_commitment at 35,000,000.00 on 1996-03-01, below its floor "
                    "line_a_loans + line_a_letters_of_credit = 35,500,000.00"),
])
def test_a_reduction_section_2_5_does_not_allow_is_refused(amount, why):
    with pytest.raises(InputError, match=why.replace("+", r"\+")):
        engine(FOLDER, [{"date": "1996-03-01", "type": "commitment_reduced", "amount": amount}])


_amounts = st.decimals(min_value=0, max_value=10_000_000, places=2)


@given(order=st.sampled_from(["earliest_first", "inverse_order_of_maturity", "pro_rata"]),
       amount=_amounts, unpaid=st.lists(_amounts, min_size=1, max_size=12))
def test_a_prepayment_never_pays_more_than_is_owed_nor_less_than_it_can(order, amount, unpaid):
    parts = dict(_prepaid(order, amount, unpaid))
    assert all(D(0) <= parts.get(i, D(0)) <= owed for i, owed in enumerate(unpaid))
    assert sum(parts.values(), start=D(0)) == min(amount, sum(unpaid, start=D(0)))
    if order != "pro_rata":  # sequential: an installment is touched only once those before it are paid in full
        sequence = range(len(unpaid)) if order == "earliest_first" else reversed(range(len(unpaid)))
        seen_short = False
        for i in sequence:
            assert not (seen_short and parts.get(i, D(0)) > 0)
            seen_short = seen_short or parts.get(i, D(0)) < unpaid[i]
