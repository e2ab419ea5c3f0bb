"""The corpus lock names who really holds it, gives up after a bound, and goes on as soon as a
holder exits; reading the documents holds it only while copying them."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from corpus import filelock
from corpus.filelock import FileLock, LockWaitTimeout
from corpus.load import DEFAULT_DATA_DIR

HOLD = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_SH if sys.argv[2] == "shared" else fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def holder(tmp_path):
    """Start a process holding the lock at `path` (shared or exclusive) until told to stop."""
    started = []

    def start(path, how="shared"):
        process = subprocess.Popen([sys.executable, "-c", HOLD, str(path), how],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "held"
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.wait(10)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(10)
    return process.pid


def test_a_wait_names_the_process_that_holds_the_lock_not_a_stale_pid(tmp_path, holder):
    lock_path = tmp_path / ".lock"
    lock_path.write_text(f"{_dead_pid()}\n")  # written by a writer long gone
    reader = holder(lock_path, "shared")
    lock = FileLock(lock_path, "the corpus")
    assert lock.holders() == [reader.pid]
    told = []
    with pytest.raises(LockWaitTimeout) as refused:
        with lock.hold(on_wait=told.append, timeout=0.5):
            pass
    assert f"process {reader.pid}" in told[0] and "-c" in told[0]
    assert f"process {reader.pid}" in str(refused.value) and "stop it" in str(refused.value)


def test_a_wait_goes_on_once_the_holder_has_exited(tmp_path, holder, monkeypatch):
    monkeypatch.setattr(filelock, "POLL_SECONDS", 0.02)
    lock_path = tmp_path / ".lock"
    writer = holder(lock_path, "exclusive")
    threading.Timer(0.3, writer.kill).start()
    started = time.monotonic()
    with FileLock(lock_path, "the corpus").hold(shared=True, timeout=30):
        waited = time.monotonic() - started
    assert 0.2 < waited < 10


def test_without_the_kernels_list_only_a_living_pid_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(filelock, "_kernel_holders", lambda stat: None)
    lock_path = tmp_path / ".lock"
    lock_path.write_text(f"{_dead_pid()}\n")
    assert FileLock(lock_path, "x").holders() == []
    lock_path.write_text(f"{__import__('os').getpid()}\n")
    assert FileLock(lock_path, "x").describe_holders().startswith(" (held by process")


def test_reading_a_document_that_never_ends_keeps_no_writer_waiting(tmp_path, monkeypatch):
    """Documents are copied under the lock and parsed after it is released."""
    import shutil

    from corpus import store as store_module
    from corpus.store import CorpusStore

    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    store = CorpusStore(data)
    parsing, release = threading.Event(), threading.Event()
    real = store_module.load_document

    def slow(path):
        parsing.set()
        release.wait(30)
        return real(path)

    monkeypatch.setattr(store_module, "load_document", slow)
    reader = threading.Thread(target=store.load_readable)
    reader.start()
    try:
        assert parsing.wait(10)
        note = tmp_path / "note.txt"
        note.write_text("2021年测试\n\n一、甲市\n1.建设乡村少年宫二百所，开展周末科技体验活动。\n",
                        encoding="utf-8")
        monkeypatch.setattr(store_module, "LOCK_WAIT_SECONDS", 2.0)
        change = store.add(note, {"id": "t2021", "year": 2021, "province": "测试省",
                                  "title": "测试"})
        assert change.stored is not None and change.stored.is_file()
        assert reader.is_alive()  # the add did not wait for the reading to end
    finally:
        release.set()
        reader.join(30)
