"""Reading a PDF's text layer in reading order: one paragraph a line, page furniture removed.

Why poppler: on a PDF that LibreOffice made from Word, pypdf (and PDFium) move punctuation out
of place (`【案例1】福山区：“县管校聘”` comes out as `【案例1 “ ”】福山区： 县管校聘`) and break
paragraphs at every line end, while poppler's `pdftotext` reads in order
(`scripts/compare_pdf_readers.py` measures both on `tests/corpus/fixtures/pdf`). Its
`-bbox-layout` output gives every line and word with its box, from which paragraphs are
rebuilt: a line ends a paragraph when the next line's first word would have fitted on it, and
a line starts one when it is indented, set apart by a vertical gap or a change of size, or
begins with a numbering marker (一、 （一） 1. （1） ① 【案例1】 案例一). Page numbers and running
headers and footers are looked for among the lines set apart at a page's top and bottom, and
reported.

pdftotext runs as a subprocess, never through a shell, the file passed after `--`, with a
timeout and a cap on its output, so that a crafted PDF is refused rather than read forever.
Without poppler-utils installed the text is read with pypdf, and the report says so.
"""

from __future__ import annotations

import codecs
import html
import math
import os
import re
import selectors
import shutil
import subprocess
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from corpus.errors import CorpusError
from corpus.formats import check_size
from corpus.text import PAGE_NUMBER

MAX_PDF_BYTES = 100 * 1024 * 1024
MAX_PDF_PAGES = 2000
MAX_PDF_CHARS = 20_000_000          # as much text as the largest .txt (corpus.formats)
# pdftotext -bbox-layout writes about 8 KB a page of Chinese text, 50 KB of dense Latin text,
# and reads a page in well under 10 ms: these bounds are far above any real compilation.
MAX_LAYOUT_BYTES = 256 * 1024 * 1024
MAX_PAGE_LAYOUT = 16 * 1024 * 1024   # characters of XHTML for one page, some 100,000 words
PDF_TIMEOUT = 120.0                 # seconds, for pdftotext; pdfinfo gets a tenth
PDFTOTEXT, PDFINFO = "pdftotext", "pdfinfo"
NO_POPPLER_NOTE = ("read with pypdf, because pdftotext is not installed: punctuation may be out "
                   "of place and paragraphs broken at line ends; install poppler-utils (Debian, "
                   "Ubuntu) or poppler and add the document again")

# A number alone with dashes or dots around it: a page number only where it counts the pages.
_BARE_NUMBER = re.compile(r"^[-–—－·•\s]*(\d{1,4})[-–—－·•\s]*$")
_CN = "一二三四五六七八九十百零〇两"
_MARKER = re.compile(
    rf"^(?:[{_CN}]+[、，,．]|[（(][{_CN}]+[）)]|\d{{1,3}}[.．、](?!\d)|[（(]\d{{1,3}}[）)]"
    rf"|[\u2460-\u2473\u2776-\u2793]|【[^】]{{1,16}}】|案例\s*[{_CN}\d]+"
    rf"|第\s*[{_CN}\d]+\s*(?:部分|章|节|篇|条))")
_OPENING = "“‘（《【〔「『〈([{"
_CLOSING = "，。、；：？！”’）》】〕」』〉.,;:!?)]}%"
_QUOTES = "“”‘’\"'"
_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_LINE = re.compile(r"<line [^>]*>(.*?)</line>", re.S)
_WORD = re.compile(r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" '
                   r'yMax="([-\d.]+)">(.*?)</word>', re.S)
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


@dataclass(frozen=True)
class Line:
    """A line as pdftotext sets it: its text, its box, the size of an em in it, and the width
    of its first unbreakable unit (a CJK character with the punctuation that sticks to it, or
    a Latin word): what the line before would have had to hold to take it."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    em: float
    lead: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(frozen=True)
class Page:
    """A page's size and its lines in reading order (`number` counts from 1)."""

    number: int
    width: float
    height: float
    lines: tuple[Line, ...]


