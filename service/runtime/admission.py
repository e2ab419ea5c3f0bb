"""Admission: heavy work at most a few runs at once in a process, the rest refused at once with
when to try again, so that it never takes every request thread (and the cores) from health
checks and single searches; and clients that keep sending wrong keys refused for a while.

A batch of 32 long questions keeps a request thread and a core busy for seconds. With four
clients sending such batches, each worker's four threads all ran batches: a batch took 7-35 s,
/healthz 15 s and a single search 4.4 s. With one batch at a time per worker, on one core,
/healthz answered in 3-13 ms and a single search in 40-105 ms (docs/RELIABILITY.md,
`python -m scripts.batch_load`).
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from service.problems import ApiError

# Wrong keys: after FAILURES_ALLOWED from one client address within FAILURE_WINDOW seconds,
# that address is refused (429) until the window has passed. 10 guesses in 5 minutes make
# guessing even a short key hopeless; a person who mistypes is not locked out for long.
FAILURES_ALLOWED = 10
FAILURE_WINDOW = 300.0
TRACKED_ADDRESSES = 10_000  # the oldest are forgotten first: memory stays bounded


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


class FailedKeys:
    """Wrong keys per client address within a sliding window (this process's own count)."""

    def __init__(self, allowed: int = FAILURES_ALLOWED, window: float = FAILURE_WINDOW,
                 tracked: int = TRACKED_ADDRESSES) -> None:
        self.allowed, self.window, self.tracked = allowed, window, tracked
        self._times: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> list[float]:
        times = [t for t in self._times.get(address, []) if now - t < self.window]
        if times:
            self._times[address] = times
        else:
            self._times.pop(address, None)
        return times

    def retry_after(self, address: str, now: float | None = None) -> int:
        """Seconds until `address` may try a key again (0: it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
        if len(times) < self.allowed:
            return 0
        return max(1, int(times[-self.allowed] + self.window - now) + 1)

    def record(self, address: str, now: float | None = None) -> int:
        """Count one wrong key from `address`; how many it sent within the window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
            times.append(now)
            self._times[address] = times
            self._times.move_to_end(address)
            while len(self._times) > self.tracked:
                self._times.popitem(last=False)
            return len(times)


def bearer_matches(authorization: str, key: str) -> bool | None:
    """Whether an `Authorization` header carries `key` as a Bearer token (compared in
    constant time); None when it carries no Bearer token at all."""
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return hmac.compare_digest(given.strip().encode(), key.encode())


def guesser(address: str) -> str:
    """Whom wrong keys are counted against: an IPv4 address, or an IPv6 address's /64 (one
    host is usually given a whole /64, and could otherwise take a new address each try)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    mapped = getattr(parsed, "ipv4_mapped", None)
    if mapped is not None:
        return str(mapped)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
