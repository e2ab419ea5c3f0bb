"""Retrieval quality on a judged question set: nDCG@10, Recall@5 and MRR per mode and slice.

Judgments live in `corpus/eval/`: `*-questions.jsonl` (a question, its language, tags such as
`city` or `keyword`, and graded relevance: 2 answers it, 1 answers it in part) and
`*-analogous.jsonl` (a case and the cases of other cities that are analogous practices).
A question judged with no relevant case (`*-unanswerable.jsonl`) has no ranking to score; it
teaches the match levels (scripts/calibrate_match.py) that the best result can be no answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.retrieval.limits import MODES
from index.retrieval.search import SearchEngine

DEFAULT_EVAL_DIR = Path(__file__).resolve().parent.parent / "corpus" / "eval"
SLICES = ("all", "zh", "en", "city", "keyword", "colloquial", "paraphrase", "after-glossary",
          "analogous")
HELDOUT = "heldout"  # judgments never looked at while tuning; reported on their own


@dataclass(frozen=True)
class Judgment:
    """One judged information need: a question, or (for analogous practices) a source case."""

    id: str
    relevant: dict[str, int]
    query: str | None = None
    case: str | None = None
    lang: str = "zh"
    tags: tuple[str, ...] = field(default_factory=tuple)
    fold: str = "tune"
    source: str = ""  # the judgment file's name

    @property
    def slices(self) -> tuple[str, ...]:
        base = ("analogous",) if self.case is not None else ("all", self.lang, *self.tags)
        if self.fold == HELDOUT:
            return (*base, *(f"{HELDOUT}:{name}" for name in base))
        return base


def load_judgments(folder: Path = DEFAULT_EVAL_DIR) -> list[Judgment]:
    """Every judgment of every `*.jsonl` file in the folder."""
    judgments = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                judgments.append(Judgment(
                    id=data["id"], relevant=data["relevant"], query=data.get("query"),
                    case=data.get("case"), lang=data.get("lang", "zh"),
                    tags=tuple(data.get("tags", ())), fold=data.get("fold", "tune"),
                    source=path.name))
    return judgments


def ndcg(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    """Normalized discounted cumulative gain at k, with gain 2^grade − 1."""
    gains = [2 ** relevant.get(doc, 0) - 1 for doc in ranked[:k]]
    ideal = sorted((2 ** grade - 1 for grade in relevant.values()), reverse=True)[:k]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: Sequence[str], relevant: dict[str, int], k: int = 5) -> float:
    """Share of the relevant documents (grade ≥ 1) found in the top k."""
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def reciprocal_rank(ranked: Sequence[str], relevant: dict[str, int]) -> float:
    """1 / rank of the first relevant document (0 if none is ranked)."""
    for position, doc in enumerate(ranked, start=1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / position
    return 0.0


def ranked_ids(engine: SearchEngine, judgment: Judgment, mode: str, k: int = 10) -> list[str]:
    """The ids the engine returns for a judgment, in order."""
    if judgment.case is not None:
        hits = engine.similar(judgment.case, k=k, mode=mode)
    else:
        hits = engine.search(judgment.query or "", k=k, mode=mode)
    return [hit.case.id for hit in hits]


def score_runs(runs: Iterable[tuple[Judgment, list[str]]]) -> dict[str, dict[str, float]]:
    """Mean metrics per slice over (judgment, ranking) pairs."""
    sums: dict[str, dict[str, float]] = {}
    for judgment, ranked in runs:
        if not judgment.relevant:  # nothing in the corpus answers it: for the match levels only
            continue
        metrics = {"ndcg@10": ndcg(ranked, judgment.relevant),
                   "recall@5": recall(ranked, judgment.relevant),
                   "mrr": reciprocal_rank(ranked, judgment.relevant)}
        for name in judgment.slices:
            slot = sums.setdefault(name, {"n": 0, "ndcg@10": 0.0, "recall@5": 0.0, "mrr": 0.0})
            slot["n"] += 1
            for metric, value in metrics.items():
                slot[metric] += value
    return {name: {"n": slot["n"], **{m: slot[m] / slot["n"] for m in ("ndcg@10", "recall@5",
                                                                     "mrr")}}
            for name, slot in sums.items()}


def evaluate(engine: SearchEngine, judgments: Sequence[Judgment],
             modes: Sequence[str] = MODES) -> dict[str, dict[str, dict[str, float]]]:
    """{mode: {slice: {"n", "ndcg@10", "recall@5", "mrr"}}}."""
    scored = [j for j in judgments if j.relevant]  # unanswerable ones have no ranking to score
    return {mode: score_runs((j, ranked_ids(engine, j, mode)) for j in scored)
            for mode in modes}


def format_table(report: dict[str, dict[str, dict[str, float]]]) -> str:
    """A Markdown table: one row per slice, nDCG@10 / Recall@5 / MRR per mode."""
    modes = list(report)
    header = "| slice | n | " + " | ".join(f"{m} nDCG@10 | R@5 | MRR" for m in modes) + " |"
    rule = "|---|---|" + "---|---|---|" * len(modes)
    lines = [header, rule]
    for name in (*SLICES, *(f"{HELDOUT}:{name}" for name in SLICES)):
        if name not in report[modes[0]]:
            continue
        cells = []
        for mode in modes:
            slot = report[mode][name]
            cells += [f"{slot['ndcg@10']:.3f}", f"{slot['recall@5']:.3f}", f"{slot['mrr']:.3f}"]
        lines.append(f"| {name} | {report[modes[0]][name]['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
