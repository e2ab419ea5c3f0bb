"""Combining retrieval signals (dense embeddings, a second embedder, BM25) into one ranking."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

LEXICAL = "lexical"


def _default_weights() -> dict[str, float]:
    return {"dense": 0.5, "second": 0.3, "lexical": 0.2}


@dataclass(frozen=True)
class FusionConfig:
    """How signals are combined; weights of absent signals are shared out among the others.

    `method` "score": `Σ weight · norm(signal)`, where dense signals are min-max scaled over the
    candidates and BM25 is divided by its maximum (so no term match adds nothing: an English
    question over Chinese text ranks by the embeddings alone). "rrf": reciprocal rank fusion,
    `Σ weight / (rrf_k + rank)`, where only documents with a term match get a lexical rank.
    """

    method: str = "score"
    weights: Mapping[str, float] = field(default_factory=_default_weights)
    rrf_k: int = 60


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scores rescaled to [0, 1] over the candidates (all equal → all 1)."""
    if scores.size == 0:
        return scores.astype(np.float32)
    low, high = float(scores.min()), float(scores.max())
    if high - low < 1e-9:
        return np.ones_like(scores, dtype=np.float32)
    return ((scores - low) / (high - low)).astype(np.float32)


def maxnorm(scores: np.ndarray) -> np.ndarray:
    """Non-negative scores divided by their maximum, so that no match stays 0."""
    high = float(scores.max()) if scores.size else 0.0
    if high <= 0:
        return np.zeros_like(scores, dtype=np.float32)
    return (scores / high).astype(np.float32)


def reciprocal_ranks(scores: np.ndarray, k: int, only_positive: bool) -> np.ndarray:
    """1 / (k + rank) per candidate; 0 for non-positive scores when `only_positive`."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), np.float32)
    ranks[order] = np.arange(1, len(scores) + 1)
    part = 1.0 / (k + ranks)
    if only_positive:
        part[scores <= 0] = 0.0
    return part


def fuse(signals: Mapping[str, np.ndarray], config: FusionConfig) -> np.ndarray:
    """One relevance score per candidate from the signals the config weighs, higher is better
    (in [0, 1] for the "score" method)."""
    present = {name: s for name, s in signals.items() if config.weights.get(name, 0) > 0}
    if not present:
        raise ValueError(f"no weighted signal among {sorted(signals)}")
    total = sum(config.weights[name] for name in present)
    fused = np.zeros(len(next(iter(present.values()))), np.float32)
    for name, scores in present.items():
        weight = config.weights[name] / total
        if config.method == "rrf":
            fused += weight * reciprocal_ranks(scores, config.rrf_k, name == LEXICAL)
        elif config.method == "score":
            fused += weight * (maxnorm(scores) if name == LEXICAL else minmax(scores))
        else:
            raise ValueError(f"unknown fusion method {config.method!r}; use 'score' or 'rrf'")
    return fused
