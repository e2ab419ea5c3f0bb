"""What tuning the model on its corpus changes (issue #25), before and after, in one run.

Two engines over the same corpus, each on an index of its own built here: the bundled model as
it ships (`before`) and tuned for the corpus (`after`: the current tuned model, made by
`casesearch tune`). For each: nDCG@10 per slice of the judged sets in hybrid and dense mode,
and what the match levels tell — of the held-out questions nothing answers, how many get no
strong or partial hit; how many strong hits are relevant; how many answering cases in the top
10 are called strong or partial — with the levels each family was calibrated for
(scripts/calibrate_match.py). Then what the build step costs: the tuning's time, pairs and
steps, and the re-embedding of the corpus with the tuned model. Needs the real model and a
tuned one (`make eval` makes both):

    .venv/bin/python -m scripts.tuning_report [--out docs/tuning.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from index.evaluation import HELDOUT, load_judgments, ranked_ids, score_runs
from index.models.embedders import BUILTIN_MODEL, configured_model_id
from index.retrieval.match import LEVELS
from index.retrieval.search import SearchEngine
from index.tuning.store import current_tuned
from scripts.calibrate_match import family_engines, kind_of
from service.runtime.settings import Settings

SLICES = ("all", "zh", "en", "colloquial", "paraphrase", "keyword", "after-glossary",
          "analogous", "heldout:all", "heldout:zh", "heldout:en", "heldout:colloquial",
          "heldout:after-glossary", "heldout:analogous")
BUS_QUESTION = "how do cities keep school buses safe"
BUS_CASE = "sd2020-jinan-3"


def asked(engine: SearchEngine, judgments) -> dict[str, list]:
    """The first 10 hits of every judged question (not similar practices), asked once for
    every measure below."""
    return {j.id: engine.search(j.query or "", k=10) for j in judgments if j.case is None}


def match_report(hits_of: dict[str, list], judgments, fold: str) -> dict:
    """What the match levels say on one fold's questions (not similar practices)."""
    chosen = [j for j in judgments if j.case is None and (j.fold == HELDOUT) == (fold == HELDOUT)]
    levels, grades, told, unanswerable = [], [], 0, 0
    by_language: dict[str, list] = {}
    for judgment in chosen:
        hits = hits_of[judgment.id]
        kept = [h for h in hits if h.match != "weak"]
        if not judgment.relevant:
            unanswerable += 1
            told += not kept
            by_language.setdefault(judgment.lang, [0, 0])
            by_language[judgment.lang][0] += not kept
            by_language[judgment.lang][1] += 1
        for hit in hits:
            levels.append(hit.match)
            grades.append(judgment.relevant.get(hit.case.id, 0))
    levels_array, grades_array = np.array(levels), np.array(grades)
    strong = levels_array == "strong"
    answering = grades_array == 2
    kept = np.isin(levels_array, ["strong", "partial"])
    return {
        "questions": len(chosen),
        "unanswerable told": f"{told} of {unanswerable}",
        "unanswerable told share": round(told / unanswerable, 3) if unanswerable else None,
        "unanswerable told by language": {lang: f"{a} of {b}" for lang, (a, b)
                                          in sorted(by_language.items())},
        "strong hits": int(strong.sum()),
        "strong hits relevant": round(float((grades_array[strong] >= 1).mean()), 3)
        if strong.any() else None,
        "answering cases called strong or partial": round(float(kept[answering].mean()), 3)
        if answering.any() else None,
        "levels": {level: int((levels_array == level).sum()) for level in LEVELS},
    }


def bus_question(engine: SearchEngine) -> dict:
    hits = engine.search(BUS_QUESTION, k=10)
    ids = [h.case.id for h in hits]
    rank = ids.index(BUS_CASE) + 1 if BUS_CASE in ids else None
    return {"question": BUS_QUESTION, "case": BUS_CASE, "rank": rank,
            "match": hits[rank - 1].match if rank else None, "top 3": ids[:3]}


QUESTION_SIGNALS = ("dense", "sentence", "dense_gap", "coverage", "second", "score")


