"""How search cost grows with the corpus: exact (Flat) versus approximate (IVF, HNSW) FAISS
indexes over synthetic 384-d unit vectors (clustered, like real embeddings), 1k to 1M.

For each size and index type, the index the service would build (`index.artifact.ann`, with its
served parameters): build time, memory, p50 latency of one query on one thread (as served) and
recall@10 against exact search; for IVF also the smallest nprobe reaching 0.95 on this data.
Writes JSON and a PNG plot of latency against corpus size.

    .venv/bin/python -m scripts.scale_vectors [--sizes 1000,10000,100000,1000000]
                                              [--out docs/scale-vectors.json]

The layout for ten million cases (compressed vectors, postings and texts in mapped files) is
measured by scripts/scale.py.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import faiss
import numpy as np

from index.artifact.ann import build_ann, prepare_for_search

DIM = 384
QUERIES = 200
HNSW_MAX = 100_000  # building HNSW past this takes minutes on 2 cores; IVF covers 1M


def clustered_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors around random topic centres, ~100 per topic at every size: a stand-in for
    sentence embeddings (real ones cluster by topic; pure noise would flatter nothing)."""
    clusters = max(20, n // 100)
    centres = rng.standard_normal((clusters, DIM)).astype(np.float32)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        picks = rng.integers(0, clusters, stop - start)
        block = centres[picks] + rng.standard_normal((stop - start, DIM)).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def p50_ms(index: faiss.Index, queries: np.ndarray, k: int = 10) -> float:
    timings = []
    for query in queries:
        started = time.perf_counter()
        index.search(query.reshape(1, -1), k)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def recall_at_10(index: faiss.Index, queries: np.ndarray, truth: np.ndarray) -> float:
    _, found = index.search(queries, 10)
    return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)]))


def index_bytes(index: faiss.Index) -> int:
    return int(faiss.serialize_index(index).nbytes)


def measure(kind: str, data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> dict:
    """Build the index the service would build (index.artifact.ann), then time and score it."""
    faiss.omp_set_num_threads(2)  # building may use every core
    started = time.perf_counter()
    index, params = build_ann(data, kind)
    build = time.perf_counter() - started
    faiss.omp_set_num_threads(1)
    prepare_for_search(index, kind, params)
    row = {"build_s": build, "memory_mb": index_bytes(index) / 2**20, "params": params,
           "p50_ms": p50_ms(index, queries[:100]), "recall@10": recall_at_10(index, queries,
                                                                              truth)}
    if kind == "ivf":  # the smallest nprobe that reaches recall 0.95 on this data
        for nprobe in (1, 2, 4, 8, 16, 32, 64, 128, 256):
            index.nprobe = min(nprobe, params["nlist"])
            if recall_at_10(index, queries, truth) >= 0.95:
                break
        row["nprobe_for_0.95"] = index.nprobe
    return row


def exact_neighbours(data: np.ndarray, queries: np.ndarray) -> np.ndarray:
    flat = faiss.IndexFlatIP(DIM)
    flat.add(data)
    return flat.search(queries, 10)[1]


def plot(report: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    for kind, style in (("flat", "o-"), ("ivf", "s-"), ("hnsw", "^-")):
        points = [(row["n"], row[kind]["p50_ms"]) for row in report if kind in row]
        if points:
            ax.plot(*zip(*points, strict=True), style, label=kind.upper())
    ax.axhline(5, color="grey", linestyle=":", label="5 ms")
    ax.set(xscale="log", yscale="log", xlabel="cases (384-d vectors)",
           ylabel="p50 search latency, ms (1 thread)",
           title="FAISS search latency against corpus size")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--out", type=Path, default=Path("docs/scale-vectors.json"))
    parser.add_argument("--plot", type=Path, default=Path("docs/img/scale.png"))
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)  # as served: one query on one thread
    rng = np.random.default_rng(0)
    report = []
    for n in (int(size) for size in args.sizes.split(",")):
        data = clustered_vectors(n + QUERIES, rng)
        data, queries = data[:n], data[n:]
        truth = exact_neighbours(data, queries)
        row = {"n": n, "flat": measure("flat", data, queries, truth),
               "ivf": measure("ivf", data, queries, truth)}
        if n <= HNSW_MAX:
            row["hnsw"] = measure("hnsw", data, queries, truth)
        report.append(row)
        print(json.dumps(row), flush=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    plot(report, args.plot)


if __name__ == "__main__":
    main()
