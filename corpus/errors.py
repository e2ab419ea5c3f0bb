"""Errors a corpus author can act on."""

from __future__ import annotations


class CorpusError(Exception):
    """A source document or its metadata cannot be used."""


class CorpusFormatError(CorpusError):
    """The text does not have the structure the parser reads; names the line."""

    def __init__(self, message: str, *, line: int, source: str = "<text>") -> None:
        self.line = line
        self.source = source
        self.reason = message
        super().__init__(f"{source}:{line}: {message}")


class CorpusNumberingError(CorpusFormatError):
    """A document laid out as numbered items under place headings whose numbering is broken
    (a number skipped or repeated, a section without items): refused, not guessed at."""
