"""A progress line on a terminal: counts, rate and time left; nothing when output is not one."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    """A `index.progress.Progress` that redraws one line per stage on `stream` (stderr), at most
    a few times a second, and ends it when the stage is done. Silent unless `stream` is a
    terminal, so logs and pipes stay clean."""

    def __init__(self, stream: TextIO | None = None, *, min_interval: float = 0.2,
                 clock=time.monotonic) -> None:
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.min_interval, self.clock = min_interval, clock
        self.stage: str | None = None
        self.started = self.drawn = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if stage != self.stage:
            self.stage, self.started, self.drawn = stage, now, float("-inf")
        finished = done >= total
        if not finished and now - self.drawn < self.min_interval:
            return
        self.drawn = now
        self.stream.write("\r\033[K" + self.line(stage, done, total, now - self.started)
                          + ("\n" if finished else ""))
        self.stream.flush()

    @staticmethod
    def line(stage: str, done: int, total: int, elapsed: float) -> str:
        """`embedding sentences: 320/1,204 (26%, 45.1/s, 20 s left)`."""
        text = f"{stage}: {done:,}/{total:,}"
        if total:
            text += f" ({done / total:.0%}"
            if elapsed > 0 and done:
                rate = done / elapsed
                text += f", {rate:.1f}/s"
                if done < total:
                    text += f", {(total - done) / rate:.0f} s left"
                else:
                    text += f", {elapsed:.1f} s"
            text += ")"
        return text
