"""Advisory file locks (`fcntl.flock`) that serialize writers of one folder across processes.

A writer holds the lock exclusively; readers may hold it shared, so that they never see a
change half made. The kernel drops a lock when its process dies, so a killed writer never
leaves a stale lock behind. A process that has to wait says whom it waits for: the processes
that hold the lock now, as the kernel lists them (`/proc/locks`), not a pid written down by a
holder long gone. A wait can be bounded: past it, the wait gives up, naming the holders.

Why not the `filelock` package (installed, as a dependency of sentence-transformers): its
`FileLock` has no shared mode, and its `ReadWriteLock` is an SQLite database, which needs
the folder to be writable even to read (an installed corpus is not) and cannot say which
process holds it. This module is in `corpus/` because the corpus folder is its first user;
`index/` (a build's lock, the model export's) uses it as the layers allow: corpus → index.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from corpus.errors import CorpusError

POLL_SECONDS = 0.2


class LockWaitTimeout(CorpusError):
    """A lock stayed held by others for longer than the caller would wait."""


class FileLock:
    """A lock file, e.g. `<data>/.lock`, and what it guards, for messages (`"the corpus"`)."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = Path(path), what

    @contextlib.contextmanager
    def hold(self, *, shared: bool = False, on_wait: Callable[[str], None] | None = None,
             timeout: float | None = None) -> Iterator[None]:
        """Hold the lock for the duration of the block, waiting for it if another process has
        it (telling `on_wait` whom it waits for, again whenever that changes), for at most
        `timeout` seconds (None: as long as it takes).

        A shared lock on a folder that cannot be written (an installed, read-only corpus) is
        skipped: nobody can change such a folder, so there is nothing to wait for.

        Raises:
            LockWaitTimeout: still held by others after `timeout` seconds.
        """
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            if shared:
                yield
                return
            raise
        try:
            self._acquire(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX, on_wait, timeout)
            if not shared:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _acquire(self, fd: int, mode: int, on_wait: Callable[[str], None] | None,
                 timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        told = None
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            held_by = self.describe_holders()
            if deadline is not None and time.monotonic() >= deadline:
                raise LockWaitTimeout(
                    f"gave up after {timeout:g} s waiting for another change to {self.what}"
                    f"{held_by}; if that process is stuck, stop it (its lock is freed when it "
                    f"exits) and try again")
            if on_wait is not None and held_by != told:
                on_wait(f"waiting for another change to {self.what} to finish{held_by} …")
                told = held_by
            time.sleep(POLL_SECONDS)

    def describe_holders(self) -> str:
        """` (process 123: casesearch serve)` for the holders now, or "" when none is known."""
        pids = self.holders()
        if not pids:
            return ""
        named = ", ".join(f"process {pid}{_command(pid)}" for pid in pids[:3])
        more = f" and {len(pids) - 3} more" if len(pids) > 3 else ""
        return f" (held by {named}{more})"

    def holders(self) -> list[int]:
        """The processes holding the lock now, from the kernel's list; where there is none to
        read, the pid the last exclusive holder wrote, if that process still lives."""
        try:
            stat = os.stat(self.path)
        except OSError:
            return []
        listed = _kernel_holders(stat)
        if listed is not None:
            return [pid for pid in listed if pid != os.getpid()] or listed
        written = self.holder()
        return [written] if written is not None and _alive(written) else []

    def holder(self) -> int | None:
        """The pid written by the last exclusive holder, if any (it may have exited since)."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdecimal() else None


def _kernel_holders(stat: os.stat_result) -> list[int] | None:
    """Pids holding a flock on this file per /proc/locks (None where it cannot be read).
    A line: `1: FLOCK  ADVISORY  WRITE 1234 fe:00:2146451 0 EOF`; waiters are marked `->`."""
    try:
        text = Path("/proc/locks").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    inode = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    pids = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == inode \
                and fields[4].isdecimal():
            pids.append(int(fields[4]))
    return sorted(set(pids))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _command(pid: int) -> str:
    """`: casesearch serve` for a process, from its command line (short, printable)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    words = [Path(word).name if i == 0 else word
             for i, word in enumerate(raw.decode("utf-8", "replace").split("\0")) if word]
    if len(words) > 1 and words[0].startswith("python"):
        words = words[1:]
        words[0] = Path(words[0]).name
    text = "".join(char if char.isprintable() else "?" for char in " ".join(words))
    return f": {text[:60]}" if text else ""
