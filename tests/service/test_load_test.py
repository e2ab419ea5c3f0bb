"""A bounded load test on loopback: 16 concurrent clients on mixed endpoints for 30 s against
`casesearch serve` with its default settings, and not one error. Slow (real model, 30 s)."""

from __future__ import annotations

import pytest

from scripts.loadtest import run_load, start_server
from service.runtime.settings import Settings

pytestmark = pytest.mark.slow


def test_sixteen_clients_for_thirty_seconds_without_an_error(real_index_path, cache_dir,
                                                             monkeypatch):
    monkeypatch.setenv("CASESEARCH_HOME", str(cache_dir))
    monkeypatch.setenv("CASESEARCH_INDEX", str(real_index_path))
    server, port = start_server(workers=Settings().workers,
                                 threads=Settings().server_threads)
    try:
        report = run_load("127.0.0.1", port, clients=16, seconds=30)
    finally:
        server.terminate()
        server.wait(30)
    assert report["errors"] == 0, report["error_samples"]
    assert report["requests"] > 16 * 30  # every client kept being served
