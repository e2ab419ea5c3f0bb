"""What the English glosses and the everyday-words glossary add (issue #14), in one run.

Hybrid nDCG@10 per slice of the judged sets (corpus/eval) for three engines over the same
index: `before` (neither: `SearchConfig(glosses=False, everyday=False)`), `+ glosses`
(`everyday=False`) and the default. The last rows score the first judged set alone (the 90
questions and 18 analogous cases the system was first built on), to show what the new
signals cost the old questions. Needs the real model (`make index`):

    .venv/bin/python -m scripts.before_after
"""

from __future__ import annotations

from dataclasses import replace

from index.evaluation import load_judgments, ranked_ids, score_runs
from service.runtime.settings import Settings
from service.runtime.wiring import open_engine

SLICES = ("all", "zh", "en", "colloquial", "paraphrase", "keyword", "city", "after-glossary",
          "analogous", "heldout:all", "heldout:zh", "heldout:en", "heldout:after-glossary",
          "heldout:analogous")
FIRST_SET = ("shandong-2020-questions.jsonl", "shandong-2020-analogous.jsonl")


def main() -> None:
    engine = open_engine(Settings.from_env())
    judged = [j for j in load_judgments() if j.relevant]
    engines = {"before": replace(engine.config, glosses=False, everyday=False),
               "+ glosses": replace(engine.config, everyday=False),
               "+ glossary (now)": engine.config}
    reports, first_reports = {}, {}
    for name, config in engines.items():
        variant = engine.reconfigured(config)
        runs = [(j, ranked_ids(variant, j, "hybrid")) for j in judged]
        reports[name] = score_runs(runs)
        first_reports[name] = score_runs(run for run in runs if run[0].source in FIRST_SET)
    print("| slice | n | " + " | ".join(engines) + " |")
    print("|---|---|" + "---|" * len(engines))
    for label, report in (("", reports), ("first set: ", first_reports)):
        for name in SLICES if not label else ("all", "en", "analogous"):
            now = report["+ glossary (now)"]
            if name not in now:
                continue
            cells = [f"{report[engine_name][name]['ndcg@10']:.3f}" for engine_name in engines]
            cells[-1] = f"**{cells[-1]}**"
            print(f"| {label}{name} | {now[name]['n']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