def pdf_to_text(path: Path) -> tuple[str, list[str]]:
    """The text layer of a PDF, one paragraph a line, and notes on what reading removed.

    Raises:
        CorpusError: a file too large or with too many pages, one that is not a readable PDF
            (damaged, truncated, password-protected), or one without a text layer (a scan).
    """
    check_size(path, MAX_PDF_BYTES, "a PDF")
    if shutil.which(PDFTOTEXT) is None or shutil.which(PDFINFO) is None:
        text, notes = read_with_pypdf(path)
        return text, [NO_POPPLER_NOTE, *notes]
    check_page_count(path, page_count(path))
    pages, warnings = layout_pages(path)
    if not any(page.lines for page in pages):
        raise CorpusError(f"{path.name}: the PDF has no text layer (a scan?); convert it to "
                          f"text first")
    empty = empty_page_notes(pages)
    pages, notes = drop_furniture(pages)
    return "\n".join(paragraphs(pages)), [*warnings, *notes, *empty]


def check_page_count(path: Path, count: int) -> None:
    """Refuse a PDF with more pages than MAX_PDF_PAGES, before any page is read."""
    if count > MAX_PDF_PAGES:
        raise CorpusError(f"{path.name}: {count} pages, more than the {MAX_PDF_PAGES} a PDF "
                          f"may have; split it into several documents")


# Running poppler ------------------------------------------------------------------------------

