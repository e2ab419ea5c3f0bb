"""How a search reports the time of its stages to whoever watches (the service's metrics),
without the core knowing who that is: an observer registered with `SearchEngine.observe`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class StageObserver(Protocol):
    """Told how long each stage of a search took: `embedding`, `ranking` (BM25, the ANN
    indexes, fusion) and `snippets` (with the match levels)."""

    def stage(self, name: str, seconds: float) -> None: ...


class StageFunction:
    """An observer that hands each stage to a function (a metric's recorder, say)."""

    def __init__(self, record: Callable[[str, float], None]) -> None:
        self.record = record

    def stage(self, name: str, seconds: float) -> None:
        self.record(name, seconds)


class Stopwatch:
    """Times the stages of one search; `report` tells the observer, once the search is done
    (a search that fails reports nothing)."""

    def __init__(self) -> None:
        self.laps: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        """End the stage `name` now; the next stage starts."""
        now = time.perf_counter()
        self.laps.append((name, now - self._last))
        self._last = now

    def report(self, observer: StageObserver | None) -> None:
        if observer is not None:
            for name, seconds in self.laps:
                observer.stage(name, seconds)
