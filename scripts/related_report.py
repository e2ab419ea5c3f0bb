"""What each metric gathers (service.figures.gathered), to judge by reading: for every figure
group's own phrase and for a list of everyday words (校车, 教师, 学校, 资金, …), asked as a
metric in words, the nearest group and the groups gathered with it. Uses the index of
CASESEARCH_HOME (run `make index` first). Writes JSON (`--out`) and prints a table.

    .venv/bin/python -m scripts.related_report [--out docs/related.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from service.figures import gathered
from service.runtime.wiring import open_engine

# Words people ask in, beside the groups' own phrases: things (two characters) and measures.
EVERYDAY = ("校车", "教师", "学校", "资金", "投资", "经费", "学位", "幼儿园", "校车数量",
            "教师招聘", "school buses", "teachers", "education spending")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    engine = open_engine()
    asked = list(dict.fromkeys([*EVERYDAY, *(group.metric for group in engine.figures.groups)]))
    rows = []
    for metric in asked:
        group, similarity, related, _ = gathered(engine, metric)
        rows.append({"asked": metric, "group": group.metric, "unit": group.unit,
                     "similarity": similarity,
                     "related": [f"{other.metric} ({other.unit}, {other.kind})"
                                 for other in related]})
    gathering = [row for row in rows if row["related"]]
    report = {"asked": len(rows), "gathering": len(gathering),
              "gathered": sum(len(row["related"]) for row in rows), "rows": rows}
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                            encoding="utf-8")
    print(f"{report['asked']} metrics asked, {report['gathering']} gather "
          f"{report['gathered']} groups:")
    for row in gathering:
        print(f"  {row['asked']} → {row['group']} ({row['unit']}) + {'; '.join(row['related'])}")


if __name__ == "__main__":
    main()
