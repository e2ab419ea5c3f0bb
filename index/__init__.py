"""Embedders, the FAISS index artifact and retrieval. Nothing here imports Flask."""

from __future__ import annotations

from index.embedders import BUILTIN_MODEL, Embedder, load_embedder
from index.errors import (
    CasesearchError,
    IndexIntegrityError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidRequestError,
    ModelExportError,
    ModelLoadError,
    UnknownCaseError,
)
from index.search import Hit, SearchEngine
from index.store import CaseIndex, Manifest, build_index, load_index, read_manifest

__all__ = [
    "BUILTIN_MODEL",
    "CaseIndex",
    "CasesearchError",
    "Embedder",
    "Hit",
    "IndexIntegrityError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "InvalidRequestError",
    "Manifest",
    "ModelExportError",
    "ModelLoadError",
    "SearchEngine",
    "UnknownCaseError",
    "build_index",
    "load_embedder",
    "load_index",
    "read_manifest",
]
