"""How well the corpus reader reads the layouts real compilations use, and what search makes
of what it reads.

1. **Reading.** Every fixture of tests/corpus/layouts (one layout or variant each; its README
   lists them) is parsed with `corpus.load.parse_document`, given the year, province and title
   of its `<name>.expected.json`, and scored against it: cases found against expected, and of
   the expected cases how many were found with the right start of text, the right place (as
   written, or the resolved chain), the right level and the right title. A `CorpusError` is
   recorded as "refused" with its message. The mixed-layout fixture passes when it is refused
   or read with warnings.
2. **Search.** An index over the shipped corpus and every case read from the fixtures is built
   in a temporary folder with the configured models (the real ones, `make index`), and the
   judged questions of tests/corpus/layouts/layouts-questions.jsonl are asked: per question,
   whether a relevant case is in the first 3 hits and nDCG@10; for the questions nothing
   answers, whether the first hit is labelled strong or partial. The same is measured over
   the cases as the expectations have them ("truth": title and body as the case's text), the
   level a reader that reads every layout right would give search.

    .venv/bin/python -m scripts.layout_report [--json FILE] [--no-search]

Two index builds of ~100 cases: about 1.5 minutes on two cores (the e5 embedding of the
fixtures' cases and sentences; the shipped cases' vectors come from a copy of the embedding
store).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError
from corpus.load import parse_document
from corpus.models import Case, Document

ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = ROOT / "tests" / "corpus" / "layouts"
QUESTIONS = "layouts-questions.jsonl"
_SPACE = re.compile(r"\s+")
_TITLE_ENDS = "。；;，,：: "
_MARK = re.compile(r"^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d{1,3}[.、．]\s*"
                   r"|（\d{1,3}）|[①-⑳])")
TEXT_SLACK = 12  # how far past a title and place the body may start in a case's text


# -- reading ----------------------------------------------------------------------------------


def expectations(folder: Path = LAYOUTS) -> list[dict[str, Any]]:
    """Every `<name>.expected.json` of the folder, by file name, with its `name`."""
    found = []
    for path in sorted(folder.glob("*.expected.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found.append({**data, "name": path.name.removesuffix(".expected.json")})
    return found


def squeeze(text: str) -> str:
    return _SPACE.sub("", text or "")


def unnumbered(text: str) -> str:
    """The text without the enumeration mark that opens any of its lines (`一、基本情况` and
    `基本情况` are the same part heading; where a case starts is what is checked)."""
    return "\n".join(_MARK.sub("", line.strip()) for line in (text or "").splitlines())


def starts_right(case: Case, expected: dict[str, Any]) -> bool:
    """The case's text starts with the expected body, or with its heading and then the body
    (a reader may keep a case's title, or a report item's lead sentence, in its text);
    whitespace and the lines' enumeration marks aside."""
    text, start = squeeze(unnumbered(case.text)), squeeze(unnumbered(expected["text_starts"]))
    at = text.find(start)
    heading = len(squeeze(expected["case_title"])) + len(expected["place"])
    return at == 0 or 0 < at <= heading + TEXT_SLACK


def place_right(case: Case, expected: dict[str, Any]) -> bool:
    chains = [expected["places"], *expected.get("places_also", [])]
    return (bool(expected["place"]) and case.city == expected["place"]) or \
        list(case.places) in chains or (not expected["place"] and not case.city
                                        and [] in chains)


def level_right(case: Case, expected: dict[str, Any]) -> bool:
    return case.place_level in (expected["place_level"], *expected.get("level_also", []))


def title_right(case: Case, expected: dict[str, Any]) -> bool:
    return (squeeze(case.case_title).rstrip(_TITLE_ENDS)
            == squeeze(expected["case_title"]).rstrip(_TITLE_ENDS))


def align(cases: tuple[Case, ...], wanted: list[dict[str, Any]]) -> list[Case | None]:
    """The case read for each expected case (by the start of its text), in document order;
    None where none was read."""
    used: set[int] = set()
    found: list[Case | None] = []
    for expected in wanted:
        row = next((i for i, case in enumerate(cases)
                    if i not in used and starts_right(case, expected)), None)
        if row is not None:
            used.add(row)
        found.append(None if row is None else cases[row])
    return found


