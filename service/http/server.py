"""Run the app under gunicorn: worker processes (each with its own copy of the model), each
serving requests on several threads. The defaults (1 worker × 4 request threads, the embedding
on every core when a query has them to itself and on one core each when queries overlap) were
chosen by `scripts/loadtest.py` and `scripts/bench.py`; see docs/PERFORMANCE.md.

The worker (`GuardedThreadWorker`) adds what a service facing careless or hostile clients
needs and gunicorn's threaded worker lacks:
- a request's headers (and a small body) are read by the worker's event loop, without a request
  thread: a thread is given to a request only once all of it is in, so clients that trickle
  their bytes, however many, cannot take the few request threads from everyone else;
- a deadline to receive a request (from its connection or its previous request) and one for
  the whole request: a client that trickles bytes is answered 408 and disconnected; a request
  cut at its deadline is logged as cut, never as answered;
- answers gunicorn gives itself, before the app sees a request (a request line or headers too
  long, bytes that are not HTTP), are `application/problem+json` like every other error.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import re
import selectors
import shutil
import socket
import tempfile
import threading
import time
from functools import partial
from http import HTTPStatus
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import TConn, ThreadWorker

from service.problems import problem_body
from service.runtime.logs import configure_logging, gunicorn_log_config
from service.runtime.settings import Settings, default_of

# A request line well formed but for characters outside ASCII in its target (curl sends
# `?q=校车` as raw UTF-8, which HTTP does not allow; browsers percent-encode it).
# Not `\S`: UTF-8 bytes read as Latin-1 hold characters such as U+0085 that `\s` matches (the
# 0x85 of 安 in 校车安全).
_RAW_TEXT_IN_TARGET = re.compile(r"[A-Z]{3,7} [^ ]*[^\x00-\x7f][^ ]* HTTP/1\.[01]\Z")
MAX_REQUEST_LINE = 8190  # gunicorn's largest: a 500-character Chinese question fits by GET
# Read by the event loop before a thread is given: the head (a request line, and headers of at
# most 32 KB in all, as nginx's `large_client_header_buffers 4 8k` allows), then a body of up to
# BODY_LIMIT (the largest the app takes is a batch's, service.http.api). A larger announced
# body is refused at once: nothing would read it but a thread, at the client's pace.
HEAD_LIMIT = MAX_REQUEST_LINE + 4 * 8192
BODY_LIMIT = 64 * 1024
# A document sent to the routes that take one (service.http.documents) may be larger, when the
# server takes documents at all (an admin key is set: `run_server` sets UPLOAD_LIMIT and
# ADMIN_KEYS), and only for a request whose head carries a valid admin key or admin session
# (checked here, from the head, and again by the app). The event loop holds it in memory until
# it is all in: at most LARGE_ARRIVALS such requests at once per worker, each given its read
# deadline plus the time to send it at UPLOAD_MIN_RATE.
UPLOAD_LIMIT = 0
ADMIN_KEYS: tuple[tuple[str, str], ...] = ()
UPLOAD_OVERHEAD = 64 * 1024  # a multipart body's boundaries and the form's other fields
LARGE_ARRIVALS = 4
UPLOAD_MIN_RATE = 64 * 1024  # bytes per second
_UPLOAD_LINE = re.compile(rb"(?:POST|PUT) /(?:api/)?documents(?:/[^ ?]*)?(?:\?[^ ]*)? "
                          rb"HTTP/1\.[01]\r?\n")
_DOCUMENT_PATH = re.compile(r"/(?:api/)?documents(?:/|$)")
_AUTHORIZATION = re.compile(rb"\r\nauthorization:[ \t]*([^\r\n]*)", re.I)
_COOKIE = re.compile(rb"\r\ncookie:[ \t]*([^\r\n]*)", re.I)
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,12})[ \t]*\r\n", re.I)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r\n]*chunked", re.I)
_EXPECTS_CONTINUE = re.compile(rb"\r\nexpect:[ \t]*100-continue", re.I)
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,15})[ \t]*(?:;[^\r\n]*)?")
MAX_CHUNK_LINE = 4096  # a chunk's size line (with its extensions), or a trailer line
CUT = "casesearch.cut"  # environ key: set when the request was cut at its deadline
DEADLINE = "casesearch.deadline"  # environ key: the seconds the request was given
REQUEST_SECONDS = 30.0  # a search takes milliseconds; this only ends stuck connections
# A document sent to be read (service.http.documents) may take its reader up to
# corpus.isolated.READ_SECONDS (150 s), then storing it a wait for the corpus's lock
# (corpus.store.LOCK_WAIT_SECONDS, 120 s): its request gets this long.
DOCUMENT_SECONDS = 300.0
log = logging.getLogger(__name__)


def problem_bytes(status: int, detail: str, *, extra_headers: str = "") -> bytes:
    """A complete HTTP/1.1 problem+json response that closes the connection."""
    phrase = HTTPStatus(status).phrase
    body = json.dumps(problem_body(status, detail)).encode()
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


def _admin_in_head(head: bytes) -> bool:
    """Whether a request's head carries a valid admin key (Bearer) or admin session cookie."""
    from service.runtime.admission import ADMIN_COOKIE, admin_of_authorization, admin_of_session

    for found in _AUTHORIZATION.finditer(head):
        if admin_of_authorization(found.group(1).decode("latin-1").strip(), ADMIN_KEYS):
            return True
    for found in _COOKIE.finditer(head):
        for pair in found.group(1).decode("latin-1").split(";"):
            name, _, value = pair.strip().partition("=")
            if name == ADMIN_COOKIE and admin_of_session(value.strip('"'), ADMIN_KEYS):
                return True
    return False


