"""Why recall@10 falls at ten million, measured where it can be: at a smaller size, with the
lists as crowded as they are at the size in question.

`scripts.scale` found recall@10 0.64 at 10M (nprobe 128) against 0.96 at 1M. Building 10M
again takes half an hour, so this script asks the question at `--cases` (1M by default) with
as many cases a list as `--like` (10M) has: under the layout's cap (4√n lists, at most
4,096) and with the cap lifted (4√n lists). Each layout is IVF-PQ48x4fs as `scripts.scale`
builds it, searched with nprobe doubling up to all its lists and its best `rerank` codes re-ranked
exactly from float16 vectors; recall@10 against exact search over the same float16 vectors.
If re-ranking more candidates does not move recall and probing more lists does, the lists
are what limits it.

The lexical part is swept the same way over one segment (a million cases, as each of 10M's
ten is): how much of the BM25 top 10 and top 200 each impact cut (a term's best postings
read, `scripts.scale.IMPACT_CUT` among them) finds against reading every posting, and at
what latency.

It also compares the generated vectors' geometry with the served index's real ones (the
cases' and sentences' vectors in CASESEARCH_HOME's index, when it has been built): mean
cosine of two vectors, mean cosine to the nearest other one, and the participation ratio of
the centred covariance's eigenvalues (how many directions the vectors really spread in),
over equally many vectors of each.

    .venv/bin/python -m scripts.scale_recall [--cases 1000000] [--like 10000000]
                                             [--out docs/scale-recall.json] [--table]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from scripts.scale import (
    IMPACT_CUT,
    QUERIES,
    SEGMENT,
    K,
    Postings,
    build_lexical,
    chunk_vectors,
    exact_neighbours,
    ivfpq,
    lexical_recall,
    lists_for,
    percentile,
    question_vectors,
    questions,
    real_term_counts,
    topic_centres,
    vocabulary,
)

RERANKS = (100, 1000)
CUTS = (2_000, 5_000, 10_000, 20_000, IMPACT_CUT, None)  # None: every posting read


def crowded_like(cases: int, like: int, capped: bool) -> int:
    """Lists for `cases` cases that hold as many cases each as `like` cases' lists do."""
    return max(1, round(cases * lists_for(like, capped) / like))


def geometry(vectors: np.ndarray) -> dict[str, float]:
    """Mean pairwise cosine, mean cosine to the nearest other vector, and the participation
    ratio (Σλ)² / Σλ² of the centred covariance: the directions the vectors spread in."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosines = unit @ unit.T
    np.fill_diagonal(cosines, np.nan)
    centred = unit - unit.mean(axis=0)
    eigen = np.clip(np.linalg.eigvalsh(centred.T @ centred), 0, None)
    return {"vectors": len(unit), "mean_cosine": round(float(np.nanmean(cosines)), 3),
            "nearest_cosine": round(float(np.nanmax(cosines, axis=1).mean()), 3),
            "participation_ratio": round(float(eigen.sum() ** 2 / (eigen ** 2).sum()), 1)}


def real_vectors() -> np.ndarray | None:
    """The served index's case and sentence vectors, or None when it has not been built."""
    from service.runtime.settings import Settings

    folder = Settings.from_env().index_path
    if not (folder / "index.faiss").is_file():
        return None
    cases = faiss.read_index(str(folder / "index.faiss"))
    parts = [cases.reconstruct_n(0, cases.ntotal)]
    if (folder / "sentences.npy").is_file():
        parts.append(np.load(folder / "sentences.npy"))
    return np.vstack(parts).astype(np.float32)


def recall_at(rows: np.ndarray, queries: np.ndarray, vectors: np.ndarray,
              truth: np.ndarray) -> float:
    """recall@K of candidate rows re-ranked exactly, against the exact top K."""
    found = 0
    for query, candidates, exact in zip(queries, rows, truth, strict=True):
        candidates = candidates[candidates >= 0]
        scores = np.asarray(vectors[candidates], np.float32) @ query
        top = candidates[np.argsort(-scores)[:K]]
        found += len(set(top.tolist()) & set(exact.tolist()))
    return round(found / (K * len(queries)), 3)


def sweep(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, lists: int) -> dict:
    """Build one IVF-PQ layout; recall@10 and search time by nprobe and re-rank depth."""
    started = time.perf_counter()
    index, _ = ivfpq(vectors, lists)
    built = round(time.perf_counter() - started, 1)
    faiss.omp_set_num_threads(1)  # searched as a worker's thread searches
    points = []
    nprobe = 8
    while nprobe < lists * 2:  # to every list: what the codes alone then miss
        nprobe = min(nprobe, lists)
        index.nprobe = nprobe
        for rerank in RERANKS:
            started = time.perf_counter()
            _, rows = index.search(queries, rerank)
            pq_ms = (time.perf_counter() - started) * 1000 / len(queries)
            points.append({"nprobe": nprobe, "share_probed": round(nprobe / lists, 3),
                           "rerank": rerank, "recall@10": recall_at(rows, queries, vectors,
                                                                     truth),
                           "pq_search_ms": round(pq_ms, 2)})
        print(json.dumps(points[-2:]), flush=True)
        nprobe *= 2
    return {"lists": lists, "cases_a_list": round(len(vectors) / lists), "build_s": built,
            "points": points}


