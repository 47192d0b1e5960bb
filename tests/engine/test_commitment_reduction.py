"""A voluntary reduction of a commitment lowers it, and every figure built on it, from its date; a reduction the
clause does not allow is refused, naming the event.

tests/fixtures/dnow-reductions is examples/dnow-2022 with Section 2.4(c) of the DNOW credit agreement quoted:
"Borrowers may reduce the ... Revolver Commitments ... to an amount (which may be zero) not less than the sum of
(A) the Revolver Usage as of such date ... Each such reduction shall be in an amount which is not less than
$25,000,000 (unless the applicable Revolver Commitments are being reduced to zero and the amount ... in effect
immediately prior to such reduction are less than $25,000,000)", and the definition "'Maximum Revolver Amount'
means $500,000,000, decreased by the amount of reductions in the Revolver Commitments made in accordance with
Sections 2.4(c)". Its events add a reduction of 50,000,000.00 on 2023-04-17.

On 2023-04-20 (the example's history): US Revolver Usage 405,000,000.00 (390,000,000.00 of US loans + 15,000,000.00
of letters of credit), Canadian Revolver Usage 20,000,000.00, US Borrowing Base 430,750,000.00, Canadian Borrowing
Base 40,000,000.00.
"""
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, decide, flat, make_events
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError
from loanbook.engine.facility import Facility
from loanbook.events.parse import parse_events
from loanbook.market import shipped_prime_series

FOLDER = FIXTURES / "dnow-reductions"
AFTER = date(2023, 4, 20)


@pytest.fixture(scope="module")
def agreement():
    return load_agreement(FOLDER)


def engine(agreement, extra=()):
    events = parse_events(FOLDER / "events.yaml", agreement) + make_events(agreement, list(extra))
    return Facility(agreement, events, shipped_prime_series()).history_checked()


def test_the_commitment_and_every_figure_on_it_from_the_reduction_day(agreement):
    book = engine(agreement)
    before, after = flat(book.status(date(2023, 4, 16))), flat(book.status(AFTER))
    # Maximum Revolver Amount: 500,000,000.00, then 500,000,000.00 - 50,000,000.00 = 450,000,000.00
    assert (before["maximum_revolver_amount"], after["maximum_revolver_amount"]) == (D("500000000.00"),
                                                                                    D("450000000.00"))
    # Line Cap = min(Maximum Revolver Amount, 40,000,000.00 + 430,750,000.00 = 470,750,000.00)
    assert (before["line_cap"], after["line_cap"]) == (D("470750000.00"), D("450000000.00"))
    # US availability = min(Maximum Revolver Amount - 20,000,000.00, 430,750,000.00) - 405,000,000.00:
    # before min(480,000,000.00, 430,750,000.00) - 405,000,000.00 = 25,750,000.00;
    # after  min(430,000,000.00, 430,750,000.00) - 405,000,000.00 = 25,000,000.00
    assert (before["availability"], after["availability"]) == (D("25750000.00"), D("25000000.00"))
    # the overadvance sublimit, 10% of the Maximum Revolver Amount: 50,000,000.00, then 45,000,000.00
    assert (before["overadvance_cap"], after["overadvance_cap"]) == (D("50000000.00"), D("45000000.00"))


def test_the_unused_line_fee_base_follows(agreement):
    """Unused Line Fee for 2023-04-01 to 2023-06-30 at 0.25% a year on actual/360, on Maximum Revolver Amount less
    the US and Canadian Revolver Usage:
    - 04-01 and 04-02: 500,000,000 - (40,000,000 more of US loans before the 04-03 repayment: 445,000,000 +
      20,000,000) = 35,000,000 a day, 2 days = 70,000,000;
    - 04-03 to 04-16: 500,000,000 - 425,000,000 = 75,000,000 a day, 14 days = 1,050,000,000;
    - 04-17 to 06-30: 450,000,000 - 425,000,000 = 25,000,000 a day, 75 days = 1,875,000,000.
    Sum 2,995,000,000 x 0.25% / 360 = 20,798.6111 -> 20,798.61 (without the reduction, 6,745,000,000 x 0.25% / 360
    = 46,840.28)."""
    charges = [c for c in engine(agreement).charges_on(date(2023, 7, 5))
               if c.fee == "unused_line_fee" and c.start == date(2023, 4, 1)]
    assert [c.amount for c in charges] == [D("20798.61")]


def test_the_explanation_names_the_reduction(agreement):
    explained = engine(agreement).explain("maximum_revolver_amount", AFTER)
    assert explained.formula == "500000000.00 - 50000000.00"
    (part,) = explained.inputs
    assert part.figure == "maximum_revolver_amount.reductions" and "2023-04-17" in (part.source or "")


def test_advance_is_judged_against_the_reduced_commitment(agreement):
    book = engine(agreement)
    assert decide(book, date(2023, 4, 16), D("25750000.00"), "us_revolver")["decision"] == "within_capacity"
    # usage after it: 405,000,000.00 + 25,750,000.00 = 430,750,000.00, above the total ceiling Maximum Revolver
    # Amount - Canadian Revolver Usage = 450,000,000.00 - 20,000,000.00 = 430,000,000.00 (it was 480,000,000.00)
    answer = decide(book, AFTER, D("25750000.00"), "us_revolver")
    assert (answer["decision"], answer["reason_codes"]) == ("refused", ["over_ceiling"])
    assert "exceeds the maximum revolver amount - canadian revolver usage 430,000,000.00" in answer["reasons"][0]


