"""Work a server hands to `casesearch` processes of their own: a build after a document
changed over HTTP (here), a tuning of the model (service.runtime.tuning).

A server never builds in a request or a worker: embedding takes every core for seconds and a
model's memory. `BackgroundBuilds` starts `casesearch build` in a process of low priority when
asked, one at a time per server process; asked again while one runs, it runs once more after
it (that run reads the corpus as it is by then: the last build has every change). Builds of
one index take turns on its lock across processes anyway. How the last one ended is kept in
`<home>/builds.json`, for every worker and the documents page; its output goes to
`<home>/build.log`. The running server swaps the new build in (service.runtime.reload).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.artifact.store import build_lock
from service.runtime.settings import Settings

log = logging.getLogger(__name__)
BUILD_LOG = "build.log"
BUILD_STATE = "builds.json"
LOG_BYTES = 1 << 20  # a log is begun afresh (the old one kept as <name>.1) past this
_command: list[str] | None = None


def use_cli_command(command: list[str]) -> None:
    """Run background jobs with this command instead of this Python's `casesearch` (a program
    that registers models of its own, such as the tests' fake one, passes itself)."""
    global _command
    _command = list(command)


def cli_command() -> list[str]:
    """How to run `casesearch` from here: the command given to `use_cli_command`, else this
    Python with the CLI's module, or (when this process is no Python: a server embedded in
    another program) the installed command.

    Raises:
        OSError: no way to run it was found.
    """
    if _command is not None:
        return list(_command)
    if Path(sys.executable).name.startswith("python"):
        return [sys.executable, "-m", "service.cli.main"]
    found = shutil.which("casesearch")
    if found is None:
        raise OSError("cannot find the `casesearch` command to run a background job with")
    return [found]


def settings_environment(settings: Settings) -> dict[str, str]:
    """What a job started by a server must read as the server does: its folders (absolute:
    the child runs elsewhere; not resolved, as the index is a link each build points
    elsewhere) and its models."""
    return {"CASESEARCH_HOME": str(settings.home.absolute()),
            "CASESEARCH_DATA": str(settings.data.absolute()),
            "CASESEARCH_INDEX": str(settings.index_path.absolute()),
            "CASESEARCH_MODEL": settings.model, "CASESEARCH_SECOND_MODEL": settings.second_model,
            "CASESEARCH_BACKEND": settings.backend, "CASESEARCH_TUNE": settings.tune,
            "CASESEARCH_TUNE_STEPS": str(settings.tune_steps),
            "CASESEARCH_INDEX_TYPE": settings.index_type}


def open_log(path: Path) -> Any:
    """A job's log for appending, begun afresh past LOG_BYTES (the old one kept as .1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.stat().st_size > LOG_BYTES:
        os.replace(path, path.with_name(path.name + ".1"))
    return open(path, "ab")


def start_job(settings: Settings, args: list[str], log_file: Path) -> subprocess.Popen:
    """Start `casesearch --verbose <args>` in a session of its own, with the server's
    settings, its output appended to `log_file`, run from the home folder.

    Raises:
        OSError: the log cannot be written or the process not started.
    """
    with open_log(log_file) as out:
        return subprocess.Popen(
            [*cli_command(), "--verbose", *args],
            env={**os.environ, **settings_environment(settings)}, stdin=subprocess.DEVNULL,
            stdout=out, stderr=out, start_new_session=True, cwd=str(settings.home.absolute()))


def last_build(settings: Settings) -> dict[str, Any]:
    """How the last background build ended: {"ok": bool, "at": ISO time, "message": …},
    or {} when none has run; and "running": whether a build of the index runs now (any
    process: the build lock is held)."""
    try:
        state = json.loads((settings.home / BUILD_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        state = {}
    state = state if isinstance(state, dict) else {}
    try:
        state["running"] = bool(build_lock(settings.index_path).holders())
    except OSError:
        state["running"] = False
    return state


class BackgroundBuilds:
    """Builds the index in a process of its own when asked (see the module docstring)."""

    def __init__(self, settings: Settings, *, start=start_job) -> None:
        self.settings, self._start = settings, start
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def request(self) -> None:
        """Ask for a build of the corpus as it will be once the current one (if any) ends."""
        with self._lock:
            self._wanted.set()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="background-builds",
                                                daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no build is wanted or running here; True if none is (for tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted.is_set():
                    self._thread = None
                    return
                self._wanted.clear()
            self._build_once()

    def _build_once(self) -> None:
        log_file = self.settings.home / BUILD_LOG
        try:
            # Not --if-stale: that one serves on past a document it cannot read (and says so);
            # this build fails on it, naming it, and the failure is what the page shows.
            code = self._start(self.settings, ["build", "--background"], log_file).wait()
            ok, message = code == 0, ("built" if code == 0 else _last_lines(log_file))
        except OSError as exc:
            ok, message = False, f"could not start the build: {exc.strerror or exc}"
        self.runs += 1
        if not ok:
            log.error("the background build of the index failed: %s", message)
        state = {"ok": ok, "at": datetime.now(UTC).isoformat(timespec="seconds"),
                 "message": message}
        try:
            path = self.settings.home / BUILD_STATE
            path.with_suffix(".tmp").write_text(json.dumps(state, ensure_ascii=False),
                                                encoding="utf-8")
            os.replace(path.with_suffix(".tmp"), path)
        except OSError as exc:
            log.warning("could not record how the build ended: %s", exc)


def _last_lines(log_file: Path, lines: int = 3) -> str:
    """The end of a job's log: what a failed build said (its error comes last)."""
    try:
        with open(log_file, "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 4096))
            tail = handle.read().decode("utf-8", "replace")
    except OSError:
        return "the build failed (its log cannot be read)"
    kept = [line.strip() for line in tail.splitlines() if line.strip()][-lines:]
    return " ".join(kept)[-500:] or "the build failed"
