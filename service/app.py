"""The Flask application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from service.errors import register_error_handlers
from service.state import EngineState

DEFAULTS = {
    "MAX_CONTENT_LENGTH": 16 * 1024,  # a search body is a question, not a document
    "JSON_SORT_KEYS": False,
}


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app.

    Args:
        test_config: overrides for tests. `ENGINE` gives a ready `SearchEngine`; `ENGINE_LOADER`
            a function that makes one. Without either, the engine is opened from the
            environment's settings in a background thread, and /readyz says when it is ready.
    """
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from service import api, views

    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    register_error_handlers(app)
    app.extensions["casesearch"] = _engine_state(app)
    return app


def _engine_state(app: Flask) -> EngineState:
    if app.config.get("ENGINE") is not None:
        return EngineState.ready_with(app.config["ENGINE"])
    loader = app.config.get("ENGINE_LOADER")
    if loader is None:
        from service.engine import open_engine
        from service.settings import Settings

        settings = Settings.from_env()
        loader = lambda: open_engine(settings)  # noqa: E731
    logging.getLogger("casesearch").info("loading model and index")
    state = EngineState(loader)
    state.start()
    return state
