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


class DocumentChangeError(CorpusError):
    """A change to the corpus folder that cannot be made as asked: what is wrong, with advice
    in the words of the command line (`str`) and of the HTTP API (`over_http`)."""

    def __init__(self, what: str, *, cli: str = "", http: str = "") -> None:
        self.what, self.cli, self.http = what, cli, http
        super().__init__(f"{what}; {cli}" if cli else what)

    def over_http(self) -> str:
        return f"{self.what}; {self.http}" if self.http else self.what


class DocumentNotFoundError(DocumentChangeError):
    """No stored (or trashed) document has the id asked for."""


class DocumentConflictError(DocumentChangeError):
    """The id or file name asked for is held by another document or file."""
