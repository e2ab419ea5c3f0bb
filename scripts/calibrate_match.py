"""Calibrate the match levels (strong / partial / weak) on the judged questions.

For every judged question (those nothing answers included) and analogous case of the tuning
fold, the first 10 hits and their signals (index.retrieval.match.FEATURES) are labelled with
their judged grade (2 answers it, 1 in part, 0 not judged relevant). Two logistic models per
kind of search (a question in the corpus's script, one in another script, similar practices)
estimate P(grade ≥ 1) and P(grade = 2); their thresholds are chosen on out-of-fold
predictions (5 folds, split by question, never by hit):

- strong: the lowest threshold such that at it and at every stricter one ≥ 92 % of the hits
  called strong are relevant (the target is 90 % on questions never fitted on);
- partial, for questions: the threshold at which the share of questions nothing answers that
  get no strong or partial hit equals the share of answering cases called strong or partial
  (the equal-error point: telling "nothing answers" wrongly and citing a non-answer both
  mislead, and neither is traded for the other); for similar practices (where something
  always answers): the highest threshold at which ≥ 90 % of the answering cases are strong
  or partial.

Cosines differ from model to model, so each model family is calibrated on its own: the bundled
model as it ships, and tuned for the corpus (when a tuned model is kept: `casesearch tune`).
Each is measured on an index of its own built here, whatever `var/index` holds. The models are
fitted on the whole tuning fold and written to index/retrieval/match_calibration.json; the
held-out fold is only scored, never fitted. Needs the real model (`make index`):

    .venv/bin/python -m scripts.calibrate_match [--out docs/match-calibration.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from corpus.store import CorpusStore
from index.artifact.store import build_index, load_index
from index.evaluation import HELDOUT, Judgment, load_judgments
from index.models.embedders import BUILTIN_MODEL, configured_model_id
from index.retrieval.lexical import written_in_han
from index.retrieval.match import CALIBRATION, FEATURES, KINDS, LEVELS, MatchModel, match_kind
from index.retrieval.search import SearchEngine
from index.tuning.store import current_tuned
from service.runtime.settings import Settings
from service.runtime.wiring import load_embedders

STRONG_PRECISION = 0.92
ANSWER_RECALL = 0.90  # similar practices
FOLDS = 5


def kind_of(engine: SearchEngine, judgment: Judgment) -> str:
    """Which match model reads this judgment's hits (index.retrieval.match.KINDS)."""
    cross = (judgment.case is None
             and written_in_han(judgment.query or "") != engine.corpus_in_han)
    return match_kind(judgment.case is not None, cross)


def labelled_hits(engine: SearchEngine, judgments: Sequence[Judgment]) -> list[tuple]:
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
    model = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
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


def told_share(kept: np.ndarray, groups: np.ndarray, unanswerable: np.ndarray) -> float | None:
    """The share of the questions nothing answers with no hit kept (None if there are none)."""
    questions = np.flatnonzero(unanswerable)
    if not questions.size:
        return None
    return float(np.mean([not kept[groups == q].any() for q in questions]))


def thresholds(relevant: np.ndarray, answers: np.ndarray, grades: np.ndarray,
               groups: np.ndarray, unanswerable: np.ndarray) -> tuple[float, float]:
    """(strong, partial) thresholds meeting the rules of the module's docstring."""
    strong = 1.0
    for t in np.arange(0.99, 0.0, -0.01):  # down to the first threshold not precise enough
        called = answers >= t
        if called.sum() < 5:
            continue
        if (grades[called] >= 1).mean() < STRONG_PRECISION:
            break
        strong = float(t)
    answering = grades == 2
    if not unanswerable.any():
        partial = 0.0
        for t in np.arange(0.99, 0.0, -0.01):
            kept = (answers >= strong) | (relevant >= t)
            if answering.any() and kept[answering].mean() >= ANSWER_RECALL:
                partial = float(t)
                break
        return round(strong, 2), round(partial, 2)
    best, partial = 2.0, 0.5
    for t in np.arange(0.01, 1.0, 0.01):
        kept = (answers >= strong) | (relevant >= t)
        told = told_share(kept, groups, unanswerable) or 0.0
        recall = kept[answering].mean() if answering.any() else 0.0
        if abs(told - recall) < best:  # where the two errors are equal
            best, partial = abs(told - recall), float(t)
    return round(strong, 2), round(partial, 2)


def measure(levels: list[str], grades: np.ndarray, groups: np.ndarray,
            unanswerable: np.ndarray) -> dict:
    """Precision of each level (share judged relevant, and share that answers), recall, and
    how many questions nothing answers were told so."""
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
    questions = np.flatnonzero(unanswerable)
    if questions.size:
        told = sum(not kept[groups == q].any() for q in questions)
        report["unanswerable_told"] = f"{told} of {questions.size}"
        report["unanswerable_told_share"] = round(told / questions.size, 3)
    return report


