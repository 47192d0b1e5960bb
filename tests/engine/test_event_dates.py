"""Dates the agreement defines by events: an advance rate that steps down from a "Reduction Date" that a
reduction of the Maximum Limit brings forward, and a reserve period that ends (a zero window starts) when a field
examination is delivered.

tests/fixtures/event-dates (synthetic, quoting its own text): "'Advance Rate' means 80%, reduced by 1% on the
Reduction Date and by a further 1% on each monthly anniversary of it, but not below 75%. 'Reduction Date' means
the earlier of September 30, 2024 and the date of the first reduction of the Maximum Limit. 'Field Examination
Reserve' means $50,000 until the Agent receives a field examination of the Borrower, and $0 from that date."
Capacity: the lesser of the Maximum Limit ($1,000,000) and the Borrowing Base (Advance Rate x receivables of
1,000,000.00, less the reserve); 500,000.00 advanced.
"""
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import FIXTURES, copy_of, edit, flat, make_events
from loanbook.agreement.load import load_agreement
from loanbook.core.errors import InputError
from loanbook.engine.facility import Facility
from loanbook.events.parse import parse_events
from loanbook.market import shipped_prime_series

FOLDER = FIXTURES / "event-dates"
REDUCED = {"date": "2024-05-15", "type": "commitment_reduced", "amount": "100000.00"}
EXAMINED = {"date": "2024-06-03", "type": "document_delivered", "document": "field_examination"}


def engine(rows, folder=FOLDER):
    agreement = load_agreement(folder)
    return Facility(agreement, parse_events(folder / "events.yaml", agreement) + make_events(agreement, rows),
                    shipped_prime_series())


def figures(book, day):
    status = flat(book.status(day))
    return status["borrowing_base"]["total"], status["availability"]


@pytest.mark.parametrize("day, base, available", [
    # 80% x 1,000,000.00 = 800,000.00 - 50,000.00 reserve = 750,000.00; min(1,000,000.00, 750,000.00) - 500,000.00
    (date(2024, 5, 14), "750000.00", "250000.00"),
    # the reduction of 2024-05-15 is the Reduction Date: 79% -> 790,000.00 - 50,000.00 = 740,000.00;
    # min(900,000.00, 740,000.00) - 500,000.00 = 240,000.00
    (date(2024, 5, 15), "740000.00", "240000.00"),
    # the field examination of 2024-06-03 ends the reserve: 790,000.00 - 0 = 790,000.00 -> 290,000.00
    (date(2024, 6, 2), "740000.00", "240000.00"),
    (date(2024, 6, 3), "790000.00", "290000.00"),
    # the first monthly anniversary, 2024-06-15: 78% -> 780,000.00 -> 280,000.00
    (date(2024, 6, 14), "790000.00", "290000.00"),
    (date(2024, 6, 15), "780000.00", "280000.00"),
    # five anniversaries later, 2024-10-15: 80% - 6% = 74%, floored at 75% -> 750,000.00 -> 250,000.00
    (date(2024, 10, 15), "750000.00", "250000.00"),
])
def test_a_reduction_moves_the_reduction_date_and_a_delivery_ends_the_reserve(day, base, available):
    assert figures(engine([REDUCED, EXAMINED]), day) == (D(base), D(available))


def test_without_a_reduction_the_reduction_date_is_september_30():
    """80% until 2024-09-29 (750,000.00 with the reserve, no examination yet), 79% from 2024-09-30 (790,000.00 -
    50,000.00 = 740,000.00), 78% from 2024-10-30 (730,000.00)."""
    book = engine([])
    assert figures(book, date(2024, 9, 29)) == (D("750000.00"), D("250000.00"))
    assert figures(book, date(2024, 9, 30)) == (D("740000.00"), D("240000.00"))
    assert figures(book, date(2024, 10, 30)) == (D("730000.00"), D("230000.00"))


def test_a_later_reduction_does_not_move_it_again():
    """The Reduction Date is the first reduction's: another on 2024-07-01 leaves the steps counted from 05-15."""
    book = engine([REDUCED, {"date": "2024-07-01", "type": "commitment_reduced", "amount": "100000.00"}])
    rate = book.explain("receivables_line", date(2024, 7, 10)).inputs[0]
    assert rate.value == D("78")
    assert rate.source.endswith("2 step(s) by 2024-07-10; reduction_date is 2024-05-15")


def test_the_explanations_name_the_event_dates():
    book = engine([REDUCED, EXAMINED])
    assert book.explain("field_examination_reserve", date(2024, 6, 3)).source == \
        "from field_examination_date (2024-06-03)"
    assert book.explain("field_examination_reserve", date(2024, 6, 2)).source == "from 2024-01-02"
    before = engine([]).explain("receivables_line", date(2024, 5, 1)).inputs[0]
    assert before.source.endswith("0 step(s) by 2024-05-01; reduction_date is 2024-09-30")


def test_a_date_no_event_date_clause_defines_is_refused_at_load(tmp_path):
    folder = copy_of(FOLDER, tmp_path)
    edit(folder / "documents" / "loan-agreement.yaml", "first_step: reduction_date", "first_step: reduction_day")
    with pytest.raises(InputError, match="'reduction_day' is neither a date nor an event date of this facility "
                                         r"\(event_date clauses define: field_examination_date, reduction_date\)"):
        load_agreement(folder)


def test_an_event_date_without_its_document_is_refused(tmp_path):
    folder = copy_of(FOLDER, tmp_path)
    edit(folder / "documents" / "loan-agreement.yaml", "        document: field_examination\n", "")
    with pytest.raises(InputError, match="document goes with event: document_delivered"):
        load_agreement(folder)


_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@given(reduced=st.one_of(st.none(), _days), earlier=_days, later=_days)
def test_a_rate_from_an_event_date_only_steps_down_within_its_bounds(reduced, earlier, later):
    """Whatever day the event sets the Reduction Date to (or none yet), the rate on a later day is never above the
    rate on an earlier one, and always between the floor and the start."""
    from loanbook.agreement.kinds_commitments import EventDate
    from loanbook.agreement.quantity import StepDown

    if later < earlier:
        earlier, later = later, earlier
    reduction_date = EventDate(kind="event_date", id="reduction_date", label="Reduction Date",
                               event="commitment_reduced", otherwise=date(2024, 9, 30), whichever="earlier")
    rate = StepDown(D("80"), D("1"), 1, "reduction_date", D("75"))

    def resolve(day):  # the Reduction Date as the record makes it by `day`
        return lambda name: reduction_date.resolve([reduced] if reduced and reduced <= day else [])
    first, second = rate.rate_on(earlier, resolve(earlier)), rate.rate_on(later, resolve(later))
    assert D("75") <= second <= first <= D("80")
    assert reduction_date.resolve([reduced] if reduced else []) <= date(2024, 9, 30)
