"""Calibrate how figures are grouped across cities, on the hand-judged figures.

The found figures that match a judged one (corpus/eval/figures) are grouped at every threshold
from 0.30 to 0.99; the threshold with the best pairwise F1 on the tuning fold (the corpus's own
figures) is kept, the higher one on a tie (a comparison column that mixes measures misleads
more than one split in two). The held-out fold (sentences of other reports) is only scored:
grouped together with the corpus's figures, do its figures join the right groups?

Writes the threshold for the models in use to index/figure_calibration.json, and reports what
each signal does alone (each embedder's cosine, the characters in common) at its own best
threshold. Needs the real models (`make index`):

    .venv/bin/python -m scripts.calibrate_figures [--out docs/figure-calibration.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from index.figure_evaluation import judged_set, score_grouping
from index.figures import CALIBRATION, embed_metrics, models_key, similarity
from service.runtime.wiring import open_engine


def f1(scores: dict) -> float:
    p, r = scores["precision"] or 0.0, scores["recall"] or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def sweep_thresholds(found, keys, alike) -> tuple[dict, list[dict]]:
    """Every threshold's scores, and the best one (pairwise F1 on the tuning fold)."""
    sweep = [{"threshold": float(threshold),
              **score_grouping(found, keys, alike, float(threshold))}
             for threshold in np.round(np.arange(0.30, 0.991, 0.01), 2)]
    best = max(sweep, key=lambda row: (round(f1(row["tune"]), 3), row["threshold"]))
    return best, sweep


def signals_alone(found, keys, embedders) -> dict[str, dict]:
    """The best grouping each signal gives on its own, to show what each adds."""
    vectors = {embedder.model_id: embed_metrics(keys, embedder) for embedder in embedders}
    options = {model: similarity(keys, [v], characters=False) for model, v in vectors.items()}
    options["characters"] = similarity(keys, [])
    return {name: sweep_thresholds(found, keys, alike)[0] for name, alike in options.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the whole sweep here (JSON)")
    args = parser.parse_args()
    judged = judged_set(open_engine())
    best, sweep = sweep_thresholds(judged.found, judged.keys, judged.alike)
    alone = signals_alone(judged.found, judged.keys, judged.embedders)
    models = models_key(judged.embedders)
    calibration = json.loads(CALIBRATION.read_text()) if CALIBRATION.is_file() else {}
    calibration[models] = best
    CALIBRATION.write_text(json.dumps(calibration, indent=2, ensure_ascii=False) + "\n")
    print(f"{models}: threshold {best['threshold']:.2f}")
    for fold in ("tune", "heldout"):
        if fold in best:
            row = best[fold]
            print(f"  {fold}: pairwise precision {row['precision']}, recall {row['recall']} "
                  f"({row['pairs_right']} of {row['pairs_grouped']} pairs grouped are right; "
                  f"{row['pairs_judged_same']} judged the same)")
    for name, row in alone.items():
        print(f"  {name} alone: threshold {row['threshold']:.2f}, tuning F1 {f1(row['tune']):.3f}"
              f" (precision {row['tune']['precision']}, recall {row['tune']['recall']}); "
              f"held out precision {row['heldout']['precision']}, "
              f"recall {row['heldout']['recall']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"models": models, "chosen": best, "alone": alone,
                                        "sweep": sweep}, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
