"""A bounded load test on loopback: concurrent clients, mixed endpoints, zero errors expected.

Starts `casesearch serve` on a free 127.0.0.1 port (run `make index` first), or uses --url,
then runs --clients threads for --seconds, each sending a mix of searches (GET and POST, Chinese
and English, with and without city filters), similar practices, case and city lookups. Reports
requests/s, p50/p99 latency and errors. Exits 1 if any request failed.

    .venv/bin/python -m scripts.loadtest [--clients 16] [--seconds 30] [--workers 1 --threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

QUESTIONS = ["老师住宿困难怎么解决", "how do cities run school buses safely", "孩子上幼儿园难",
             "职业教育校企合作", "学生体质健康", "which cities raised teacher pay", "防溺水",
             "教育经费投入增长", "课后服务", "Qingdao preschool", "大班额", "特殊教育"]
CASE_IDS = ["sd2020-jinan-3", "sd2020-rizhao-3", "sd2020-liaocheng-3", "sd2020-dezhou-2",
            "sd2020-yantai-2", "sd2020-heze-1"]


def mixed_request(rng: random.Random) -> tuple[str, str, bytes | None]:
    """One request of the mix: (method, path, JSON body)."""
    pick = rng.random()
    question = f"{rng.choice(QUESTIONS)} {rng.randint(0, 999)}"  # mostly new questions
    if pick < 0.35:
        return "GET", "/api/search?" + urllib.parse.urlencode({"q": question, "k": 10}), None
    if pick < 0.60:
        body = {"query": question, "k": rng.choice([5, 10, 20])}
        if rng.random() < 0.3:
            body["cities"] = [rng.choice(["青岛市", "济南市", "日照市"])]
        return "POST", "/api/search", json.dumps(body, ensure_ascii=False).encode()
    if pick < 0.75:
        return "GET", f"/api/cases/{rng.choice(CASE_IDS)}/similar?k=5", None
    if pick < 0.85:
        return "GET", f"/api/cases/{rng.choice(CASE_IDS)}", None
    if pick < 0.92:
        return "GET", "/api/cases?limit=50", None
    return "GET", rng.choice(["/api/cities", "/healthz", "/readyz"]), None


def client_loop(host: str, port: int, stop: float, seed: int, results: list,
                next_request=mixed_request) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    while time.monotonic() < stop:
        method, path, body = next_request(rng)
        headers = {"Content-Type": "application/json"} if body else {}
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            ok = 200 <= response.status < 300
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            ok, status = False, type(exc).__name__
            connection.close()
            connection = http.client.HTTPConnection(host, port, timeout=30)
        results.append((time.perf_counter() - started, ok, status, path.split("?")[0]))
    connection.close()


def run_load(host: str, port: int, clients: int, seconds: float,
             next_request=mixed_request) -> dict:
    """Run the clients, each sending `next_request(rng)` until time is up, and summarize.

    Every run draws fresh seeds: runs one after another against the same server must not
    repeat each other's questions, or the server's query cache answers them."""
    results: list = []
    stop = time.monotonic() + seconds
    seeds = random.SystemRandom()
    threads = [threading.Thread(target=client_loop,
                                args=(host, port, stop, seeds.getrandbits(64), results,
                                      next_request))
               for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(r[0] * 1000 for r in results)
    errors = [r for r in results if not r[1]]
    searches = sorted(r[0] * 1000 for r in results if r[3] == "/api/search")
    return {
        "clients": clients, "seconds": round(elapsed, 1), "requests": len(results),
        "requests_per_s": round(len(results) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1),
        "search_p50_ms": round(statistics.median(searches), 1) if searches else None,
        "errors": len(errors),
        "error_samples": sorted({f"{r[2]} {r[3]}" for r in errors})[:10],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workers: int, threads: int) -> tuple[subprocess.Popen, int]:
    """`casesearch serve` on a free loopback port, returned once /readyz answers 200."""
    port = free_port()
    command = [shutil.which("casesearch") or str(Path(sys.executable).parent / "casesearch"),
               "serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("the server exited; run `make index` first")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                # every worker loads its own model: wait until all answer
                time.sleep(0.5 if workers == 1 else 8)
                return server, port
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not become ready in 180 s")


def server_at(url: str | None, workers: int, threads: int,
              ) -> tuple[subprocess.Popen | None, str, int]:
    """(the server started, or None for `url`'s), host and port to send the load to."""
    if url:
        parsed = urllib.parse.urlparse(url)
        return None, parsed.hostname or "127.0.0.1", parsed.port or 80
    server, port = start_server(workers, threads)
    return server, "127.0.0.1", port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--url", help="an already running server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    server, host, port = server_at(args.url, args.workers, args.threads)
    try:
        report = run_load(host, port, args.clients, args.seconds)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
    report.update(workers=args.workers, threads=args.threads)
    finish(report, args.out)


def finish(report: dict, out: Path | None) -> None:
    """Print the report (and write it to `out`); exit 1 if any request failed."""
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if out:
        out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    sys.exit(1 if report["errors"] else 0)


if __name__ == "__main__":
    main()
