"""A book's per-facility work on every core: reading a facility's agreement and record is Python, one
facility at a time, and a book has thousands of them.

Workers are forked, so they start with the parent's book already in memory (agreements, the closures that
read each record); only a task (an index and a few values) and its result cross between processes. A store's
pooled database connections are not carried into a fork (see `loanbook.store.store`). Small books, one core,
or a platform without fork: the work runs in this process, by the same function.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

MIN_ITEMS = 200  # below this, starting processes costs more than it saves
_SHARED: list[Sequence] = []


def default_workers() -> int:
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)


class Workers:
    """Processes forked on entry that share `items` (read-only); `map` runs a module-level function over tasks
    in them, in order. `shared()` gives the function the items."""

    def __init__(self, items: Sequence, workers: int | None = None):
        self.items = items
        self.count = default_workers() if workers is None else workers
        self.pool: Any = None

    def __enter__(self) -> Workers:
        if _SHARED:
            raise RuntimeError("one book's workers at a time")
        _SHARED.append(self.items)
        if self.count > 1 and len(self.items) >= MIN_ITEMS and "fork" in multiprocessing.get_all_start_methods():
            try:
                self.pool = multiprocessing.get_context("fork").Pool(self.count)
            except BaseException:
                _SHARED.clear()
                raise
        return self

    def __exit__(self, *_exc) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
        _SHARED.clear()

    def map(self, function: Callable, tasks: Iterable) -> Iterator:
        if self.pool is None:
            return map(function, tasks)
        tasks = list(tasks)
        return self.pool.imap(function, tasks, chunksize=max(1, min(64, len(tasks) // (self.count * 8))))


def shared() -> Sequence:
    """The items of the workers this task runs in."""
    return _SHARED[0]
