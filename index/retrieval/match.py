"""How good a match is: `strong` (answers the question), `partial` (answers part of it) or
`weak`, from a hit's signals, by a small model calibrated on the judged questions.

Scores are relative (the best candidate of every question scores high, answer or not), so the
level is decided from what is absolute about a hit: the embedders' cosines (of the case and of
its sentence nearest the question), how far the case stands out from the other candidates, the
fused score, how much of the question's weight it holds, the best of these over the question's
first hits (how well anything in the corpus answers it), and how much of the question no case
speaks of at all (index.retrieval.hits.HitBuilder.features). For each kind of search (KINDS),
two logistic models, fitted by `scripts/calibrate_match.py` on the judged questions of the
tuning fold (those nothing answers included), give the probability that a hit is relevant at
all and that it answers; each level has a threshold on one of them, chosen under
cross-validation. Cosines differ from model to model, so there is a calibration
for each model family (the bundled model as it ships, and tuned for its corpus); the fitted
numbers are kept in `match_calibration.json` beside this file, with the precision and recall
they reached (docs/QUALITY.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEVELS = ("strong", "partial", "weak")  # best first
# A hit's own signals, the best of them over the question's first hits (`q_…`: how well the
# corpus answers the question at all), how much of the question no case speaks of, and where
# the hit stands (index.retrieval.hits.HitBuilder.features).
FEATURES = ("dense", "dense_gap", "second", "coverage", "score", "sentence",
            "q_dense", "q_sentence", "q_dense_gap", "q_coverage", "q_second", "q_score",
            "unknown", "top", "rank")
# One model per kind of search: a question in the corpus's script, one in another script
# (its signals differ: the glosses and the second embedder answer it), a case → case search.
KINDS = ("search", "search-cross", "similar")


def match_kind(similar: bool, cross_lingual: bool) -> str:
    """The kind of search whose match model reads a hit (KINDS)."""
    return "similar" if similar else "search-cross" if cross_lingual else "search"
CALIBRATION = Path(__file__).with_name("match_calibration.json")


def level_at_least(level: str, floor: str) -> bool:
    """Whether `level` is `floor` or better (`strong` ≥ `partial` ≥ `weak`)."""
    return LEVELS.index(level) <= LEVELS.index(floor)


@dataclass(frozen=True)
class MatchModel:
    """Logistic weights (intercept first, then FEATURES) for P(relevant) and P(answers), and
    the thresholds: `strong` when P(answers) ≥ strong, else `partial` when P(relevant) ≥
    partial, else `weak`."""

    relevant: tuple[float, ...]
    answers: tuple[float, ...]
    strong: float
    partial: float
    center: tuple[float, ...] = (0.0,) * len(FEATURES)  # features are standardized first
    scale: tuple[float, ...] = (1.0,) * len(FEATURES)

    def level(self, features: Mapping[str, float]) -> str:
        values = self._standardized(features)
        if not all(math.isfinite(v) for v in values):  # a broken signal is no evidence
            return "weak"
        if _logistic(self.answers, values) >= self.strong:
            return "strong"
        if _logistic(self.relevant, values) >= self.partial:
            return "partial"
        return "weak"

    def probability_of_answer(self, features: Mapping[str, float]) -> float:
        """P(the hit answers the question), as the model estimates it."""
        return _logistic(self.answers, self._standardized(features))

    def _standardized(self, features: Mapping[str, float]) -> list[float]:
        return [1.0, *((float(features.get(name, 0.0)) - mean) / spread for name, mean, spread
                       in zip(FEATURES, self.center, self.scale, strict=True))]


def _logistic(weights: tuple[float, ...], values: list[float]) -> float:
    z = sum(w * v for w, v in zip(weights, values, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


# For a model no calibration was made for: thresholds on the fused score alone, which is
# relative (the best candidate of any question scores high), so only hits that stand out are
# called partial (score ≥ 0.8) or strong (≥ 0.95).
_ONLY_SCORE = tuple(20.0 if name == "score" else 0.0 for name in FEATURES)
_UNCALIBRATED = MatchModel(relevant=(-16.0, *_ONLY_SCORE), answers=(-19.0, *_ONLY_SCORE),
                           strong=0.5, partial=0.5)
UNCALIBRATED = dict.fromkeys(KINDS, _UNCALIBRATED)


def model_from_json(data: Mapping) -> MatchModel:
    return MatchModel(tuple(data["relevant"]), tuple(data["answers"]), data["strong"],
                      data["partial"], tuple(data["center"]), tuple(data["scale"]))


@lru_cache(maxsize=4)
def match_models(family: str = "base") -> dict[str, MatchModel]:
    """The models calibrated for a model family (index.models.embedders.model_family), one per
    kind of search (KINDS). A model no calibration was made for (`other`: a model of the
    user's choice) is levelled by the fused score alone, as cosines of another model mean
    nothing to the calibrated weights."""
    if family == "other" or not CALIBRATION.is_file():
        return UNCALIBRATED
    try:
        data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:  # calibrated for other features
            raise ValueError("stale calibration")
        chosen = data["families"][family]
        return {kind: model_from_json(chosen[kind]) for kind in KINDS}
    except (ValueError, KeyError, TypeError):  # until scripts/calibrate_match.py runs again
        return UNCALIBRATED
