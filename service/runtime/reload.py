"""Live index updates: a running server notices a new build and serves it, without a restart
and without failing a request.

A build ends by pointing the index link at its folder. Each server process polls that link;
when it points elsewhere, the new build is loaded and verified beside the one serving (the
models are kept, with their query caches), then swapped in. A build that cannot be loaded is
reported on /readyz and the old one keeps serving. The same thread notices when a stored
document can no longer be read, for /readyz.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from corpus.errors import CorpusError
from corpus.store import CorpusStore, is_document
from index.artifact.store import current_build
from index.errors import CasesearchError
from index.retrieval.search import SearchEngine
from service.runtime.loader import EngineState

log = logging.getLogger(__name__)


class IndexWatcher:
    """Keeps `state` serving the build the index link at `index_path` points to."""

    def __init__(self, state: EngineState, index_path: Path, *,
                 reopen: Callable[[SearchEngine, Path], SearchEngine],
                 data_dir: Path | None = None, interval: float = 2.0) -> None:
        self.state, self.index_path, self.reopen = state, Path(index_path), reopen
        self.data_dir, self.interval = data_dir, interval
        self._failed: Path | None = None
        self._corpus_seen: tuple | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check_index(self) -> bool:
        """Swap in the build the link points to if it is not the one serving; True if swapped.
        A build that failed to load is not tried again: builds never change once made."""
        engine = self.state.engine
        build = current_build(self.index_path)
        if engine is None or build is None or build in (engine.index.path, self._failed):
            return False
        try:
            fresh = self.reopen(engine, build)
        except (CasesearchError, OSError, ValueError) as exc:
            self._failed = build
            self.state.reload_error = f"build {build.name} was not loaded: {exc}"
            log.error("keeping build %s: %s", engine.index.path.name, self.state.reload_error)
            return False
        self.state.swap(fresh)
        log.info("now serving build %s: %d cases", build.name, len(fresh.cases))
        return True

    def check_corpus(self) -> None:
        """Re-read the corpus folder when its files change, to report unreadable documents."""
        if self.data_dir is None:
            return
        try:
            seen = tuple((p.name, (stat := p.stat()).st_mtime_ns, stat.st_size)
                         for p in sorted(Path(self.data_dir).iterdir()) if is_document(p))
        except OSError:
            return
        if seen == self._corpus_seen:
            return
        self._corpus_seen = seen
        try:
            _, problems = CorpusStore(self.data_dir).load_readable()
            messages = tuple(problem.message for problem in problems)
        except CorpusError as exc:
            messages = (str(exc),)
        if messages:
            log.warning("stored documents that cannot be read: %s", "; ".join(messages))
        self.state.corpus_problems = tuple(_without_folder(m, self.data_dir) for m in messages)

    def start(self) -> None:
        """Check every `interval` seconds in a daemon thread (0: never)."""
        if self.interval > 0 and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="index-watcher",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check_index()
                self.check_corpus()
            except Exception:  # the watcher must outlive any surprise; the log says what
                log.exception("checking for a new index build failed")


def _without_folder(message: str, folder: Path) -> str:
    """A message with the server's folder taken out (clients see file names, not paths)."""
    return message.replace(f"{Path(folder).resolve()}/", "").replace(f"{folder}/", "")
