"""Run an OpenMP-parallel model's calls on a few threads of its own.

An OpenMP runtime keeps a team of worker threads for every thread that calls it, and an idle team
busy-waits for a while before sleeping. Called straight from a server's request threads, a model
ends up with a team per request thread, spinning against the one doing the work: a query took
2-3x as long. And with more team threads than cores the runtime stops spinning at its barriers
and sleeps instead, which made a query 3x slower again. So:

- calls run on `count` lane threads, whoever makes them;
- only the first lane ever forms a team, of `threads` when the call has the cores to itself
  (no other call in flight and, as the owner tells through `crowded`, no other search
  running) and of one thread otherwise;
- the other lanes, used while the first is busy, always run on one thread.

Figures: docs/PERFORMANCE.md.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
Crowded = Callable[[], bool]
"""Whether other work (other searches) runs now in this process, besides this call."""


class _Lane:
    def __init__(self, name: str) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self.team = 0  # the team size last set on this lane's thread; 0: never set


class Lanes:
    """`count` threads running calls, and the team size each call gets."""

    def __init__(self, count: int, threads: int,
                 set_team: Callable[[int], None] | None = None, name: str = "lane",
                 crowded: Crowded | None = None) -> None:
        """
        Args:
            count: lane threads (calls beyond this many wait for a free lane).
            threads: team size for a call that has the cores to itself.
            set_team: sets the calling thread's team size (OpenMP's `omp_set_num_threads`);
                None when the library fixes it, and then every call gets the same team.
            name: the lane threads' name prefix.
            crowded: says whether other searches run now (then a call gets one thread even
                on the first lane); None: never.
        """
        if count < 1 or threads < 1:
            raise ValueError("lanes need count >= 1 and threads >= 1")
        self.threads = threads
        self._set_team = set_team
        self._crowded = crowded or (lambda: False)
        self._lanes = [_Lane(f"{name}-{i}") for i in range(count)]
        self._free = list(self._lanes)
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        return len(self._lanes)

    def run(self, function: Callable[..., T], *args: object) -> T:
        """function(*args) on a lane thread, with that lane's team set for it."""
        with self._changed:
            while not self._free:
                self._changed.wait()
            wide = self._lanes[0]
            lane = wide if wide in self._free else self._free[-1]
            self._free.remove(lane)
            alone = len(self._free) == len(self._lanes) - 1
        team = self.threads if lane is wide and alone and not self._crowded() else 1
        try:
            return lane.executor.submit(self._call, lane, team, function, args).result()
        finally:
            with self._changed:
                self._free.append(lane)
                self._changed.notify()

    def _call(self, lane: _Lane, team: int, function: Callable[..., T],
              args: tuple[object, ...]) -> T:
        if self._set_team is not None and team != lane.team:
            self._set_team(team)  # OpenMP's setting belongs to the thread: set it on the lane
            lane.team = team
        return function(*args)
