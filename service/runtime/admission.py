"""Admission of heavy work: at most a few runs of it at once in a process, the rest refused at
once with when to try again, so that it never takes every request thread (and the cores) from
health checks and single searches.

A batch of 32 long questions keeps a request thread and a core busy for seconds. With four
clients sending such batches, each worker's four threads all ran batches: a batch took 7-35 s,
/healthz 15 s and a single search 4.4 s. With one batch at a time per worker, the other threads
answer everyone else in milliseconds (docs/RELIABILITY.md, `python -m scripts.batch_load`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from service.problems import ApiError


class WorkGate:
    """At most `slots` runs of one kind of work at once; the next is refused (503)."""

    def __init__(self, slots: int, what: str, retry_after: int = 1) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots, self.what, self.retry_after = slots, what, retry_after
        self._free = threading.BoundedSemaphore(slots)

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Run the block in a free slot.

        Raises:
            ApiError: 503 with Retry-After when every slot is taken.
        """
        if not self._free.acquire(blocking=False):
            raise ApiError(503, f"this server is running {self.slots} {self.what} at once "
                                f"already; try again in {self.retry_after} s, or send "
                                f"questions one by one (POST /api/search)",
                           retry_after=self.retry_after)
        try:
            yield
        finally:
            self._free.release()
