"""Calibrate how figures are grouped across cities, on the hand-judged figures.

The found figures that match a judged one (corpus/eval/figures) are grouped at every threshold
from 0.30 to 0.95; the threshold with the best pairwise F1 on the tuning fold (the corpus's own
figures) is kept, the higher one on a tie (a comparison column that mixes measures misleads
more than one split in two). The held-out fold (sentences of other reports) is only scored:
grouped together with the corpus's figures, do its figures join the right groups?

Writes the threshold for the models in use to index/figure_calibration.json. Needs the real
models (`make index`):

    python -m scripts.calibrate_figures [--out docs/figure-calibration.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from index.figure_evaluation import (
    judged_figures,
    load_judged_texts,
    phrase_similarity,
    score_grouping,
)
from index.figures import CALIBRATION, models_key
from service.runtime.wiring import open_engine


def f1(scores: dict) -> float:
    p, r = scores["precision"] or 0.0, scores["recall"] or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the whole sweep here (JSON)")
    args = parser.parse_args()
    engine = open_engine()
    cases = {case.id: case for case in engine.cases}
    texts = load_judged_texts(case_text=lambda case_id: cases[case_id].text)
    found = judged_figures(texts, city_of=lambda i: cases[i].city if i in cases else i)
    embedders = [engine.embedder, *([engine.second] if engine.second is not None else [])]
    keys, alike = phrase_similarity(found, embedders)
    sweep = []
    for threshold in np.round(np.arange(0.30, 0.951, 0.01), 2):
        scores = score_grouping(found, keys, alike, float(threshold))
        sweep.append({"threshold": float(threshold), **scores})
    best = max(sweep, key=lambda row: (round(f1(row["tune"]), 3), row["threshold"]))
    models = models_key(embedders)
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
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"models": models, "chosen": best, "sweep": sweep},
                                       indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
