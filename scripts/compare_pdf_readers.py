"""How well each PDF reader gives back the paragraphs of the fixtures (tests/corpus/fixtures/pdf,
PDFs LibreOffice made from Word), to choose the one `corpus.pdf` uses.

Per fixture and reader: character accuracy against the expected text (difflib's ratio, as
written and with all whitespace removed, so that spacing and line breaks do not hide moved
punctuation), the share of quotes and brackets found with the characters around them, the
paragraphs recovered exactly (one a line), and the median time of five reads. Page furniture is
removed from every reader's output the same way (`strip_page_furniture`, by text) except from
`corpus.pdf`'s, which does it from the layout. pdfminer.six is not a dependency: install it in
a throwaway virtual environment and name its interpreter:

    python3 -m venv /tmp/pdfminer-venv && /tmp/pdfminer-venv/bin/pip install pdfminer.six
    .venv/bin/python scripts/compare_pdf_readers.py --pdfminer-python /tmp/pdfminer-venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path

from corpus.pdf import join_lines, pdf_to_text, strip_page_furniture

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "corpus" / "fixtures" / "pdf"
BRACKETS = set("“”‘’（）【】《》「」")
RUNS = 5
PDFMINER = r"""
import json, sys, time
from pdfminer.high_level import extract_text
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    text = extract_text(sys.argv[1])
    times.append(time.perf_counter() - start)
print(json.dumps({"text": text, "seconds": sorted(times)[len(times) // 2]}))
"""


def timed(read: Callable[[Path], list[str]], path: Path) -> tuple[list[str], float]:
    """A reader's paragraphs and its median time in seconds over RUNS reads."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        found = read(path)
        times.append(time.perf_counter() - start)
    return found, statistics.median(times)


def lines_of(pages: list[str]) -> list[str]:
    """Page texts as lines, page furniture removed by text."""
    return [line for line in strip_page_furniture(pages)[0].split("\n") if line.strip()]


def with_pypdf(path: Path, mode: str = "plain") -> list[str]:
    from pypdf import PdfReader

    return lines_of([page.extract_text(extraction_mode=mode) or ""
                     for page in PdfReader(path).pages])


def with_pdftotext(path: Path, *options: str) -> list[str]:
    out = subprocess.run(["pdftotext", *options, "-enc", "UTF-8", "--", str(path), "-"],
                         capture_output=True, check=True, timeout=60).stdout.decode()
    return lines_of(out.split("\f"))


def boxes_as_paragraphs(text: str) -> list[str]:
    """pdfminer's text: pages split by form feeds, its text boxes by blank lines; a box's
    lines joined as corpus.pdf joins them (to give pdfminer its best chance at paragraphs)."""
    pages = []
    for page in text.split("\f"):
        boxes = []
        for box in re.split(r"\n\s*\n", page):
            lines = [line.strip() for line in box.split("\n") if line.strip()]
            if lines:
                joined = lines[0]
                for line in lines[1:]:
                    joined = join_lines(joined, line, set())
                boxes.append(joined)
        pages.append("\n".join(boxes))
    return lines_of(pages)


def with_pdfminer(python: str, path: Path) -> tuple[list[str], float]:
    out = subprocess.run([python, "-c", PDFMINER, str(path), str(RUNS)], capture_output=True,
                         check=True, timeout=300).stdout
    result = json.loads(out)
    return boxes_as_paragraphs(result["text"]), result["seconds"]


def scores(expected: list[str], found: list[str]) -> tuple[float, float, float, float]:
    """Character accuracy (as written, without whitespace), brackets in place, paragraphs."""
    want, got = "\n".join(expected), "\n".join(found)
    bare_want, bare_got = re.sub(r"\s+", "", want), re.sub(r"\s+", "", got)
    chars = SequenceMatcher(None, want, got, autojunk=False).ratio()
    bare = SequenceMatcher(None, bare_want, bare_got, autojunk=False).ratio()
    spots = [bare_want[max(0, i - 2): i + 3] for i, c in enumerate(bare_want) if c in BRACKETS]
    placed = sum(spot in bare_got for spot in spots) / len(spots) if spots else 1.0
    recovered = Counter(found)
    exact = sum(min(n, recovered[p]) for p, n in Counter(expected).items()) / len(expected)
    return chars, bare, placed, exact


def readers(pdfminer_python: str | None) -> dict[str, Callable[[Path], tuple[list[str], float]]]:
    found: dict[str, Callable[[Path], tuple[list[str], float]]] = {
        "pypdf": lambda path: timed(with_pypdf, path),
        "pypdf layout mode": lambda path: timed(lambda p: with_pypdf(p, "layout"), path),
        "pdftotext": lambda path: timed(with_pdftotext, path),
        "pdftotext -layout": lambda path: timed(lambda p: with_pdftotext(p, "-layout"), path),
    }
    if pdfminer_python:
        found["pdfminer.six (boxes joined)"] = lambda path: with_pdfminer(pdfminer_python, path)
    found["pdftotext -bbox-layout + corpus.pdf"] = lambda path: timed(
        lambda p: pdf_to_text(p)[0].split("\n"), path)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfminer-python", help="an interpreter that has pdfminer.six")
    args = parser.parse_args()
    print("| fixture | reader | chars | chars, no whitespace | quotes, brackets in place "
          "| paragraphs exact | ms |")
    print("|---|---|---|---|---|---|---|")
    totals: dict[str, list[tuple[float, ...]]] = {}
    for path in sorted(FIXTURES.glob("*.pdf")):
        expected = path.with_suffix(".expected.txt").read_text(encoding="utf-8").splitlines()
        for name, read in readers(args.pdfminer_python).items():
            found, seconds = read(path)
            row = (*scores(expected, found), seconds * 1000)
            totals.setdefault(name, []).append(row)
            print(f"| {path.stem} | {name} | {row[0]:.1%} | {row[1]:.1%} | {row[2]:.0%} "
                  f"| {row[3]:.0%} | {row[4]:.0f} |")
    for name, rows in totals.items():
        mean = [statistics.mean(column) for column in zip(*rows, strict=True)]
        print(f"| mean | {name} | {mean[0]:.1%} | {mean[1]:.1%} | {mean[2]:.0%} | {mean[3]:.0%} "
              f"| {mean[4]:.0f} |")


if __name__ == "__main__":
    main()
