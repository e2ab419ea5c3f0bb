"""Sweep the fusion settings over the judged questions and report how sensitive quality is.

Prints, for each setting, nDCG@10 on all questions, English questions, city questions and
analogous practices. A good default sits on a plateau, not on a peak.

    .venv/bin/python -m scripts.tune_fusion [--out docs/fusion-sweep.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace
from pathlib import Path

from index.evaluation import load_judgments, ranked_ids, score_runs
from index.retrieval.fusion import FusionConfig
from service.runtime.settings import Settings
from service.runtime.wiring import open_engine

DENSE_WEIGHTS = (0.3, 0.4, 0.5, 0.6)
SECOND_WEIGHTS = (0.2, 0.3, 0.4)
SIMILAR_TERMS = (0, 10, 15, 20, 30)
PROMOTE_RATIOS = (0.0, 0.3, 0.5, 0.7, 0.9, 1.01)


def ndcg_by_slice(engine, judgments) -> dict[str, float]:
    report = score_runs((j, ranked_ids(engine, j, "hybrid")) for j in judgments)
    return {name: round(slot["ndcg@10"], 3) for name, slot in report.items()}


def sweep(engine, judgments, vary) -> list[dict]:
    base, rows = engine.config, []
    for label, config in vary(base):
        engine.config = config
        rows.append({"setting": label, **ndcg_by_slice(engine, judgments)})
    engine.config = base
    return rows


def fusion_grid(base):
    for dense, second, method in itertools.product(DENSE_WEIGHTS, SECOND_WEIGHTS,
                                                   ("score", "rrf")):
        lexical = round(1 - dense - second, 2)
        if lexical < 0:
            continue
        weights = {"dense": dense, "second": second, "lexical": lexical}
        fusion = FusionConfig(method=method, weights=weights)
        yield (f"{method} {dense}/{second}/{lexical}",
               replace(base, fusion=fusion, similar_fusion=fusion))


def similar_grid(base):
    for terms in SIMILAR_TERMS:
        yield f"similar_terms={terms}", replace(base, similar_terms=terms)


def promote_grid(base):
    for ratio in PROMOTE_RATIOS:
        yield f"city_promote_ratio={ratio}", replace(base, city_promote_ratio=ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    engine = open_engine(Settings.from_env())
    judgments = load_judgments()
    report = {"fusion": sweep(engine, judgments, fusion_grid),
              "similar_terms": sweep(engine, [j for j in judgments if j.case], similar_grid),
              "city_promote_ratio": sweep(engine, [j for j in judgments if "city" in j.tags],
                                          promote_grid)}
    for name, rows in report.items():
        columns = [c for c in ("all", "zh", "en", "city", "analogous") if c in rows[0]]
        print(f"\n{name}\n| setting | " + " | ".join(columns) + " |")
        print("|---|" + "---|" * len(columns))
        for row in rows:
            print(f"| {row['setting']} | " + " | ".join(f"{row[c]:.3f}" for c in columns) + " |")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
