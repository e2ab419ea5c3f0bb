"""Feed the document reader random documents made of the lines compilations are made of —
headings of every style, places, parts, page numbers, notes, empty and absurd numbers — and
count any exception other than `CorpusError`, and any case ids that are not unique.

    .venv/bin/python -m scripts.fuzz_reader [--seed 1] [--documents 3000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import traceback
from pathlib import Path

from corpus.errors import CorpusError
from corpus.load import parse_document

LINES = (
    "2022年山东省教育改革典型案例", "附件", "一、济南市", "二、青岛市", "一、", "（一）",
    "（一）加强师资。青岛市新建学校十所，成效明显。", "1.", "1.崂山区打造家门口好学校", "2.", "①",
    "【基本情况】", "【案例1】", "【案例】", "【】", "【典型案例】恩施州：推进精准帮扶", "案例一",
    "典型案例1", "第一部分", "第一部分 综合改革", "崂山区：打造家门口好学校",
    "黄岛区 推进集团化办学",
    "- 3 -", "注：内部资料", "以上案例由各地报送", "崂山区改扩建学校十所，新建学校五所。",
    "全市交流教师三千余人次。", "（胶州）", "——崂山区教育局", "打造家门口好学校（崂山区）", "十、",
    "百、", "零、", "〇、", "两、", "（〇）", "0.", "999.x", "#", "## 济南市", "第0章", "案例0",
    "【案例0】", "", "省（区、市）", "鼓楼区：建设智慧校园", "朝阳区：劳动教育", "**基本情况**",
    "主要做法", "\u200b青岛市", "一、" + "长" * 500, " " * 3000,
)


def fuzz(seed: int, documents: int, folder: Path) -> tuple[int, int]:
    """(documents that raised something other than CorpusError, documents whose case ids
    repeat), each document read without and with the reader's overrides."""
    rng = random.Random(seed)
    path = folder / "fuzz.txt"
    crashed = repeated = 0
    for _ in range(documents):
        lines = [rng.choice(LINES) for _ in range(rng.randint(1, 14))]
        path.write_text("\n".join(lines), encoding="utf-8")
        overrides = {"year": 2020, "province": "山东省", "title": "t",
                     "case_level": rng.randint(1, 4)}
        for meta in ({"id": "x"}, {"id": "x", **overrides}):
            try:
                _, cases, report = parse_document(path, meta)
                report.report()
            except CorpusError:
                continue
            except Exception:  # counting them is the point
                crashed += 1
                if crashed <= 3:
                    print("\n".join(lines), meta, traceback.format_exc(limit=-2), sep="\n")
                continue
            ids = [case.id for case in cases]
            repeated += len(ids) != len(set(ids))
    return crashed, repeated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--documents", type=int, default=3000)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        crashed, repeated = fuzz(args.seed, args.documents, Path(folder))
    print(f"{args.documents} documents, each read twice: {crashed} raised something other "
          f"than CorpusError, {repeated} gave repeated case ids "
          f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