def lexical_sweep(cases: int) -> list[dict]:
    """The lexical part over one segment of `cases` (each of 10M's segments is one of 1M):
    recall@10 and @200 of each cut against reading every posting, and its latency."""
    words, probabilities = vocabulary()
    lengths = real_term_counts()
    with tempfile.TemporaryDirectory(prefix="scale-recall-") as folder:
        build_lexical(Path(folder), cases, probabilities, lengths)
        postings = Postings(Path(folder))
        asked = questions(cases, probabilities, lengths)["terms"]
        for terms in asked:  # every page read once, so that each cut is timed warm
            postings.search(terms, cut=None)
        points = []
        for cut in CUTS:
            timings = []
            for terms in asked:
                started = time.perf_counter()
                postings.search(terms, cut=cut)
                timings.append((time.perf_counter() - started) * 1000)
            points.append({"cut": cut, **lexical_recall(postings, asked, cut),
                           "p50_ms": percentile(timings, 0.5),
                           "p99_ms": percentile(timings, 0.99)})
            print(json.dumps(points[-1]), flush=True)
    return points


def table(report: dict) -> str:
    """docs/scale-recall.json as docs/PERFORMANCE.md's tables (a test checks them)."""
    layouts = report["layouts"]
    rows = [f"| share of lists probed | recall@10, re-ranking {' / '.join(map(str, RERANKS))} "
            f"| codes' search, ms |", "|---|---|---|"]
    for name, layout in layouts.items():
        rows.append(f"| **{name}: {layout['lists']:,} lists at {report['cases']:,} "
                    f"(as {layout['lists_at_like']:,} at {report['like']:,}), "
                    f"~{layout['cases_a_list']:,} cases a list** | | |")
        points = layout["points"]
        for first in range(0, len(points), len(RERANKS)):
            group = points[first:first + len(RERANKS)]
            recalls = " / ".join(f"{point['recall@10']:.3f}" for point in group)
            times = " / ".join(f"{point['pq_search_ms']:.2f}" for point in group)
            rows.append(f"| {group[0]['share_probed']:.1%} (nprobe {group[0]['nprobe']}) "
                        f"| {recalls} | {times} |")
    rows += ["", "| postings read a term, a segment | lexical recall@10 | @200 | p50 / p99 |",
             "|---|---|---|---|"]
    for point in report["lexical"]["points"]:
        cut = "all" if point["cut"] is None else f"{point['cut']:,}"
        rows.append(f"| {cut} | {point['@10']:.3f} | {point['@200']:.3f} "
                    f"| {point['p50_ms']:.2f} / {point['p99_ms']:.2f} ms |")
    if "geometry" in report:
        rows += ["", "| vectors | mean cosine | to the nearest other | participation ratio |",
                 "|---|---|---|---|"]
        for name, label in (("real", "the served index's"), ("generated", "generated")):
            shape = report["geometry"][name]
            rows.append(f"| {label} ({shape['vectors']}) | {shape['mean_cosine']:.3f} "
                        f"| {shape['nearest_cosine']:.3f} | {shape['participation_ratio']:.1f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--like", type=int, default=10_000_000)
    parser.add_argument("--out", type=Path, default=Path("docs/scale-recall.json"))
    parser.add_argument("--table", action="store_true",
                        help="print --out's figures as docs/PERFORMANCE.md's tables, and stop")
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(args.out.read_text(encoding="utf-8"))))
        return
    centres = topic_centres(args.cases)
    vectors = np.vstack([chunk_vectors(start, min(args.cases, start + SEGMENT), centres)
                         for start in range(0, args.cases, SEGMENT)]).astype(np.float16)
    queries = question_vectors(args.cases, np.random.default_rng(99))
    truth = exact_neighbours(vectors, queries)
    report: dict = {"cases": args.cases, "like": args.like, "topics": len(centres),
                    "layouts": {}}
    real = real_vectors()
    if real is not None:
        report["geometry"] = {"real": geometry(real),
                              "generated": geometry(vectors[:len(real)].astype(np.float32))}
        print(json.dumps(report["geometry"]), flush=True)
    for name, capped in (("capped", True), ("uncapped", False)):
        lists = crowded_like(args.cases, args.like, capped)
        print(f"{name}: {lists} lists ({lists_for(args.like, capped)} at {args.like:,})",
              flush=True)
        report["layouts"][name] = {"lists_at_like": lists_for(args.like, capped),
                                   **sweep(vectors, queries, truth, lists)}
    report["lexical"] = {"segment": min(args.cases, SEGMENT), "questions": QUERIES,
                         "points": lexical_sweep(min(args.cases, SEGMENT))}
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
