"""Batches against everyone else, bounded, on loopback: do health checks and single searches
stay fast while clients send large batches?

Starts `casesearch serve` on a free 127.0.0.1 port (run `make index` first), or uses --url.
--clients threads each send `POST /api/search/batch` with 32 new questions of --chars
characters (125: the largest batch taken, 4,000 characters) for --seconds (waiting out a 503's
Retry-After, unless --hammer), while one probe asks `/healthz` and then a new single question
every 0.2 s. Reports the probe's latencies and the batches' statuses.

    .venv/bin/python -m scripts.batch_load [--clients 4] [--seconds 20] [--chars 125] [--hammer]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from scripts.loadtest import QUESTIONS, server_at

FILLER = "各地在推进教育工作中采取了多项措施加强管理完善制度保障落实责任提升质量"


def long_question(rng: random.Random, chars: int) -> str:
    """A new question of `chars` characters."""
    words = [f"{rng.randint(0, 10**9)}", rng.choice(QUESTIONS)]
    words += [FILLER[rng.randrange(len(FILLER) - 4):][:4] for _ in range(chars // 4 + 1)]
    return "".join(words)[:chars]


def batch_loop(host: str, port: int, stop: float, seed: int, hammer: bool,
               out: list, chars: int) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(host, port, timeout=60)
    while time.monotonic() < stop:
        body = json.dumps({"queries": [long_question(rng, chars) for _ in range(32)], "k": 10})
        started = time.perf_counter()
        try:
            connection.request("POST", "/api/search/batch", body=body,
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            status, retry = response.status, float(response.headers.get("Retry-After") or 0)
        except (OSError, http.client.HTTPException) as exc:
            status, retry = type(exc).__name__, 0.0
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=60)
        out.append((status, time.perf_counter() - started))
        if status == 503 and not hammer:
            time.sleep(retry)


def probe_loop(host: str, port: int, stop: float, out: dict) -> None:
    rng = random.Random()
    while time.monotonic() < stop:
        for name, path in (("healthz", "/healthz"), ("search", "/api/search?" + urllib.parse.
                           urlencode({"q": f"{rng.choice(QUESTIONS)} {rng.randint(0, 10**6)}"}))):
            connection = http.client.HTTPConnection(host, port, timeout=60)
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
            finally:
                connection.close()
            out[name].append((status, time.perf_counter() - started))
        time.sleep(0.2)


def summary(samples: list) -> dict:
    times = sorted(seconds * 1000 for _, seconds in samples)
    if not times:
        return {"count": 0}
    return {"count": len(times), "p50_ms": round(statistics.median(times), 1),
            "p99_ms": round(times[int(0.99 * (len(times) - 1))], 1),
            "max_ms": round(times[-1], 1),
            "statuses": dict(Counter(str(status) for status, _ in samples))}


def run(host: str, port: int, clients: int, seconds: float, hammer: bool, chars: int) -> dict:
    stop = time.monotonic() + seconds
    batches: list = []
    probes: dict = {"healthz": [], "search": []}
    seeds = random.SystemRandom()
    threads = [threading.Thread(target=batch_loop, args=(host, port, stop, seeds.getrandbits(64),
                                                         hammer, batches, chars))
               for _ in range(clients)]
    threads.append(threading.Thread(target=probe_loop, args=(host, port, stop, probes)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"clients": clients, "seconds": seconds, "hammer": hammer, "chars": chars,
            "healthz": summary(probes["healthz"]), "single_search": summary(probes["search"]),
            "batches": summary(batches),
            "answered_batches": summary([b for b in batches if b[0] == 200])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--chars", type=int, default=125, help="characters a question")
    parser.add_argument("--hammer", action="store_true", help="ignore Retry-After")
    parser.add_argument("--url", help="an already running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    server, host, port = server_at(args.url, workers=1, threads=4)
    try:
        report = run(host, port, args.clients, args.seconds, args.hammer, args.chars)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
