"""A facility is built without its books or its history check; the check runs once, before the first answer, and a
history it refuses is refused by every answer, each time, with the same error."""
import threading
from datetime import date
from decimal import Decimal as D

import pytest

from conftest import make_events
from loanbook.core.errors import InputError
from loanbook.engine.facility import Facility
from loanbook.market import shipped_prime_series

OCT1 = "2002-10-01"
# accrued through 10/1 (the day before the payment): 360,000 x 8.25% / 360 = 82.50; 82.51 is a cent too much
OVERPAID = [{"date": OCT1, "type": "opening_balance", "loan": "advances", "amount": "360000.00"},
            {"date": "2002-10-02", "type": "interest_payment", "amount": "82.51"}]
MESSAGE = "82.50 is accrued and unpaid through 2002-10-01"


def built(seed, rows) -> Facility:
    return Facility(seed, make_events(seed, rows), shipped_prime_series())


def counting(monkeypatch) -> list[int]:
    """How often a facility's history is checked, from now on."""
    calls: list[int] = []
    check = Facility._check_history

    def counted(self):
        calls.append(1)
        return check(self)
    monkeypatch.setattr(Facility, "_check_history", counted)
    return calls


def test_construction_builds_no_book_and_checks_nothing(seed, monkeypatch):
    calls = counting(monkeypatch)
    engine = built(seed, OVERPAID)  # refused history, yet built: nothing is asked yet
    assert calls == []
    assert not {"pricing", "interest", "charges", "covenants", "overdue"} & set(vars(engine))


@pytest.mark.parametrize("ask", [
    lambda e: e.status(date(2002, 10, 15)),
    lambda e: e.payoff(date(2002, 10, 15)),
    lambda e: e.advance(date(2002, 10, 15), D("1000.00")),
    lambda e: e.fees(date(2002, 10, 15)),
    lambda e: e.obligations(date(2002, 10, 15)),
    lambda e: e.covenant_tests(date(2002, 10, 15)),
    lambda e: e.interest_statement(date(2002, 10, 1), date(2002, 10, 31)),
    lambda e: e.timeline(date(2002, 10, 1), date(2002, 10, 3)),
    lambda e: e.explain("availability", date(2002, 10, 15)),
    lambda e: e.book(date(2002, 10, 15)),
    lambda e: e.history_checked(),
], ids=["status", "payoff", "advance", "fees", "obligations", "covenants", "interest", "timeline", "explain",
        "book", "history_checked"])
def test_every_answer_refuses_a_refused_history_each_time(seed, ask):
    engine = built(seed, OVERPAID)
    for _ in range(2):
        with pytest.raises(InputError, match=MESSAGE):
            ask(engine)


def test_the_check_runs_once_for_every_answer_after(seed, monkeypatch):
    """The seed's events with a payment of the 82.50 accrued: a history the check accepts."""
    calls = counting(monkeypatch)
    engine = built(seed, OVERPAID[:1] + [{**OVERPAID[1], "amount": "82.50"}])
    engine.status(date(2002, 10, 15))
    engine.payoff(date(2002, 10, 15))
    engine.status(date(2002, 10, 16))
    assert calls == [1]
    # accrued 10/1 and 10/2: 2 x 82.50 = 165.00, less the 82.50 paid on 10/2 = 82.50
    assert engine.interest_unpaid(date(2002, 10, 2)) == D("82.50")
    assert calls == [1]


def test_threads_asking_at_once_wait_for_one_check(seed, monkeypatch):
    calls = counting(monkeypatch)
    engine = built(seed, OVERPAID)
    errors: list[str] = []

    def ask() -> None:
        try:
            engine.status(date(2002, 10, 15))
        except InputError as exc:
            errors.append(str(exc))
    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 4 and all(MESSAGE in e for e in errors)  # no thread answered past a check under way
    assert len(calls) == 4  # a refused history is checked again by each answer
