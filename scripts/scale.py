"""How search cost grows with the corpus: exact (Flat) versus approximate (IVF, HNSW) FAISS
indexes over synthetic 384-d unit vectors (clustered, like real embeddings), 1k to 1M.

For each size: build time, index memory, p50 latency of one query on one thread (as served),
and for the approximate indexes recall@10 against exact search at the smallest setting that
reaches 0.95. Writes JSON and a PNG plot of latency against corpus size.

    python scripts/scale.py [--sizes 1000,10000,100000,1000000] [--out docs/scale.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import faiss
import numpy as np

DIM = 384
QUERIES = 200
HNSW_MAX = 100_000  # building HNSW past this takes minutes on 2 cores; IVF covers 1M


def clustered_vectors(n: int, rng: np.random.Generator, clusters: int = 2000) -> np.ndarray:
    """Unit vectors around random topic centres: a stand-in for sentence embeddings."""
    centres = rng.standard_normal((clusters, DIM)).astype(np.float32)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        picks = rng.integers(0, clusters, stop - start)
        block = centres[picks] + 0.6 * rng.standard_normal((stop - start, DIM)).astype(np.float32)
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


def measure_flat(data: np.ndarray, queries: np.ndarray) -> tuple[dict, np.ndarray]:
    started = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(data)
    build = time.perf_counter() - started
    _, truth = flat.search(queries, 10)
    return {"build_s": build, "memory_mb": index_bytes(flat) / 2**20,
            "p50_ms": p50_ms(flat, queries[:100]), "recall@10": 1.0}, truth


def measure_ivf(data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> dict:
    nlist = max(16, int(2 * np.sqrt(len(data))))
    started = time.perf_counter()
    quantizer = faiss.IndexFlatIP(DIM)
    ivf = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = data[np.random.default_rng(1).choice(len(data), min(len(data), 40 * nlist),
                                                   replace=False)]
    ivf.train(sample)
    ivf.add(data)
    build = time.perf_counter() - started
    for nprobe in (1, 2, 4, 8, 16, 32, 64, 128):
        ivf.nprobe = min(nprobe, nlist)
        recall = recall_at_10(ivf, queries, truth)
        if recall >= 0.95:
            break
    return {"build_s": build, "memory_mb": index_bytes(ivf) / 2**20, "nlist": nlist,
            "nprobe": ivf.nprobe, "p50_ms": p50_ms(ivf, queries[:100]), "recall@10": recall}


def measure_hnsw(data: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> dict:
    started = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 64
    faiss.omp_set_num_threads(2)
    hnsw.add(data)
    faiss.omp_set_num_threads(1)
    build = time.perf_counter() - started
    for ef in (16, 32, 64, 128, 256):
        hnsw.hnsw.efSearch = ef
        recall = recall_at_10(hnsw, queries, truth)
        if recall >= 0.95:
            break
    return {"build_s": build, "memory_mb": index_bytes(hnsw) / 2**20, "ef_search": ef,
            "p50_ms": p50_ms(hnsw, queries[:100]), "recall@10": recall}


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
    parser.add_argument("--out", type=Path, default=Path("docs/scale.json"))
    parser.add_argument("--plot", type=Path, default=Path("docs/img/scale.png"))
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)  # as served: one query on one thread
    rng = np.random.default_rng(0)
    report = []
    for n in (int(size) for size in args.sizes.split(",")):
        data = clustered_vectors(n + QUERIES, rng)
        data, queries = data[:n], data[n:]
        flat, truth = measure_flat(data, queries)
        row = {"n": n, "flat": flat, "ivf": measure_ivf(data, queries, truth)}
        if n <= HNSW_MAX:
            row["hnsw"] = measure_hnsw(data, queries, truth)
        report.append(row)
        print(json.dumps(row), flush=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    plot(report, args.plot)


if __name__ == "__main__":
    main()
