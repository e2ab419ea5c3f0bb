"""A build's embedding and index training on a Ray cluster (opt-in: CASESEARCH_CLUSTER).

Embedding millions of passages is the slow part of a build. `RayEmbedder` sends a build's
passages to the cluster as a Ray Data dataset, embedded by `map_batches` over actors that each
load the model once (`EmbedderRecipe`, one CPU and one thread each); rows come back by their
position, so the vectors are those a local build makes, in the same order. Queries (and the
short phrases a build embeds as queries) stay local. Wrapped in the build's
`StoredPassageEmbedder`, only the passages the embedding store does not hold reach the cluster:
the incremental cache is honoured as in a local build. `train_on_cluster` runs the FAISS
index's training and filling (`index.artifact.ann.build_ann`) as a task on the cluster.

The workers must run this package (the same version) and reach the model at the same path
(CASESEARCH_HOME on a shared disk, or the same folder on every node).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from index.artifact.ann import Trainer, build_ann
from index.errors import CasesearchError
from index.models.embedders import (
    Embedder,
    Kind,
    WrappingEmbedder,
    register_model,
    registered_models,
)
from index.progress import Progress, report

log = logging.getLogger(__name__)

CLUSTER_BATCH = 64  # passages per batch sent to an actor
_connected: str | None = None  # the address this process's Ray is connected to


class ClusterError(CasesearchError):
    """The Ray cluster could not be reached or failed the build."""


@dataclass(frozen=True)
class EmbedderRecipe:
    """How a worker makes the build's embedder: `make(**options)` with these options, after
    registering the models this process had registered (`index.models.embedders.register_model`),
    so that a worker knows every model the build may name."""

    make: Callable[..., Embedder]
    options: tuple[tuple[str, Any], ...] = ()
    registered: tuple[tuple[str, Any], ...] = ()

    def __call__(self) -> Embedder:
        known = dict(registered_models())
        for name, entry in self.registered:
            if name not in known:
                register_model(name, entry.make, entry.model_id)
        return self.make(**dict(self.options))


class _EmbedActor:
    """A Ray Data actor: the model, loaded once; each batch of passages → their vectors."""

    def __init__(self, recipe: EmbedderRecipe, kind: Kind) -> None:
        self.embedder = recipe()
        self.kind = kind

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(text) for text in batch["text"]]
        return {"row": batch["row"], "vector": self.embedder.embed_batch(texts, self.kind)}


def connect(address: str) -> Any:
    """The `ray` module, connected to the cluster at `address` (`auto`, `HOST:PORT`,
    `ray://HOST:10001`); once per process.

    Raises:
        ClusterError: Ray is not installed, or no cluster answers there.
    """
    # Ray reports usage to its makers unless told not to (and Ray Data's usage collector then
    # asks a Prometheus on localhost:9090 for metrics): a build sends nothing anywhere but to
    # its cluster. The nodes themselves are told by `ray start --disable-usage-stats`.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError as exc:
        raise ClusterError("CASESEARCH_CLUSTER is set but Ray is not installed; install it "
                           "with `pip install 'casesearch[cluster]'`, or unset "
                           "CASESEARCH_CLUSTER to build on this machine") from exc
    global _connected
    if ray.is_initialized() and _connected == address:
        return ray
    _check_reachable(address)  # before letting go of a connection that works
    if ray.is_initialized():
        ray.shutdown()  # connected to another cluster before
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING,
                 configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(
            f"could not join the Ray cluster at {address!r} ({_reason(exc)}). A `HOST:PORT` "
            f"address needs this machine to be a node of the cluster (`ray start "
            f"--address={address.removeprefix('ray://')} --num-cpus=0` here); from a machine "
            f"that is not, use Ray Client: `ray://HEAD:10001`") from exc
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    _connected = address
    return ray


def _reason(exc: BaseException) -> str:
    """What went wrong, in one line: the remote error's own first line, not a traceback from
    the cluster (a build's error reaches the documents page and the API)."""
    cause = getattr(exc, "cause", None) or exc
    lines = [line for line in str(cause).splitlines() if line.strip()]
    return (lines[-1] if lines else type(cause).__name__)[:300]


_ADDRESS = re.compile(r"(?:ray://)?(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9._-]{1,253}))"
                      r":(?P<port>[0-9]{1,5})")


def host_and_port(address: str) -> tuple[str, int] | None:
    """The host and port of a cluster address (`HOST:PORT`, `[IPv6]:PORT`,
    `ray://HOST:PORT`), or None for `auto` (the cluster this machine is a node of).

    Raises:
        ValueError: the address is none of these.
    """
    if address == "auto":
        return None
    found = _ADDRESS.fullmatch(address)
    if found is None or not 0 < int(found["port"]) < 65536 or any(
            len(label) > 63 for label in (found["host"] or "").split(".")):
        raise ValueError(f"must be `auto`, `HOST:PORT` or `ray://HOST:PORT`; got {address!r}")
    return found["ip6"] or found["host"], int(found["port"])


def _check_reachable(address: str, timeout: float = 5.0) -> None:
    """Fail at once on an address no one listens at: `ray.init` would wait minutes for it."""
    try:
        where = host_and_port(address)
    except ValueError as exc:
        raise ClusterError(f"CASESEARCH_CLUSTER {exc}") from None
    if where is None:
        return
    try:
        socket.create_connection(where, timeout=timeout).close()
    except (OSError, UnicodeError) as exc:  # UnicodeError: a host name IDNA refuses
        reason = getattr(exc, "strerror", None) or exc
        raise ClusterError(f"no Ray cluster answers at {address!r} ({reason}); "
                           f"start one (`ray start --head`) or unset CASESEARCH_CLUSTER") from exc


def cluster_cpus(address: str) -> int:
    """The CPUs the cluster at `address` offers (at least 1)."""
    return max(1, int(connect(address).cluster_resources().get("CPU", 1)))


class RayEmbedder(WrappingEmbedder):
    """`inner` for queries; its passages embedded on the cluster at `address` by `actors`
    actors (default: one per CPU of the cluster), each making its embedder from `recipe`."""

    def __init__(self, inner: Embedder, recipe: EmbedderRecipe, address: str,
                 actors: int | None = None, batch_size: int = CLUSTER_BATCH) -> None:
        super().__init__(inner)
        self.recipe, self.address = recipe, address
        self.actors, self.batch_size = actors, batch_size

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32, *,
                       progress: Progress | None = None, stage: str = "embedding") -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), np.float32)
        if not texts:
            return out
        ray = connect(self.address)
        cpus = cluster_cpus(self.address)
        actors = self.actors or cpus
        if actors > cpus:  # Ray would wait for CPUs that never come, holding the build lock
            raise ClusterError(f"CASESEARCH_CLUSTER_WORKERS is {actors}, but the cluster at "
                               f"{self.address!r} has {cpus} CPUs (one a worker); set it to "
                               f"{cpus} or fewer, or 0 for one a CPU")
        stage = f"{stage} (on the cluster, {actors} workers)"
        report(progress, stage, 0, len(texts))
        rows = ray.data.from_items([{"row": row, "text": text}
                                    for row, text in enumerate(texts)])
        vectors = rows.map_batches(_EmbedActor, fn_constructor_args=(self.recipe, "passage"),
                                   batch_size=self.batch_size, batch_format="numpy",
                                   compute=ray.data.ActorPoolStrategy(size=actors),
                                   num_cpus=1)
        done = np.zeros(len(texts), bool)
        try:
            for batch in vectors.iter_batches(batch_format="numpy", batch_size=None):
                out[batch["row"]] = batch["vector"]
                done[batch["row"]] = True
                report(progress, stage, int(done.sum()), len(texts))
        except Exception as exc:  # a worker's failure arrives as Ray's own exception types
            log.error("the cluster at %r failed to embed the passages", self.address,
                      exc_info=True)
            raise ClusterError(f"the cluster at {self.address!r} failed to embed the "
                               f"passages: {_reason(exc)}") from exc
        if not done.all():
            raise ClusterError(f"the cluster at {self.address!r} returned "
                               f"{int(done.sum())} of {len(texts)} passages")
        return out


def _train(vectors: np.ndarray, kind: str) -> tuple[bytes, dict[str, int]]:
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # Ray sets one thread for a 1-CPU task
    index, params = build_ann(vectors, kind)
    return bytes(faiss.serialize_index(index)), params


def train_on_cluster(address: str) -> Trainer:
    """A `build_ann` that trains and fills an IVF index as a task on a node of the cluster
    at `address` (it claims one CPU; FAISS uses the node's cores) and returns it here. The
    other kinds have no training to speak of (Flat, HNSW: `add` only) and are made here,
    without sending every vector out and back."""
    def trained(vectors: np.ndarray, kind: str) -> tuple[faiss.Index, dict[str, int]]:
        if kind != "ivf":
            return build_ann(vectors, kind)
        ray = connect(address)
        task = ray.remote(num_cpus=1)(_train)
        try:
            blob, params = ray.get(task.remote(vectors, kind))
        except Exception as exc:
            log.error("the cluster at %r failed to train the index", address, exc_info=True)
            raise ClusterError(f"the cluster at {address!r} failed to train the index: "
                               f"{_reason(exc)}") from exc
        return faiss.deserialize_index(np.frombuffer(blob, np.uint8)), params

    return trained
