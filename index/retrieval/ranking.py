"""Ranking a `Query`'s candidates: each signal's candidates (BM25, the ANN index of each
embedder), their scores, fused into one descending order, a named place's cases first."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import faiss
import numpy as np

from index.artifact.ann import search_parameters
from index.artifact.store import CaseIndex
from index.retrieval.fusion import FusionConfig, fuse, maxnorm
from index.retrieval.lexical import BM25Index
from index.retrieval.places import CasePlaces
from index.retrieval.query import Query

DENSE_ONLY = FusionConfig(weights={"dense": 1.0})
# Indexes that keep the vectors whole: the score of a row they find is its exact inner
# product (an approximate index is approximate in which rows it finds, not in their scores;
# a compressed one, such as PQ, would score approximately and is recomputed).
EXACT_SCORES = (faiss.IndexFlat, faiss.IndexIVFFlat, faiss.IndexHNSWFlat)


def scores_exactly(index: faiss.Index) -> bool:
    """Whether the index's search scores are the exact inner products of its rows."""
    return isinstance(index, EXACT_SCORES) and index.metric_type == faiss.METRIC_INNER_PRODUCT


@dataclass(frozen=True)
class Ranking:
    """Rows in ranked order, their fused scores, and each signal's raw values beside them."""

    rows: np.ndarray
    scores: np.ndarray
    signals: dict[str, np.ndarray] = field(default_factory=dict)  # raw, aligned with rows

    @classmethod
    def ordered(cls, rows: np.ndarray, scores: np.ndarray,
                signals: dict[str, np.ndarray] | None = None) -> Ranking:
        """Rows sorted by descending score (ties keep their order)."""
        return cls(rows, scores, signals or {}).reordered(np.argsort(-scores, kind="stable"))

    def signal(self, name: str, position: int) -> float:
        values = self.signals.get(name)
        return float(values[position]) if values is not None else 0.0

    def reordered(self, order: np.ndarray) -> Ranking:
        """The same ranking with its rows (and their scores and signals) in `order`."""
        return Ranking(self.rows[order], self.scores[order],
                       {name: values[order] for name, values in self.signals.items()})

    def promoted(self, named: np.ndarray | None, ratio: float) -> Ranking:
        """The cases of the named places (`named`: a mask over the index's rows) scoring at
        least `ratio` × the top one moved to the front."""
        if named is None or not named.any() or self.rows.size == 0:
            return self
        relevant = named[self.rows] & (self.scores >= ratio * self.scores[0])
        return self.reordered(np.concatenate([np.flatnonzero(relevant),
                                              np.flatnonzero(~relevant)]))


_faiss_threads = threading.local()


def _one_faiss_thread() -> None:
    """Search one query on the calling thread. FAISS's OpenMP setting belongs to each thread,
    and a team formed for a large flat index would keep busy-waiting against the embedder
    after the search; a single query is cheap enough not to share out (docs/PERFORMANCE.md)."""
    if not getattr(_faiss_threads, "set", False):
        faiss.omp_set_num_threads(1)
        _faiss_threads.set = True


