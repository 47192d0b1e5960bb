"""The caches that keep replays and answers: a bounded map (least recently used out first) and per-key locks;
both safe for the API's threads."""
from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager


class Bounded:
    def __init__(self, size: int):
        self.size, self.lock = size, threading.Lock()
        self.items: OrderedDict = OrderedDict()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            return None

    def put(self, key, value) -> None:
        if self.size <= 0:
            return
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


class KeyedLocks:
    """One lock per key, for work that many threads may want at once (a replay not yet cached, a token not
    yet verified): the first does it, the others wait and then find it done."""

    def __init__(self):
        self._locks: dict = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, key):
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)
