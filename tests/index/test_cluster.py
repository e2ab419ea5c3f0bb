"""A build on a Ray cluster (CASESEARCH_CLUSTER): the same index as a build on this machine,
the embedding store honoured, and a clear error when no cluster answers.

The cluster is real and local: a head and a worker node started by `ray start` on loopback,
one CPU and a bounded object store each, stopped after the module's tests. Those tests are
marked `cluster` and run by `make cluster-check`, which `.ci/run` calls beside `make test`
(two Ray nodes and two Ray Data jobs take a minute or two, which `make test`'s budget has not
got); the rest of the module runs everywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.artifact.store import current_build, load_index
from index.models.cluster import ClusterError, connect
from service.runtime.settings import Settings
from service.runtime.wiring import build

ROOT = Path(__file__).resolve().parents[2]
COMPARED = ("index.faiss", "cases.jsonl", "sentences.json", "sentences.npy", "figures.json",
            "figures.npy", "second.faiss")


@pytest.fixture(scope="module")
def ray_address():
    """A head and one worker node on loopback, one CPU and 100 MB of object store each; the
    head's address. The workers import the tests' fake models as this process does."""
    from scripts.cluster_build import local_cluster

    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    with local_cluster(2, object_store_mb=100, env={"PYTHONPATH": path}) as (address, _):
        yield address


@pytest.fixture
def settings(tmp_path) -> Settings:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "corpus" / "data", data, ignore=shutil.ignore_patterns(".*"))
    return replace(Settings(), home=tmp_path / "home", data=data, model="fake/char-ngrams",
                   second_model="fake/second", tune="off", query_cache=0, index_type="ivf")


def _artifact(settings: Settings) -> dict[str, str]:
    manifest = json.loads((current_build(settings.index_path) / "manifest.json").read_text())
    return {name: manifest["files"][name] for name in COMPARED}


@pytest.mark.cluster
def test_a_build_on_the_cluster_is_the_build_made_here_and_uses_the_store(settings,
                                                                           ray_address,
                                                                           tmp_path):
    stages: list[str] = []
    clustered = replace(settings, cluster=ray_address)
    first = build(clustered, progress=lambda stage, done, total: stages.append(stage))
    assert any("on the cluster, 2 workers" in stage for stage in stages)
    here = replace(settings, home=tmp_path / "here", index=None)
    local = build(here)
    assert first.embedded == local.embedded > 0 and first.reused == local.reused
    # every data file byte for byte: vectors, the IVF index trained on the cluster, cases,
    # sentences and the figures' groups
    assert _artifact(clustered) == _artifact(here)
    assert local.manifest.index_type == "ivf"
    served = load_index(clustered.index_path)
    assert served.faiss_index.ntotal == served.manifest.count == 48

    # the embedding store: nothing embedded twice, on the cluster or here
    again = build(clustered)
    assert again.embedded == 0 and again.reused == first.embedded + first.reused
    assert build(settings).embedded == 0  # the cluster's vectors, under the store's keys
    changed = settings.data / "shandong-2020-education-duty-cases.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "教师周转宿舍", "教师公寓", 1), encoding="utf-8")
    after = build(clustered)
    assert 0 < after.embedded < first.embedded / 10  # the changed case and its sentences


@pytest.mark.cluster
def test_the_workers_run_in_other_processes(ray_address):
    ray = connect(ray_address)

    @ray.remote(num_cpus=1)
    def where() -> int:
        return os.getpid()

    pids = set(ray.get([where.remote() for _ in range(8)]))
    assert os.getpid() not in pids


@pytest.mark.cluster
def test_more_workers_than_the_cluster_has_cpus_is_an_error_not_a_wait(ray_address):
    from index.models.cluster import EmbedderRecipe, RayEmbedder
    from tests.conftest import FakeEmbedder

    embedder = RayEmbedder(FakeEmbedder(), EmbedderRecipe(FakeEmbedder), ray_address, actors=3)
    with pytest.raises(ClusterError, match="CASESEARCH_CLUSTER_WORKERS is 3.*2 CPUs"):
        embedder.embed_passages(["教师宿舍"])


def test_a_failure_on_the_cluster_is_told_in_one_line_without_its_traceback():
    from index.models.cluster import _reason

    class RemoteError(Exception):
        cause = ValueError("Traceback (most recent call last):\n  File \"x.py\", line 1\n"
                           "ValueError: the model folder is missing")

    assert _reason(RemoteError("ray::_EmbedActor.__call__() failed")) == (
        "ValueError: the model folder is missing")
    assert _reason(RuntimeError("")) == "RuntimeError"


def test_no_cluster_at_the_address_is_a_clear_error_at_once(tmp_path):
    from scripts.loadtest import free_port

    started = time.monotonic()
    with pytest.raises(ClusterError, match="no Ray cluster answers"):
        connect(f"127.0.0.1:{free_port()}")
    assert time.monotonic() - started < 10


def test_an_address_that_is_no_address_is_named():
    with pytest.raises(ClusterError, match="HOST:PORT"):
        connect("my cluster")


def test_without_ray_installed_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ClusterError, match=r"casesearch\[cluster\]"):
        connect("127.0.0.1:6379")


class _Dataset:
    """Ray Data as RayEmbedder uses it, on this process: batches run by the actor, handed
    back in reverse (a cluster returns them in whatever order they finish), `keep` of them."""

    keep: int | None = None

    def __init__(self, items: list[dict]) -> None:
        self.items = items

    def map_batches(self, actor_class, fn_constructor_args, batch_size, **_):
        actor = actor_class(*fn_constructor_args)
        batches = [self.items[i:i + batch_size] for i in range(0, len(self.items), batch_size)]
        self.done = [actor({"row": np.array([item["row"] for item in batch]),
                            "text": np.array([item["text"] for item in batch], dtype=object)})
                     for batch in batches][::-1][:self.keep]
        return self

    def iter_batches(self, **_):
        return iter(self.done)


def _fake_ray(monkeypatch) -> None:
    from types import SimpleNamespace

    import index.models.cluster as cluster

    fake = SimpleNamespace(data=SimpleNamespace(from_items=_Dataset,
                                                ActorPoolStrategy=lambda size: size))
    monkeypatch.setattr(cluster, "connect", lambda address: fake)
    monkeypatch.setattr(cluster, "cluster_cpus", lambda address: 2)


def test_vectors_land_at_their_rows_whatever_order_the_batches_come_back(monkeypatch):
    from index.models.cluster import EmbedderRecipe, RayEmbedder
    from tests.conftest import FakeEmbedder

    _fake_ray(monkeypatch)
    texts = [f"第{i}个案例：教师宿舍" for i in range(10)]
    embedder = RayEmbedder(FakeEmbedder(), EmbedderRecipe(FakeEmbedder), "head:6379",
                           batch_size=3)
    np.testing.assert_allclose(embedder.embed_passages(texts),
                               FakeEmbedder().embed_batch(texts, "passage"))


def test_passages_the_cluster_did_not_return_are_an_error_not_zero_vectors(monkeypatch):
    from index.models.cluster import EmbedderRecipe, RayEmbedder
    from tests.conftest import FakeEmbedder

    _fake_ray(monkeypatch)
    monkeypatch.setattr(_Dataset, "keep", 2)
    embedder = RayEmbedder(FakeEmbedder(), EmbedderRecipe(FakeEmbedder), "head:6379",
                           batch_size=3)
    with pytest.raises(ClusterError, match="returned 4 of 10 passages"):
        embedder.embed_passages([f"案例{i}" for i in range(10)])
