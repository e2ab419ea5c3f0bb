"""Run the app under gunicorn: worker processes (each with its own copy of the model), each
serving requests on several threads. The defaults (1 worker × 4 request threads, the embedding
on every core when a query has them to itself and on one core each when queries overlap) were
chosen by `scripts/loadtest.py` and `scripts/bench.py`; see docs/PERFORMANCE.md.

The worker (`GuardedThreadWorker`) adds what a service facing careless or hostile clients
needs and gunicorn's threaded worker lacks:
- a deadline to read a request (headers and body) once its first byte is in, and one for the
  whole request: a client that trickles bytes is answered 408 and disconnected instead of
  holding one of the few request threads for as long as it likes;
- answers gunicorn gives itself, before the app sees a request (a request line or headers too
  long, bytes that are not HTTP), are `application/problem+json` like every other error.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from http import HTTPStatus
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import ThreadWorker

from service.runtime.logs import configure_logging, gunicorn_log_config
from service.runtime.settings import Settings

# A request line well formed but for characters outside ASCII in its target (curl sends
# `?q=校车` as raw UTF-8, which HTTP does not allow; browsers percent-encode it).
_RAW_TEXT_IN_TARGET = re.compile(r"[A-Z]{3,7} \S*[^\x00-\x7f]\S* HTTP/1\.[01]\Z")
MAX_REQUEST_LINE = 8190  # gunicorn's largest: a 500-character Chinese question fits by GET
BODY_LIMIT = 64 * 1024   # read ahead within the read deadline; the app refuses > 16 KB anyway
log = logging.getLogger(__name__)


def problem_bytes(status: int, detail: str, *, extra_headers: str = "") -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection."""
    phrase = HTTPStatus(status).phrase
    body = json.dumps({"type": "about:blank", "title": phrase, "status": status,
                       "detail": detail}).encode()
    head = (f"HTTP/1.1 {status} {phrase}\r\nConnection: close\r\n"
            f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n"
            f"{extra_headers}\r\n")
    return head.encode("latin-1") + body


def status_of(exc: BaseException) -> tuple[int, str]:
    """The status and detail for an error gunicorn meets before the app sees the request."""
    if isinstance(exc, http_errors.InvalidResponseHeader | http_errors.InvalidResponseHeaderName
                  | http_errors.ConfigurationProblem):
        return 500, "an unexpected error occurred; it has been logged"
    if isinstance(exc, http_errors.ForbiddenProxyRequest):
        return 403, "requests through that proxy are not accepted"
    if isinstance(exc, http_errors.LimitRequestLine):
        return 414, (f"the request line is longer than {MAX_REQUEST_LINE:,} bytes; send a long "
                     f"question with POST /api/search and a JSON body")
    if isinstance(exc, http_errors.LimitRequestHeaders):
        return 431, "the request headers are too large"
    if isinstance(exc, http_errors.UnsupportedTransferCoding):
        return 501, "that transfer coding is not supported"
    if isinstance(exc, http_errors.ExpectationFailed):
        return 417, "that expectation cannot be met"
    if isinstance(exc, http_errors.InvalidRequestLine) and _RAW_TEXT_IN_TARGET.match(str(exc.req)):
        return 400, ("the request line holds characters that are not ASCII: percent-encode "
                     "them, as browsers do (?q=%E6%A0%A1%E8%BD%A6 for 校车); with curl, "
                     "-G --data-urlencode 'q=校车'")
    if isinstance(exc, http_errors.ParseException | http_errors.NoMoreData):
        return 400, "the request is not valid HTTP/1.1"
    return 500, "an unexpected error occurred; it has been logged"


class GuardedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker with request deadlines and problem+json errors."""

    read_seconds = 5.0      # set from CASESEARCH_READ_TIMEOUT by `run_server`
    request_seconds = 30.0  # a search takes milliseconds; this only ends stuck connections

    def init_process(self) -> None:
        self._deadlines: dict[Any, tuple[float, str]] = {}
        self._guard = threading.Lock()
        self._local = threading.local()
        threading.Thread(target=self._enforce_deadlines, name="request-deadlines",
                         daemon=True).start()
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app = self.wsgi

        def guarded(environ: dict, start_response: Any) -> Any:
            self._read_body(environ)
            self._set_deadline(self.request_seconds, "app")
            return app(environ, start_response)

        self.wsgi = guarded

    def handle(self, conn: Any) -> Any:
        self._local.conn = conn
        self._set_deadline(self.read_seconds, "read")
        try:
            return super().handle(conn)
        finally:
            with self._guard:
                self._deadlines.pop(conn, None)
            self._local.conn = None

    def _set_deadline(self, seconds: float, phase: str) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            with self._guard:
                self._deadlines[conn] = (time.monotonic() + seconds, phase)

    @staticmethod
    def _read_body(environ: dict) -> None:
        """Read a (small) body now, within the read deadline, not later at the app's pace."""
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if (length.isdecimal() and 0 < int(length) <= BODY_LIMIT) or chunked:
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(BODY_LIMIT + 1))

    def _enforce_deadlines(self) -> None:
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            with self._guard:
                late = [(conn, phase) for conn, (deadline, phase) in self._deadlines.items()
                        if deadline < now]
                for conn, _ in late:
                    del self._deadlines[conn]
            for conn, phase in late:
                self._disconnect(conn, phase)

    def _disconnect(self, conn: Any, phase: str) -> None:
        """End a connection past its deadline; its thread's blocked read or write returns."""
        try:
            if phase == "read":  # nothing has been answered yet: say why
                detail = (f"the request was not received within {self.read_seconds:g} s; "
                          f"send it at once")
                conn.sock.send(problem_bytes(408, detail), socket.MSG_DONTWAIT)
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.log.warning("closed a connection from %s: %s took too long", conn.client, phase)

    def handle_error(self, req: Any, client: socket.socket, addr: Any,
                     exc: BaseException) -> None:
        status, detail = status_of(exc)
        if status >= 500:
            self.log.exception("error handling a request")
        else:
            self.log.warning("refused a request from %s: %s (%s)", addr and addr[0], status, exc)
        try:
            client.setblocking(False)
            client.send(problem_bytes(status, detail))
        except OSError:
            pass


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any], settings: Settings) -> None:
        self.options, self.settings = options, settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from service.http.app import create_app

        return create_app(settings=self.settings)  # each worker gets the settings as given


def _worker_exit(server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: a dead worker's metrics stop counting as live."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def run_server(settings: Settings) -> None:
    """Serve on settings.host:port until SIGINT/SIGTERM, finishing requests in flight."""
    configure_logging(settings.log_format)
    GuardedThreadWorker.read_seconds = settings.read_timeout
    # Workers are processes: prometheus_client keeps each one's figures in files here, and
    # /metrics adds them up. It must be set before any worker imports prometheus_client.
    metrics_dir = tempfile.mkdtemp(prefix="casesearch-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    _Gunicorn({
        "bind": f"{settings.host}:{settings.port}", "workers": settings.workers,
        "worker_class": "service.http.server.GuardedThreadWorker",
        "threads": settings.server_threads,
        "limit_request_line": MAX_REQUEST_LINE,
        "graceful_timeout": 10, "timeout": 60, "errorlog": "-",
        "accesslog": None,  # the app logs each request itself (service.http.observability)
        "logconfig_dict": gunicorn_log_config(settings.log_format),
        "loglevel": "info", "proc_name": "casesearch", "child_exit": _worker_exit,
    }, settings).run()
    shutil.rmtree(metrics_dir, ignore_errors=True)
