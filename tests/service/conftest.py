from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from corpus.load import DEFAULT_DATA_DIR
from service.http.app import create_app
from tests.index.places_corpus import places_engine  # noqa: F401  (a fixture)

ROOT = Path(__file__).resolve().parents[2]
FAKE_CLI = ROOT / "tests" / "fake_casesearch.py"


@pytest.fixture
def fake_home(tmp_path, monkeypatch):
    """The CLI's settings for a test: a home in tmp, the fake model, no second embedder."""
    monkeypatch.setenv("CASESEARCH_HOME", str(tmp_path))
    monkeypatch.setenv("CASESEARCH_MODEL", "fake/char-ngrams")
    monkeypatch.setenv("CASESEARCH_SECOND_MODEL", "none")
    return tmp_path


@pytest.fixture
def built_cli(fake_home):
    """`casesearch …` in-process over an index built with the fake model."""
    from click.testing import CliRunner

    from service.cli.main import main

    runner = CliRunner()
    assert runner.invoke(main, ["build"]).exit_code == 0
    return lambda *args: runner.invoke(main, list(args))


@pytest.fixture
def app(engine):
    return create_app({"TESTING": True, "ENGINE": engine})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def places_client(places_engine):  # noqa: F811  (the fixture imported above)
    """The service over the hand-made cases of places at every level."""
    return create_app({"TESTING": True, "ENGINE": places_engine}).test_client()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str, timeout: float = 10) -> tuple[int, dict]:
    """GET a URL; its status and JSON body (for errors too)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@dataclass
class FakeServer:
    """`casesearch serve` for real (gunicorn), with the fake models, over a corpus copy."""

    base: str
    port: int
    folder: Path
    env: dict
    log: Path
    process: subprocess.Popen | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(FAKE_CLI), *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)


def _start_fake(folder: Path, servers: list, **settings: str) -> FakeServer:
    """`casesearch serve` with the fake models over a corpus copy in `folder`."""
    data = folder / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    port = free_port()
    env = {**os.environ, "CASESEARCH_HOME": str(folder / "home"),
           "CASESEARCH_DATA": str(data), "CASESEARCH_MODEL": "fake/char-ngrams",
           "CASESEARCH_SECOND_MODEL": "fake/second", "PORT": str(port), **settings}
    server = FakeServer(f"http://127.0.0.1:{port}", port, folder, env, folder / "server.log")
    assert server.cli("build").returncode == 0
    # The log goes to a file, not a pipe: an unread pipe would stall the server.
    process = subprocess.Popen([sys.executable, str(FAKE_CLI), "serve"], env=env, cwd=ROOT,
                               stdout=server.log.open("w"), stderr=subprocess.STDOUT)
    servers.append(process)
    server.process = process
    workers = int(settings.get("CASESEARCH_WORKERS", "1"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # Every worker loads on its own, and one that is still loading may leave every
        # /readyz to the others: ready once every worker has logged that it is.
        try:
            ready = get_json(server.base + "/readyz")[0] == 200
        except (urllib.error.URLError, ConnectionError):
            ready = False
        if ready and _workers_ready(server.log) >= workers:
            return server
        time.sleep(0.05)
    pytest.fail(f"the server did not start:\n{server.log.read_text()}")


def _workers_ready(log: Path) -> int:
    """How many workers have said they loaded (service.runtime.loader's "ready: N cases")."""
    return sum("ready: " in line and " cases, model " in line
               for line in log.read_text(encoding="utf-8", errors="replace").splitlines())


def _stop(servers: list) -> None:
    for process in servers:
        process.terminate()
        process.wait(30)


@pytest.fixture
def serve_fake(tmp_path):
    """Start a real server with the fake models; settings as environment variables."""
    servers: list[subprocess.Popen] = []
    yield lambda **settings: _start_fake(tmp_path, servers, **settings)
    _stop(servers)


@pytest.fixture(scope="module")
def serve_fake_shared(tmp_path_factory):
    """`serve_fake` for the tests of one module that can share their servers."""
    servers: list[subprocess.Popen] = []
    yield lambda **settings: _start_fake(tmp_path_factory.mktemp("server"), servers,
                                         **settings)
    _stop(servers)
