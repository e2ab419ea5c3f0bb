"""How many searches this process is running at once.

A query's embedding is the one step worth spreading over several cores, and only while it has
them to itself: when searches overlap, each embedding on one core gives more answers a second,
and threads of one embedding that wait for a core stall the others (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Occupancy:
    """A count of the work in progress, entered and left with `with`; watchers (a metrics
    gauge) are told each change, so that the count is kept in one place."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._watchers: list[Callable[[int], None]] = []

    @property
    def count(self) -> int:
        return self._count

    def watch(self, on_change: Callable[[int], None]) -> None:
        """Call `on_change(+1)` on each entry and `on_change(-1)` on each exit (once per
        watcher, however often it is registered)."""
        if on_change not in self._watchers:
            self._watchers.append(on_change)

    def __enter__(self) -> Occupancy:
        with self._lock:
            self._count += 1
        for watcher in self._watchers:
            watcher(1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._count -= 1
        for watcher in self._watchers:
            watcher(-1)


# Searches and similar-case lookups running now, in this process.
SEARCHES = Occupancy()
# Work that must leave cores to everyone else while it runs (the service's batch searches):
# each of its embedding calls, and any other made meanwhile, gets one thread.
BACKGROUND = Occupancy()


def searches_overlap() -> bool:
    """Whether this process runs more than one search now, or background work (an embedder's
    lanes are told, through `crowded`, to give a call one thread then)."""
    return SEARCHES.count > 1 or BACKGROUND.count > 0
