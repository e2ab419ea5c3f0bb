"""Reading a source document's text, by format: plain text, Markdown, Word (.docx)."""

from __future__ import annotations

import re
from pathlib import Path

from corpus.errors import CorpusError

SUFFIXES = (".txt", ".md", ".docx")
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


def docx_to_text(path: Path) -> str:
    """The paragraphs of a Word document, one a line (line N is paragraph N)."""
    try:
        from docx import Document
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise CorpusError("reading .docx needs the package 'python-docx'") from exc
    try:
        document = Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise CorpusError(f"{path.name}: not a readable Word (.docx) document ({exc})") from exc
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def read_text(path: Path) -> str:
    """The text of a document in any supported format.

    Raises:
        CorpusError: an unsupported format, bytes that are not UTF-8, or a broken .docx.
    """
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return docx_to_text(path)
    if suffix not in SUFFIXES:
        raise CorpusError(f"{path.name}: unsupported format {suffix!r}; use one of "
                          f"{', '.join(SUFFIXES)}")
    text = decode_text(path.read_bytes(), path.name)
    return markdown_to_text(text) if suffix == ".md" else text
