"""A small priority work pool: N threads, tasks may add tasks, first error stops all.

Tasks with a lower priority number run first. The waiting thread stays
interruptible (Ctrl-C) because it waits with a timeout.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from typing import Callable


class WorkPool:
    def __init__(self, workers: int, name: str = "work"):
        self._cv = threading.Condition()
        self._heap: list = []
        self._order = itertools.count()
        self._pending = 0
        self._error: BaseException | None = None
        self._stopped = False
        self._threads = [threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
                         for i in range(max(1, workers))]
        for t in self._threads:
            t.start()

    def submit(self, priority: float, fn: Callable[[], None]) -> None:
        with self._cv:
            if self._stopped:
                return
            heapq.heappush(self._heap, (priority, next(self._order), fn))
            self._pending += 1
            self._cv.notify()

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._heap and not self._stopped:
                    self._cv.wait()
                if self._stopped:
                    return
                _prio, _n, fn = heapq.heappop(self._heap)
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                with self._cv:
                    if self._error is None:
                        self._error = exc
                    self._stopped = True
                    self._cv.notify_all()
            with self._cv:
                self._pending -= 1
                self._cv.notify_all()

    def wait(self) -> None:
        """Until every task (including ones added meanwhile) is done; re-raises the first error."""
        with self._cv:
            while self._pending and self._error is None:
                self._cv.wait(timeout=0.5)
            if self._error is not None:
                raise self._error

    def stop(self, join_timeout: float = 30.0) -> None:
        with self._cv:
            self._stopped = True
            self._heap.clear()
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout=join_timeout)
