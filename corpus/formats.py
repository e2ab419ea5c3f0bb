"""Reading a source document's text, by format: plain text, Markdown, Word (.docx), and PDF
with a text layer (page numbers and running headers and footers removed, and reported)."""

from __future__ import annotations

import re
from pathlib import Path

from corpus.errors import CorpusError

SUFFIXES = (".txt", ".md", ".docx", ".pdf")
MAX_TEXT_BYTES = 20 * 1024 * 1024   # a .txt or .md: about ten million Chinese characters
MAX_PDF_BYTES = 100 * 1024 * 1024
MAX_PDF_PAGES = 2000
_PAGE_NUMBER = re.compile(r"^[-–—\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*/\s*(?:共\s*)?\d{1,4}\s*页?)?"
                          r"[-–—\s]*$|^(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
_MARKDOWN_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?=\S))")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def decode_text(raw: bytes, source: str) -> str:
    """Decode a document's bytes as UTF-8, naming the line of the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CorpusError(f"{source}:{line}: not UTF-8 text (byte {exc.start}); save the "
                          f"document as UTF-8") from exc


def markdown_to_text(text: str) -> str:
    """Markdown's heading, quote and list markers and bold marks removed, line for line (so
    line numbers still point into the file)."""
    lines = [_MARKDOWN_EMPHASIS.sub(r"\2", _MARKDOWN_PREFIX.sub("", line))
             for line in text.split("\n")]
    return "\n".join(lines)


def docx_to_text(path: Path) -> tuple[str, list[str]]:
    """The paragraphs of a Word document, one a line (line N is paragraph N), with the numbers
    Word draws itself written out; and notes on what was added."""
    from corpus.word import check_docx_archive, docx_lines

    try:
        from docx import Document
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise CorpusError("reading .docx needs the package 'python-docx'") from exc
    check_docx_archive(path)
    try:
        lines, notes = docx_lines(Document(str(path)))
    except CorpusError as exc:  # a file Word could open, with something to fix in Word
        raise CorpusError(f"{path.name}: {exc}") from exc
    except Exception as exc:  # a crafted file can fail anywhere in zip, XML or python-docx
        raise CorpusError(f"{path.name}: not a readable Word (.docx) document "
                          f"({type(exc).__name__}: {str(exc)[:200]}); open it in Word and "
                          f"save it again as .docx") from exc
    return "\n".join(lines), notes


def strip_page_furniture(pages: list[str]) -> tuple[str, list[str]]:
    """Join PDF pages into one text without page numbers and without a first or last line that
    repeats (digits aside) on at least half of the pages; says what was removed."""
    page_lines = [[line.strip() for line in page.split("\n") if line.strip()] for page in pages]

    def shape(line: str) -> str:
        return re.sub(r"\d+", "#", line)

    repeated: set[str] = set()
    enough = max(2, (len(page_lines) + 1) // 2)  # on two pages at least, and half of them
    for position in (0, -1):
        shapes = [shape(lines[position]) for lines in page_lines if lines]
        repeated |= {s for s in set(shapes) if shapes.count(s) >= enough}
    kept, removed = [], 0
    for lines in page_lines:
        for index, line in enumerate(lines):
            edge = index in (0, len(lines) - 1)
            if _PAGE_NUMBER.match(line) or (edge and shape(line) in repeated):
                removed += 1
                continue
            kept.append(line)
    notes = [f"removed {removed} page numbers and running headers or footers"] if removed else []
    return "\n".join(kept), notes


def pdf_to_text(path: Path) -> tuple[str, list[str]]:
    """The text layer of a PDF, pages joined, page furniture removed. The file's size and
    page count are checked before any page is read."""
    from pypdf import PdfReader

    check_size(path, MAX_PDF_BYTES, "a PDF")
    try:
        reader = PdfReader(str(path))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise CorpusError(f"{path.name}: {len(reader.pages)} pages, more than the "
                              f"{MAX_PDF_PAGES} a PDF may have; split it into several documents")
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


def read_document_text(path: Path) -> tuple[str, list[str]]:
    """The text of a document in any supported format, and notes on what reading changed.

    Raises:
        CorpusError: an unsupported format, bytes that are not UTF-8, a broken .docx or PDF.
    """
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return pdf_to_text(path)
    if suffix == ".docx":
        return docx_to_text(path)
    return read_text(path), []


def check_size(path: Path, limit: int, kind: str) -> None:
    """Refuse a file over `limit` bytes before reading it."""
    size = path.stat().st_size
    if size > limit:
        raise CorpusError(f"{path.name}: {size / 2**20:.0f} MB is more than the "
                          f"{limit // 2**20} MB {kind} may have; split it into several "
                          f"documents")


def read_text(path: Path) -> str:
    """The text of a .txt, .md or .docx document.

    Raises:
        CorpusError: an unsupported format, bytes that are not UTF-8, or a broken .docx.
    """
    suffix = path.suffix.lower()
    if suffix in (".docx", ".pdf"):
        return read_document_text(path)[0]
    if suffix not in SUFFIXES:
        raise CorpusError(f"{path.name}: unsupported format {suffix!r}; use one of "
                          f"{', '.join(SUFFIXES)}")
    check_size(path, MAX_TEXT_BYTES, "a text document")
    text = decode_text(path.read_bytes(), path.name)
    return markdown_to_text(text) if suffix == ".md" else text
