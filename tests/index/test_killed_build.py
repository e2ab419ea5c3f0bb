"""A build killed midway (SIGKILL while writing its files) leaves the previous index serving."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from index.artifact.store import build_index, load_index, read_manifest
from tests.conftest import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]

KILLABLE_BUILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    import index.artifact.store as store
    from corpus import load_corpus
    from tests.conftest import FakeEmbedder

    def stalled_save(*args, **kwargs):  # the build has written index.faiss and cases.jsonl
        Path(sys.argv[3]).touch()
        time.sleep(120)

    store.np.save = stalled_save
    store.build_index(load_corpus(), FakeEmbedder(model_id="fake/new"), Path(sys.argv[2]))
""")


def test_a_killed_build_leaves_the_previous_index_intact(tmp_path, corpus):
    path, marker = tmp_path / "index", tmp_path / "writing"
    build_index(corpus, FakeEmbedder(model_id="fake/old"), path)
    before = read_manifest(path)
    build = subprocess.Popen([sys.executable, "-c", KILLABLE_BUILD, str(ROOT), str(path),
                              str(marker)])
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and build.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "the build never reached the file-writing stage"
    os.kill(build.pid, signal.SIGKILL)
    build.wait(10)

    assert read_manifest(path) == before
    assert load_index(path, model_id="fake/old").manifest.model_id == "fake/old"
    leftovers = [p for p in (tmp_path / ".index.builds").iterdir() if p.name.endswith(".partial")]
    assert leftovers  # the half-written build is there, but nothing points at it

    previous = path.resolve()
    build_index(corpus, FakeEmbedder(model_id="fake/next"), path)
    assert read_manifest(path).model_id == "fake/next"
    # The half-written build is gone; the previous one stays for a server still loading it.
    assert sorted((tmp_path / ".index.builds").iterdir()) == sorted([previous, path.resolve()])
