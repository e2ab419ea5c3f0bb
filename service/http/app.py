"""The Flask application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from index.models.embedders import CachedEmbedder
from index.retrieval.observe import StageFunction
from index.retrieval.search import SearchEngine
from service.http.errors import register_error_handlers
from service.http.observability import observe_cache, observe_stage, register_observability
from service.http.security import register_security
from service.runtime.admission import WorkGate
from service.runtime.loader import EngineState
from service.runtime.settings import Settings

# During start-up a request waits for the engine up to this long, but only the request threads
# less one at a time (so /healthz always has a thread); the others get 503 with Retry-After.
ENGINE_WAIT_SECONDS = 30.0
SEARCH_BODY_BYTES = 16 * 1024  # a search body is a question, not a document (a batch: api.py)


def config_from(settings: Settings) -> dict[str, Any]:
    """The app's configuration, made from the settings: the one source of every default."""
    return {
        "MAX_CONTENT_LENGTH": SEARCH_BODY_BYTES, "API_KEY": settings.api_key,
        "CORS_ORIGINS": settings.cors_origins, "ALLOWED_HOSTS": settings.served_hosts,
        "ENGINE_WAIT_SECONDS": ENGINE_WAIT_SECONDS,
        "ENGINE_MAX_WAITERS": max(0, settings.server_threads - 1),
        "RELOAD_SECONDS": settings.reload_seconds, "BATCH_SLOTS": settings.batch_threads,
        "LOG_QUERIES": settings.log_queries, "ADMIN_KEYS": settings.admin_keys,
        "UPLOAD_BYTES": settings.upload_mb << 20, "CHANGES_PER_HOUR": settings.changes_per_hour,
        "TRUSTED_PROXIES": settings.trusted_proxies,
    }


def create_app(test_config: dict[str, Any] | None = None, *,
               settings: Settings | None = None) -> Flask:
    """Build the app.

    Args:
        settings: the service's settings (default: read from the environment).
        test_config: configuration for tests, over the settings' defaults instead of the
            environment. `ENGINE` gives a ready `SearchEngine`; `ENGINE_LOADER` a function that
            makes one. Without either, the engine is opened from the environment's settings in
            a background thread; /readyz says when it is ready. With `INDEX_PATH` (always,
            from the settings), a new build at that path is served as soon as it lands
            (`RELOAD_SECONDS`).
    """
    app = Flask(__name__)
    if test_config is None:
        settings = settings or Settings.from_env()
        app.config.from_mapping(config_from(settings), SETTINGS=settings,
                                INDEX_PATH=settings.index_path, DATA_DIR=settings.data)
    else:
        app.config.from_mapping(config_from(Settings()), **test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from service.http import api, views
    from service.http.documents import register_documents

    register_observability(app)  # first: every answer gets a request id and is counted
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    register_documents(app)
    register_error_handlers(app)
    register_security(app)
    app.extensions["casesearch"] = state = _engine_state(app)
    app.extensions["casesearch.batches"] = WorkGate(int(app.config["BATCH_SLOTS"]),
                                                    "batch searches")
    if app.config.get("INDEX_PATH") is not None:
        _watch_index(app, state)
    return app


def _watch_index(app: Flask, state: EngineState) -> None:
    from service.runtime.reload import IndexWatcher
    from service.runtime.tuning import TuningTrigger, tuning_applies
    from service.runtime.wiring import reopen_engine

    settings = app.config.get("SETTINGS")
    # A server started from its settings tunes the model for the corpus it serves.
    trigger = (TuningTrigger(settings) if settings is not None and tuning_applies(settings)
               else None)
    watcher = IndexWatcher(state, app.config["INDEX_PATH"],
                           reopen=lambda engine, build: observed(
                               reopen_engine(engine, build, settings)),
                           data_dir=app.config.get("DATA_DIR"),
                           interval=float(app.config["RELOAD_SECONDS"]), on_serving=trigger)
    app.extensions["casesearch.watcher"] = watcher
    watcher.start()


def observed(engine: SearchEngine) -> SearchEngine:
    """The engine with its search stages and query-cache lookups reported as metrics."""
    if isinstance(engine, SearchEngine):
        engine.observe(StageFunction(observe_stage))
        if isinstance(engine.embedder, CachedEmbedder):
            engine.embedder.observe(observe_cache)
    return engine


def _engine_state(app: Flask) -> EngineState:
    wait = float(app.config["ENGINE_WAIT_SECONDS"])
    waiters = int(app.config["ENGINE_MAX_WAITERS"])
    if app.config.get("ENGINE") is not None:
        return EngineState.ready_with(observed(app.config["ENGINE"]))
    loader = app.config.get("ENGINE_LOADER")
    if loader is None:
        from service.runtime.wiring import open_engine

        settings = app.config["SETTINGS"]
        loader = lambda: open_engine(settings)  # noqa: E731
    load = loader
    loader = lambda: observed(load())  # noqa: E731
    logging.getLogger("casesearch").info("loading model and index")
    state = EngineState(loader, wait_seconds=wait, max_waiters=waiters)
    state.start()
    return state
