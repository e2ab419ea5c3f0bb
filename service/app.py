"""The Flask application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from service.errors import register_error_handlers
from service.security import register_security
from service.state import EngineState

DEFAULTS = {
    "MAX_CONTENT_LENGTH": 16 * 1024,  # a search body is a question, not a document
    "API_KEY": "",
    "CORS_ORIGINS": (),
    "ENGINE_WAIT_SECONDS": 30.0,  # a request during start-up waits this long for the model
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app.

    Args:
        test_config: configuration for tests, used instead of the environment. `ENGINE` gives a
            ready `SearchEngine`; `ENGINE_LOADER` a function that makes one. Without either,
            the engine is opened from the environment's settings in a background thread;
            /readyz says when it is ready.
    """
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        from service.settings import Settings

        settings = Settings.from_env()
        app.config.from_mapping(API_KEY=settings.api_key, CORS_ORIGINS=settings.cors_origins,
                                SETTINGS=settings)
    else:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from service import api, views

    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    register_error_handlers(app)
    register_security(app)
    app.extensions["casesearch"] = _engine_state(app)
    return app


def _engine_state(app: Flask) -> EngineState:
    wait = float(app.config["ENGINE_WAIT_SECONDS"])
    if app.config.get("ENGINE") is not None:
        return EngineState.ready_with(app.config["ENGINE"])
    loader = app.config.get("ENGINE_LOADER")
    if loader is None:
        from service.engine import open_engine

        settings = app.config["SETTINGS"]
        loader = lambda: open_engine(settings)  # noqa: E731
    logging.getLogger("casesearch").info("loading model and index")
    state = EngineState(loader, wait_seconds=wait)
    state.start()
    return state
