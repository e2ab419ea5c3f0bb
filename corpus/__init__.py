"""Source documents of typical work cases and their parsing into `Case` records.

Nothing here imports Flask or FAISS: the corpus can be read from a notebook or a script.
"""

from __future__ import annotations

from corpus.errors import CorpusError, CorpusFormatError
from corpus.load import DEFAULT_DATA_DIR, load_document
from corpus.models import Case, Corpus, Document
from corpus.parse import parse_text
from corpus.store import CorpusStore, load_corpus

__all__ = [
    "DEFAULT_DATA_DIR",
    "Case",
    "Corpus",
    "CorpusError",
    "CorpusFormatError",
    "CorpusStore",
    "Document",
    "load_corpus",
    "load_document",
    "parse_text",
]
