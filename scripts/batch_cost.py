"""What a question costs in a batch (`POST /api/search/batch`, embedded in one call) against
asked alone, in process, with fresh questions and no query cache (run `make index` first).

    .venv/bin/python -m scripts.batch_cost [--rounds 5] [--size 32]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import replace

from scripts.bench import fresh_number, question
from service.runtime.settings import Settings
from service.runtime.wiring import open_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=32)
    args = parser.parse_args()
    engine = open_engine(replace(Settings.from_env(), query_cache=0))
    rng = random.Random(7)
    engine.search_batch([question(fresh_number(rng)) for _ in range(4)])  # warm up
    alone, batched = [], []
    for _ in range(args.rounds):  # alternate, so that both see the machine alike
        texts = [question(fresh_number(rng)) for _ in range(args.size)]
        started = time.perf_counter()
        for text in texts:
            engine.search(text)
        alone.append((time.perf_counter() - started) * 1000 / args.size)
        texts = [question(fresh_number(rng)) for _ in range(args.size)]
        started = time.perf_counter()
        engine.search_batch(texts)
        batched.append((time.perf_counter() - started) * 1000 / args.size)
    report = {"questions_per_batch": args.size, "rounds": args.rounds,
              "alone_ms_per_question": round(sorted(alone)[len(alone) // 2], 2),
              "batched_ms_per_question": round(sorted(batched)[len(batched) // 2], 2)}
    report["batched_over_alone"] = round(report["batched_ms_per_question"]
                                         / report["alone_ms_per_question"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
