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
