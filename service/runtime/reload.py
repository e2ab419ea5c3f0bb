"""Live index updates: a running server notices a new build and serves it, without a restart
and without failing a request.

A build ends by pointing the index link at its folder. Each server process polls that link;
when it points elsewhere, the new build is loaded and verified beside the one serving (the
models are kept, with their query caches), then swapped in. A build that cannot be loaded is
reported on /readyz (until the link points elsewhere) and the old one keeps serving. A thread of
its own notices when a stored document can no longer be read, for /readyz: a document that
takes too long to read can then never stop new builds from being served. A check that has not
finished within STUCK_SECONDS is reported on /readyz too. Messages name files, never paths.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from corpus.errors import CorpusError
from corpus.filelock import LockWaitTimeout
from corpus.store import CorpusStore, is_document
from index.artifact.store import current_build
from index.errors import CasesearchError
from index.retrieval.search import SearchEngine
from service.runtime.loader import EngineState

log = logging.getLogger(__name__)
# Loading a build of 48 cases takes a second, re-reading the documents less: a check still
# running after a minute will not finish (a hostile document, a hung disk) and is reported.
STUCK_SECONDS = 60.0
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s/:'\"]+/)+([^\s/:'\"]*)")


class IndexWatcher:
    """Keeps `state` serving the build the index link at `index_path` points to."""

    def __init__(self, state: EngineState, index_path: Path, *,
                 reopen: Callable[[SearchEngine, Path], SearchEngine],
                 interval: float, data_dir: Path | None = None,
                 on_serving: Callable[[str, str], object] | None = None) -> None:
        """`on_serving` is told the corpus digest and the model id of the build served, after
        every look for a new build (service.runtime.tuning starts a tuning for a corpus not
        tuned for)."""
        self.state, self.index_path, self.reopen = state, Path(index_path), reopen
        self.on_serving = on_serving
        self.data_dir, self.interval = data_dir, interval
        self._failed: Path | None = None
        self._corpus_seen: tuple | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy: dict[str, float] = {}  # check → when it started, while it runs

    def check_index(self) -> bool:
        """Swap in the build the link points to if it is not the one serving; True if swapped.
        A build that failed to load is not tried again: builds never change once made."""
        with self._running("looking for a new build of the index"):
            swapped = self._check_index()
        engine = self.state.engine
        if self.on_serving is not None and engine is not None:
            manifest = engine.index.manifest
            self.on_serving(manifest.corpus_sha256, manifest.model_id)
        return swapped

    def _check_index(self) -> bool:
        engine = self.state.engine
        build = current_build(self.index_path)
        if self._failed is not None and build != self._failed:
            self._failed, self.state.reload_error = None, None  # the bad build is gone
        if engine is None or build is None or build in (engine.index.path, self._failed):
            return False
        try:
            fresh = self.reopen(engine, build)
        except (CasesearchError, OSError, ValueError) as exc:
            self._failed = build
            self.state.reload_error = without_paths(f"build {build.name} was not loaded: {exc}")
            log.error("keeping build %s: build %s was not loaded: %s", engine.index.path.name,
                      build.name, exc)
            return False
        self.state.swap(fresh)
        log.info("now serving build %s: %d cases", build.name, len(fresh.cases))
        return True

    def check_corpus(self) -> None:
        """Re-read the corpus folder when its files change, to report unreadable documents."""
        if self.data_dir is None:
            return
        with self._running("re-reading the stored documents"):
            self._check_corpus()

    def _check_corpus(self) -> None:
        try:
            seen = tuple((p.name, (stat := p.stat()).st_mtime_ns, stat.st_size)
                         for p in sorted(Path(self.data_dir).iterdir()) if is_document(p))
        except OSError:
            return
        if seen == self._corpus_seen:
            return
        try:
            _, problems = CorpusStore(self.data_dir).load_readable()
            messages = tuple(problem.message for problem in problems)
        except LockWaitTimeout as exc:  # no verdict on the documents: try again next time
            log.warning("could not re-read the stored documents: %s", exc)
            return
        except CorpusError as exc:
            messages = (str(exc),)
        self._corpus_seen = seen
        if messages:
            log.warning("stored documents that cannot be read: %s", "; ".join(messages))
        self.state.corpus_problems = tuple(without_paths(m, self.data_dir) for m in messages)

    def stuck(self, now: float | None = None) -> list[str]:
        """What a check has been doing for longer than STUCK_SECONDS, for /readyz."""
        now = time.monotonic() if now is None else now
        return [f"{what} has not finished in {now - since:.0f} s; new builds and documents "
                f"may not be served until it does (see the server log)"
                for what, since in list(self._busy.items()) if now - since > STUCK_SECONDS]

    @contextlib.contextmanager
    def _running(self, what: str) -> Iterator[None]:
        self._busy[what] = time.monotonic()
        try:
            yield
        finally:
            self._busy.pop(what, None)

    def start(self) -> None:
        """Check every `interval` seconds in daemon threads (0: never): one for the index,
        one for the documents."""
        if self.interval > 0 and not self._threads:
            for name, check in (("index-watcher", self.check_index),
                                ("corpus-watcher", self.check_corpus)):
                thread = threading.Thread(target=self._run, args=(check,), name=name,
                                          daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def _run(self, check: Callable[[], object]) -> None:
        while not self._stop.wait(self.interval):
            try:
                check()
            except Exception:  # the watcher must outlive any surprise; the log says what
                log.exception("checking for a new index build or documents failed")


def without_paths(message: str, *folders: Path) -> str:
    """A message with the server's `folders` taken out and every other absolute path shortened
    to its file name (clients of /readyz, which is open even with a key, see file names, never
    the server's folders; a folder given is taken out even when its name holds a space)."""
    message = without_folders(message, *folders)
    return _ABSOLUTE_PATH.sub(lambda match: match.group(1) or "/", message)


def without_folders(message: str, *folders: Path) -> str:
    """A message with these folders taken out of the paths it names (`<folder>/x` → `x`),
    and nothing else changed (a route such as /api/documents/x stays as it is)."""
    for folder in folders:
        for form in sorted({str(Path(folder).resolve()), str(folder)}, key=len, reverse=True):
            message = message.replace(f"{form}/", "")
    return message