def _arrays(rows: list[tuple], judgments: Sequence[Judgment]) -> tuple:
    groups = np.array([r[0] for r in rows], dtype=int)
    raw = np.array([r[1] for r in rows], dtype=float)
    grades = np.array([r[2] for r in rows])
    unanswerable = np.array([not j.relevant for j in judgments])
    return groups, raw, grades, unanswerable


def calibrate_kind(engine: SearchEngine, tune: list[Judgment],
                   heldout: list[Judgment]) -> tuple[dict, dict]:
    """One kind's model (as JSON) and a report of its precision and recall."""
    rows = labelled_hits(engine, tune)
    groups, raw, grades, unanswerable = _arrays(rows, tune)
    center = raw.mean(axis=0)
    scale = np.where(raw.std(axis=0) > 1e-9, raw.std(axis=0), 1.0)
    x = (raw - center) / scale
    relevant, answers = out_of_fold(groups, x, grades)
    strong, partial = thresholds(relevant, answers, grades, groups, unanswerable)
    model = MatchModel(fit(x, grades >= 1), fit(x, grades == 2), strong, partial,
                       tuple(map(float, center)), tuple(map(float, scale)))
    cross_validated = ["strong" if a >= strong else "partial" if r >= partial else "weak"
                       for r, a in zip(relevant, answers, strict=True)]
    held_rows = labelled_hits(engine, heldout)
    held_groups, held_raw, held_grades, held_unanswerable = _arrays(held_rows, heldout)
    held_levels = [model.level(dict(zip(FEATURES, r, strict=True))) for r in held_raw]
    as_json = {"relevant": model.relevant, "answers": model.answers, "strong": strong,
               "partial": partial, "center": model.center, "scale": model.scale}
    report = {
        "tuning questions": len(tune), "held-out questions": len(heldout),
        "cross-validated on the tuning fold": measure(cross_validated, grades, groups,
                                                      unanswerable),
        "held-out fold": measure(held_levels, held_grades, held_groups, held_unanswerable),
    }
    return as_json, report


def calibrate(engine: SearchEngine, judgments: list[Judgment]) -> tuple[dict, dict]:
    """The models of one engine's family (as JSON) and their report, per kind."""
    models, report = {}, {}
    for kind in KINDS:
        chosen = [j for j in judgments if kind_of(engine, j) == kind]
        tune = [j for j in chosen if j.fold != HELDOUT]
        heldout = [j for j in chosen if j.fold == HELDOUT]
        models[kind], report[kind] = calibrate_kind(engine, tune, heldout)
    return models, report


def family_engines(settings: Settings, folder: Path) -> dict[str, SearchEngine]:
    """An engine per model family, each over an index of the corpus built in `folder`: the
    bundled model, and the tuned one if a model tuned from it is kept."""
    corpus = CorpusStore(settings.data).load()
    tuned = current_tuned(settings.home, configured_model_id(BUILTIN_MODEL) or "")
    engines = {}
    for family, model in (("base", None), ("tuned", tuned)):
        if family == "tuned" and model is None:
            print("no tuned model is kept (`casesearch tune`): calibrating the base model only")
            continue
        embedder, second = load_embedders(replace(settings, tune="auto"), tuned=model)
        path = folder / family / "index"
        build_index(corpus, embedder, path, second=second)
        engines[family] = SearchEngine(load_index(path, model_id=embedder.model_id), embedder,
                                       second=second)
    return engines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the report here (JSON)")
    args = parser.parse_args()
    settings = Settings.from_env()
    judgments = load_judgments()
    families, report = {}, {}
    kept = (json.loads(CALIBRATION.read_text(encoding="utf-8")) if CALIBRATION.is_file()
            else {})
    with tempfile.TemporaryDirectory(prefix="casesearch-calibrate-") as folder:
        for family, engine in family_engines(settings, Path(folder)).items():
            families[family], report[family] = calibrate(engine, judgments)
            report[family]["model"] = engine.embedder.model_id
    if tuple(kept.get("features", ())) == FEATURES:  # a family not measured now is kept
        for family, models in kept.get("families", {}).items():
            families.setdefault(family, models)
            report.setdefault(family, kept.get("report", {}).get(family, {}))
    CALIBRATION.write_text(json.dumps(
        {"features": FEATURES, "families": families,
         "targets": {"strong precision": STRONG_PRECISION,
                     "similar: answer recall": ANSWER_RECALL},
         "report": report}, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
