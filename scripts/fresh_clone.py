"""A new user's path, timed on a fresh clone: `make serve` until `/readyz` answers, then CI's
own commands (the `make` lines of `.ci/run`: `make test`, `make cluster-check`, `make
image-check`), each timed, then `make test-fast`. Writes what it measured
to JSON (`--out`, docs/setup.json by default): the README's set-up figures are written from it
(`.venv/bin/python -m scripts.readme_figures --write`).

The clone is made in a temporary folder from this checkout's committed `--ref` (main by
default), with none of this shell's CASESEARCH_* settings; pip's download cache is used as it
is (say so when you quote the figures). Exits 1 when a test fails.

    .venv/bin/python -m scripts.fresh_clone [--ref main] [--out docs/setup.json] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
SERVE_TIMEOUT_S = 1800
# pytest's last line: "1625 passed, 69 deselected in 668.32s (0:11:08)"
_SUMMARY = re.compile(r"(\d+) passed\b.*? in ([\d.]+)s")


def clean_environment(port: int) -> dict[str, str]:
    """This shell's environment without the project's settings, serving on `port`."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("CASESEARCH_") and name not in ("HOST", "PORT")}
    return {**env, "PORT": str(port), "CI": "true"}


def clone(ref: str, folder: Path) -> str:
    """A clone of this checkout at `ref`; its commit."""
    subprocess.run(["git", "clone", "--quiet", "--no-local", str(CHECKOUT), str(folder)],
                   check=True)
    subprocess.run(["git", "checkout", "--quiet", ref], cwd=folder, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, check=True,
                          capture_output=True, text=True).stdout.strip()


def time_serve(folder: Path, env: dict[str, str], port: int, log: Path) -> float:
    """Seconds from `make serve` to a `/readyz` that answers 200; the server is stopped."""
    started = time.perf_counter()
    with log.open("wb") as out:
        server = subprocess.Popen(["make", "serve"], cwd=folder, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while time.perf_counter() - started < SERVE_TIMEOUT_S:
            if server.poll() is not None:
                raise SystemExit(f"make serve stopped (exit {server.returncode}); see {log}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
                    if r.status == 200:
                        return round(time.perf_counter() - started, 1)
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(1)
        raise SystemExit(f"/readyz did not answer within {SERVE_TIMEOUT_S} s; see {log}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def ci_steps(checkout: Path = CHECKOUT) -> list[list[str]]:
    """The `make` commands `.ci/run` runs, in its order."""
    lines = (checkout / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    return [line.split() for line in lines if line.startswith("make ")]


def time_command(command: list[str], folder: Path, env: dict[str, str],
                 log: Path) -> tuple[float, int, dict[str, float]]:
    """Seconds a command took, its exit status, and pytest's count and time from its output."""
    started = time.perf_counter()
    with log.open("wb") as out:
        status = subprocess.run(command, cwd=folder, env=env, stdout=out,
                                stderr=subprocess.STDOUT).returncode
    took = round(time.perf_counter() - started, 1)
    found = _SUMMARY.findall(log.read_text(encoding="utf-8", errors="replace"))
    passed, seconds = found[-1] if found else (0, 0.0)
    return took, status, {"passed": int(passed), "pytest_s": round(float(seconds), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main")
    parser.add_argument("--out", type=Path, default=CHECKOUT / "docs" / "setup.json")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the clone and its logs")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="casesearch-clone-"))
    env = clean_environment(args.port)
    try:
        commit = clone(args.ref, folder / "clone")
        work = folder / "clone"
        print(f"fresh clone of {commit[:10]} in {work}", flush=True)
        serve_s = time_serve(work, env, args.port, folder / "serve.log")
        print(f"make serve → /readyz: {serve_s} s", flush=True)
        # .ci/run's steps, timed each: `make test`, then the checks kept out of its budget
        report = {"commit": commit, "measured_on": date.today().isoformat(),
                  "cpus": os.cpu_count(), "make_serve_s": serve_s}
        failed = False
        for command in [*ci_steps(work), ["make", "test-fast"]]:
            name = "_".join(command).replace("-", "_")
            took, status, counts = time_command(command, work, env, folder / f"{name}.log")
            print(f"{' '.join(command)}: {took} s, exit {status}, {counts}", flush=True)
            report[name] = {"s": took, "exit": status, **counts}
            failed = failed or status != 0
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")
        if failed:
            print(f"the tests failed: see {folder}", file=sys.stderr)
            args.keep = True
            sys.exit(1)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
