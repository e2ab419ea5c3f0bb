"""Reading a source document's text, by format: plain text, Markdown, Word (.docx), and PDF
with a text layer (read by `corpus.pdf`: in reading order, page furniture removed and
reported)."""

from __future__ import annotations

import re
from pathlib import Path

from corpus.errors import CorpusError

SUFFIXES = (".txt", ".md", ".docx", ".pdf")
MAX_TEXT_BYTES = 20 * 1024 * 1024   # a .txt or .md: about ten million Chinese characters
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


def pdf_to_text(path: Path) -> tuple[str, list[str]]:
    """The text layer of a PDF in reading order, one paragraph a line, page furniture removed;
    and notes on what was removed (see `corpus.pdf`)."""
    from corpus.pdf import pdf_to_text as read_pdf  # here: corpus.pdf imports this module

    return read_pdf(path)


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