def answerable_auc(hits_of: dict[str, list], judgments) -> dict:
    """How well a question's best signals tell questions that something answers from those
    nothing answers, per language: a logistic model of the best of each signal over the first
    10 hits (and of `unknown`), fitted on the tuning fold, its AUC on the held-out fold (1: it
    always tells them apart; 0.5: chance)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    report = {}
    for lang in sorted({j.lang for j in judgments if j.case is None}):
        rows = {True: ([], []), False: ([], [])}
        for judgment in judgments:
            if judgment.case is not None or judgment.lang != lang:
                continue
            hits = hits_of[judgment.id]
            if not hits:
                continue
            signals = [max(h.features[name] for h in hits) for name in QUESTION_SIGNALS]
            x, y = rows[judgment.fold == HELDOUT]
            x.append([*signals, hits[0].features["unknown"]])
            y.append(bool(judgment.relevant))
        (x_tune, y_tune), (x_held, y_held) = rows[False], rows[True]
        if len(set(y_tune)) < 2 or len(set(y_held)) < 2:
            continue
        mean, spread = np.mean(x_tune, axis=0), np.std(x_tune, axis=0) + 1e-9
        model = LogisticRegression(max_iter=2000).fit((np.array(x_tune) - mean) / spread,
                                                      y_tune)
        scores = model.decision_function((np.array(x_held) - mean) / spread)
        report[lang] = round(float(roc_auc_score(y_held, scores)), 3)
    return report


def cross_lingual_weak(engine: SearchEngine, hits_of: dict[str, list], judgments) -> dict:
    """Of the cases that answer a question in another script (grade 2, in the top 10), how
    many are labelled weak: "weak for want of shared words"."""
    weak = total = 0
    for judgment in judgments:
        if judgment.case is not None or kind_of(engine, judgment) != "search-cross":
            continue
        for hit in hits_of[judgment.id]:
            if judgment.relevant.get(hit.case.id, 0) == 2:
                total += 1
                weak += hit.match == "weak"
    return {"answering cases": total, "labelled weak": weak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the report here (JSON)")
    args = parser.parse_args()
    settings = Settings.from_env()
    judgments = load_judgments()
    judged = [j for j in judgments if j.relevant]
    tuned = current_tuned(settings.home, configured_model_id(BUILTIN_MODEL) or "")
    if tuned is None:
        raise SystemExit("no tuned model is kept: run `casesearch tune` (or `make eval`)")
    report: dict = {"tuned model": tuned.model_id,
                    "build step": {"pairs": tuned.pairs, "cases": tuned.cases,
                                   "steps": tuned.recipe["steps"],
                                   "tuning seconds": tuned.seconds, "losses": tuned.losses}}
    with tempfile.TemporaryDirectory(prefix="casesearch-tuning-") as folder:
        started = time.perf_counter()
        engines = family_engines(settings, Path(folder))
        report["build step"]["two index builds seconds"] = round(
            time.perf_counter() - started, 1)
        counts: dict[str, int] = {}
        for family, name in (("base", "before"), ("tuned", "after")):
            engine = engines[family]
            hits_of = asked(engine, judgments)
            ndcg = {}
            for mode in ("hybrid", "dense"):
                scored = score_runs((j, ranked_ids(engine, j, mode)) for j in judged)
                ndcg[mode] = {s: round(v["ndcg@10"], 3) for s, v in scored.items()}
                counts = {s: v["n"] for s, v in scored.items()}
            report[name] = {
                "model": engine.embedder.model_id,
                "ndcg@10": ndcg,
                "match, held-out fold": match_report(hits_of, judgments, HELDOUT),
                "match, tuning fold": match_report(hits_of, judgments, "tune"),
                "cross-lingual answers labelled weak": cross_lingual_weak(engine, hits_of,
                                                                          judgments),
                "answerable or not, held-out AUC": answerable_auc(hits_of, judgments),
                "school-bus question": bus_question(engine),
            }
    print(f"tuned model: {tuned.model_id} ({tuned.pairs} pairs of {tuned.cases} cases, "
          f"{tuned.recipe['steps']} steps, {tuned.seconds:.0f} s)\n")
    print("| slice | n | hybrid before | hybrid after | dense before | dense after |")
    print("|---|---|---|---|---|---|")
    for name in SLICES:
        if name not in report["before"]["ndcg@10"]["hybrid"]:
            continue
        cells = [report[side]["ndcg@10"][mode][name] for mode in ("hybrid", "dense")
                 for side in ("before", "after")]
        print(f"| {name} | {counts[name]} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    for side in ("before", "after"):
        print(f"\n{side}: " + json.dumps({key: report[side][key] for key in (
            "match, held-out fold", "cross-lingual answers labelled weak",
            "answerable or not, held-out AUC", "school-bus question")}, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