@dataclass
class Reading:
    """What the reader made of one fixture, scored."""

    name: str
    file: str
    layout: str
    status: str  # read | refused | error
    expected: int
    found: int = 0
    texts: int = 0
    places: int = 0
    levels: int = 0
    titles: int = 0
    right: int = 0  # all four right
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    passed: bool = False  # every expected case right and no extra one (or, mixed: refused/warned)

    def cells(self) -> list[str]:
        of = f"/{self.expected}"
        return [self.layout, self.file, self.status, f"{self.found}{of}", f"{self.texts}{of}",
                f"{self.places}{of}", f"{self.levels}{of}", f"{self.titles}{of}",
                f"{self.right}{of}", "yes" if self.passed else "no"]


def meta_of(expected: dict[str, Any]) -> dict[str, Any]:
    # A national compilation has no province; the field is text, so it is given as "".
    return {"year": expected["year"], "province": expected["province"] or "",
            "title": expected["title"]}


def read_fixture(expected: dict[str, Any],
                 folder: Path = LAYOUTS) -> tuple[Document | None, tuple[Case, ...], Reading]:
    """Parse one fixture and score what was read."""
    reading = Reading(expected["name"], expected["file"], expected["layout"], "read",
                      len(expected["cases"]))
    try:
        doc, cases, report = parse_document(folder / expected["file"], meta_of(expected))
    except CorpusError as exc:
        reading.status, reading.message = "refused", str(exc)
        reading.passed = expected["outcome"] == "refused_or_warnings"
        return None, (), reading
    except Exception as exc:  # a reader's bug, not a refusal: recorded, and the others go on
        reading.status, reading.message = "error", f"{type(exc).__name__}: {exc}"
        return None, (), reading
    reading.warnings = [str(w) for w in getattr(report, "warnings", ())]
    score(reading, cases, expected)
    return doc, cases, reading


def score(reading: Reading, cases: tuple[Case, ...], expected: dict[str, Any]) -> None:
    reading.found = len(cases)
    for case, wanted in zip(align(cases, expected["cases"]), expected["cases"], strict=True):
        if case is None:
            continue
        checks = (place_right(case, wanted), level_right(case, wanted),
                  title_right(case, wanted))
        reading.texts += 1
        reading.places += checks[0]
        reading.levels += checks[1]
        reading.titles += checks[2]
        reading.right += all(checks)
    if expected["outcome"] == "refused_or_warnings":
        reading.passed = not unflagged(cases, expected["cases"], reading.warnings)
        return
    # A case the document gives no place for must be flagged, not only kept.
    warned = [c for c in expected["cases"] if c.get("warn")]
    flagged = all(names_line(reading.warnings, c.get("line")) for c in warned)
    reading.passed = reading.right == reading.expected == reading.found and flagged


def names_line(warnings: list[str], line: int | None) -> bool:
    """Whether a warning names this line (`line 7`, `doc.txt:7:`, `第7行`); with no line
    known, whether there is any warning."""
    if line is None:
        return bool(warnings)
    pattern = re.compile(rf"(?:line\s*|:|第\s*){line}(?!\d)", re.I)
    return any(pattern.search(warning) for warning in warnings)


def unflagged(cases: tuple[Case, ...], wanted: list[dict[str, Any]],
              warnings: list[str]) -> list[dict[str, Any]]:
    """The expected cases lost in the reading (not read as cases of their own, merged into
    another, say) with no warning naming their line: what a user would never learn of."""
    return [expected for case, expected in zip(align(cases, wanted), wanted, strict=True)
            if case is None and not names_line(warnings, expected.get("line"))]


def layout_table(readings: list[Reading]) -> str:
    header = ["layout", "file", "status", "cases found", "text starts right", "places right",
              "levels right", "titles right", "cases right", "passes"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(reading.cells()) + " |" for reading in readings]
    total = overall(readings)
    lines.append(f"| **overall** | {len(readings)} files | {total['read']} read, "
                 f"{total['refused']} refused, {total['error']} errors | "
                 + " | ".join(f"{total[k]}/{total['expected']}" for k in
                              ("found", "texts", "places", "levels", "titles", "right"))
                 + f" | {total['passed']}/{len(readings)} |")
    return "\n".join(lines)


def overall(readings: list[Reading]) -> dict[str, int]:
    total = {key: sum(getattr(r, key) for r in readings)
             for key in ("expected", "found", "texts", "places", "levels", "titles", "right",
                         "passed")}
    for status in ("read", "refused", "error"):
        total[status] = sum(r.status == status for r in readings)
    return total


