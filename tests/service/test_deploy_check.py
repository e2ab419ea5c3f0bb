"""Replicas behind nginx (deploy/nginx.conf), restarted one at a time under load: no request
fails. Slow: real server processes (with the fake models) and Debian's nginx."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.service.conftest import FAKE_CLI, ROOT

pytestmark = pytest.mark.slow


def test_a_rolling_restart_behind_nginx_fails_no_request(serve_fake, tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is missing: `make test` installs it (apt-get install nginx)")
    server = serve_fake()  # builds the index the replicas share (its own server is idle)
    report = tmp_path / "deploy.json"
    run = subprocess.run(
        [sys.executable, "-m", "scripts.deploy_check", "--seconds", "20", "--clients", "4",
         "--replica-command", f"{sys.executable} {FAKE_CLI} serve", "--out", str(report)],
        env={**os.environ, **{k: v for k, v in server.env.items() if k != "PORT"}},
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(report.read_text())
    assert figures["errors"] == 0 and figures["requests"] > 100
    assert len(figures["restarts"]) == 2
    # a brief made through the proxy links to the proxy's own address, port included
    assert figures["brief_link"].startswith(f"http://127.0.0.1:{figures['listen']}/cases/")


def test_the_shipped_config_keeps_the_apps_limits():
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for directive in ("client_max_body_size 16k;", "proxy_buffering on;",
                      "proxy_request_buffering on;", "proxy_next_upstream error timeout",
                      "max_fails=1", "large_client_header_buffers 4 8k;"):
        assert directive in site