def _reads_a_document(environ: dict) -> bool:
    """Whether a request sends a document to be read (an upload to the document routes)."""
    return (environ.get("REQUEST_METHOD") in ("POST", "PUT")
            and _DOCUMENT_PATH.match(environ.get("PATH_INFO", "")) is not None)


class Arrival:
    """What has arrived of a connection's next request, read by the event loop."""

    def __init__(self, seed: bytes = b"") -> None:
        self.buffer = bytearray(seed)
        self.scanned = 0           # where the search for the head's end goes on from
        self.body_at: int | None = None
        self.length: int | None = None
        self.chunked = self.expects_continue = self.continued = False
        self.limit = BODY_LIMIT    # the largest body this request may have
        self.large = False         # counted among the worker's large arrivals
        self.chunk_at: int | None = None  # where the next chunk (or trailer line) starts
        self.in_trailers = False

    def verdict(self) -> str | tuple[int, str]:
        """`ready` (all of it is in, or enough for gunicorn's parser to refuse it), `more`,
        or (status, detail) to refuse it with at once."""
        if self.body_at is None and not self._find_head():
            return self._incomplete_head()
        if self.chunked and self.length is None:
            size = len(self.buffer) - self.body_at
            if size > self.limit:
                return 413, self._too_large(size)
            return self._chunks_in()
        if self.length is not None and not self.chunked:
            if self.length > self.limit:
                return 413, self._too_large(self.length)
            return "ready" if len(self.buffer) >= self.body_at + self.length else "more"
        return "ready"  # no body, or both a length and chunks (which the parser refuses)

    def _find_head(self) -> bool:
        end = _HEAD_END.search(self.buffer, max(0, self.scanned - 3))
        self.scanned = len(self.buffer)
        if end is None:
            return False
        head = bytes(self.buffer[:end.start()]) + b"\r\n"
        self.body_at = end.end()
        length = _CONTENT_LENGTH.search(head)
        self.length = int(length.group(1)) if length else None
        self.chunked = bool(_CHUNKED.search(head))
        self.expects_continue = bool(_EXPECTS_CONTINUE.search(head))
        if UPLOAD_LIMIT and _UPLOAD_LINE.match(head) and _admin_in_head(head):
            self.limit = UPLOAD_LIMIT
        return True

    def _chunks_in(self) -> str:
        """`ready` once the last chunk and the trailers are in (or the framing is broken, for
        the parser to refuse), else `more`: the chunks are walked from where the last look
        stopped, each size line read once and each chunk's data skipped, never searched."""
        buffer, at = self.buffer, self.body_at if self.chunk_at is None else self.chunk_at
        while True:
            end = buffer.find(b"\r\n", at, at + MAX_CHUNK_LINE + 2)
            if end < 0:
                if len(buffer) - at > MAX_CHUNK_LINE:
                    return "ready"  # a size or trailer line this long: the parser refuses it
                break
            if self.in_trailers:
                if end == at:
                    return "ready"  # the empty line after the trailers: all of it is in
                at = end + 2
                continue
            size = _CHUNK_SIZE.fullmatch(bytes(buffer[at:end]))
            if size is None:
                return "ready"  # not a chunk size: the parser refuses it
            length = int(size.group(1), 16)
            if length == 0:
                self.in_trailers, at = True, end + 2
                continue
            if end + 2 + length + 2 > len(buffer):
                break  # this chunk's data is not all in yet: look again from its size line
            at = end + 2 + length + 2
        self.chunk_at = at
        return "more"

    @property
    def wants_large(self) -> bool:
        """Whether its body is (or may be, chunked) larger than an ordinary request's."""
        return self.limit > BODY_LIMIT and (self.chunked or (self.length or 0) > BODY_LIMIT)

    def _incomplete_head(self) -> str | tuple[int, str]:
        if len(self.buffer) > MAX_REQUEST_LINE + 2 and b"\n" not in self.buffer[
                :MAX_REQUEST_LINE + 2]:
            return "ready"  # the parser answers 414, with its own words
        if len(self.buffer) > HEAD_LIMIT:
            return 431, "the request headers are too large"
        return "more"

    def _too_large(self, size: int) -> str:
        if self.limit > BODY_LIMIT:
            return (f"the body is {size:,} bytes or more; this server takes documents of at "
                    f"most {self.limit:,} bytes (CASESEARCH_UPLOAD_MB)")
        return (f"the body is {size:,} bytes or more; this server takes at most "
                f"{BODY_LIMIT:,} (a request's JSON, not a document: documents go to "
                f"/api/documents with an admin key)")

    def wants_continue(self) -> bool:
        """Whether the client waits for `100 Continue` before it sends its body."""
        return (self.body_at is not None and self.expects_continue and not self.continued
                and len(self.buffer) == self.body_at)


