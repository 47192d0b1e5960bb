"""A book's per-facility work on every core: reading a facility's agreement and record is Python, one
facility at a time, and a book has thousands of them.

Workers are forked, so they start with the parent's book already in memory (files, the closures that read each
record); only a task (an index and a few values) and its result cross between processes. Each worker keeps the
same items for the whole run (item i is worker i mod N's, in every `map`), so what a worker built for its items in
one step (a facility's agreement, parsed there) is still in its memory for the next, and never has to be sent back
to the parent: an agreement pickled across processes costs about as much as parsing it. A store's pooled database
connections are not carried into a fork (see `loanbook.store.store`). Small books, one core, or a platform without
fork: the work runs in this process, by the same function.
"""
from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

MIN_ITEMS = 200  # below this, starting processes costs more than it saves
CHUNK = 32       # tasks a worker is sent at a time: few round trips, and results back while the next chunk runs
_SHARED: list[Sequence] = []


def default_workers() -> int:
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)


class WorkerFailed(RuntimeError):
    """A worker process died, or raised something that could not be sent back as it was."""


class Workers:
    """Processes forked on entry that share `items` (read-only); `map` runs a module-level function over tasks in
    them and gives the results in the tasks' order, task i in worker i mod N. `shared()` gives the function the
    items."""

    def __init__(self, items: Sequence, workers: int | None = None):
        self.items = items
        self.count = default_workers() if workers is None else workers
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []

    def __enter__(self) -> Workers:
        if _SHARED:
            raise RuntimeError("one book's workers at a time")
        _SHARED.append(self.items)
        if self.count > 1 and len(self.items) >= MIN_ITEMS and "fork" in multiprocessing.get_all_start_methods():
            try:
                context = multiprocessing.get_context("fork")
                for _ in range(self.count):
                    mine, theirs = context.Pipe()
                    process = context.Process(target=_serve, args=(theirs,), daemon=True)
                    process.start()
                    theirs.close()
                    self.pipes.append(mine)
                    self.processes.append(process)
            except BaseException:
                self.__exit__()
                raise
        return self

    def __exit__(self, *_exc) -> None:
        for pipe in self.pipes:
            try:
                pipe.send(None)
            except OSError:
                pass  # gone already
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()
        for pipe in self.pipes:
            pipe.close()
        self.pipes, self.processes = [], []
        _SHARED.clear()

    def map(self, function: Callable, tasks: Sequence) -> Iterator:
        if not self.pipes:
            return map(function, tasks)
        return self._forked(function, list(tasks))

    def _forked(self, function: Callable, tasks: list) -> Iterator:
        """Chunk by chunk: each worker's share of the next chunk is sent before this chunk's results are read, so a
        worker always has work waiting; at most two chunks are in flight."""
        n = len(self.pipes)
        step = CHUNK * n
        chunks = [range(start, min(start + step, len(tasks))) for start in range(0, len(tasks), step)]

        def send(chunk: range) -> None:
            for k, pipe in enumerate(self.pipes):
                pipe.send((function, [tasks[i] for i in chunk if i % n == k]))

        if chunks:
            send(chunks[0])
        for number, chunk in enumerate(chunks):
            if number + 1 < len(chunks):
                send(chunks[number + 1])
            parts = [iter(_received(pipe)) for pipe in self.pipes]
            for i in chunk:
                yield next(parts[i % n])


def _received(pipe: Connection) -> list:
    try:
        outcome, value = pipe.recv()
    except (EOFError, OSError) as exc:
        raise WorkerFailed(f"a worker process of the book's run ended unexpectedly ({exc!r})") from None
    if outcome == "error":
        raise value
    return value


def _serve(pipe: Connection) -> None:
    """A worker: run each chunk it is sent until told to stop (None); an exception goes back to be raised there."""
    while True:
        try:
            message = pipe.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        function, tasks = message
        try:
            pipe.send(("ok", [function(task) for task in tasks]))
        except BaseException as exc:  # noqa: BLE001 - raised again in the parent, as it was
            try:
                pipe.send(("error", exc))
            except Exception:  # noqa: BLE001 - an exception that does not pickle: its text instead
                pipe.send(("error", WorkerFailed("".join(traceback.format_exception(exc)))))


def shared() -> Sequence:
    """The items of the workers this task runs in."""
    return _SHARED[0]