def run_tool(args: list[str], consume: Callable[[bytes], None], *, timeout: float,
             limit: int, source: str) -> tuple[int, str]:
    """Run a command (no shell), handing its output to `consume` as it comes; its exit code
    and the start of what it wrote to stderr.

    Raises:
        CorpusError: it ran longer than `timeout` seconds or wrote more than `limit` bytes
            (it is killed), or it could not be started.
    """
    try:
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
    except OSError as exc:
        raise CorpusError(f"{source}: could not run {args[0]} ({exc})") from exc
    try:
        stderr = _drain(process, consume, timeout, limit, source)
        return process.wait(timeout=max(0.1, timeout / 10)), stderr
    except subprocess.TimeoutExpired as exc:  # closed its output, but did not exit
        raise CorpusError(f"{source}: {args[0]} did not finish; export the PDF again") from exc
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def _drain(process: subprocess.Popen, consume: Callable[[bytes], None], timeout: float,
           limit: int, source: str) -> str:
    """Read a process's stdout into `consume` and the first 4 KB of its stderr, within bounds."""
    deadline = time.monotonic() + timeout
    errors, written = bytearray(), 0
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CorpusError(f"{source}: reading the PDF took longer than {timeout:.0f} s "
                                  f"(a damaged or crafted file?); export it again as PDF, or "
                                  f"save its text as .txt")
            for key, _ in selector.select(remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                elif key.fileobj is process.stderr:
                    errors += chunk[: max(0, 4096 - len(errors))]
                else:
                    written += len(chunk)
                    if written > limit:
                        raise CorpusError(f"{source}: the PDF's text is larger than "
                                          f"{limit // 2**20} MB; split it into several "
                                          f"documents")
                    consume(chunk)
    return errors.decode("utf-8", "replace")


def unreadable(path: Path, code: int, stderr: str) -> CorpusError:
    """The error for a PDF poppler could not open, saying what to do about it."""
    first = next((line.strip() for line in stderr.splitlines() if "Error" in line),
                 stderr.strip().split("\n")[0][:200] or f"exit status {code}")
    if "password" in stderr.lower():
        return CorpusError(f"{path.name}: the PDF is password-protected; save a copy without "
                           f"the password, or save its text as .txt")
    return CorpusError(f"{path.name}: not a readable PDF ({first[:200]}); export it again as "
                       f"PDF, or save its text as .txt")


def page_count(path: Path) -> int:
    """The number of pages poppler's pdfinfo finds in a PDF."""
    out = bytearray()
    code, stderr = run_tool([PDFINFO, "--", str(path)], out.extend, timeout=PDF_TIMEOUT / 10,
                            limit=2**20, source=path.name)
    # The last match: a title or subject above it may hold a line "Pages: 1" of its own.
    found = re.findall(rb"^Pages:\s+(\d+)\s*$", bytes(out), re.M)
    if code != 0 or not found:
        raise unreadable(path, code, stderr)
    return int(found[-1])


def layout_pages(path: Path) -> tuple[list[Page], list[str]]:
    """The pages of a PDF as pdftotext -bbox-layout lays them out, and a note if poppler found
    the file damaged but read it anyway."""
    reader = _LayoutReader(path.name)
    code, stderr = run_tool(
        [PDFTOTEXT, "-bbox-layout", "-enc", "UTF-8", "-l", str(MAX_PDF_PAGES), "--", str(path),
         "-"], reader.feed, timeout=PDF_TIMEOUT, limit=MAX_LAYOUT_BYTES, source=path.name)
    if code != 0:
        raise unreadable(path, code, stderr)
    reader.close()
    complaints = [line.strip() for line in stderr.splitlines() if "Error" in line]
    warnings = [f"poppler found the PDF damaged ({complaints[0][:120]}) and read what it "
                f"could: check that no text is missing"] if complaints else []
    return reader.pages, warnings


class _LayoutReader:
    """Parses pdftotext's XHTML a page at a time as it arrives, keeping only the lines."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending = ""
        self.pages: list[Page] = []
        self.chars = 0

    def feed(self, chunk: bytes) -> None:
        start = max(0, len(self.pending) - len("</page>"))  # look only at what is new
        self.pending += self.decoder.decode(chunk)
        while (end := self.pending.find("</page>", start)) >= 0:
            self.check_page(end)  # a whole page may come in one chunk
            self.add(self.pending[:end])
            self.pending, start = self.pending[end + len("</page>"):], 0
        self.check_page(len(self.pending))

    def check_page(self, size: int) -> None:
        if size > MAX_PAGE_LAYOUT:
            raise CorpusError(f"{self.source}: page {len(self.pages) + 1} holds more text than "
                              f"a page can (a crafted file?); export it again as PDF")

    def close(self) -> None:
        self.pending += self.decoder.decode(b"", final=True)

    def add(self, part: str) -> None:
        head = _PAGE.search(part)
        if head is None:
            return
        page = parse_page(part[head.end():], len(self.pages) + 1, float(head.group(1)),
                          float(head.group(2)))
        self.chars += sum(len(line.text) for line in page.lines)
        if self.chars > MAX_PDF_CHARS:
            raise CorpusError(f"{self.source}: more than {MAX_PDF_CHARS:,} characters of text; "
                              f"split it into several documents")
        self.pages.append(page)


# Lines and words -----------------------------------------------------------------------------

def is_wide(char: str) -> bool:
    """A CJK character or full-width form: no space is written beside one."""
    return unicodedata.east_asian_width(char) in "WF"


def _weight(char: str) -> float:
    return 1.0 if is_wide(char) else 0.5


def parse_page(body: str, number: int, width: float, height: float) -> Page:
    """A page from pdftotext's XHTML between `<page>` and `</page>`."""
    lines: list[Line] = []
    for match in _LINE.finditer(body):
        words = [(html.unescape(text), float(x0), float(y0), float(x1), float(y1))
                 for x0, y0, x1, y1, text in _WORD.findall(match.group(1))]
        words = [(re.sub(r"\s+", " ", text).strip(), *box) for text, *box in words]
        words = [word for word in words if word[0]]
        if words:
            line = make_line(words)
            if lines and same_row(lines[-1], line):
                line = merge(lines.pop(), line)
            lines.append(line)
    return Page(number, width, height, tuple(lines))


def make_line(words: list[tuple[str, float, float, float, float]]) -> Line:
    """A line from its words: written with the spaces the gaps mean, and measured."""
    weights = sum(_weight(c) for word in words for c in word[0])
    em = sum(x1 - x0 for _, x0, _, x1, _ in words) / weights if weights else 1.0
    em = em if em > 0 else 1.0
    text = words[0][0]
    for (before, *_, end, _), (after, start, *_) in zip(words, words[1:], strict=False):
        text += spacer(before[-1], after[0], start - end, em) + after
    first, x0, _, x1, _ = words[0]
    for word, start, _, end, _ in words[1:]:  # pdftotext splits a word where the font changes
        if start - x1 >= 0.12 * em:
            break
        first, x1 = first + word, end
    lead = (x1 - x0) * sum(map(_weight, first[: unit_length(first)])) / sum(
        map(_weight, first))
    return Line(text, words[0][1], min(w[2] for w in words), words[-1][3],
                max(w[4] for w in words), em, lead)


def spacer(before: str, after: str, gap: float, em: float) -> str:
    """What goes between two words pdftotext split: a space where the gap is one (a Latin
    space is a quarter em; pdftotext also splits where only the font changes, with no gap);
    beside a CJK character only a gap of half an em or more, since LibreOffice and Word leave a
    narrower one between Chinese and Latin text, and justification stretches it, where no
    space was typed."""
    if is_wide(before) or is_wide(after):
        return " " if gap >= 0.5 * em else ""
    return " " if gap >= 0.12 * em else ""


def unit_length(word: str) -> int:
    """How many characters at the start of `word` a line break cannot split, as LibreOffice
    breaks lines (Unicode's line breaking rules): opening punctuation, a CJK character or a
    run of Latin letters and digits, closing punctuation, and across a quotation mark `“”‘’`
    (no break on either side of one) the next such unit too."""
    i, n = 0, len(word)
    while i < n - 1 and word[i] in _OPENING:
        i += 1
    while True:
        if i < n and is_wide(word[i]):
            i += 1
        else:  # a Latin word or a number, with its inner stops and commas (4.4, 1,200)
            while i < n and not is_wide(word[i]) and word[i] not in _QUOTES and (
                    word[i] not in _CLOSING or word[i] in ".,:" and word[i + 1: i + 2].isalnum()
                    and not is_wide(word[i + 1])):
                i += 1
        while i < n and word[i] in _CLOSING:
            i += 1
        if not (i < n and (word[i] in _QUOTES or word[i - 1] in _QUOTES)):
            return max(i, 1)
        while i < n and word[i] in _QUOTES:
            i += 1


def same_row(first: Line, second: Line) -> bool:
    """Two pieces of one printed line that pdftotext put in separate blocks (a tab stop, a
    table row)."""
    overlap = min(first.y1, second.y1) - max(first.y0, second.y0)
    return overlap > 0.5 * min(first.height, second.height) and second.x0 >= first.x1 - 1


def merge(first: Line, second: Line) -> Line:
    """One line from two pieces of it, left to right."""
    em = max(first.em, second.em)
    text = first.text + spacer(first.text[-1], second.text[0], second.x0 - first.x1, em) + \
        second.text
    return Line(text, first.x0, min(first.y0, second.y0), second.x1, max(first.y1, second.y1),
                em, first.lead)


# Page furniture ------------------------------------------------------------------------------

def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line))


