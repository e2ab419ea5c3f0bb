"""Where today's service stops growing: its own index and engine over n generated cases.

The service as it is (index.artifact.store, index.retrieval.search) holds every case, its
terms, its BM25 row and its sentences' vectors in each worker's heap, and tokenizes every case
when a worker opens the index. This builds that index over n cases generated as
scripts/scale.py generates them (jieba's words by frequency, the real cases' lengths, 16 real
cities), with a deterministic 384-d hashing embedder in place of the model (the model's time
is measured elsewhere: `make bench`), then opens it in a fresh process and reports: the build's
seconds, the index's disk, a worker's seconds and resident memory to load the index and to
make its engine, and its p50 hybrid search (embedding excluded); and from one size to the
next, what each further case costs a worker in memory and in start-up time. That growth says
at what size one 24 GB machine with two workers stops.

    .venv/bin/python -m scripts.scale_service [--sizes 10000,30000,100000]
                                              [--out docs/scale-service.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from corpus.models import Case, Corpus, Document
from index.artifact.store import build_index, load_index
from index.models.embedders import Embedder, Kind
from scripts.scale import SEGMENT, memory, real_term_counts, rows_terms, vocabulary

CITIES = ("济南市", "青岛市", "淄博市", "枣庄市", "东营市", "烟台市", "潍坊市", "济宁市",
          "泰安市", "威海市", "日照市", "临沂市", "德州市", "聊城市", "滨州市", "菏泽市")


class HashEmbedder(Embedder):
    """Characters and their pairs hashed into 384 dimensions: deterministic, microseconds."""

    backend = "hash"
    model_id = "scale/hash-384"
    dimension = 384
    prompts = {"query": "", "passage": ""}

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), np.float32)
        for row, text in enumerate(texts):
            for gram in list(text) + [a + b for a, b in zip(text, text[1:], strict=False)]:
                out[row, zlib.crc32(gram.encode()) % self.dimension] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def generated_corpus(n: int) -> Corpus:
    words, probabilities = vocabulary()
    lengths = real_term_counts()
    lexicon = np.array(words, dtype=object)
    cases = []
    for start in range(0, n, SEGMENT):
        stop = min(n, start + SEGMENT)
        offsets, terms = rows_terms(start, stop, n, probabilities, lengths)
        for local, (a, b) in enumerate(zip(offsets[:-1], offsets[1:], strict=True)):
            row = start + local
            # two sentences, as a real case has about two
            half = a + (b - a) // 2
            text = "".join(lexicon[terms[a:half]]) + "。" + "".join(lexicon[terms[half:b]]) + "。"
            cases.append(Case(id=f"gen-{row}", city=CITIES[row % len(CITIES)], seq=row,
                              text=text, title="generated", year=2020, province="山东省",
                              doc_id="gen", line=row))
    document = Document(id="gen", title="generated", year=2020, province="山东省",
                        source="generated", path="gen.txt", sha256=f"{n}")
    return Corpus(documents=(document,), cases=tuple(cases))


def open_and_search(folder: Path) -> None:
    """In a fresh process: load the index, make the engine, search; print what it cost."""
    from index.retrieval.search import SearchEngine

    before = memory()
    started = time.perf_counter()
    index = load_index(folder / "index", verify=False)
    loaded_s, loaded = time.perf_counter() - started, memory()
    started = time.perf_counter()
    engine = SearchEngine(index, HashEmbedder(), gazetteer=lambda: None)
    engine_s, engined = time.perf_counter() - started, memory()
    words = [case.text[:6] for case in index.cases[:: max(1, len(index.cases) // 100)]][:100]
    timings = []
    for question in words:
        started = time.perf_counter()
        engine.search(question, k=10)
        timings.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"rss_before_mb": before["rss_mb"], "load_s": round(loaded_s, 1),
                      "rss_loaded_mb": loaded["rss_mb"], "engine_s": round(engine_s, 1),
                      "rss_engine_mb": engined["rss_mb"],
                      "hybrid_p50_ms": round(statistics.median(timings), 2)}), flush=True)


def measure(n: int, root: Path) -> dict:
    folder = root / str(n)
    folder.mkdir(parents=True)
    corpus = generated_corpus(n)
    started = time.perf_counter()
    build_index(corpus, HashEmbedder(), folder / "index")
    build_s = time.perf_counter() - started
    disk = sum(p.stat().st_size for p in (folder / "index").resolve().rglob("*") if p.is_file())
    done = subprocess.run([sys.executable, "-m", "scripts.scale_service", "--open",
                           str(folder)], check=True, capture_output=True, text=True)
    row = {"n": n, "build_s": round(build_s, 1), "disk_mb": round(disk / 2**20, 1),
           **json.loads(done.stdout.strip().splitlines()[-1])}
    shutil.rmtree(folder, ignore_errors=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--open", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.open:
        open_and_search(args.open)
        return
    root = Path(tempfile.mkdtemp(prefix="scale-service-"))
    report = []
    try:
        for n in (int(size) for size in args.sizes.split(",")):
            row = measure(n, root)
            if report:  # what each further case costs a worker: the growth from the last size
                last = report[-1]
                grown = (row["rss_engine_mb"] - last["rss_engine_mb"]) * 1024
                row["kb_per_case"] = round(grown / (n - last["n"]), 1)
                row["engine_s_per_1000"] = round(
                    (row["engine_s"] - last["engine_s"]) * 1000 / (n - last["n"]), 2)
            report.append(row)
            print(json.dumps(row), flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
