"""What the service holds and which version it is, said from the loaded index and the package
metadata, never written down where it could go stale (after `corpus add`, say)."""

from __future__ import annotations

import functools
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from importlib import metadata
from typing import TypeVar

from corpus.models import Case
from index.retrieval.search import SearchEngine


def version() -> str:
    """The installed package's version (pyproject.toml is its one source)."""
    try:
        return metadata.version("casesearch")
    except metadata.PackageNotFoundError:  # run from a tree that was never installed
        return "0+unknown"


def corpus_parts(cases: Iterable[Case]) -> list[tuple[str, int, int, int]]:
    """(province, year, cases, cities) for each province and year, in document order."""
    counts: dict[tuple[str, int], list] = defaultdict(lambda: [0, set()])
    for case in cases:
        part = counts[(case.province, case.year)]
        part[0] += 1
        part[1].add(case.city)
    return [(province, year, n, len(cities)) for (province, year), (n, cities)
            in counts.items()]


def corpus_summary(cases: Iterable[Case]) -> str:
    """`48 cases from 1 document: 山东省 2020 (48 cases, 16 cities)`."""
    cases = list(cases)
    documents = len({case.doc_id for case in cases})
    parts = "; ".join(f"{province} {year} ({n} cases, {cities} cities)"
                      for province, year, n, cities in corpus_parts(cases))
    return (f"{len(cases)} cases from {documents} document{'s' if documents != 1 else ''}: "
            f"{parts}")


T = TypeVar("T")


def per_engine(compute: Callable[[SearchEngine], T]) -> Callable[[SearchEngine], T]:
    """`compute(engine)` worked out once per engine and kept while that engine lives. An
    `lru_cache` keyed on the engine kept up to four replaced engines alive after live reloads,
    each with its index and vectors; this memo lets them go (`python -m scripts.reload_memory`).
    What `compute` returns must not hold the engine."""
    memo: weakref.WeakKeyDictionary[SearchEngine, T] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    @functools.wraps(compute)
    def once(engine: SearchEngine) -> T:
        with lock:
            if engine in memo:
                return memo[engine]
        value = compute(engine)
        with lock:
            memo.setdefault(engine, value)
        return value

    return once


@per_engine
def engine_summary(engine: SearchEngine) -> str:
    """`corpus_summary` of an engine's cases, computed once per engine (one per build)."""
    return corpus_summary(engine.cases)
