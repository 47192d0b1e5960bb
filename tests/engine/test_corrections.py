"""Corrections (an event that supersedes an earlier one, a voiding) and a replay continued by appended events."""
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_properties import days, histories, quick

from conftest import facility, flat, make_events
from loanbook.core.errors import InputError
from loanbook.engine.facility import Facility
from loanbook.events.parse import events_from
from loanbook.market import shipped_prime_series

OPENING = [
    {"date": "2002-10-01", "type": "opening_balance", "loan": "advances", "amount": "1250000.00",
     "recorded_at": "2002-10-01T18:00:00Z"},
    {"date": "2002-10-01", "type": "opening_balance", "loan": "term_loan", "amount": "1500000.00",
     "recorded_at": "2002-10-01T18:00:00Z"},
    {"date": "2002-10-01", "type": "term_loan_reserve", "amount": "250000.00", "recorded_at": "2002-10-01T18:00:00Z"},
    {"date": "2002-10-10", "type": "borrowing_base_report", "receivables_borrowing_base": "1400000.00",
     "recorded_at": "2002-10-10T15:00:00Z"},
]
# The report of 2002-10-10 was wrong; the corrected one was recorded on 2002-10-15.
CORRECTION = {"date": "2002-10-10", "type": "borrowing_base_report", "receivables_borrowing_base": "1300000.00",
              "supersedes": "borrowing_base_report@2002-10-10#1", "recorded_at": "2002-10-15T09:00:00Z"}


def test_a_corrected_report_changes_the_figure_only_in_views_known_after_it(seed):
    rows = OPENING + [CORRECTION]
    # Borrowing capacity (RULES.md): 85% of the reported base, within the Maximum Limit of 1,750,000:
    # as first reported, 85% x 1,400,000 = 1,190,000; as corrected, 85% x 1,300,000 = 1,105,000.
    before = facility(seed, rows, known_at=datetime(2002, 10, 12, tzinfo=UTC))
    after = facility(seed, rows, known_at=datetime(2002, 10, 16, tzinfo=UTC))
    today = facility(seed, rows)
    assert flat(before.status(date(2002, 10, 10)))["borrowing_capacity"] == D("1190000.00")
    assert flat(after.status(date(2002, 10, 10)))["borrowing_capacity"] == D("1105000.00")
    assert flat(today.status(date(2002, 10, 10)))["borrowing_capacity"] == D("1105000.00")
    # the record keeps both reports
    assert len(today.events) == 5


def test_a_voided_advance_is_gone_from_later_views(seed):
    advance = {"date": "2002-10-11", "type": "advance", "amount": "40000.00", "recorded_at": "2002-10-11T10:00:00Z"}
    void = {"date": "2002-10-11", "type": "voided", "supersedes": "advance@2002-10-11#1",
            "recorded_at": "2002-10-11T16:00:00Z", "note": "entered twice"}
    rows = OPENING + [advance, void]
    # advances outstanding: 1,250,000 + 40,000 = 1,290,000 while the advance stands; 1,250,000 once voided
    noon = facility(seed, rows, known_at=datetime(2002, 10, 11, 12, tzinfo=UTC))
    assert flat(noon.status(date(2002, 10, 11)))["advances_outstanding"] == D("1290000.00")
    assert flat(facility(seed, rows).status(date(2002, 10, 11)))["advances_outstanding"] == D("1250000.00")


@pytest.mark.parametrize("row, message", [
    ({"date": "2002-10-10", "type": "voided", "supersedes": "advance@2002-10-10#1"},
     "no earlier event has the key 'advance@2002-10-10#1'"),
    ({"date": "2002-10-10", "type": "voided"}, "supersedes"),
])
def test_a_correction_must_name_an_earlier_event(seed, row, message):
    with pytest.raises(InputError, match=message):
        make_events(seed, OPENING + [row])


def test_an_event_is_superseded_once(seed):
    second = {**CORRECTION, "receivables_borrowing_base": "1350000.00"}
    with pytest.raises(InputError, match="already superseded by 'borrowing_base_report@2002-10-10#2'; supersede "
                                         "that one"):
        make_events(seed, OPENING + [CORRECTION, second])
    # superseding the correction is the way
    fixed = {**second, "supersedes": "borrowing_base_report@2002-10-10#2"}
    engine = facility(seed, OPENING + [CORRECTION, fixed])
    assert flat(engine.status(date(2002, 10, 10)))["borrowing_capacity"] == D("1147500.00")  # 85% x 1,350,000


def test_appended_events_continue_the_keys_of_the_record(seed):
    prior = make_events(seed, OPENING)
    appended = events_from([{"date": "2002-10-10", "type": "borrowing_base_report",
                             "receivables_borrowing_base": "1.00"}], seed, "request", prior=prior)
    assert appended[0].key == "borrowing_base_report@2002-10-10#2"
    with pytest.raises(InputError, match="id 'x' is already used by"):
        events_from([{"date": "2002-10-11", "type": "advance", "amount": "1.00", "id": "x"}], seed, "request",
                    prior=prior + events_from([{"date": "2002-10-11", "type": "advance", "amount": "1.00", "id": "x"}],
                                              seed, "earlier"))


@quick
@given(histories, st.integers(min_value=0, max_value=40), days)
def test_a_continued_replay_equals_the_whole_replay(seed, rows, cut, day):
    """Appending events to a replayed facility gives the figures of replaying the whole record at once,
    whether the appended events continue the replay (dated on or after its last day) or force a new one."""
    cut = min(cut, len(rows))
    events = make_events(seed, rows)
    head, rest = events[:cut], events[cut:]
    whole = Facility(seed, events, shipped_prime_series())
    continued = Facility(seed, head, shipped_prime_series()).extended(rest)
    assert flat(continued.status(day)) == flat(whole.status(day))
    assert continued.payoff(day) == whole.payoff(day)
    assert continued.events == whole.events


def test_a_continued_replay_leaves_the_first_unchanged(seed):
    head = make_events(seed, OPENING)
    engine = Facility(seed, head, shipped_prime_series())
    before = flat(engine.status(date(2002, 10, 10)))
    tail = events_from([{"date": "2002-10-10", "type": "advance", "amount": "5000.00"}], seed, "request", prior=head)
    later = engine.extended(tail)
    assert flat(later.status(date(2002, 10, 10)))["advances_outstanding"] == D("1255000.00")  # 1,250,000 + 5,000
    assert flat(engine.status(date(2002, 10, 10))) == before
    assert later.ledger.snapshots is not engine.ledger.snapshots