def find_furniture(pages: list[list[str]], edges: list[tuple[list[int], list[int]]]
                   ) -> dict[tuple[int, int], str]:
    """Which lines are page numbers or running headers and footers, as {(page, line): kind}.

    Args:
        pages: each page's lines.
        edges: for each page, the indices of the lines that may be furniture at its top and
            at its bottom, from the edge inwards; each side is peeled while its lines are.

    A line is a running header or footer when its shape (digits aside) is among the edge lines
    of at least two pages and a third of them, with the same digits on each or digits that
    count the pages (not `Chapter 1` … `Chapter 4` atop pages 1, 5, 9); a page number when it
    says so (`第 3 页`, `3/12`, `Page 3`), or when it is a bare number (`- 3 -`) that counts
    the pages as the others do (so that a year alone on the last line of a page stays).
    """
    seen: dict[str, dict[int, tuple[str, ...]]] = {}
    for number, (top, bottom) in enumerate(edges):
        for i in top + bottom:
            seen.setdefault(_shape(pages[number][i]), {})[number] = tuple(
                re.findall(r"\d+", pages[number][i]))
    enough = max(2, math.ceil(len(pages) / 3))
    running = {shape for shape, found in seen.items()
               if len(found) >= enough and _steady(found)}
    offsets = Counter(int(bare.group(1)) - number for number, (top, bottom) in enumerate(edges)
                      for i in top + bottom
                      if (bare := _BARE_NUMBER.match(pages[number][i])))
    offset = offsets.most_common(1)[0][0] if offsets else None

    def kind(number: int, index: int) -> str | None:
        line = pages[number][index]
        bare = _BARE_NUMBER.match(line)
        if bare is not None:
            return "page number" if int(bare.group(1)) - number == offset else None
        if PAGE_NUMBER.match(line):
            return "page number"
        return "running header or footer" if _shape(line) in running else None

    found: dict[tuple[int, int], str] = {}
    for number, sides in enumerate(edges):
        for side in sides:
            for index in side:
                if (what := kind(number, index)) is None:
                    break
                found[(number, index)] = what
    return found


