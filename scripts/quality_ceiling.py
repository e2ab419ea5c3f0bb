"""How far the current signals can take retrieval quality, and three more ideas (issue #14).

Three measurements, on the judged sets of corpus/eval (needs the real model, `make index`):

1. **Weighting ceiling.** Every weighting of e5, USE and BM25 in steps of 0.1 (USE asked for
   cross-lingual questions only, or for every question), for questions and for similar
   practices, scored on both folds. The best weighting *chosen on the held-out fold itself*
   is an upper bound of what re-weighting these signals can do there: a diagnosis, never a
   setting to keep.
2. **Candidates.** Of the cases judged "answers it" on the held-out fold, the share that at
   least one signal (e5, USE, BM25) ranks in its top 10, and the nDCG@10 of a perfect
   re-ranking of that union: what a better re-ranker over today's candidates could reach.
3. **Ideas**, each against the default engine on the tuning fold, with paired wins and losses
   per judgment (the held-out figure is printed, not chosen on):
   - dense pseudo-relevance feedback (Rocchio): the question's vector plus α × the vector of
     the first fused hit, asked again;
   - neighbour smoothing (the cluster hypothesis): a case's fused score blended with the mean
     score of its 3 nearest cases;
   - similar practices: the best pair of sentences of two cases (e5 cosine) as a fourth signal;
   - the first 30 hits re-ranked by the match level's P(answers) (index.retrieval.match), which
     also reads how much of the question's wording a case holds (fitted on the tuning fold, so
     its tuning-fold figure is in-sample).

    .venv/bin/python -m scripts.quality_ceiling [--out docs/quality-ceiling.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.evaluation import HELDOUT, Judgment, load_judgments, ndcg, ranked_ids
from index.models.embedders import Embedder
from index.retrieval.fusion import FusionConfig, minmax
from index.retrieval.match import match_models
from index.retrieval.search import SearchEngine
from service.runtime.settings import Settings
from service.runtime.wiring import open_engine

STEPS = [round(x / 10, 1) for x in range(11)]
SIGNALS = ("dense", "second", "lexical")

Ranker = Callable[[Judgment], list[str]]


def engine_like(engine: SearchEngine, embedder: Embedder | None = None, **config) -> SearchEngine:
    """An engine over the same index with some settings (or the query embedder) changed."""
    return engine.reconfigured(replace(engine.config, **config), embedder)


def ranker(engine: SearchEngine, mode: str = "hybrid") -> Ranker:
    return lambda judgment: ranked_ids(engine, judgment, mode)


def per_judgment(rank: Ranker, judgments: Sequence[Judgment]) -> np.ndarray:
    return np.array([ndcg(rank(j), j.relevant) for j in judgments])


def by_fold(rank: Ranker, judged: dict[str, list[Judgment]]) -> dict[str, np.ndarray]:
    """nDCG@10 of each judgment, per fold."""
    return {fold: per_judgment(rank, js) for fold, js in judged.items()}


def mean_by_fold(rank: Ranker, judged: dict[str, list[Judgment]]) -> dict[str, float]:
    return {fold: float(scores.mean()) for fold, scores in by_fold(rank, judged).items()}


def folds(judgments: Sequence[Judgment]) -> dict[str, list[Judgment]]:
    scored = [j for j in judgments if j.relevant]
    return {"tune": [j for j in scored if j.fold != HELDOUT],
            "heldout": [j for j in scored if j.fold == HELDOUT]}


def weightings() -> list[dict[str, float]]:
    grid = []
    for dense, second in itertools.product(STEPS, STEPS):
        lexical = round(1 - dense - second, 1)
        if lexical >= 0 and (dense > 0 or lexical > 0):
            grid.append({"dense": dense, "second": second, "lexical": lexical})
    return grid


def weighting_ceiling(engine: SearchEngine, questions: dict[str, list[Judgment]],
                      analogous: dict[str, list[Judgment]]) -> dict:
    """The best weighting on each fold, and how the default scores, for questions and cases."""
    rows = []
    for second_for, weights in itertools.product(("cross-lingual", "always"), weightings()):
        variant = engine_like(engine, fusion=FusionConfig(weights=weights),
                              second_for=second_for)
        rows.append({"second_for": second_for, **weights,
                     **mean_by_fold(ranker(variant), questions)})
    similar = []
    for weights in weightings():
        variant = engine_like(engine, similar_fusion=FusionConfig(weights=weights))
        similar.append({**weights, **mean_by_fold(ranker(variant), analogous)})
    report = {}
    for name, grid, judged in (("questions", rows, questions), ("similar", similar, analogous)):
        report[name] = {"default": mean_by_fold(ranker(engine), judged),
                        "best_on_tune": max(grid, key=lambda row: row["tune"]),
                        "best_on_heldout": max(grid, key=lambda row: row["heldout"])}
    return report


def candidate_ceiling(engine: SearchEngine, judgments: Sequence[Judgment]) -> dict:
    """Share of the answering cases that some signal ranks in its top 10, and the nDCG@10 of
    the best order of those candidates."""
    alone = {"dense": ranker(engine, "dense"), "lexical": ranker(engine, "lexical"),
             "second": ranker(engine_like(engine, fusion=FusionConfig(weights={"second": 1.0}),
                                          second_for="always"))}
    found = wanted = 0
    ideal, sizes = [], []
    for judgment in judgments:
        union = set().union(*(rank(judgment) for rank in alone.values()))
        sizes.append(len(union))
        answers = {case for case, grade in judgment.relevant.items() if grade == 2}
        found += len(answers & union)
        wanted += len(answers)
        best = sorted(union, key=lambda case: -judgment.relevant.get(case, 0))
        ideal.append(ndcg(best, judgment.relevant))
    return {"answers_in_some_top10": found / wanted if wanted else 0.0,
            "answers": wanted, "ndcg@10_of_best_order": float(np.mean(ideal)),
            "mean_candidates": float(np.mean(sizes)), "corpus": len(engine.cases)}


class FeedbackEmbedder(Embedder):
    """A question's vector moved towards the vector of the first hit the engine finds for it
    (Rocchio's pseudo-relevance feedback, on the dense signal only)."""

    def __init__(self, engine: SearchEngine, alpha: float) -> None:
        self.engine, self.alpha = engine, alpha
        inner = engine.embedder
        self.model_id, self.dimension = inner.model_id, inner.dimension
        self.prompts, self.backend = inner.prompts, inner.backend

    def embed_batch(self, texts: Sequence[str], kind) -> np.ndarray:
        vectors = self.engine.embedder.embed_batch(texts, kind)
        if kind != "query":
            return vectors
        moved = []
        for text, vector in zip(texts, vectors, strict=True):
            first = self.engine.search(text, k=1)[0].case.id
            feedback = self.engine.index.case_vectors(np.array([self.engine.rows[first]]))[0]
            shifted = vector + self.alpha * feedback
            moved.append(shifted / np.linalg.norm(shifted))
        return np.array(moved, np.float32)


def smoothed_ranker(engine: SearchEngine, beta: float, neighbours: int = 3) -> Ranker:
    """Each case's fused score blended with the mean score of its nearest cases (by e5)."""
    n = len(engine.cases)
    vectors = engine.index.case_vectors(np.arange(n))
    nearest = np.argsort(-(vectors @ vectors.T), axis=1)[:, 1:neighbours + 1]

    def ranked(judgment: Judgment) -> list[str]:
        question = judgment.query or ""
        hits = engine.search(question, k=min(n, 50))
        if engine.city_matcher.find(question).cities:  # a named city's cases stay first
            return [hit.case.id for hit in hits[:10]]
        scores = np.zeros(n)
        for hit in hits:
            scores[engine.rows[hit.case.id]] = hit.score
        blended = (1 - beta) * scores + beta * scores[nearest].mean(axis=1)
        return [engine.cases[row].id for row in np.argsort(-blended, kind="stable")[:10]]
    return ranked


def sentence_pair_ranker(engine: SearchEngine, weight: float) -> Ranker:
    """Similar practices with the best sentence pair's cosine as a further signal."""
    n = len(engine.cases)
    sentences = [engine.index.sentences_of(row)[1] for row in range(n)]
    best_pair = np.array([[float((sentences[a] @ sentences[b].T).max()) for b in range(n)]
                          for a in range(n)])

    def ranked(judgment: Judgment) -> list[str]:
        hits = engine.similar(judgment.case or "", k=min(n, 50))
        rows = np.array([engine.rows[hit.case.id] for hit in hits])
        fused = np.array([hit.score for hit in hits])
        pair = minmax(best_pair[engine.rows[judgment.case or ""]][rows])
        order = np.argsort(-((1 - weight) * fused + weight * pair), kind="stable")
        return [engine.cases[rows[i]].id for i in order[:10]]
    return ranked


def answer_ranker(engine: SearchEngine, depth: int = 30) -> Ranker:
    """The first `depth` hits in the order of their probability of answering the question."""
    model = match_models()["search"]

    def ranked(judgment: Judgment) -> list[str]:
        hits = engine.search(judgment.query or "", k=depth)
        if engine.city_matcher.find(judgment.query or "").cities:
            return [hit.case.id for hit in hits[:10]]
        hits.sort(key=lambda hit: -model.probability_of_answer(hit.features))
        return [hit.case.id for hit in hits[:10]]
    return ranked


def compare(base: dict[str, np.ndarray], variant: Ranker,
            judged: dict[str, list[Judgment]]) -> dict:
    """A variant against the default engine's scores (`by_fold`): nDCG@10 on each fold, wins
    and losses on the tuning fold, and the mean paired difference with its standard error."""
    new = by_fold(variant, judged)
    delta = new["tune"] - base["tune"]
    return {"tune": float(new["tune"].mean()), "tune_default": float(base["tune"].mean()),
            "heldout": float(new["heldout"].mean()),
            "heldout_default": float(base["heldout"].mean()),
            "wins": int((delta > 1e-3).sum()), "losses": int((delta < -1e-3).sum()),
            "mean_change": float(delta.mean()),
            "standard_error": float(delta.std(ddof=1) / np.sqrt(delta.size))}


def ideas(engine: SearchEngine, questions: dict[str, list[Judgment]],
          analogous: dict[str, list[Judgment]]) -> dict:
    tried = {}
    on_questions, on_cases = by_fold(ranker(engine), questions), by_fold(ranker(engine), analogous)
    for alpha in (0.5, 1.0):
        variant = engine_like(engine, embedder=FeedbackEmbedder(engine, alpha))
        tried[f"rocchio alpha={alpha}"] = compare(on_questions, ranker(variant), questions)
    for beta in (0.1, 0.2):
        tried[f"neighbour smoothing beta={beta}"] = compare(
            on_questions, smoothed_ranker(engine, beta), questions)
    tried["re-ranked by P(answers)"] = compare(on_questions, answer_ranker(engine), questions)
    for weight in (0.1, 0.2):
        tried[f"similar: best sentence pair weight={weight}"] = compare(
            on_cases, sentence_pair_ranker(engine, weight), analogous)
    return tried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    engine = open_engine(Settings.from_env())
    judged = load_judgments()
    questions = folds([j for j in judged if j.case is None])
    analogous = folds([j for j in judged if j.case is not None])
    report = {"weighting": weighting_ceiling(engine, questions, analogous),
              "candidates": candidate_ceiling(engine, questions["heldout"]),
              "ideas": ideas(engine, questions, analogous)}
    for kind, row in report["weighting"].items():
        print(f"\n{kind}: default tune {row['default']['tune']:.3f} "
              f"held-out {row['default']['heldout']:.3f}")
        for label in ("best_on_tune", "best_on_heldout"):
            best = row[label]
            weights = "/".join(f"{best[s]:.1f}" for s in SIGNALS)
            print(f"  {label}: e5/USE/BM25 {weights} {best.get('second_for', '')} "
                  f"tune {best['tune']:.3f} held-out {best['heldout']:.3f}")
    found = report["candidates"]
    print(f"\nheld-out answers in some signal's top 10: {found['answers_in_some_top10']:.1%} "
          f"of {found['answers']} ({found['mean_candidates']:.1f} of {found['corpus']} cases "
          f"in the three top 10s on average); best order of those candidates: nDCG@10 "
          f"{found['ndcg@10_of_best_order']:.3f}")
    print("\n| idea | tuning fold (default) | wins / losses | mean change ± s.e. "
          "| held-out (default) |")
    print("|---|---|---|---|---|")
    for name, row in report["ideas"].items():
        print(f"| {name} | {row['tune']:.3f} ({row['tune_default']:.3f}) | "
              f"{row['wins']} / {row['losses']} | {row['mean_change']:+.3f} ± "
              f"{row['standard_error']:.3f} | {row['heldout']:.3f} "
              f"({row['heldout_default']:.3f}) |")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
