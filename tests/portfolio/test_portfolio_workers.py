"""The book's worker processes (loanbook/portfolio/workers.py): item i is always worker i mod N's, so what a worker
built for its items in one step (a facility's agreement) is there for the next; results come back in order; an
exception in a worker is raised in the parent."""
from __future__ import annotations

import os

import pytest

from loanbook.core.errors import InputError, Problem
from loanbook.portfolio.workers import MIN_ITEMS, Workers, shared

_BUILT: dict[int, int] = {}  # in each worker: item -> the pid that built it


def _build(index: int) -> int:
    _BUILT[index] = os.getpid()
    return os.getpid()


def _built_here(index: int) -> tuple[int, bool]:
    return shared()[index] * 2, _BUILT.get(index) == os.getpid()


def _refuse(index: int) -> int:
    if index == MIN_ITEMS - 3:
        raise InputError([Problem("f.yaml", "line 3", "rate", "not a rate")])
    return index


def test_each_item_stays_with_its_worker_from_one_step_to_the_next_and_results_keep_their_order():
    items = list(range(MIN_ITEMS))
    with Workers(items, 2) as pool:
        pids = list(pool.map(_build, range(MIN_ITEMS)))
        assert os.getpid() not in pids and len(set(pids)) == 2
        assert all(pids[i] == pids[i % 2] for i in range(MIN_ITEMS))  # item i in worker i mod 2
        again = list(pool.map(_built_here, range(MIN_ITEMS)))
    assert again == [(i * 2, True) for i in range(MIN_ITEMS)]  # in order, each where it was built


def test_an_exception_in_a_worker_is_raised_in_the_parent_as_it_was():
    with Workers(list(range(MIN_ITEMS)), 2) as pool:
        with pytest.raises(InputError) as raised:
            list(pool.map(_refuse, range(MIN_ITEMS)))
    assert list(raised.value.problems) == [Problem("f.yaml", "line 3", "rate", "not a rate")]