def _steady(found: dict[int, tuple[str, ...]]) -> bool:
    """Whether a line's digits, by page, are the same on every page or count the pages."""
    if len(set(found.values())) == 1:
        return True
    steps = {int(digits[-1]) - page for page, digits in found.items() if digits}
    return len(steps) == 1 and all(found.values())


def furniture_notes(pages: list[list[str]], found: dict[tuple[int, int], str]) -> list[str]:
    """What was removed as furniture, for the report: the page numbers' range, and each
    running header or footer with the number of pages it was on."""
    numbers = [pages[p][i] for (p, i), kind in sorted(found.items()) if kind == "page number"]
    running = Counter(pages[p][i] for (p, i), kind in found.items() if kind != "page number")
    notes = []
    if numbers:
        shown = numbers[0] if len(numbers) == 1 else f"{numbers[0]} … {numbers[-1]}"
        notes.append(f"removed {len(numbers)} page number{'s' * (len(numbers) != 1)} "
                     f"({shown})")
    if running:
        listed = ", ".join(f"'{text[:40]}' ({count}×)" for text, count in running.most_common(4))
        more = ", …" if len(running) > 4 else ""
        count = sum(running.values())
        notes.append(f"removed {count} running header or footer line{'s' * (count != 1)}: "
                     f"{listed}{more}")
    return notes


def strip_page_furniture(pages: list[str]) -> tuple[str, list[str]]:
    """Join pages of text (from pypdf, without positions) into one text without page numbers
    and running headers or footers, looked for in each page's first and last two lines; says
    what was removed."""
    page_lines = [[line.strip() for line in page.split("\n") if line.strip()] for page in pages]
    edges = [([0, 1][: len(lines)], [len(lines) - 1, len(lines) - 2][: len(lines)])
             for lines in page_lines]
    found = find_furniture(page_lines, edges)
    kept = [line for p, lines in enumerate(page_lines) for i, line in enumerate(lines)
            if (p, i) not in found]
    return "\n".join(kept), furniture_notes(page_lines, found)


def set_apart(page: Page, height: float, gap: float) -> tuple[list[int], list[int]]:
    """The lines at the top and at the bottom of a page (at most three each, edge first) that
    a gap wider than the usual one by half a line separates from the rest: where headers and
    footers are."""
    order = sorted(range(len(page.lines)), key=lambda i: page.lines[i].y0)
    apart = gap + 0.5 * height

    def side(indices: list[int], below: bool) -> list[int]:
        for k in range(min(3, len(indices) - 1)):
            a, b = page.lines[indices[k]], page.lines[indices[k + 1]]
            if (a.y0 - b.y1 if below else b.y0 - a.y1) > apart:
                return indices[: k + 1]
        return []

    return side(order, below=False), side(order[::-1], below=True)


