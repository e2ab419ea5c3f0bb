"""Live corpus changes under load, with the real model: how long until a running server answers
from the new index after `corpus add` and `corpus remove`, and whether any request failed.

Works on a copy: the corpus folder and the index are made afresh in a temporary folder (the
model export and the stored vectors of CASESEARCH_HOME are reused, so run `make index` first).
Starts `casesearch serve` there, runs a bounded load (scripts/loadtest.py's mix) and, during
it, adds a three-city document and removes it again: with `casesearch corpus add` and
`remove`, or (`--over-http`) as the documents API does it, with an admin key, the server
building in the background. Exits 1 if any request failed.

    .venv/bin/python -m scripts.live_update [--clients 4] [--seconds 24] [--workers 1] [--over-http]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts.loadtest import finish, run_load, start_server
from service.runtime.settings import Settings

DOCUMENT = """2021年某省各市履行教育职责典型案例

一、甲市
1.实施乡村教师安居工程，新建教师周转宿舍1200套，让乡村教师住得下、留得住。
2.推进课后服务全覆盖，义务教育学校课后服务参与率达到95%。

二、乙市
1.开通定制校车线路86条，配备照管员，校车安全运行零事故。

三、丙市
1.新建改扩建公办幼儿园40所，新增学位1.2万个，普惠性幼儿园覆盖率达到88%。
"""


def casesearch(*args: str) -> tuple[float, str]:
    """Run the CLI; its duration and output (exits on failure)."""
    command = shutil.which("casesearch") or str(Path(sys.executable).parent / "casesearch")
    started = time.perf_counter()
    done = subprocess.run([command, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"casesearch {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started, done.stdout


ADMIN_KEY = "live-update-admin-key-0123"


def over_http(port: int, method: str, path: str, document: Path | None = None,
              **fields: str) -> tuple[float, dict]:
    """A request to the documents API (a multipart upload with `document`); its duration and
    answer (exits on failure)."""
    import uuid

    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    body = None
    if document is not None:
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                 f"{value}\r\n".encode() for name, value in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{document.name}"\r\n\r\n'.encode() + document.read_bytes()
                     + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                     method=method, headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=200) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise SystemExit(f"{method} {path} failed: {error.code} {error.read()!r}") from None
    return time.perf_counter() - started, answer


def readyz(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
        return json.loads(response.read())


def seconds_until_served(port: int, cases: int, workers: int, limit: float = 60) -> float:
    """Time until /readyz reports `cases` from every worker (asked several times in a row)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if all(readyz(port)["cases"] == cases for _ in range(4 * workers)):
            return time.perf_counter() - started
        time.sleep(0.05)
    raise SystemExit(f"the server did not serve {cases} cases within {limit} s")


def prepare_copy(settings: Settings, folder: Path) -> None:
    """A corpus folder and a home of our own, reusing the model export and stored vectors."""
    shutil.copytree(settings.data, folder / "data", ignore=shutil.ignore_patterns(".*"))
    home = folder / "home"
    home.mkdir()
    if (settings.home / "models").is_dir():
        (home / "models").symlink_to((settings.home / "models").resolve())
    if (settings.home / "embeddings.sqlite").is_file():
        shutil.copyfile(settings.home / "embeddings.sqlite", home / "embeddings.sqlite")
    os.environ.update(CASESEARCH_HOME=str(home), CASESEARCH_DATA=str(folder / "data"))
    os.environ.pop("CASESEARCH_INDEX", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=24)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--over-http", action="store_true",
                        help="change the corpus through /api/documents, not the CLI")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.over_http:
        os.environ["CASESEARCH_ADMIN_KEY"] = f"live-update:{ADMIN_KEY}"
    with tempfile.TemporaryDirectory(prefix="casesearch-live-") as tmp:
        folder = Path(tmp)
        prepare_copy(Settings.from_env(), folder)
        casesearch("build")
        document = folder / "province-2021.md"
        document.write_text(DOCUMENT, encoding="utf-8")
        server, port = start_server(args.workers, 4)
        before = readyz(port)["cases"]
        report: dict = {}
        load = threading.Thread(target=lambda: report.update(
            run_load("127.0.0.1", port, args.clients, args.seconds)))
        try:
            load.start()
            time.sleep(args.seconds / 4)
            if args.over_http:  # the answer comes once stored; the build runs after it
                report["add_s"], _ = over_http(port, "POST", "/api/documents", document,
                                               year="2021", province="某省", id="x2021")
            else:
                report["add_s"], _ = casesearch("corpus", "add", str(document), "--year",
                                                "2021", "--province", "某省", "--id", "x2021")
            report["add_served_after_s"] = seconds_until_served(port, before + 4, args.workers)
            time.sleep(args.seconds / 4)
            if args.over_http:
                report["remove_s"], _ = over_http(port, "DELETE", "/api/documents/x2021")
            else:
                report["remove_s"], _ = casesearch("corpus", "remove", "x2021")
            report["remove_served_after_s"] = seconds_until_served(port, before, args.workers)
            load.join()
        finally:
            server.terminate()
            server.wait(30)
    report = {key: round(value, 2) if isinstance(value, float) else value
              for key, value in report.items()}
    report.update(workers=args.workers, reload_seconds=Settings.from_env().reload_seconds,
                  over_http=args.over_http)
    finish(report, args.out)


if __name__ == "__main__":
    main()
