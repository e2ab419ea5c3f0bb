"""Calibrate the match levels (strong / partial / weak) on the judged questions.

For every judged question and analogous case of the tuning fold, the first 10 hits and their
signals (index.retrieval.match.FEATURES) are labelled with their judged grade (2 answers it,
1 in part, 0 not judged relevant). Two logistic models per kind (search; similar practices)
estimate P(grade ≥ 1) and P(grade = 2); their thresholds are chosen on out-of-fold
predictions (5 folds, split by question, never by hit):

- strong: the lowest threshold at which ≥ 85 % of the hits called strong are relevant;
- partial: the highest threshold at which ≥ 90 % of the hits that answer (grade 2) are called
  strong or partial.

The models are then fitted on the whole tuning fold and written to
index/retrieval/match_calibration.json; the held-out fold is only scored, never fitted.
Needs the real model (`make index`):

    python -m scripts.calibrate_match [--out docs/match-calibration.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from index.evaluation import HELDOUT, Judgment, load_judgments
from index.retrieval.match import CALIBRATION, FEATURES, LEVELS, MatchModel
from index.retrieval.search import SearchEngine
from service.runtime.settings import Settings
from service.runtime.wiring import open_engine

STRONG_PRECISION = 0.85
ANSWER_RECALL = 0.90
FOLDS = 5


def labelled_hits(engine: SearchEngine, judgments: list[Judgment]) -> list[tuple[int, list, int]]:
    """(judgment number, features, grade) for the first 10 hits of every judgment."""
    rows = []
    for number, judgment in enumerate(judgments):
        hits = (engine.similar(judgment.case, k=10) if judgment.case
                else engine.search(judgment.query or "", k=10))
        for hit in hits:
            rows.append((number, [hit.features[name] for name in FEATURES],
                         judgment.relevant.get(hit.case.id, 0)))
    return rows


def fit(x: np.ndarray, y: np.ndarray) -> tuple[float, ...]:
    """Logistic weights, intercept first (a constant label gives a constant model)."""
    if y.min() == y.max():
        return (10.0 if y[0] else -10.0, *([0.0] * x.shape[1]))
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    return (float(model.intercept_[0]), *map(float, model.coef_[0]))


def probabilities(weights: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    z = weights[0] + x @ np.array(weights[1:])
    return 1 / (1 + np.exp(-np.clip(z, -50, 50)))


def out_of_fold(groups: np.ndarray, x: np.ndarray, grades: np.ndarray) -> tuple:
    """P(relevant) and P(answers) for every hit, each from models that never saw its question."""
    relevant, answers = np.zeros(len(x)), np.zeros(len(x))
    fold_of = np.random.default_rng(7).permutation(groups.max() + 1) % FOLDS
    for fold in range(FOLDS):
        test = fold_of[groups] == fold
        relevant[test] = probabilities(fit(x[~test], grades[~test] >= 1), x[test])
        answers[test] = probabilities(fit(x[~test], grades[~test] == 2), x[test])
    return relevant, answers


def thresholds(relevant: np.ndarray, answers: np.ndarray, grades: np.ndarray) -> tuple:
    """(strong, partial) thresholds meeting the targets on these predictions."""
    strong = 1.0
    for t in np.arange(0.99, 0.0, -0.01):  # the lowest threshold still precise enough
        called = answers >= t
        if called.sum() >= 5 and (grades[called] >= 1).mean() >= STRONG_PRECISION:
            strong = float(t)
    partial = 0.0
    for t in np.arange(0.99, 0.0, -0.01):
        kept = (answers >= strong) | (relevant >= t)
        if (grades == 2).sum() and kept[grades == 2].mean() >= ANSWER_RECALL:
            partial = float(t)
            break
    return round(strong, 2), round(partial, 2)


def measure(levels: list[str], grades: np.ndarray) -> dict:
    """Precision of each level (share judged relevant, and share that answers) and recall."""
    levels_array = np.array(levels)
    report = {}
    for level in LEVELS:
        chosen = levels_array == level
        report[level] = {"hits": int(chosen.sum()),
                         "relevant": round(float((grades[chosen] >= 1).mean()), 3)
                         if chosen.any() else None,
                         "answers": round(float((grades[chosen] == 2).mean()), 3)
                         if chosen.any() else None}
    answering = grades == 2
    kept = np.isin(levels_array, ["strong", "partial"])
    report["answers_called_strong_or_partial"] = (
        round(float(kept[answering].mean()), 3) if answering.any() else None)
    report["relevant_called_strong_or_partial"] = (
        round(float(kept[grades >= 1].mean()), 3) if (grades >= 1).any() else None)
    return report


def calibrate(engine: SearchEngine, judgments: list[Judgment]) -> tuple[dict, dict]:
    """The models (as JSON) and a report of their precision and recall, per kind."""
    models, report = {}, {}
    for kind, chosen in (("search", [j for j in judgments if j.case is None]),
                         ("similar", [j for j in judgments if j.case is not None])):
        tune = [j for j in chosen if j.fold != HELDOUT]
        heldout = [j for j in chosen if j.fold == HELDOUT]
        rows = labelled_hits(engine, tune)
        groups = np.array([r[0] for r in rows])
        raw = np.array([r[1] for r in rows], dtype=float)
        center, scale = raw.mean(axis=0), np.where(raw.std(axis=0) > 1e-9, raw.std(axis=0), 1.0)
        x = (raw - center) / scale
        grades = np.array([r[2] for r in rows])
        relevant, answers = out_of_fold(groups, x, grades)
        strong, partial = thresholds(relevant, answers, grades)
        model = MatchModel(fit(x, grades >= 1), fit(x, grades == 2), strong, partial,
                           tuple(map(float, center)), tuple(map(float, scale)))
        cross_validated = ["strong" if a >= strong else "partial" if r >= partial else "weak"
                           for r, a in zip(relevant, answers, strict=True)]
        held_rows = labelled_hits(engine, heldout)
        held_levels = [model.level(dict(zip(FEATURES, r[1], strict=True))) for r in held_rows]
        models[kind] = {"relevant": model.relevant, "answers": model.answers,
                        "strong": strong, "partial": partial, "center": model.center,
                        "scale": model.scale}
        unanswerable = [j for j in heldout if not j.relevant]
        said_so = sum(all(h.match == "weak" for h in engine.search(j.query or "", k=10))
                      for j in unanswerable)
        report[kind] = {
            "tuning questions": len(tune), "held-out questions": len(heldout),
            "held-out questions nothing answers, told so (no strong or partial match)":
                f"{said_so} of {len(unanswerable)}",
            "cross-validated on the tuning fold": measure(cross_validated, grades),
            "held-out fold": measure(held_levels, np.array([r[2] for r in held_rows])),
        }
    return models, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the report here (JSON)")
    args = parser.parse_args()
    engine = open_engine(Settings.from_env())
    models, report = calibrate(engine, load_judgments())
    CALIBRATION.write_text(json.dumps({"features": FEATURES, "models": models,
                                       "targets": {"strong precision": STRONG_PRECISION,
                                                   "answer recall": ANSWER_RECALL},
                                       "report": report}, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