def drop_furniture(pages: list[Page]) -> tuple[list[Page], list[str]]:
    """The pages without their page numbers and running headers and footers, and notes."""
    lines = [line for page in pages for line in page.lines]
    height = median(line.height for line in lines)
    gap = median_gap(pages)
    edges = [set_apart(page, height, gap) for page in pages]
    texts = [[line.text for line in page.lines] for page in pages]
    found = find_furniture(texts, edges)
    kept = [Page(page.number, page.width, page.height,
                 tuple(line for i, line in enumerate(page.lines) if (p, i) not in found))
            for p, page in enumerate(pages)]
    return kept, furniture_notes(texts, found)


def empty_page_notes(pages: list[Page]) -> list[str]:
    """A note naming the pages without text in a PDF that has some (scanned pages?)."""
    empty = [str(page.number) for page in pages if not page.lines]
    if not empty:
        return []
    shown = ", ".join(empty[:10]) + (", …" if len(empty) > 10 else "")
    many = len(empty) != 1
    return [f"{len(empty)} page{'s' * many} without text ({shown}): scanned? "
            f"{'Their' if many else 'Its'} text is not in the document"]


# Paragraphs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    """Where the text of a page runs: its left margin, its right edge, and the commonest
    first-line indent (from the margin), if its paragraphs have one."""

    left: float
    right: float
    indent: float | None = None


def median_gap(pages: list[Page]) -> float:
    """The usual space between one line's box and the next one's below it."""
    gaps = [b.y0 - a.y1 for page in pages for a, b in zip(page.lines, page.lines[1:],
                                                            strict=False) if b.y0 > a.y0]
    return median(gaps) if gaps else 0.0


def frames(pages: list[Page]) -> dict[int, Frame]:
    """Each page's frame: the commonest left edge of its lines and the right edge most lines
    reach (90th percentile), taken over all pages of its size and side (left and right pages
    may have mirrored margins), so that a page of short lines still has the right frame."""
    groups: dict[tuple[int, int], list[Line]] = {}
    for page in pages:
        groups.setdefault((round(page.width), page.number % 2), []).extend(page.lines)
    found = {}
    for key, lines in groups.items():
        if lines:
            left = Counter(round(line.x0) for line in lines).most_common(1)[0][0]
            ends = sorted(line.x1 for line in lines)  # a few lines may stick out (a table)
            indents = Counter(round(line.x0 - left) for line in lines
                              if line.x0 - left > 0.8 * line.em)
            # Too few lines to see the right edge (a short document may have no full line):
            # take the margins as even, as Word's and LibreOffice's defaults set them.
            right = ends[int(0.9 * (len(ends) - 1))] if len(ends) >= 10 else max(
                ends[-1], key[0] - left)
            found[key] = Frame(float(left), right,
                               float(indents.most_common(1)[0][0]) if indents else None)
    return {page.number: found.get((round(page.width), page.number % 2), Frame(0, page.width))
            for page in pages}


def is_centered(line: Line, frame: Frame) -> bool:
    """A line set in the middle (a title): as much room on its left as on its right, and not
    merely a first line indented as the paragraphs are, whose room at the end is the same."""
    left, right = line.x0 - frame.left, frame.right - line.x1
    indented = frame.indent is not None and abs(left - frame.indent) < 0.3 * line.em
    return left > 0.8 * line.em and abs(left - right) < line.em and not indented


def would_fit(before: Line, after: Line, frame: Frame) -> bool:
    """Whether `after`'s first unit (and a space, between Latin words) would have fitted at
    the end of `before`: then `before` was ended on purpose, not wrapped."""
    room = frame.right - before.x1
    space = 0.0 if is_wide(before.text[-1]) or is_wide(after.text[0]) else 0.25 * after.em
    return room > after.lead + space + 0.3 * before.em


def starts_paragraph(before: Line, after: Line, frames_: tuple[Frame, Frame], same_page: bool,
                     indent_from: float, gap: float) -> bool:
    """Whether `after` begins a new paragraph rather than continuing `before`'s."""
    frame_before, frame_after = frames_
    if abs(before.height - after.height) > 0.15 * max(before.height, after.height):
        return True
    below = after.y0 > before.y0
    if same_page and below and after.y0 - before.y1 > gap + 0.3 * before.em:
        return True
    if _MARKER.match(after.text):
        return True
    if not is_centered(after, frame_after) and after.x0 > indent_from + 0.8 * after.em:
        return True
    return would_fit(before, after, frame_before)


