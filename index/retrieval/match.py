"""How good a match is: `strong` (answers the question), `partial` (answers part of it) or
`weak`, from a hit's signals, by a small model calibrated on the judged questions.

Scores are relative (the best candidate of every question scores high, answer or not), so the
level is decided from what is absolute about a hit: the embedders' cosines, how far the case
stands out from the other candidates, how much of the question's wording it holds, and the
fused score. Two logistic models, fitted by
`scripts/calibrate_match.py` on the judged questions of the tuning fold, give the probability
that a hit is relevant at all and that it answers; each level has a threshold on one of them,
chosen under cross-validation. The fitted numbers are kept in `match_calibration.json` beside
this file, with the precision and recall they reached (docs/QUALITY.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LEVELS = ("strong", "partial", "weak")  # best first
FEATURES = ("dense", "dense_gap", "second", "coverage", "score", "cross_lingual")
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


# Used only until a calibration exists: thresholds on the fused score alone.
_UNCALIBRATED = MatchModel(relevant=(-6.0, 0, 0, 0, 0, 12.0, 0),
                           answers=(-9.0, 0, 0, 0, 0, 12.0, 0), strong=0.5, partial=0.5)


@lru_cache(maxsize=1)
def match_models() -> dict[str, MatchModel]:
    """The calibrated models, for `search` and for `similar` (case → case)."""
    if not CALIBRATION.is_file():
        return {"search": _UNCALIBRATED, "similar": _UNCALIBRATED}
    try:
        data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:  # calibrated for other features
            raise ValueError("stale calibration")
        return {name: MatchModel(tuple(model["relevant"]), tuple(model["answers"]),
                                 model["strong"], model["partial"], tuple(model["center"]),
                                 tuple(model["scale"]))
                for name, model in data["models"].items()}
    except (ValueError, KeyError, TypeError):  # until scripts/calibrate_match.py runs again
        return {"search": _UNCALIBRATED, "similar": _UNCALIBRATED}
