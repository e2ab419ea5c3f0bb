"""Which FAISS index a corpus gets, built and tuned by size.

Exact inner-product search (Flat) scans every vector: 0.2 ms at 10k cases, 5.5 ms at 100k and
56 ms at a million on one thread. From `IVF_FROM` cases an inverted-file index (IVF, nlist =
2·√n) scans only the `nprobe` = 96 nearest of its lists: recall@10 ≥ 0.95 in ~3 ms at a
million (`scripts/scale_vectors.py`, docs/PERFORMANCE.md). HNSW is available on request.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import faiss
import numpy as np

INDEX_TYPES = ("auto", "flat", "ivf", "hnsw")
IVF_FROM = 100_000
IVF_NPROBE = 96
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 64, 64


def choose_index_type(requested: str, count: int) -> str:
    """The index type for `count` vectors: as requested, or by size for "auto"."""
    if requested not in INDEX_TYPES:
        raise ValueError(f"index type must be one of {', '.join(INDEX_TYPES)}; got {requested!r}")
    if requested != "auto":
        return requested
    return "ivf" if count >= IVF_FROM else "flat"


# What makes a build's FAISS index from its vectors and kind: `build_ann`, or the same work
# done elsewhere (index.models.cluster.train_on_cluster).
Trainer = Callable[[np.ndarray, str], tuple[faiss.Index, dict[str, int]]]


def build_ann(vectors: np.ndarray, kind: str) -> tuple[faiss.Index, dict[str, int]]:
    """An inner-product index of the given kind over unit vectors, and its search parameters."""
    dimension = vectors.shape[1]
    if kind == "flat":
        index, params = faiss.IndexFlatIP(dimension), {}
    elif kind == "ivf":
        nlist = max(1, min(int(2 * math.sqrt(len(vectors))), len(vectors) // 39 or 1))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, nlist,
                                   faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).permutation(len(vectors))[: 64 * nlist]]
        index.train(sample)
        params = {"nlist": nlist, "nprobe": min(IVF_NPROBE, nlist)}
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        params = {"M": HNSW_M, "ef_search": HNSW_EF_SEARCH}
    else:
        raise ValueError(f"unknown index type {kind!r}")
    index.add(vectors)
    return index, params


def prepare_for_search(index: faiss.Index, kind: str, params: dict[str, int]) -> faiss.Index:
    """Apply the stored search parameters; let IVF reconstruct vectors by id."""
    if kind == "ivf":
        index.nprobe = params["nprobe"]
        index.make_direct_map()
    elif kind == "hnsw":
        index.hnsw.efSearch = params["ef_search"]
    return index


def search_parameters(index: faiss.Index, selector: faiss.IDSelector) -> faiss.SearchParameters:
    """Search parameters restricted to `selector`, of the type the index expects."""
    if isinstance(index, faiss.IndexIVF):
        return faiss.SearchParametersIVF(sel=selector, nprobe=index.nprobe)
    if isinstance(index, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
    return faiss.SearchParameters(sel=selector)