def messages(readings: list[Reading]) -> str:
    """Why each refused or failed fixture was, and the warnings of those read."""
    lines = []
    for reading in readings:
        if reading.message:
            lines.append(f"- {reading.file}: {reading.status}: {reading.message[:300]}")
        elif reading.warnings:
            shown = "; ".join(w[:120] for w in reading.warnings[:3])
            more = f" (+{len(reading.warnings) - 3})" if len(reading.warnings) > 3 else ""
            lines.append(f"- {reading.file}: {len(reading.warnings)} warnings: {shown}{more}")
    return "\n".join(lines)


# -- search -----------------------------------------------------------------------------------


def truth_cases() -> tuple[list[Document], dict[str, Case]]:
    """The fixtures' cases as the generator wrote them (title and body as the text), keyed
    `<fixture>#<n>`: what a reader that read every layout right would hand to search."""
    spec = importlib.util.spec_from_file_location("make_fixtures", LAYOUTS / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_fixtures"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    docs, cases = [], {}
    for fixture in module.FIXTURES:
        doc_id = f"truth-{fixture.name}"
        docs.append(Document(doc_id, fixture.title, fixture.year, fixture.province or "",
                             "", fixture.name + fixture.suffix, "truth"))
        for seq, item in enumerate(fixture.items, start=1):
            body = "\n".join(p.replace("**", "") for p in item.body)
            cases[f"{fixture.name}#{seq}"] = Case(
                id=f"{doc_id}-{seq}", city=item.place, seq=seq,
                text=f"{item.title}\n{body}" if item.title else body, title=fixture.title,
                year=fixture.year, province=fixture.province or "", doc_id=doc_id, line=seq,
                case_title=item.title, place_level=item.level, places=item.places)
    return docs, cases


def build_engine(docs: list[Document], cases: list[Case], folder: Path, models: tuple,
                 stored: tuple):
    """A search engine over the shipped corpus and `cases`, its index built in `folder` with
    `stored` (the models behind an embedding store) and asked with `models`."""
    from corpus.models import Corpus
    from corpus.store import CorpusStore
    from index.artifact.store import build_index, load_index
    from index.retrieval.search import SearchEngine
    from service.runtime.settings import Settings

    shipped = CorpusStore(Settings.from_env().data).load()
    corpus = Corpus((*shipped.documents, *docs), (*shipped.cases, *cases))
    build_index(corpus, stored[0], folder / "index", second=stored[1])
    index = load_index(folder / "index", model_id=models[0].model_id)
    return SearchEngine(index, models[0], second=models[1])


def embedding_store(folder: Path, home: Path):
    """A copy of the project's embedding store in `folder` (the shipped cases' vectors are
    in it; the copy is written to, never the project's own)."""
    from index.models.vector_store import EmbeddingStore

    if (home / "embeddings.sqlite").is_file():
        shutil.copyfile(home / "embeddings.sqlite", folder / "embeddings.sqlite")
    return EmbeddingStore(folder / "embeddings.sqlite")


def ask(engine, judgments: list, ids: dict[str, str]) -> list[dict[str, Any]]:
    """Each judged question asked; `ids` maps `<fixture>#<n>` to the id of the case read
    for it (a case not read keeps its key, so it still counts in the ideal ranking)."""
    from index.evaluation import ndcg

    rows = []
    for judgment in judgments:
        relevant = {ids.get(key, key): grade for key, grade in judgment.relevant.items()}
        hits = engine.search(judgment.query, k=10)
        ranked = [hit.case.id for hit in hits]
        row = {"id": judgment.id, "lang": judgment.lang, "query": judgment.query,
               "top": ranked[0] if ranked else None,
               "top_match": hits[0].match if hits else None}
        if relevant:
            row["in_top3"] = any(relevant.get(case_id, 0) > 0 for case_id in ranked[:3])
            row["ndcg@10"] = round(ndcg(ranked, relevant), 4)
        else:
            row["confident"] = bool(hits) and hits[0].match in ("strong", "partial")
        rows.append(row)
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [row for row in rows if "ndcg@10" in row]
    out: dict[str, Any] = {}
    for lang in ("all", "zh", "en"):
        part = [row for row in judged if lang == "all" or row["lang"] == lang]
        if part:
            out[lang] = {"n": len(part),
                         "ndcg@10": round(sum(r["ndcg@10"] for r in part) / len(part), 4),
                         "in_top3": sum(r["in_top3"] for r in part)}
    unanswerable = [row for row in rows if "confident" in row]
    out["unanswerable"] = {"n": len(unanswerable),
                           "top_hit_strong_or_partial": sum(r["confident"] for r in unanswerable)}
    return out


def search_report(read: list[tuple[dict, Document | None, tuple[Case, ...]]],
                  tuned: bool = False) -> dict[str, Any]:
    """The judged questions over what was read, and over the truth; with `tuned`, asked with
    the model tuned for the shipped corpus (the layouts' cases are documents added after it:
    the map never saw them)."""
    from index.evaluation import load_judgments
    from index.models.vector_store import StoredPassageEmbedder
    from service.runtime.settings import Settings
    from service.runtime.wiring import load_embedders, tuned_for_build

    judgments = [j for j in load_judgments(LAYOUTS) if j.source == QUESTIONS]
    settings = Settings.from_env()
    model = tuned_for_build(settings) if tuned else None
    if tuned and model is None:
        raise SystemExit("no tuned model is kept: run `casesearch tune` first")
    # Every core, as `casesearch build` embeds: a share of them makes this take minutes.
    models = load_embedders(settings, threads=os.cpu_count(), tuned=model)
    docs, cases, ids = [], [], {}
    for expected, doc, found in read:
        if doc is None:
            continue
        docs.append(doc)
        cases += found
        for n, case in enumerate(align(found, expected["cases"]), start=1):
            if case is not None:
                ids[f"{expected['name']}#{n}"] = case.id
    truth_docs, truth = truth_cases()
    runs = {}
    with tempfile.TemporaryDirectory(prefix="layout-report-") as tmp:
        store = embedding_store(Path(tmp), settings.home)
        stored = tuple(StoredPassageEmbedder(m, store) if m else None for m in models)
        try:
            for name, run_docs, run_cases, run_ids in (
                    ("read", docs, cases, ids),
                    ("truth", truth_docs, list(truth.values()),
                     {key: case.id for key, case in truth.items()})):
                engine = build_engine(run_docs, run_cases, Path(tmp) / name, models, stored)
                rows = ask(engine, judgments, run_ids)
                runs[name] = {"cases": len(run_cases), "summary": summary(rows),
                              "questions": rows}
        finally:
            store.close()
    return runs


def search_tables(runs: dict[str, Any]) -> str:
    names = list(runs)
    lines = ["| slice | n | " + " | ".join(f"{n}: nDCG@10 | {n}: in top 3" for n in names)
             + " |", "|---|---|" + "---|---|" * len(names)]
    first = runs[names[0]]["summary"]
    for lang in ("all", "zh", "en"):
        if lang in first:
            cells = [f"{runs[n]['summary'][lang]['ndcg@10']:.3f} | "
                     f"{runs[n]['summary'][lang]['in_top3']}/{first[lang]['n']}" for n in names]
            lines.append(f"| {lang} | {first[lang]['n']} | " + " | ".join(cells) + " |")
    un = {n: runs[n]["summary"]["unanswerable"] for n in names}
    lines.append(f"| unanswerable: first hit strong/partial | {un[names[0]]['n']} | "
                 + " | ".join(f"{un[n]['top_hit_strong_or_partial']}/{un[n]['n']} | –"
                              for n in names) + " |")
    lines += ["", "| question | " + " | ".join(f"{n}: top 3 | {n}: nDCG@10" for n in names)
              + " | query |", "|---|" + "---|---|" * len(names) + "---|"]
    for i, row in enumerate(runs[names[0]]["questions"]):
        cells = [question_cells(runs[n]["questions"][i]) for n in names]
        lines.append(f"| {row['id']} | " + " | ".join(cells) + f" | {row['query']} |")
    return "\n".join(lines)


def question_cells(row: dict[str, Any]) -> str:
    if "confident" in row:
        return f"first hit {row['top_match']} | {'✗' if row['confident'] else '✓'}"
    return f"{'✓' if row['in_top3'] else '✗'} | {row['ndcg@10']:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--no-search", action="store_true",
                        help="score the reading only (no model, no index)")
    parser.add_argument("--tuned", action="store_true",
                        help="ask with the model tuned for the shipped corpus (`casesearch "
                             "tune`), which never saw the layouts' documents")
    args = parser.parse_args()
    read = []
    for expected in expectations():
        doc, cases, reading = read_fixture(expected)
        read.append((expected, doc, cases, reading))
    readings = [reading for *_, reading in read]
    print(layout_table(readings))
    if text := messages(readings):
        print("\n" + text)
    report: dict[str, Any] = {"layouts": [asdict(r) for r in readings],
                              "overall": overall(readings)}
    if not args.no_search:
        report["search"] = search_report([(e, d, c) for e, d, c, _ in read], args.tuned)
        print("\n" + search_tables(report["search"]))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":
    main()
