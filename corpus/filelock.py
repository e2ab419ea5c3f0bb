"""Advisory file locks (`fcntl.flock`) that serialize writers of one folder across processes.

A writer holds the lock exclusively; readers may hold it shared, so that they never see a
change half made. The holder's pid is written into the lock file, so that a process that has
to wait can say whom it waits for. The kernel drops a lock when its process dies, so a killed
writer never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path


class FileLock:
    """A lock file, e.g. `<data>/.lock`, and what it guards, for messages (`"the corpus"`)."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = Path(path), what

    @contextlib.contextmanager
    def hold(self, *, shared: bool = False,
             on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Hold the lock for the duration of the block, waiting for it if another process has
        it (and telling `on_wait` once, with a message naming that process).

        A shared lock on a folder that cannot be written (an installed, read-only corpus) is
        skipped: nobody can change such a folder, so there is nothing to wait for.
        """
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            if shared:
                yield
                return
            raise
        try:
            self._acquire(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX, on_wait)
            if not shared:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _acquire(self, fd: int, mode: int, on_wait: Callable[[str], None] | None) -> None:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if on_wait is not None:
            holder = self.holder()
            by = f" (process {holder})" if holder else ""
            on_wait(f"waiting for another change to {self.what} to finish{by} …")
        fcntl.flock(fd, mode)

    def holder(self) -> int | None:
        """The pid written by the last exclusive holder, if any."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdecimal() else None
