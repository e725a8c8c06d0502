"""Values made once per key and kept, least recently used out first past a weight.

What the service computes depends only on the request and the snapshot, which does not change
while the app runs: layers per date, their encodings, whole answers. Each is made once however
many requests ask for it at the same time (the others wait for it), then kept, so a burst of
readers on a new map or a new date costs one computation.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

V = TypeVar("V")


def _one(_: object) -> int:
    return 1


class Kept(Generic[V]):
    """Values by key, made by a caller's ``make()`` once each; safe from any thread.

    ``weigh(value)`` is what a value counts against ``max_weight`` (default 1: a count). A
    value heavier than ``max_weight`` alone is returned but not kept; a failed ``make()`` is not
    kept either, so the next request tries again.
    """

    def __init__(self, max_weight: int, weigh: Callable[[V], int] = _one) -> None:
        self.max_weight = max_weight
        self._weigh = weigh
        self._values: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._making: dict[Hashable, Future[V]] = {}
        self._weight = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._values)

    def kept(self, key: Hashable) -> V | None:
        """The value of ``key`` if it is kept (cheap: for the event loop)."""
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            self._values.move_to_end(key)
            return found[0]

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value of ``key``, made by ``make()`` unless kept or being made (blocks)."""
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
                return found[0]
            making = self._making.get(key)
            mine = making is None
            if mine:
                making = self._making[key] = Future()
        if not mine:
            return making.result()
        try:
            value = make()
        except BaseException as exc:
            with self._lock:
                del self._making[key]
            making.set_exception(exc)
            raise
        with self._lock:
            del self._making[key]
            self._keep(key, value)
        making.set_result(value)
        return value

    async def served(self, key: Hashable, make: Callable[[], V]) -> V:
        """:meth:`get` for a coroutine: a kept value at once, on the event loop; else made (or
        waited for) on a worker thread, so the loop serves other requests meanwhile."""
        value = self.kept(key)
        return value if value is not None else await run_in_threadpool(self.get, key, make)

    def _keep(self, key: Hashable, value: V) -> None:
        weight = self._weigh(value)
        if weight > self.max_weight:
            return
        self._values[key] = (value, weight)
        self._weight += weight
        while self._weight > self.max_weight:
            _, (_, dropped) = self._values.popitem(last=False)
            self._weight -= dropped