@pytest.mark.parametrize("amount, message", [
    ("20000000.00", "a reduction of 20,000,000.00 is refused: a reduction is at least 25,000,000.00 (section-2.4c)"),
    # 450,000,000.00 - 30,000,000.00 = 420,000,000.00 < the Revolver Usage 405,000,000.00 + 20,000,000.00
    ("30000000.00", "leaves maximum_revolver_amount at 420,000,000.00 on 2023-04-24, below its floor "
                    "us_revolver_usage + canadian_revolver_usage = 425,000,000.00 (section-2.4c)"),
])
def test_a_reduction_off_the_clause_is_refused(agreement, amount, message):
    extra = [{"date": "2023-04-24", "type": "commitment_reduced", "amount": amount}]
    with pytest.raises(InputError) as refused:
        engine(agreement, extra)
    text = str(refused.value)
    assert "test: event 1" in text and "'amount'" in text and message in text


def test_a_reduction_of_a_figure_no_clause_governs_is_refused(agreement):
    extra = [{"date": "2023-04-24", "type": "commitment_reduced", "amount": "25000000.00", "commitment": "line_cap"}]
    with pytest.raises(InputError, match="no commitment_reduction clause in force on 2023-04-24 reduces 'line_cap'; "
                                         "the clauses in force reduce: maximum_revolver_amount"):
        engine(agreement, extra)


def test_a_clause_that_reduces_no_money_figure_is_refused_at_load(tmp_path):
    import shutil
    folder = tmp_path / "f"
    shutil.copytree(FOLDER, folder)
    path = folder / "documents" / "second-amendment.yaml"
    path.write_text(path.read_text().replace("commitment: maximum_revolver_amount", "commitment: us_revolver_usage2"))
    with pytest.raises(InputError, match="'us_revolver_usage2' is not a money figure a clause names"):
        load_agreement(folder)


@pytest.mark.parametrize("amount, why", [
    ("2000000.00", None),                  # the minimum, itself a multiple of 500,000
    ("3500000.00", None),                  # 7 x 500,000
    ("1500000.00", "a reduction is at least 2,000,000.00"),
    ("2250000.00", "a reduction is a whole multiple of 500,000.00"),
    ("4000000.00", None),                  # all that is left: allowed as a whole, and a multiple anyway
])
def test_multiples_and_minimum_as_richey_writes_them(amount, why):
    """Richey Electronics' Section 2.5: "voluntarily to reduce ... in aggregate principal amounts in an integral
    multiple of $500,000 but not less than $2,000,000" (multiples of the amount itself: counted_from zero)."""
    from loanbook.agreement.kinds_commitments import CommitmentReduction
    from loanbook.engine.commitments import _size_problem

    block = CommitmentReduction(kind="commitment_reduction", commitment="line_a_commitment", minimum="2000000.00",
                                multiple="500000.00")
    assert _size_problem(block, D(amount), D("4000000.00")) == why


def test_counted_from_the_minimum_and_a_whole_reduction():
    """"$1,000,000 or an integral multiple of $500,000 in excess thereof": 1,500,000 is allowed, 1,250,000 is not;
    with whole_allowed, reducing the last 300,000 is allowed below the minimum."""
    from loanbook.agreement.kinds_commitments import CommitmentReduction
    from loanbook.engine.commitments import _size_problem

    block = CommitmentReduction(kind="commitment_reduction", commitment="c", minimum="1000000.00",
                                multiple="500000.00", counted_from="minimum", whole_allowed=True)
    assert _size_problem(block, D("1500000.00"), D("9000000.00")) is None
    assert _size_problem(block, D("1250000.00"), D("9000000.00")) == (
        "a reduction is 1,000,000.00 or more in whole multiples of 500,000.00 above it")
    assert _size_problem(block, D("300000.00"), D("300000.00")) is None
    assert _size_problem(block, D("300000.00"), D("900000.00")) == "a reduction is at least 1,000,000.00"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(min_value=1, max_value=120).map(lambda m: D(m) * D("1000000.00")))
def test_any_reduction_is_refused_or_lowers_every_figure_by_itself(agreement, amount):
    """A second reduction on 2023-04-24 of any whole number of millions: allowed exactly when it is at least
    25,000,000.00 and leaves the Maximum Revolver Amount (450,000,000.00 before it) at least the Revolver Usage,
    425,000,000.00; then the Maximum Revolver Amount is 450,000,000.00 less it, and the overadvance cap 10% of
    that."""
    extra = [{"date": "2023-04-24", "type": "commitment_reduced", "amount": str(amount)}]
    allowed = amount >= D("25000000.00") and D("450000000.00") - amount >= D("425000000.00")
    try:
        book = engine(agreement, extra)
    except InputError:
        assert not allowed
        return
    assert allowed
    status = flat(book.status(date(2023, 4, 24)))
    assert status["maximum_revolver_amount"] == D("450000000.00") - amount
    assert status["overadvance_cap"] == (D("450000000.00") - amount) / 10


def test_with_two_reduction_clauses_the_event_names_its_commitment(tmp_path):
    import shutil
    folder = tmp_path / "f"
    shutil.copytree(FOLDER, folder)
    path = folder / "documents" / "second-amendment.yaml"
    path.write_text(path.read_text().replace(
        "        whole_allowed: true\n",
        "        whole_allowed: true\n      - {kind: commitment_reduction, commitment: line_cap}\n", 1))
    two = load_agreement(folder)
    extra = [{"date": "2023-04-24", "type": "commitment_reduced", "amount": "25000000.00"}]
    with pytest.raises(InputError, match=r"2 commitment_reduction clauses are in force on 2023-04-24 \(line_cap, "
                                         r"maximum_revolver_amount\): name the commitment it reduces"):
        engine(two, extra)
