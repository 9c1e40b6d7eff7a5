"""Dispatching a fleet run's jobs to a bounded pool, lane by lane.

A lane is one (account, region): what EC2 throttles together. No lane may hold more than
its share of the pool (the pool divided among the lanes that still have work), so
workers waiting on one region's empty bucket cannot starve the other regions.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

Lane = tuple[str, str]


class Lanes:
    """Hands jobs to the pool, lane by lane, each lane within its share of the pool."""

    def __init__(self, pool: ThreadPoolExecutor, size: int, stop: threading.Event) -> None:
        self._pool, self._size, self._stop = pool, size, stop
        self._cond = threading.Condition()
        self._queues: dict[Lane, deque[Callable[[], None]]] = {}
        self._running: Counter[Lane] = Counter()
        self._turn = 0
        self.crashes: list[BaseException] = []

    def add(self, lane: Lane, job: Callable[[], None]) -> None:
        """Queue a job in a lane (jobs may add more)."""
        with self._cond:
            self._queues.setdefault(lane, deque()).append(job)
            self._cond.notify_all()

    def _next(self) -> tuple[Lane, Callable[[], None]] | None:
        active = [lane for lane, q in self._queues.items() if q or self._running[lane]]
        if not active:
            return None
        share = max(1, math.ceil(self._size / len(active)))
        if sum(self._running.values()) < self._size:
            lanes = list(self._queues)
            for i in range(len(lanes)):
                lane = lanes[(self._turn + i) % len(lanes)]
                if self._queues[lane] and self._running[lane] < share:
                    self._turn = (self._turn + i + 1) % len(lanes)
                    return lane, self._queues[lane].popleft()
        return ("", ""), _WAIT

    def run(self) -> None:
        """Dispatch until every lane is empty and idle (or the run is stopped)."""
        while not self._stop.is_set():
            with self._cond:
                picked = self._next()
                if picked is None:
                    return
                lane, job = picked
                if job is _WAIT:
                    self._cond.wait(0.2)
                    continue
                self._running[lane] += 1
            self._pool.submit(self._do, lane, job)

    def drain(self) -> None:
        """Wait for jobs under way."""
        with self._cond:
            while sum(self._running.values()):
                self._cond.wait(0.2)

    def _do(self, lane: Lane, job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as e:  # a bug, not an EC2 answer: stop the run, report it
            self.crashes.append(e)
            self._stop.set()
        finally:
            with self._cond:
                self._running[lane] -= 1
                self._cond.notify_all()


def _wait() -> None:
    """A marker: nothing may be dispatched right now."""


_WAIT = _wait
