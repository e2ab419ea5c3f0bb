"""How much faster a build embeds on a Ray cluster, per worker process added.

Starts a local Ray cluster (a head on loopback with one CPU, then one more node of one CPU at
a time, up to `--workers`), and embeds the same passages (the corpus's cases, repeated to
`--passages`) with the real model as a build would (`service.runtime.wiring.on_cluster`), once
per cluster size; and on this machine alone, with 1 thread and with every core, for scale.
Prints JSON: passages per second and the speed-up over one worker process. A cluster's time
includes its actors' start (each loads the model), as a build's does. Run `make index` first;
the cluster is stopped at the end.

    .venv/bin/python -m scripts.cluster_build [--passages 960] [--workers 2] [--out F.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from corpus.store import CorpusStore
from scripts.loadtest import free_port
from service.runtime.settings import Settings
from service.runtime.wiring import load_embedders, on_cluster, tuned_for_build

RAY = Path(sys.executable).with_name("ray")


@contextlib.contextmanager
def local_cluster(nodes: int = 1, *, object_store_mb: int | None = None,
                  env: dict[str, str] | None = None) -> Iterator[tuple[str, Callable[[], None]]]:
    """A Ray cluster on loopback: a head and `nodes` - 1 more nodes, one CPU each (and an
    object store of `object_store_mb` each, when given); yields the head's address and a
    function that adds one more node. Every Ray process of this machine is stopped after."""
    port, temp = free_port(), tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short socket paths
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(env or {})}
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats"]
    if object_store_mb:
        common.append(f"--object-store-memory={object_store_mb * 2**20}")

    def start(*args: str) -> None:
        subprocess.run([str(RAY), "start", *args, *common], check=True, env=env,
                       capture_output=True, timeout=300)

    def add_node() -> None:
        start(f"--address=127.0.0.1:{port}")

    try:
        start("--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp}")
        for _ in range(nodes - 1):
            add_node()
        yield f"127.0.0.1:{port}", add_node
    finally:
        if "ray" in sys.modules:
            sys.modules["ray"].shutdown()
        subprocess.run([str(RAY), "stop", "--force"], env=env, capture_output=True,
                       timeout=300)
        shutil.rmtree(temp, ignore_errors=True)


def timed(embed, texts: list[str]) -> float:
    started = time.perf_counter()
    vectors = embed(texts)
    assert len(vectors) == len(texts)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=960)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings.from_env()
    cases = CorpusStore(settings.data).load().cases
    texts = [case.passage for case in cases] * (args.passages // len(cases) + 1)
    texts = texts[: args.passages]
    tuned = tuned_for_build(settings)
    report: dict = {"passages": len(texts), "model": None, "here": {}, "cluster": []}
    for threads in sorted({1, os.cpu_count() or 1}):
        embedder, _ = load_embedders(settings, threads=threads, tuned=tuned, second=False)
        report["model"] = embedder.model_id
        embedder.embed_passages(texts[:32])  # warm
        seconds = timed(embedder.embed_passages, texts)
        report["here"][f"{threads} thread(s)"] = round(len(texts) / seconds, 1)
        print(json.dumps({"here": threads, "passages_per_s": round(len(texts) / seconds, 1)}),
              flush=True)
    with local_cluster() as (address, add_node):
        clustered = replace(settings, cluster=address)
        for workers in range(1, args.workers + 1):
            if workers > 1:
                add_node()
            embedder, _ = load_embedders(settings, threads=1, tuned=tuned, second=False)
            remote, _, _ = on_cluster(replace(clustered, cluster_workers=workers), tuned,
                                      embedder, None)
            seconds = timed(remote.embed_passages, texts)
            rate = len(texts) / seconds
            base = len(texts) / report["cluster"][0]["seconds"] if report["cluster"] else rate
            row = {"workers": workers, "passages_per_s": round(rate, 1),
                   "speed_up": round(rate / base, 2), "seconds": round(seconds, 1)}
            report["cluster"].append(row)
            print(json.dumps(row), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
