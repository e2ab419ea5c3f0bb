"""What live reloads leave in memory: the engines still alive, and the process's resident
memory, after each of --reloads reloads, with the per-engine caches as the service keeps them
(`per_engine`) and as they were kept before (an `lru_cache` of 4 keyed on the engine).

Each reload opens the served build again as a running server does (`reopen_engine`) and asks
what the pages ask of a new engine (its summary, its topics). Run `make index` first.

    .venv/bin/python -m scripts.reload_memory [--reloads 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import weakref
from functools import lru_cache
from pathlib import Path

from index.artifact.store import current_build
from index.retrieval.search import SearchEngine
from index.retrieval.topics import assign_topics
from service.describe import corpus_summary, per_engine
from service.runtime.settings import Settings
from service.runtime.wiring import open_engine, reopen_engine


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(memo, reloads: int, engine: SearchEngine, build: Path) -> dict:
    summary = memo(lambda e: corpus_summary(e.cases))
    topics = memo(assign_topics)
    alive: list[weakref.ref] = []
    rows = []
    for number in range(1, reloads + 1):
        engine = reopen_engine(engine, build)
        alive.append(weakref.ref(engine))
        summary(engine), topics(engine)
        gc.collect()
        rows.append({"reload": number, "engines_alive": sum(ref() is not None for ref in alive),
                     "rss_mib": round(resident_mib(), 1)})
    return {"rows": rows, "index_mib_each": round(sum(
        getattr(array, "nbytes", 0) for array in vars(engine.index).values()) / 2**20, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=5)
    args = parser.parse_args()
    settings = Settings.from_env()
    engine = open_engine(settings)
    build = current_build(settings.index_path)
    report = {"lru_cache(4), before": run(lru_cache(maxsize=4), args.reloads, engine, build),
              "per_engine, now": run(per_engine, args.reloads, engine, build)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