def nearest(index: faiss.Index, vector: np.ndarray, k: int,
            allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rows and inner-product scores of the k nearest rows, best first, optionally only among
    `allowed`."""
    params = None
    if allowed is not None:
        if allowed.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        k = min(k, int(allowed.size))
        params = search_parameters(index, faiss.IDSelectorBatch(allowed.astype(np.int64)))
    k = min(k, index.ntotal)
    if k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    _one_faiss_thread()
    scores, rows = index.search(vector.reshape(1, -1).astype(np.float32), k, params=params)
    found = rows[0] >= 0
    return rows[0][found].astype(np.int64), scores[0][found]


def top_k(index: faiss.Index, vector: np.ndarray, k: int,
          allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(row, score) of the k nearest rows by inner product, optionally only among `allowed`."""
    rows, scores = nearest(index, vector, k, allowed)
    return [(int(row), float(score)) for row, score in zip(rows, scores, strict=True)]


def scores_at(rows: np.ndarray, found: tuple[np.ndarray, np.ndarray], exact: bool,
              compute: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Each row's score: the one the index gave where it found the row and scores exactly,
    else `compute(rows)` (a candidate that only another signal brought)."""
    found_rows, found_scores = found
    if not exact or found_rows.size == 0:
        return compute(rows)
    order = np.argsort(found_rows)
    known_rows, known_scores = found_rows[order], found_scores[order]
    at = np.minimum(np.searchsorted(known_rows, rows), known_rows.size - 1)
    known = known_rows[at] == rows
    if known.all():
        return known_scores[at]
    scores = np.empty(rows.size, np.float32)
    scores[known] = known_scores[at[known]]
    scores[~known] = compute(rows[~known])
    return scores


class Ranker:
    """Ranks the cases of one index for a `Query`: BM25's candidates and each embedder's
    nearest rows, every candidate scored by every signal, fused, a named place's cases first."""

    def __init__(self, index: CaseIndex, lexical: BM25Index, glosses: BM25Index | None,
                 places: CasePlaces, fusion: FusionConfig, candidates: int = 200,
                 city_promote_ratio: float = 0.3) -> None:
        self.index = index
        self.lexical = lexical
        self.glosses = glosses
        self.places = places
        self.fusion = fusion
        self.candidates = candidates  # per signal, before fusion
        self.city_promote_ratio = city_promote_ratio

    def rank(self, query: Query, fusion: FusionConfig | None = None) -> Ranking:
        """The query's candidates, best first (`fusion`: other weights than the default)."""
        ratio = 0.0 if query.bare_city else self.city_promote_ratio
        named = self.places.named(query.cities) if query.cities else None
        return self._fused(query, fusion or self.fusion).promoted(named, ratio)

    def _lexical(self, query: Query) -> np.ndarray:
        """Every row's BM25 score (zeros in dense mode, and outside the allowed rows)."""
        n = len(self.index.cases)
        if query.mode == "dense":
            return np.zeros(n, np.float32)
        lexical = self.lexical.term_scores(query.terms)
        if query.glosses and self.glosses is not None:
            lexical = lexical + self.glosses.term_scores(query.glosses)
        if query.allowed is not None:
            lexical = np.where(np.isin(np.arange(n), query.allowed), lexical, 0.0)
        return lexical

    def _fused(self, query: Query, fusion: FusionConfig) -> Ranking:
        limit = min(len(self.index.cases), max(self.candidates, 1))
        lexical = self._lexical(query)
        lexical_rows = np.argsort(-lexical, kind="stable")[:limit]
        candidates = set(lexical_rows[lexical[lexical_rows] > 0].tolist())
        if query.mode == "lexical":
            rows = np.array(sorted(candidates), np.int64)
            return Ranking.ordered(rows, maxnorm(lexical[rows]), {"lexical": lexical[rows]})
        dense = nearest(self.index.faiss_index, query.vector, limit, query.allowed)
        candidates |= set(dense[0].tolist())
        if query.uses_second:
            second = nearest(self.index.second_index, query.second, limit, query.allowed)
            candidates |= set(second[0].tolist())
        rows = np.array(sorted(candidates), np.int64)
        signals = {"dense": self._scores(rows, dense, self.index.faiss_index,
                                         self.index.case_vectors, query.vector)}
        # How far a case stands out from the other candidates: small for every case when the
        # corpus holds no answer (the match levels read it).
        standing = {"dense_gap": signals["dense"] - float(np.median(signals["dense"]))}
        if query.mode == "dense":
            return Ranking.ordered(rows, fuse(signals, DENSE_ONLY), {**signals, **standing})
        if query.uses_second:
            signals["second"] = self._scores(rows, second, self.index.second_index,
                                             self.index.second_vectors, query.second)
        signals["lexical"] = lexical[rows]
        return Ranking.ordered(rows, fuse(signals, fusion), {**signals, **standing})

    @staticmethod
    def _scores(rows: np.ndarray, found: tuple[np.ndarray, np.ndarray], index: faiss.Index,
                vectors_of: Callable[[np.ndarray], np.ndarray],
                vector: np.ndarray) -> np.ndarray:
        """Each candidate's inner product with the query vector: the ANN's own score where it
        found the row, the stored vector's for a row that BM25 or the other embedder brought."""
        return scores_at(rows, found, scores_exactly(index),
                         lambda missing: vectors_of(missing) @ vector)