def join_lines(before: str, after: str, vocabulary: set[str]) -> str:
    """Two lines of one paragraph as one: no space beside a CJK character, one between Latin
    words, and a hyphen at the end dropped only where it clearly split a word (a soft hyphen,
    or a word the document also has whole and never hyphenated)."""
    if before.endswith("\u00ad"):
        return before[:-1] + after
    hyphenated = re.search(r"([A-Za-z]+)-$", before)
    if hyphenated and after[:1].islower():
        tail = _LATIN_WORD.match(after)
        head, rest = hyphenated.group(1), tail.group() if tail else ""
        if (head + rest).lower() in vocabulary and f"{head}-{rest}".lower() not in vocabulary:
            return before[:-1] + after
        return before + after
    if is_wide(before[-1]) or is_wide(after[0]):
        return before + after
    return before + " " + after


def latin_vocabulary(pages: list[Page]) -> set[str]:
    """The Latin words of the document that are not at a line's end (lowercase)."""
    words: set[str] = set()
    for page in pages:
        for line in page.lines:
            found = _LATIN_WORD.findall(line.text.rstrip("-"))
            words.update(word.lower() for word in found[:-1] if found)
            if found and not line.text.endswith("-"):
                words.add(found[-1].lower())
    return words


def paragraphs(pages: list[Page]) -> list[str]:
    """The text of the pages as paragraphs, each joined from its lines, across page breaks."""
    frame_of, gap = frames(pages), median_gap(pages)
    vocabulary = latin_vocabulary(pages)
    found: list[str] = []
    before: tuple[Line, int] | None = None
    continued: tuple[float, int] | None = None  # where the paragraph's wrapped lines start
    for page in pages:
        frame = frame_of[page.number]
        for line in page.lines:
            if before is not None:
                previous, previous_page = before
                indent_from = continued[0] if continued and continued[1] == page.number \
                    else frame.left
                if not starts_paragraph(previous, line, (frame_of[previous_page], frame),
                                        previous_page == page.number, indent_from, gap):
                    found[-1] = join_lines(found[-1], line.text, vocabulary)
                    before, continued = (line, page.number), (line.x0, page.number)
                    continue
            found.append(line.text)
            before, continued = (line, page.number), None
    return found


# Without poppler -----------------------------------------------------------------------------

def read_with_pypdf(path: Path) -> tuple[str, list[str]]:
    """The text layer as pypdf reads it, line for line, without page furniture."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        check_page_count(path, len(reader.pages))
        pages = [page.extract_text() or "" for page in reader.pages]
    except CorpusError:
        raise
    except Exception as exc:  # pypdf raises many kinds (and RecursionError) on crafted files
        raise CorpusError(f"{path.name}: not a readable PDF ({type(exc).__name__}: "
                          f"{str(exc)[:200]}); export it again as PDF, or save its text as "
                          f".txt") from exc
    if not any(page.strip() for page in pages):
        raise CorpusError(f"{path.name}: the PDF has no text layer (a scan?); convert it to "
                          f"text first")
    return strip_page_furniture(pages)
