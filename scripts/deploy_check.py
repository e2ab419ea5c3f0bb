"""Replicas behind nginx, restarted one at a time under load: how many requests fail?

Starts two replicas of `casesearch serve` on free loopback ports, and nginx (Debian's
package) with deploy/nginx.conf pointed at them; runs a bounded load through nginx and, during
it, restarts each replica in turn (SIGTERM, then start again and wait until ready). Reports
requests, errors and p50/p99; exits 1 if any request failed. Run `make index` first.

    .venv/bin/python -m scripts.deploy_check [--seconds 20] [--clients 4] [--replica-command CMD]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from scripts.loadtest import finish, free_port, run_load

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx.conf"


def nginx_config(folder: Path, listen: int, replicas: list[int]) -> Path:
    """deploy/nginx.conf with these ports, inside a main config that keeps every file of
    nginx's (pid, logs, temporary bodies) in `folder`."""
    site = SITE.read_text(encoding="utf-8")
    site = re.sub(r"(?m)^\s*server 127\.0\.0\.1:\d+ .*\n", "", site)
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 "
                      f"fail_timeout={fail_timeout():g}s;\n" for port in replicas)
    site = site.replace("upstream casesearch {\n", "upstream casesearch {\n" + servers, 1)
    site = re.sub(r"listen 127\.0\.0\.1:\d+;", f"listen 127.0.0.1:{listen};", site)
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    main = (f"daemon off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
            f"events {{ worker_connections 256; }}\nhttp {{\n"
            f"  access_log {folder / 'access.log'};\n"
            f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
            f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
            f"  scgi_temp_path {temp['scgi']};\n{site}\n}}\n")
    path = folder / "nginx.conf"
    path.write_text(main, encoding="utf-8")
    return path


def ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not happen within {seconds:g} s")


class Replica:
    """One `casesearch serve` on its own port."""

    def __init__(self, command: list[str], port: int, log: Path) -> None:
        self.command, self.port, self.log = command, port, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**os.environ, "PORT": str(self.port), "HOST": "127.0.0.1"}
        self.process = subprocess.Popen(self.command, env=env, stdout=self.log.open("a"),
                                        stderr=subprocess.STDOUT, cwd=ROOT)
        wait_until(lambda: ready(self.port), 120, f"replica on port {self.port} ready")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


def brief_link(port: int) -> str:
    """The address a brief made through the proxy links its practice to."""
    base = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(f"{base}/api/cases?limit=1", timeout=10) as answer:
        case_id = json.load(answer)["cases"][0]["id"]
    with urllib.request.urlopen(f"{base}/api/brief?id={case_id}&format=md", timeout=30) as answer:
        links = re.findall(r"<(https?://[^>]+)>", answer.read().decode("utf-8"))
    return links[0] if links else ""


def fail_timeout() -> float:
    """How long nginx skips a replica that failed (deploy/nginx.conf's fail_timeout)."""
    found = re.search(r"fail_timeout=(\d+)s", SITE.read_text(encoding="utf-8"))
    return float(found.group(1)) if found else 10.0


def rolling_restart(replicas: list[Replica], pause: float, log: list[str]) -> None:
    """Restart each replica in turn. After one is back, wait until nginx has stopped skipping
    it (its fail_timeout) before stopping the next, as a rolling update on a real host must:
    otherwise nginx counts both as down for a moment and answers 502."""
    time.sleep(pause)
    for number, replica in enumerate(replicas):
        if number:
            time.sleep(max(pause, fail_timeout() + 1))
        started = time.monotonic()
        replica.stop()
        replica.start()
        log.append(f"restarted the replica on port {replica.port} in "
                   f"{time.monotonic() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--replica-command", default=None,
                        help="how to start a replica (default: this venv's casesearch serve)")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not Path(args.nginx).exists():
        raise SystemExit("nginx is missing: apt-get install nginx (make test installs it)")
    command = (shlex.split(args.replica_command) if args.replica_command else
               [str(Path(sys.executable).parent / "casesearch"), "serve"])
    with tempfile.TemporaryDirectory(prefix="casesearch-deploy-") as tmp:
        folder = Path(tmp)
        replicas = [Replica(command, free_port(), folder / f"replica-{n}.log") for n in (1, 2)]
        listen = free_port()
        nginx = None
        restarts: list[str] = []
        try:
            for replica in replicas:
                replica.start()
            config = nginx_config(folder, listen, [r.port for r in replicas])
            nginx = subprocess.Popen([args.nginx, "-c", str(config), "-p", str(folder)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            wait_until(lambda: ready(listen), 20, "nginx answering")
            restarter = threading.Thread(target=rolling_restart,
                                         args=(replicas, args.seconds / 5, restarts))
            restarter.start()
            report = run_load("127.0.0.1", listen, args.clients, args.seconds)
            restarter.join()
            link = brief_link(listen)
            if len(restarts) < len(replicas):
                raise SystemExit(f"--seconds {args.seconds:g} ended before every replica was "
                                 f"restarted; give it more time")
        finally:
            if nginx is not None:
                nginx.terminate()
                nginx.wait(10)
            for replica in replicas:
                replica.stop()
        report.update(replicas=len(replicas), restarts=restarts, listen=listen,
                      brief_link=link)
    finish(report, args.out)


if __name__ == "__main__":
    main()
