"""The divisions gazetteer on this machine: how long it takes to load and how much memory, what
it holds, the renamings it could not place, and every place its finder reads in the corpus, for
checking by hand.

Each case's text is read with its document's province and its section's place as hints (as
the parser does); extra documents (any format the corpus reads) are read with no hint.

    .venv/bin/python -m scripts.gazetteer_check [--data DIR] [FILE ...]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from corpus import DEFAULT_DATA_DIR, CorpusError, load_corpus
from corpus.formats import read_document_text
from corpus.places import LEVELS, Gazetteer, Mention

CONTEXT = 8  # characters shown either side of a mention


def measured_load() -> tuple[Gazetteer, float, float, float]:
    """A freshly loaded gazetteer, the seconds it took, and the MB it keeps and peaked at
    (measured on a second load: tracing memory doubles the time)."""
    start = time.perf_counter()
    places = Gazetteer.load()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    again = Gazetteer.load()
    kept, peak = tracemalloc.get_traced_memory()
    del again
    tracemalloc.stop()
    return places, seconds, kept / 1e6, peak / 1e6


def mention_line(where: str, text: str, mention: Mention) -> str:
    """One mention as a line: where, what was written, the place, and the text around it."""
    around = text[max(0, mention.start - CONTEXT):mention.end + CONTEXT].replace("\n", " ")
    return f"{where}\t{mention.written}\t{'/'.join(mention.place.chain)}\t{mention.place.code}" \
           f"\t…{around}…"


def report_mentions(places: Gazetteer, texts: Iterable[tuple[str, str, Sequence[str]]]) -> int:
    """Print every mention of every (where, text, hints); return how many there were."""
    count = 0
    for where, text, hints in texts:
        for mention in places.mentions_in(text, within=hints):
            print(mention_line(where, text, mention))
            count += 1
    return count


def readable(path: Path) -> str:
    """The text of a document, or "" (and a line saying why) when the corpus cannot read it."""
    try:
        return read_document_text(path)[0]
    except CorpusError as error:
        print(f"skipped {path}: {error}")
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="corpus folder")
    parser.add_argument("files", nargs="*", type=Path, help="more documents to read")
    args = parser.parse_args()
    places, seconds, kept, peak = measured_load()
    levels = Counter(place.level for place in places.places)
    print(f"loaded in {seconds:.3f} s, {kept:.1f} MB kept, {peak:.1f} MB at the peak")
    print("divisions: " + ", ".join(f"{levels[level]} {level}" for level in LEVELS))
    for renaming in places.unmatched_renamings:
        print(f"renaming not placed: {'/'.join(renaming.old)} => {'/'.join(renaming.new)}")
    corpus = load_corpus(args.data)
    cases = [(case.id, case.text, (case.province, case.city)) for case in corpus.cases]
    files = [(str(path), text, ()) for path in args.files if (text := readable(path))]
    count = report_mentions(places, [*cases, *files])
    print(f"{count} mentions in {len(cases)} cases and {len(files)} files")


if __name__ == "__main__":
    main()