class GuardedThreadWorker(ThreadWorker):
    """gunicorn's threaded worker: requests read without a thread, deadlines, problem+json."""

    read_seconds = default_of("read_timeout")  # set from the settings by `run_server`
    request_seconds = REQUEST_SECONDS

    def init_process(self) -> None:
        self._large = 0  # large arrivals being read now (the event loop's thread only)
        self._deadlines: dict[Any, tuple[float, str]] = {}
        self._cuts: dict[Any, tuple[threading.Event, dict]] = {}
        self._guard = threading.Lock()
        self._local = threading.local()
        threading.Thread(target=self._enforce_deadlines, name="request-deadlines",
                         daemon=True).start()
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app = self.wsgi

        def guarded(environ: dict, start_response: Any) -> Any:
            self._read_body(environ, getattr(self._local, "body_limit", BODY_LIMIT))
            environ[CUT] = cut = threading.Event()
            conn = getattr(self._local, "conn", None)
            with self._guard:
                if conn is not None:
                    self._cuts[conn] = (cut, environ)
            environ[DEADLINE] = (DOCUMENT_SECONDS if _reads_a_document(environ)
                                 else self.request_seconds)
            self._set_deadline(environ[DEADLINE], "app")
            return app(environ, start_response)

        self.wsgi = guarded

    # Reading a request in the event loop, before a thread is given to it

    def accept(self, listener: socket.socket) -> None:
        if self.cfg.is_ssl:  # TLS is nginx's (docs/DEPLOY.md); gunicorn's own path reads it
            super().accept(listener)
            return
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._read_early(TConn(self.cfg, client, address, listener.getsockname()))

    def on_client_socket_readable(self, conn: Any, client: socket.socket) -> None:
        """A kept-alive connection's next request: read like a new one."""
        if self.cfg.is_ssl:
            super().on_client_socket_readable(conn, client)
            return
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_early(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        """After a request: the next one already in the buffer (pipelined) is read on by the
        event loop too, not by a thread waiting for the rest of it."""
        leftover = b""
        if (not self.cfg.is_ssl and self.alive and not fs.cancelled()
                and fs.exception() is None and fs.result() is True
                and conn.parser is not None):
            leftover = conn.parser.unreader.buf.getvalue()
        if not leftover:
            super().finish_request(conn, fs)
            return
        conn.parser.unreader.buf = io.BytesIO()
        self._read_early(conn, leftover)

    def _read_early(self, conn: Any, seed: bytes = b"") -> None:
        conn.early = Arrival(seed)
        conn.sock.setblocking(False)
        with self._guard:
            self._deadlines[conn] = (time.monotonic() + self.read_seconds, "read")
        if seed and self._judge(conn, registered=False) != "more":
            return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_bytes, conn))

    def _on_bytes(self, conn: Any, client: socket.socket) -> None:
        try:
            chunk = client.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client has gone, or its deadline shut the connection
            self.poller.unregister(client)
            self._close_early(conn)
            return
        conn.early.buffer += chunk
        self._judge(conn, registered=True)

    def _judge(self, conn: Any, *, registered: bool) -> str | tuple[int, str]:
        """Hand a request that is all in to a thread, refuse one that cannot be taken, or ask
        for its body; the verdict. The connection leaves the event loop first."""
        arrival = conn.early
        verdict = arrival.verdict()
        if verdict == "more" and arrival.wants_large and not arrival.large:
            verdict = self._admit_large(conn, arrival)
        if verdict != "more" and arrival.large:
            arrival.large, self._large = False, self._large - 1
        if verdict != "more" and registered:
            self.poller.unregister(conn.sock)
        if verdict == "ready":
            with self._guard:  # waiting for a free thread is not the client's slowness
                self._deadlines.pop(conn, None)
            conn.data_ready = True
            self.enqueue_req(conn)
        elif verdict != "more":
            status, detail = verdict
            self.log.warning("refused a request from %s: %s (%s)", conn.client, status, detail)
            try:
                conn.sock.send(problem_bytes(status, detail), socket.MSG_DONTWAIT)
            except OSError:
                pass
            self._close_early(conn)
        elif arrival.wants_continue():
            arrival.continued = True
            try:
                conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n", socket.MSG_DONTWAIT)
            except OSError:
                pass
        return verdict

    def _admit_large(self, conn: Any, arrival: Arrival) -> str | tuple[int, str]:
        """Take a document's body in (a longer deadline, for its size), unless LARGE_ARRIVALS
        are being read already."""
        if self._large >= LARGE_ARRIVALS:
            return 503, (f"this server is receiving {LARGE_ARRIVALS} documents already; send "
                         f"it again in a minute")
        arrival.large, self._large = True, self._large + 1
        size = arrival.length if arrival.length is not None else arrival.limit
        with self._guard:
            self._deadlines[conn] = (time.monotonic() + self.read_seconds
                                     + size / UPLOAD_MIN_RATE, "read")
        return "more"

    def _close_early(self, conn: Any) -> None:
        arrival = getattr(conn, "early", None)
        if arrival is not None and arrival.large:
            arrival.large, self._large = False, self._large - 1
        with self._guard:
            self._deadlines.pop(conn, None)
        self.nr_conns -= 1
        conn.close()

    def handle(self, conn: Any) -> Any:
        self._local.conn = conn
        self._set_deadline(self.read_seconds, "read")  # for what the buffer does not hold
        try:
            arrival = getattr(conn, "early", None)
            self._local.body_limit = arrival.limit if arrival is not None else BODY_LIMIT
            if arrival is not None:
                conn.early = None
                conn.sock.setblocking(True)
                conn.init()
                conn.parser.unreader.unread(bytes(arrival.buffer))
            return super().handle(conn)
        finally:
            with self._guard:
                self._deadlines.pop(conn, None)
                self._cuts.pop(conn, None)
            self._local.conn = None

    def handle_request(self, req: Any, conn: Any) -> Any:
        """Answer one request; what follows it (reading the rest of a body the app did not
        read) has a read deadline again, and is no longer the app's time."""
        try:
            return super().handle_request(req, conn)
        finally:
            with self._guard:
                self._cuts.pop(conn, None)
            self._set_deadline(self.read_seconds, "drain")

    def _set_deadline(self, seconds: float, phase: str) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            with self._guard:
                self._deadlines[conn] = (time.monotonic() + seconds, phase)

    @staticmethod
    def _read_body(environ: dict, limit: int = BODY_LIMIT) -> None:
        """Read a body now (the event loop has it all in memory already), within the read
        deadline, not later at the app's pace."""
        length = environ.get("CONTENT_LENGTH") or ""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if (length.isdecimal() and 0 < int(length) <= limit) or chunked:
            environ["wsgi.input"] = io.BytesIO(environ["wsgi.input"].read(limit + 1))

    def _enforce_deadlines(self) -> None:
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            with self._guard:
                late = [(conn, phase) for conn, (deadline, phase) in self._deadlines.items()
                        if deadline < now]
                for conn, _ in late:
                    del self._deadlines[conn]
                cuts = {conn: self._cuts.get(conn) for conn, phase in late if phase == "app"}
            for conn, phase in late:
                self._disconnect(conn, phase, cuts.get(conn))

    def _disconnect(self, conn: Any, phase: str,
                    cut: tuple[threading.Event, dict] | None = None) -> None:
        """End a connection past its deadline; its thread's blocked read or write returns.
        A request cut while the app worked on it is marked, so that its log line says so."""
        try:
            if phase == "read":  # nothing has been answered yet: say why
                detail = (f"the request was not received within {self.read_seconds:g} s; "
                          f"send it at once")
                conn.sock.send(problem_bytes(408, detail), socket.MSG_DONTWAIT)
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if cut is None:
            what = {"read": "its request", "drain": "the rest of its body",
                    "app": "its answer"}.get(phase, phase)
            self.log.warning("closed a connection from %s: %s took too long", conn.client, what)
            return
        event, environ = cut
        event.set()
        self.log.warning("cut %s %s from %s after %g s (request id %s): the answer was not "
                         "sent", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
                         conn.client, environ.get(DEADLINE, self.request_seconds),
                         environ.get("HTTP_X_REQUEST_ID", "-"))

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
    global UPLOAD_LIMIT, ADMIN_KEYS
    UPLOAD_LIMIT = ((settings.upload_mb << 20) + UPLOAD_OVERHEAD) if settings.admin_keys else 0
    ADMIN_KEYS = settings.admin_keys
    # Workers are processes: prometheus_client keeps each one's figures in files here, and
    # /metrics adds them up. It must be set before any worker imports prometheus_client.
    metrics_dir = tempfile.mkdtemp(prefix="casesearch-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    arbiter = os.getpid()
    try:
        _serve(settings)
    finally:  # SIGTERM ends the arbiter by SystemExit; a worker leaves through here too
        if os.getpid() == arbiter:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve(settings: Settings) -> None:
    _Gunicorn(gunicorn_options(settings), settings).run()


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """gunicorn's configuration for `casesearch serve`."""
    return {
        "bind": f"{settings.host}:{settings.port}", "workers": settings.workers,
        "worker_class": "service.http.server.GuardedThreadWorker",
        "threads": settings.server_threads,
        "limit_request_line": MAX_REQUEST_LINE,
        "graceful_timeout": 10, "timeout": 60, "errorlog": "-",
        "accesslog": None,  # the app logs each request itself (service.http.observability)
        "logconfig_dict": gunicorn_log_config(settings.log_format),
        "loglevel": "info", "proc_name": "casesearch", "child_exit": _worker_exit,
        # gunicorn's control socket is one path per user: replicas on one host would take it
        # from each other (and unlink it on exit). casesearch does not use it.
        "control_socket_disable": True,
        # Forwarded headers are judged by the app alone (CASESEARCH_TRUSTED_PROXIES, in
        # service.http.security): gunicorn would otherwise make the scheme `https` for any
        # loopback peer that says so, whatever the setting.
        "forwarded_allow_ips": "",
    }
