"""What the service holds and which version it is, said from the loaded index and the package
metadata, never written down where it could go stale (after `corpus add`, say)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata

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


@lru_cache(maxsize=4)
def engine_summary(engine: SearchEngine) -> str:
    """`corpus_summary` of an engine's cases, computed once per engine (one per build)."""
    return corpus_summary(engine.cases)
