"""Ten million cases on one machine: an on-disk layout for a large corpus, built and measured.

At each size a corpus like the real one is generated: each case's terms drawn from jieba's
dictionary by its word frequencies, as many as a real case has (its term count sampled from
the 48 real cases': ~49 terms, ~100 characters), its text those terms, its city and year;
its vector a 384-d unit vector near one of n/100 topic centres (real embeddings cluster by
topic). Then it is laid out as files that every worker maps or queries instead of copying
into its heap:

    vectors.f16      n × 384 float16, memory-mapped: the exact re-ranking of candidates
    ivfpq.faiss      IVF-PQ over the vectors: nlist lists, 48 sub-quantizers of 4 bits
                     (24 bytes a vector, scanned with SIMD: FAISS's "fast scan"; 8-bit
                     codes took 25 times longer to train here, 109 s at 100k)
    lexical/<s>/     BM25 postings by term, one segment per million cases (docs int32,
                     weights float16 with the corpus's idf, indptr int64), memory-mapped
    cases.sqlite     text, city and year by row

and searched as the service searches: the vector part (IVF-PQ's best `RERANK` by code, then
exact cosines from vectors.f16), the lexical part (BM25 top 200 over the postings, each
term's IMPACT_CUT best a segment), fused by reciprocal rank, the top 10 read from SQLite. Two
worker processes, started on the same files, each answer the same questions at once; each
reports its latencies and its memory (RSS, and PSS: the shared pages of the mapped files
counted once across processes).

Reports per size: build time and disk per part, p50/p99 of a whole hybrid search (timed
first for each question) and of its two parts alone (timed after it), recall@10 of the vector
part against exact search over the float16 vectors at the least nprobe reaching 0.95 (or the
most tried), the lexical part's recall@10 and @200 against reading every posting, and each
worker's memory once both have answered: RSS, PSS, and its
anonymous memory (what it holds of its own: heap, not mapped files). Writes JSON (docs/scale.json).

    .venv/bin/python -m scripts.scale [--sizes 100000,1000000,10000000] [--folder DIR]
                                      [--out docs/scale.json] [--table]

The 10M run needs ~25 GB of disk in --folder (default: a temporary folder, removed after)
and ~30 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import math
import mmap
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from index.retrieval.fusion import FusionConfig
from index.retrieval.lexical import bm25_idf, bm25_weights
from index.retrieval.search import SearchConfig

DIM = 384
QUERIES = 200
K = 10
CANDIDATES = SearchConfig().candidates  # per signal, as the service takes them
RERANK = 100  # IVF-PQ candidates re-ranked exactly
SEGMENT = 1_000_000  # cases per lexical segment
PQ = "PQ48x4fs"  # 48 sub-quantizers of 4 bits, fast-scan: 24 bytes a vector
MOST_LISTS = 4096  # IVF lists at most (4√n below 1M cases)
CITIES = 200
YEARS = tuple(range(2015, 2027))
RRF_K = FusionConfig().rrf_k
NPROBES = (8, 16, 32, 64, 128, 256, 512, 1024, 2048)
# A term's postings read per segment, best first: 5% of a segment's cases. A common term's
# other low weights change few rankings: over a segment of 1M, recall@200 0.98 against
# reading them all, at half the p99 (scripts/scale_recall.py measures it against others).
IMPACT_CUT = SEGMENT // 20


# -- the generated corpus ------------------------------------------------------------------

def vocabulary() -> tuple[list[str], np.ndarray]:
    """jieba's dictionary words of two or more characters, and their word frequencies as
    probabilities."""
    import jieba

    words, counts = [], []
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as handle:
        for line in handle:
            word, count, *_ = line.split()
            if len(word) >= 2:
                words.append(word)
                counts.append(int(count))
    frequencies = np.asarray(counts, np.float64)
    return words, frequencies / frequencies.sum()


def real_term_counts() -> np.ndarray:
    """How many terms each of the 48 real cases has (BM25's terms, index.retrieval.lexical)."""
    from corpus.load import DEFAULT_DATA_DIR
    from corpus.store import CorpusStore
    from index.retrieval.lexical import tokenize

    return np.array([len(tokenize(case.passage))
                     for case in CorpusStore(DEFAULT_DATA_DIR).load().cases])


def chunk_terms(start: int, stop: int, probabilities: np.ndarray,
                lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The terms of cases [start, stop): (offsets, term ids), the same for the same rows."""
    rng = np.random.default_rng(start + 1)
    count = rng.choice(lengths, stop - start)
    offsets = np.concatenate([[0], np.cumsum(count)]).astype(np.int64)
    cdf = np.cumsum(probabilities)
    terms = np.searchsorted(cdf, rng.random(int(offsets[-1])) * cdf[-1]).astype(np.int32)
    return offsets, np.minimum(terms, len(probabilities) - 1)


def chunk_vectors(start: int, stop: int, centres: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(10**9 + start)
    picks = rng.integers(0, len(centres), stop - start)
    block = centres[picks] + rng.standard_normal((stop - start, DIM)).astype(np.float32)
    return block / np.linalg.norm(block, axis=1, keepdims=True)


def topic_centres(n: int) -> np.ndarray:
    return np.random.default_rng(7).standard_normal((max(20, n // 100), DIM)).astype(np.float32)


# -- building -------------------------------------------------------------------------------

def lists_for(n: int, capped: bool = True) -> int:
    """IVF lists for n cases: 4√n, at most MOST_LISTS unless uncapped."""
    lists = int(4 * math.sqrt(n))
    return min(MOST_LISTS, lists) if capped else lists


def ivfpq(vectors: np.ndarray, lists: int) -> tuple[faiss.Index, float]:
    """IVF-PQ over the vectors (float16, mapped or not), trained on 40 of them a list with
    every core; the index and its training seconds."""
    index = faiss.index_factory(DIM, f"IVF{lists},{PQ}", faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(1).choice(len(vectors), min(len(vectors), 40 * lists),
                                             replace=False)
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    started = time.perf_counter()
    index.train(np.asarray(vectors[np.sort(sample)], np.float32))
    trained = time.perf_counter() - started
    for start in range(0, len(vectors), SEGMENT):
        index.add(np.asarray(vectors[start:start + SEGMENT], np.float32))
    return index, trained


def build_vectors(folder: Path, n: int) -> dict:
    """vectors.f16 and ivfpq.faiss; their build seconds and bytes."""
    started = time.perf_counter()
    centres = topic_centres(n)
    vectors = np.lib.format.open_memmap(folder / "vectors.f16", "w+", np.float16, (n, DIM))
    for start in range(0, n, SEGMENT):
        stop = min(n, start + SEGMENT)
        vectors[start:stop] = chunk_vectors(start, stop, centres)
    vectors.flush()
    written = time.perf_counter() - started
    nlist = lists_for(n)
    index, train_s = ivfpq(vectors, nlist)
    faiss.write_index(index, str(folder / "ivfpq.faiss"))
    return {"seconds": round(time.perf_counter() - started, 1), "generate_s": round(written, 1),
            "train_s": round(train_s, 1), "nlist": nlist,
            "bytes": {"vectors.f16": (folder / "vectors.f16").stat().st_size,
                      "ivfpq.faiss": (folder / "ivfpq.faiss").stat().st_size}}


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values (np.unique's hashing path took 18 s for what a sort does in
    one, at 200k cases)."""
    ordered = np.sort(values)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


def build_lexical(folder: Path, n: int, probabilities: np.ndarray,
                  lengths: np.ndarray) -> dict:
    """BM25 postings by term, one segment per SEGMENT cases, with the corpus's idf; each
    term's postings in order of impact (its highest weights first), so that a search can
    read a common term's best IMPACT_CUT only."""
    started = time.perf_counter()
    vocabulary_size = len(probabilities)
    df = np.zeros(vocabulary_size, np.int64)
    total_terms = 0
    for start in range(0, n, SEGMENT):  # pass 1: document frequencies, lengths
        offsets, terms = segment_terms(start, n, probabilities, lengths)
        cases = len(offsets) - 1
        rows = np.repeat(np.arange(cases), np.diff(offsets))
        pairs = distinct(terms.astype(np.int64) * cases + rows)  # (term, row), each once
        df += np.bincount(pairs // cases, minlength=vocabulary_size)
        total_terms += int(offsets[-1])
    idf = bm25_idf(n, df)
    average = total_terms / n
    np.save(folder / "idf.npy", idf)
    for number, start in enumerate(range(0, n, SEGMENT)):  # pass 2: the postings
        stop = min(n, start + SEGMENT)
        offsets, terms = segment_terms(start, n, probabilities, lengths)
        lengths_here = np.diff(offsets).astype(np.float32)
        rows = np.repeat(np.arange(stop - start), np.diff(offsets))
        keys, tf = np.unique(terms.astype(np.int64) * (stop - start) + rows,
                             return_counts=True)  # sorted by term, then row
        term, row = keys // (stop - start), keys % (stop - start)
        weights = bm25_weights(tf, lengths_here[row], average, idf[term]).astype(np.float16)
        impact = np.lexsort((-weights.astype(np.float32), term))  # by term, best weight first
        term, row, weights = term[impact], row[impact], weights[impact]
        segment = folder / "lexical" / f"{number:04d}"
        segment.mkdir(parents=True)
        np.save(segment / "docs.npy", (row + start).astype(np.int32))
        np.save(segment / "weights.npy", weights)
        np.save(segment / "indptr.npy",
                np.concatenate([[0], np.cumsum(np.bincount(term, minlength=vocabulary_size))]))
    return {"seconds": round(time.perf_counter() - started, 1),
            "bytes": {"lexical": folder_bytes(folder / "lexical") +
                      (folder / "idf.npy").stat().st_size}}


def build_cases(folder: Path, n: int, words: list[str], probabilities: np.ndarray,
                lengths: np.ndarray) -> dict:
    """cases.sqlite: each case's text (its terms), city and year, by row."""
    started = time.perf_counter()
    db = sqlite3.connect(folder / "cases.sqlite")
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("CREATE TABLE cases (row INTEGER PRIMARY KEY, text TEXT, city INTEGER, "
               "year INTEGER)")
    lexicon = np.array(words, dtype=object)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        offsets, terms = rows_terms(start, stop, n, probabilities, lengths)
        texts = ["".join(lexicon[terms[a:b]]) for a, b in zip(offsets[:-1], offsets[1:],
                                                               strict=True)]
        rng = np.random.default_rng(start)
        db.executemany("INSERT INTO cases VALUES (?, ?, ?, ?)", zip(
            range(start, stop), texts, rng.integers(0, CITIES, stop - start).tolist(),
            rng.choice(YEARS, stop - start).tolist(), strict=True))
    db.commit()
    db.close()
    return {"seconds": round(time.perf_counter() - started, 1),
            "bytes": {"cases.sqlite": (folder / "cases.sqlite").stat().st_size}}


_SEGMENTS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def segment_terms(segment: int, n: int, probabilities: np.ndarray,
                  lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The terms of the cases of the segment starting at row `segment` (of n cases), made once:
    the postings, the texts and the questions all read the same ones."""
    key = (segment, n)
    if key not in _SEGMENTS:
        _SEGMENTS.clear()
        _SEGMENTS[key] = chunk_terms(segment, min(n, segment + SEGMENT), probabilities, lengths)
    return _SEGMENTS[key]


def rows_terms(start: int, stop: int, n: int, probabilities: np.ndarray,
               lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The terms of cases [start, stop) within one segment: (offsets from 0, term ids)."""
    segment = start - start % SEGMENT
    offsets, terms = segment_terms(segment, n, probabilities, lengths)
    first, last = offsets[start - segment], offsets[stop - segment]
    return offsets[start - segment: stop - segment + 1] - first, terms[first:last]


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


# -- the questions --------------------------------------------------------------------------

def questions(n: int, probabilities: np.ndarray, lengths: np.ndarray) -> dict[str, np.ndarray]:
    """QUERIES questions: a vector near a topic (as a question near the cases it is about)
    and three terms of a random case (as the words it shares with them)."""
    rng = np.random.default_rng(99)
    vectors = question_vectors(n, rng)
    terms = np.zeros((QUERIES, 3), np.int32)
    for i, row in enumerate(np.sort(rng.integers(0, n, QUERIES))):  # a segment at a time
        offsets, ids = segment_terms(int(row - row % SEGMENT), n, probabilities, lengths)
        local = int(row % SEGMENT)
        own = ids[offsets[local]: offsets[local + 1]]
        terms[i] = rng.choice(own, 3)
    return {"vectors": vectors, "terms": terms}


def question_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    """QUERIES unit vectors, each near a topic centre as the cases are."""
    centres = topic_centres(n)
    picks = rng.integers(0, len(centres), QUERIES)
    vectors = centres[picks] + rng.standard_normal((QUERIES, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_neighbours(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """The exact top K of each query over the float16 vectors (as re-ranking scores them)."""
    best_scores = np.full((len(queries), K), -np.inf, np.float32)
    best_rows = np.zeros((len(queries), K), np.int64)
    for start in range(0, len(vectors), SEGMENT):
        scores = queries @ np.asarray(vectors[start:start + SEGMENT], np.float32).T
        top = np.argpartition(-scores, K, axis=1)[:, :K]
        both_scores = np.hstack([best_scores, np.take_along_axis(scores, top, 1)])
        both_rows = np.hstack([best_rows, top + start])
        keep = np.argsort(-both_scores, axis=1)[:, :K]
        best_scores = np.take_along_axis(both_scores, keep, 1)
        best_rows = np.take_along_axis(both_rows, keep, 1)
    return best_rows


# -- searching (in each worker) -------------------------------------------------------------

class Postings:
    """The lexical segments of one build, mapped."""

    def __init__(self, folder: Path) -> None:
        self.segments = [tuple(np.load(segment / f"{name}.npy", mmap_mode="r")
                               for name in ("indptr", "docs", "weights"))
                         for segment in sorted((folder / "lexical").iterdir())]

    def search(self, terms: np.ndarray, k: int = CANDIDATES,
               cut: int | None = IMPACT_CUT) -> np.ndarray:
        """Rows of the k best BM25 scores for the terms, over every segment, reading each
        term's `cut` highest weights a segment (None: all of them)."""
        best_rows, best_scores = [], []
        for indptr, docs, weights in self.segments:
            spans = [(int(indptr[t]), int(indptr[t + 1]) if cut is None else
                      min(int(indptr[t + 1]), int(indptr[t]) + cut)) for t in terms]
            rows = np.concatenate([docs[a:b] for a, b in spans])
            if not len(rows):
                continue
            values = np.concatenate([weights[a:b] for a, b in spans]).astype(np.float32)
            unique, inverse = np.unique(rows, return_inverse=True)
            scores = np.bincount(inverse, weights=values)
            top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
            best_rows.append(unique[top])
            best_scores.append(scores[top])
        if not best_rows:
            return np.zeros(0, np.int64)
        rows, scores = np.concatenate(best_rows), np.concatenate(best_scores)
        return rows[np.argsort(-scores)[:k]]


class LargeIndex:
    """The files of one build, mapped or opened for reading."""

    def __init__(self, folder: Path, nprobe: int) -> None:
        self.vectors = np.load(folder / "vectors.f16", mmap_mode="r")
        # Re-ranking reads ~100 scattered rows: no read-ahead of their neighbours.
        self.vectors._mmap.madvise(mmap.MADV_RANDOM)
        self.ann = faiss.read_index(str(folder / "ivfpq.faiss"), faiss.IO_FLAG_MMAP)
        self.ann.nprobe = nprobe
        self.postings = Postings(folder)
        self.db = sqlite3.connect(f"file:{folder / 'cases.sqlite'}?mode=ro", uri=True)
        self.n = len(self.vectors)

    def dense(self, query: np.ndarray, k: int = CANDIDATES) -> np.ndarray:
        """Rows of the k nearest cases: IVF-PQ's RERANK best, re-ranked by exact cosine."""
        _, rows = self.ann.search(query.reshape(1, -1), max(RERANK, k))
        rows = rows[0][rows[0] >= 0]
        order = np.sort(rows)  # read the mapped rows in file order
        scores = np.asarray(self.vectors[order], np.float32) @ query
        return order[np.argsort(-scores)[:k]]

    def lexical(self, terms: np.ndarray, k: int = CANDIDATES) -> np.ndarray:
        return self.postings.search(terms, k)

    def hybrid(self, query: np.ndarray, terms: np.ndarray) -> list[tuple[int, str]]:
        """Both signals fused by reciprocal rank; the top K with their texts."""
        fused: dict[int, float] = {}
        for rows in (self.dense(query), self.lexical(terms)):
            for rank, row in enumerate(rows.tolist()):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
        top = sorted(fused, key=fused.get, reverse=True)[:K]
        texts = dict(self.db.execute(
            f"SELECT row, text FROM cases WHERE row IN ({','.join('?' * len(top))})", top))
        return [(row, texts[row]) for row in top]


def memory() -> dict[str, float]:
    """This process's resident and proportional set sizes, MiB."""
    found = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("Rss", "Pss", "Anonymous"):
            found[name.lower() + "_mb"] = round(int(value.split()[0]) / 1024, 1)
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def serve(folder: Path, nprobe: int) -> None:
    """A worker: open the files, say so, wait for the word to start (a line on stdin),
    answer every question, report, and stay until stdin closes."""
    faiss.omp_set_num_threads(1)  # as served: one question on one thread
    before = memory()  # the interpreter and its libraries, before any file is opened
    opened = time.perf_counter()
    index = LargeIndex(folder, nprobe)
    open_s = time.perf_counter() - opened
    asked = np.load(folder / "questions.npz")
    print("ready", flush=True)
    sys.stdin.readline()
    timings: dict[str, list[float]] = {"dense": [], "lexical": [], "hybrid": []}
    for vector, terms in zip(asked["vectors"], asked["terms"], strict=True):
        # the whole search first, on pages no part of this question has read yet; then its
        # two parts alone, for where the time goes (warm: the search just read their pages)
        started = time.perf_counter()
        index.hybrid(vector, terms)
        timings["hybrid"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.dense(vector)
        timings["dense"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.lexical(terms)
        timings["lexical"].append((time.perf_counter() - started) * 1000)
    report = {"open_s": round(open_s, 2), "rss_before_open_mb": before["rss_mb"], **memory()}
    for name, values in timings.items():
        report[f"{name}_p50_ms"] = percentile(values, 0.5)
        report[f"{name}_p99_ms"] = percentile(values, 0.99)
    print(json.dumps(report), flush=True)
    sys.stdin.read()  # stay, so that the other worker's memory is measured beside this one


def two_workers(folder: Path, nprobe: int) -> list[dict]:
    """Two worker processes on the same files, answering at the same time."""
    workers = [subprocess.Popen([sys.executable, "-m", "scripts.scale", "--serve", str(folder),
                                 "--nprobe", str(nprobe)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
               for _ in range(2)]
    for worker in workers:  # both opened
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    reports = [json.loads(worker.stdout.readline()) for worker in workers]  # both measured
    for worker in workers:
        worker.communicate(timeout=60)  # then both may go
    return reports


def recall(index: LargeIndex, queries: np.ndarray, truth: np.ndarray) -> float:
    found = [set(index.dense(query, K).tolist()) for query in queries]
    return round(float(np.mean([len(f & set(t.tolist())) / K
                                for f, t in zip(found, truth, strict=True)])), 3)


def lexical_recall(postings: Postings, questions_terms: np.ndarray,
                   cut: int | None = IMPACT_CUT) -> dict[str, float]:
    """How much of the exact BM25 top K and top CANDIDATES (every posting read) the
    impact-cut search finds."""
    found: dict[str, list[float]] = {f"@{K}": [], f"@{CANDIDATES}": []}
    for terms in questions_terms:
        exact = postings.search(terms, cut=None)
        approximate = postings.search(terms, cut=cut)
        for depth in (K, CANDIDATES):
            wanted = set(exact[:depth].tolist())
            if wanted:
                found[f"@{depth}"].append(
                    len(wanted & set(approximate[:depth].tolist())) / len(wanted))
    return {name: round(float(np.mean(values)), 3) for name, values in found.items()}


def measure(n: int, folder: Path, words: list[str], probabilities: np.ndarray,
            lengths: np.ndarray) -> dict:
    folder.mkdir(parents=True)
    row: dict = {"n": n}
    row["vectors"] = build_vectors(folder, n)
    row["lexical"] = build_lexical(folder, n, probabilities, lengths)
    row["cases"] = build_cases(folder, n, words, probabilities, lengths)
    row["build_s"] = round(sum(row[part]["seconds"] for part in ("vectors", "lexical",
                                                                   "cases")), 1)
    row["disk_gb"] = round(folder_bytes(folder) / 2**30, 2)
    asked = questions(n, probabilities, lengths)
    np.savez(folder / "questions.npz", **asked)
    truth = exact_neighbours(np.load(folder / "vectors.f16", mmap_mode="r"), asked["vectors"])
    index = LargeIndex(folder, NPROBES[0])
    faiss.omp_set_num_threads(1)
    row["recall@10"] = {}
    for nprobe in NPROBES:  # the least nprobe reaching 0.95, and the curve to it
        index.ann.nprobe = nprobe
        row["recall@10"][nprobe] = recall(index, asked["vectors"], truth)
        if row["recall@10"][nprobe] >= 0.95:
            break
    row["nprobe"] = nprobe
    row["lexical_recall"] = lexical_recall(index.postings, asked["terms"])
    del index
    row["workers"] = two_workers(folder, nprobe)
    return row


def table(report: list[dict]) -> str:
    """docs/scale.json as the Markdown table docs/PERFORMANCE.md shows (a test checks it)."""
    def worst(row: dict, name: str) -> float:
        return max(worker[name] for worker in row["workers"])

    def lexical(row: dict, depth: int) -> str:
        return f"{row['lexical_recall'][f'@{depth}']:.3f}"

    rows = ["| cases | build | disk | vector part p50 / p99 | lexical p50 / p99 | hybrid p50 / p99 "
            "| recall@10 (nprobe) | lexical recall@10 / @200 | per worker: own memory · RSS "
            "· PSS |",
            "|---|---|---|---|---|---|---|---|---|"]
    for row in report:
        rows.append(
            f"| {row['n']:,} | {row['build_s']:,.0f} s | {row['disk_gb']:.2f} GiB "
            f"| {worst(row, 'dense_p50_ms'):.1f} / {worst(row, 'dense_p99_ms'):.1f} ms "
            f"| {worst(row, 'lexical_p50_ms'):.1f} / {worst(row, 'lexical_p99_ms'):.1f} ms "
            f"| {worst(row, 'hybrid_p50_ms'):.1f} / {worst(row, 'hybrid_p99_ms'):.1f} ms "
            f"| {row['recall@10'][str(row['nprobe'])]:.3f} ({row['nprobe']}) "
            f"| {lexical(row, K)} / {lexical(row, CANDIDATES)} "
            f"| {worst(row, 'anonymous_mb'):,.0f} · {worst(row, 'rss_mb'):,.0f} · "
            f"{worst(row, 'pss_mb'):,.0f} MiB |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where to build (default: a temporary folder, removed after)")
    parser.add_argument("--out", type=Path, default=Path("docs/scale.json"))
    parser.add_argument("--table", action="store_true",
                        help="print --out's figures as docs/PERFORMANCE.md's table, and stop")
    parser.add_argument("--serve", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--nprobe", type=int, default=32, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.nprobe)
        return
    if args.table:
        print(table(json.loads(args.out.read_text())))
        return
    words, probabilities = vocabulary()
    lengths = real_term_counts()
    root = args.folder or Path(tempfile.mkdtemp(prefix="scale-"))
    report = []
    try:
        for n in (int(size) for size in args.sizes.split(",")):
            _SEGMENTS.clear()
            row = measure(n, root / str(n), words, probabilities, lengths)
            report.append(row)
            print(json.dumps(row), flush=True)
            args.out.write_text(json.dumps(report, indent=2) + "\n")
            shutil.rmtree(root / str(n), ignore_errors=True)
    finally:
        if args.folder is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
