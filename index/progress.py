"""Progress of long work (model export, embedding, building), told to whoever listens.

The core only calls a `Progress` function with counts; how (and whether) it is shown is the
caller's choice: the CLI draws a line on a terminal and stays quiet otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""`progress(stage, done, total)`: `done` of `total` units of `stage` are finished."""


def report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    """Tell `progress`, if there is one."""
    if progress is not None:
        progress(stage, done, total)
