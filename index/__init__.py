"""Embedders, the FAISS index artifact and retrieval. Nothing here imports Flask."""

from __future__ import annotations

from index.artifact.store import CaseIndex, Manifest, build_index, load_index, read_manifest
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
from index.models.embedders import BUILTIN_MODEL, Embedder, load_embedder
from index.retrieval.search import Hit, SearchEngine

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
