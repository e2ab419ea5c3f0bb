"""Run the app under gunicorn: worker processes (each with its own copy of the model), each
serving requests on several threads. The defaults (1 worker × 4 request threads, the embedding
on every core when a query has them to itself and on one core each when queries overlap) were
chosen by `scripts/loadtest.py` and `scripts/bench.py`; see docs/PERFORMANCE.md."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from service.app import create_app

        return create_app()


def run_server(host: str, port: int, *, workers: int = 1, threads: int = 4) -> None:
    """Serve on host:port until SIGINT/SIGTERM, finishing requests in flight."""
    logging.basicConfig(level=logging.INFO,
                        format="[%(asctime)s] [%(levelname)s] %(name)s: %(message)s")
    _Gunicorn({
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": 10, "timeout": 60, "accesslog": "-", "errorlog": "-",
        "loglevel": "info", "proc_name": "casesearch",
    }).run()
