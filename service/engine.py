"""Open the search engine the settings describe, failing fast on a stale or missing index."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from corpus.load import load_corpus
from index.embedders import (
    BUILTIN_MODEL,
    CachedEmbedder,
    Embedder,
    configured_model_id,
    configured_second_model_id,
    load_embedder,
    load_second_embedder,
    prepare_builtin_model,
)
from index.embedding_cache import EmbeddingStore, StoredPassageEmbedder
from index.errors import CasesearchError, IndexMismatchError
from index.search import SearchEngine
from index.store import (
    FORMAT_VERSION,
    Manifest,
    build_index,
    load_index,
    read_manifest,
    verify_files,
)
from service.settings import Settings

log = logging.getLogger(__name__)


def open_engine(settings: Settings) -> SearchEngine:
    """Load the index, check it was built with the configured model, then load the model.

    Raises:
        IndexNotFoundError, IndexIntegrityError, IndexMismatchError, ModelLoadError.
    """
    # A query's numpy work is small; BLAS threads would only busy-wait against the embedder's.
    threadpool_limits(1, user_api="blas")
    # Fail on a wrong model (read from the manifest alone) before spending seconds loading one.
    mismatch = model_mismatch(read_manifest(settings.index_path), settings)
    if mismatch is not None:
        raise mismatch
    embedder, second = _embedders(settings)
    index = load_index(settings.index_path, model_id=embedder.model_id)
    if settings.query_cache:
        embedder = CachedEmbedder(embedder, settings.query_cache)
        second = CachedEmbedder(second, settings.query_cache) if second else None
    return SearchEngine(index, embedder, second=second)


def _embedders(settings: Settings, threads: int | None = None) -> tuple[Embedder, Embedder | None]:
    threads = threads or settings.compute_threads
    embedder = load_embedder(settings.model, backend=settings.backend, cache_dir=settings.home,
                             allow_download=settings.allow_download, threads=threads)
    second = load_second_embedder(settings.second_model, cache_dir=settings.home,
                                  allow_download=settings.allow_download, threads=threads)
    return embedder, second


def model_mismatch(manifest: Manifest, settings: Settings) -> IndexMismatchError | None:
    """The error to raise if the index was built with other embedders than the configured."""
    for built, configured in ((manifest.model_id, configured_model_id(settings.model)),
                              (manifest.second_model_id,
                               configured_second_model_id(settings.second_model))):
        if built != configured:
            return IndexMismatchError(str(built), str(configured), str(settings.index_path))
    return None


def stale_reason(settings: Settings) -> str | None:
    """Why the index must be (re)built for these settings, or None if it is current."""
    try:
        manifest: Manifest = read_manifest(settings.index_path)
        verify_files(settings.index_path, manifest)
    except CasesearchError as exc:
        return str(exc)
    if manifest.format != FORMAT_VERSION:
        return f"index format {manifest.format} is not the current {FORMAT_VERSION}"
    if (mismatch := model_mismatch(manifest, settings)) is not None:
        return str(mismatch)
    if manifest.corpus_sha256 != load_corpus(settings.data).sha256:
        return "the corpus has changed since the index was built"
    return None


@dataclass(frozen=True)
class BuildResult:
    """A finished build: its manifest, and how many texts were embedded or reused."""

    manifest: Manifest
    embedded: int
    reused: int


def build(settings: Settings) -> BuildResult:
    """Embed the corpus with the configured model and replace the index; texts embedded by an
    earlier build with the same model are reused from the embedding store."""
    corpus = load_corpus(settings.data)
    if settings.model == BUILTIN_MODEL:
        # The sentence-transformers export is made at set-up whichever backend embeds, so that
        # switching CASESEARCH_BACKEND needs no further step.
        prepare_builtin_model(settings.home)
    # A build is its own process: it may use every core.
    embedder, second = _embedders(settings, threads=settings.threads or os.cpu_count())
    store = EmbeddingStore(settings.home / "embeddings.sqlite")
    try:
        embedder = StoredPassageEmbedder(embedder, store)
        second = StoredPassageEmbedder(second, store) if second else None
        manifest = build_index(corpus, embedder, settings.index_path, second=second,
                               index_type=settings.index_type)
    finally:
        store.close()
    embedded = embedder.embedded + (second.embedded if second else 0)
    reused = embedder.reused + (second.reused if second else 0)
    log.info("indexed %d cases with %s in %.1f s: embedded %d texts, reused %d",
             manifest.count, manifest.model_id, manifest.build_seconds, embedded, reused)
    return BuildResult(manifest, embedded, reused)
