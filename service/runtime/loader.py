"""The engine of one app, loaded in the background so that health checks answer at once, and
swapped for a new one when a build replaces the index (service.runtime.reload)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from index.retrieval.search import SearchEngine
from service.problems import ApiError

log = logging.getLogger(__name__)


class EngineState:
    """Holds the search engine once its loader has run; until then requests get a 503."""

    def __init__(self, loader: Callable[[], SearchEngine], wait_seconds: float = 0.0,
                 max_waiters: int = 0) -> None:
        self._loader = loader
        self._wait_seconds = wait_seconds
        # At most this many requests wait for the engine at once; the others get 503 at once,
        # so that waiting requests never take every thread (and /healthz with them).
        self._waiters = threading.BoundedSemaphore(max_waiters) if max_waiters > 0 else None
        self._engine: SearchEngine | None = None
        self._error: str | None = None
        self._thread: threading.Thread | None = None
        self.reload_error: str | None = None  # the last build that could not be served
        self._listeners: list[Callable[[SearchEngine], None]] = []
        self.corpus_problems: tuple[str, ...] = ()  # stored documents that cannot be read

    @classmethod
    def ready_with(cls, engine: SearchEngine) -> EngineState:
        state = cls(lambda: engine)
        state._engine = engine
        return state

    def start(self) -> None:
        """Run the loader in a daemon thread (once)."""
        if self._thread is None and self._engine is None:
            self._thread = threading.Thread(target=self._load, name="engine-loader", daemon=True)
            self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loading has ended; True if the engine is ready."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._engine is not None

    def _load(self) -> None:
        try:
            self._engine = self._loader()
            log.info("ready: %d cases, model %s", len(self._engine.cases),
                     self._engine.embedder.model_id)
        except Exception as exc:  # any failure is reported by /readyz and in the log
            log.exception("loading the search engine failed")
            self._error = str(exc) or type(exc).__name__

    @property
    def engine(self) -> SearchEngine | None:
        return self._engine

    def swap(self, engine: SearchEngine) -> None:
        """Serve `engine` from now on; requests that already hold the old one finish with it.
        Subscribers are told (the MCP server re-describes its tools)."""
        self._engine, self.reload_error = engine, None
        for listener in self._listeners:
            listener(engine)

    def subscribe(self, listener: Callable[[SearchEngine], None]) -> None:
        """Call `listener(engine)` after each swap."""
        self._listeners.append(listener)

    @property
    def error(self) -> str | None:
        return self._error

    def require(self) -> SearchEngine:
        """The engine, waiting up to `wait_seconds` while it loads (if fewer than `max_waiters`
        requests already wait); else a 503 problem saying whether it is still loading (with
        Retry-After) or has failed."""
        if (self._engine is None and self._error is None and self._wait_seconds > 0
                and self._waiters is not None and self._waiters.acquire(blocking=False)):
            try:
                self.wait(self._wait_seconds)
            finally:
                self._waiters.release()
        if self._engine is not None:
            return self._engine
        if self._error is not None:
            raise ApiError(503, "the search engine failed to load; the server log says why")
        raise ApiError(503, "the model and index are still loading; retry in a few seconds",
                       retry_after=2)
