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

import hashlib
import hmac
import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from service.problems import ApiError
from service.runtime.settings import SESSION_HOURS

# Wrong keys: after FAILURES_ALLOWED from one client address within FAILURE_WINDOW seconds,
# that address is refused (429) until the window has passed. 10 guesses in 5 minutes make
# guessing even a short key hopeless; a person who mistypes is not locked out for long.
FAILURES_ALLOWED = 10
FAILURE_WINDOW = 300.0
TRACKED_ADDRESSES = 10_000  # the oldest are forgotten first: memory stays bounded


class WorkGate:
    """At most `slots` runs of one kind of work at once; up to `queue` more wait for a slot
    (at most `wait` seconds), and the next is refused (503)."""

    def __init__(self, slots: int, what: str, retry_after: int = 1,
                 advice: str = "or send questions one by one (POST /api/search)", *,
                 queue: int = 0, wait: float = 0.0) -> None:
        if slots < 1:
            raise ValueError("a gate needs at least one slot")
        self.slots, self.what, self.retry_after = slots, what, retry_after
        self.advice, self.wait = advice, wait
        self._free = threading.BoundedSemaphore(slots)
        self._callers = threading.BoundedSemaphore(slots + queue)  # running or waiting

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Run the block in a free slot, waiting for one if the queue has room.

        Raises:
            ApiError: 503 with Retry-After when every slot is taken and the queue is full, or
                no slot came free in time.
        """
        if not self._callers.acquire(blocking=False):
            raise self._busy()
        try:
            free = (self._free.acquire(timeout=self.wait) if self.wait
                    else self._free.acquire(blocking=False))
            if not free:
                raise self._busy()
            try:
                yield
            finally:
                self._free.release()
        finally:
            self._callers.release()

    def _busy(self) -> ApiError:
        return ApiError(503, f"this server is busy with {self.what} ({self.slots} at a time); "
                             f"try again in {self.retry_after} s"
                             + (f", {self.advice}" if self.advice else ""),
                        retry_after=self.retry_after)


class WindowCounts:
    """Events per client address within a sliding window (this process's own count): wrong
    keys, or document changes (service.http.documents)."""

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
        """Seconds until `address` may try again (0: it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
        if len(times) < self.allowed:
            return 0
        return max(1, int(times[-self.allowed] + self.window - now) + 1)

    def record(self, address: str, now: float | None = None) -> int:
        """Count one event (a wrong key, say) from `address`; how many it had within the
        window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
            times.append(now)
            self._times[address] = times
            self._times.move_to_end(address)
            while len(self._times) > self.tracked:
                self._times.popitem(last=False)
            return len(times)


# Admin keys (service.http.security, service.http.documents), checked without a web framework:
# the worker's event loop checks them too, before it takes a document's body in.

ADMIN_COOKIE = "casesearch_admin"
# A sign-in to the pages (the read key's or an admin key's) lasts a working day at most.
SESSION_SECONDS = SESSION_HOURS * 3600


def admin_of_authorization(authorization: str,
                           keys: Sequence[tuple[str, str]]) -> str | None:
    """The name of the admin key an `Authorization` header carries as a Bearer token, if any
    (every key compared, each in constant time)."""
    found = None
    for name, key in keys:
        if bearer_matches(authorization, key) and found is None:
            found = name
    return found


def _admin_signature(key: str, name: str, issued: str) -> str:
    message = f"casesearch admin session 1|{name}|{issued}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def admin_token(name: str, key: str, now: float | None = None) -> str:
    """An admin session cookie's value: the key's name, when it was issued, signed with the
    key (the key itself is never in it)."""
    issued = str(int(time.time() if now is None else now))
    return f"{name}.{issued}.{_admin_signature(key, name, issued)}"


def admin_of_session(token: str, keys: Sequence[tuple[str, str]],
                     now: float | None = None) -> str | None:
    """The name of the admin key an admin session cookie was issued for, if it was issued by
    this server for that key less than SESSION_SECONDS ago."""
    parts = token.rsplit(".", 2)
    if len(parts) != 3:
        return None
    name, issued, signature = parts
    key = dict(keys).get(name)
    if key is None or not issued.isdecimal() or len(issued) > 12:
        return None
    age = (time.time() if now is None else now) - int(issued)
    valid = 0 <= age < SESSION_SECONDS and hmac.compare_digest(
        signature.encode(), _admin_signature(key, name, issued).encode())
    return name if valid else None


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
