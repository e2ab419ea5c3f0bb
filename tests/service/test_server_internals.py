"""What service.http.server and the USE embedder reach into, in the packages they extend:
if an upgrade moves it, these fail loudly instead of the server quietly misbehaving."""

from __future__ import annotations

import inspect

import pytest
from gunicorn.http.unreader import Unreader
from gunicorn.workers import gthread

from service.http.server import GuardedThreadWorker


@pytest.mark.parametrize(("name", "parameters"), [
    ("accept", ["self", "listener"]),
    ("on_client_socket_readable", ["self", "conn", "client"]),
    ("finish_request", ["self", "conn", "fs"]),
    ("handle", ["self", "conn"]),
    ("handle_request", ["self", "req", "conn"]),
    ("handle_error", ["self", "req", "client", "addr", "exc"]),
])
def test_the_gthread_methods_the_worker_overrides_are_still_there(name, parameters):
    method = getattr(gthread.ThreadWorker, name)
    assert list(inspect.signature(method).parameters) == parameters
    assert getattr(GuardedThreadWorker, name) is not method  # overridden, not inherited


def test_the_connection_and_parser_state_the_worker_uses_is_still_there():
    source = inspect.getsource(gthread.TConn.__init__)
    for attribute in ("self.parser", "self.initialized", "self.data_ready", "self.sock"):
        assert attribute in source, attribute
    assert "if not conn.initialized and not conn.data_ready" in inspect.getsource(
        gthread.ThreadWorker.handle)
    assert "unreader.buf.getvalue()" in inspect.getsource(gthread.ThreadWorker.finish_request)
    assert callable(Unreader.unread) and "self.buf" in inspect.getsource(Unreader.unread)
    assert list(inspect.signature(gthread.ThreadWorker.enqueue_req).parameters) == [
        "self", "conn"]  # called, not overridden
    for attribute in ("poller", "keepalived_conns", "nr_conns", "tpool"):
        assert f"self.{attribute}" in inspect.getsource(gthread.ThreadWorker)


@pytest.mark.slow  # loads USE's weights
def test_the_use_thread_limiter_the_embedder_switches_off_is_still_there():
    from index.models.embedders import UseEmbedder

    embedder = UseEmbedder(threads=1)
    backend = embedder.engine._model
    assert "_threadpool" in vars(backend) and backend._threadpool is None


# How the event loop tells that a request is all in (service.http.server.Arrival)

def _arrival(body_parts: list[bytes], *, head: bytes = b"POST /api/search HTTP/1.1\r\n"
             b"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n"):
    from service.http.server import Arrival

    arrival = Arrival()
    verdicts = []
    for part in [head, *body_parts]:
        arrival.buffer += part
        verdicts.append(arrival.verdict())
    return verdicts


def test_a_chunked_body_is_in_once_its_last_chunk_and_trailers_are():
    assert _arrival([b"5\r\nhello\r\n", b"0\r\n", b"\r\n"])[1:] == ["more", "more", "ready"]
    assert _arrival([b"5;ext=1\r\nhel", b"lo\r\n0\r\nX-Trailer: 1\r\n", b"\r\n"])[1:] == [
        "more", "more", "ready"]
    # a chunk whose data holds what looks like the last chunk is not the end
    assert _arrival([b"7\r\n\r\n0\r\n\r\n\r\n", b"0\r\n\r\n"])[1:] == ["more", "ready"]
    assert _arrival([b"zz\r\n"])[-1] == "ready"  # broken framing: the parser refuses it


def test_a_crafted_chunked_body_is_judged_in_linear_time():
    import time

    from service.http.server import BODY_LIMIT

    # One chunk whose data is what a regex over the whole body would backtrack on (6.9 s for
    # 64 KB with the one this replaced), arriving 512 bytes at a time: each look is short.
    data = b"\r\n0\r\nx" * ((BODY_LIMIT - 64) // 6)
    body = f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"
    started = time.perf_counter()
    verdicts = _arrival([body[i:i + 512] for i in range(0, len(body), 512)])
    assert time.perf_counter() - started < 2.0
    assert set(verdicts[1:-1]) == {"more"} and verdicts[-1] == "ready"
    many = [b"1\r\nx\r\n"] * 5000 + [b"0\r\n\r\n"]  # 5,000 tiny chunks, one look each
    started = time.perf_counter()
    assert _arrival(many)[-1] == "ready"
    assert time.perf_counter() - started < 2.0
