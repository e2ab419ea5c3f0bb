"""What operators watch: a request id on every request, one access-log line per request, and
Prometheus metrics at GET /metrics (guarded by the API key like the API).

Metrics use `prometheus_client`. Under gunicorn each worker is a process of its own, so the
server sets PROMETHEUS_MULTIPROC_DIR before the workers start (service.http.server) and
/metrics adds up every live worker's figures; run without it (tests, `flask run`), the
process's own registry is served.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from datetime import datetime

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as PROCESS_REGISTRY

from index.retrieval.in_flight import SEARCHES
from service.http.server import CUT

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}\Z")
# A label's values must come from a fixed set, never from a client: each new value is a new
# series in every worker's file, and 2,000 made-up methods grew /metrics from 29 KB to 3 MB.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
access_log = logging.getLogger("casesearch.access")

REQUESTS = Counter("casesearch_http_requests", "HTTP requests answered",
                   ["method", "route", "status"])
DURATION = Histogram("casesearch_http_request_duration_seconds", "Time to answer a request",
                     ["method", "route", "status"],
                     buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5))
STAGES = Histogram("casesearch_search_stage_seconds", "Time of each stage of a search",
                   ["stage"], buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1))
CACHE = Counter("casesearch_query_cache_lookups", "Question vectors looked up in the cache",
                ["result"])
IN_FLIGHT = Gauge("casesearch_searches_in_flight",
                  "Searches running now (API, pages, batches and similar-case lookups)",
                  multiprocess_mode="livesum")
SEARCHES.watch(IN_FLIGHT.inc)  # the engine counts its searches; the gauge follows that count
INDEX_CASES = Gauge("casesearch_index_cases", "Cases in the index being served",
                    multiprocess_mode="livemax")
INDEX_AGE = Gauge("casesearch_index_age_seconds", "Seconds since the served index was built",
                  multiprocess_mode="livemin")
INDEX_BUILD = Gauge("casesearch_index_build_info", "The build served (1) by label",
                    ["build", "model"], multiprocess_mode="livemax")
_served: dict[str, tuple[str, str]] = {}


def observe_stage(stage: str, seconds: float) -> None:
    """Record one stage of a search (the engine's `on_stage` hook)."""
    STAGES.labels(stage).observe(seconds)


def observe_cache(hit: bool) -> None:
    """Record one query-cache lookup (what the cached embedder tells its watchers)."""
    CACHE.labels("hit" if hit else "miss").inc()


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def method_label(method: str) -> str:
    """A request method as a metric label: one of METHODS, else `other`."""
    return method if method in METHODS else "other"


def _start() -> None:
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    request_id = getattr(g, "request_id", None) or uuid.uuid4().hex
    seconds = time.perf_counter() - getattr(g, "started", time.perf_counter())
    response.headers["X-Request-Id"] = request_id
    cut = request.environ.get(CUT)
    # A request the server cut at its deadline was never answered: say so (504, as a proxy
    # would), not the status the app reached too late.
    code = 504 if cut is not None and cut.is_set() else response.status_code
    route, status, method = _route(), str(code), method_label(request.method)
    REQUESTS.labels(method, route, status).inc()
    DURATION.labels(method, route, status).observe(seconds)
    logged_queries = current_app.config.get("LOG_QUERIES", True)
    path = request.full_path.rstrip("?") if logged_queries else request.path
    access_log.log(logging.WARNING if code == 504 else logging.INFO,
                   "%s %s %s %.1f ms%s", request.method, path, status, seconds * 1000,
                   " (cut at the deadline: not sent)" if code != response.status_code else "",
                   extra={"request_id": request_id, "method": request.method,
                          "route": route, "path": path, "status": code,
                          "duration_ms": round(seconds * 1000, 2)})
    return response


def _index_gauges() -> None:
    engine = current_app.extensions["casesearch"].engine
    if engine is None:
        return
    manifest = engine.index.manifest
    INDEX_CASES.set(len(engine.cases))
    INDEX_AGE.set(max(0.0, time.time() - datetime.fromisoformat(manifest.built_at).timestamp()))
    labels = (engine.index.path.name, manifest.model_id)
    if _served.get("now") not in (None, labels):
        INDEX_BUILD.labels(*_served["now"]).set(0)  # the build served before this one
    INDEX_BUILD.labels(*labels).set(1)
    _served["now"] = labels


def metrics() -> Response:
    """GET /metrics: every worker's figures in Prometheus' text format."""
    _index_gauges()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = PROCESS_REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def register_observability(app: Flask) -> None:
    """Request ids, access lines and /metrics (registered first: every answer is counted)."""
    app.before_request(_start)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])
