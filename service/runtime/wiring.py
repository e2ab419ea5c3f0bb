"""Where the settings become the core's objects, so that nothing below `service/` reads them.

- `load_embedders`: the model and the second embedder the settings name, with their threads;
- `open_engine` / `reopen_engine`: the search engine over the index (again over a new build,
  keeping the loaded models, for live reloads), failing fast on a stale or missing index;
- `index_status`: whether the index on disk can serve these settings, and why not;
- `build`: a build of the index from the corpus folder, one at a time (a lock); its embedding
  and index training on a Ray cluster when CASESEARCH_CLUSTER names one (`on_cluster`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from threadpoolctl import threadpool_limits

from corpus.store import CorpusStore, Problem
from index.artifact.ann import build_ann
from index.artifact.store import (
    FORMAT_VERSION,
    Manifest,
    Trainer,
    build_index,
    build_lock,
    current_build,
    load_index,
    read_manifest,
    set_aside_if_damaged,
    verify_files,
)
from index.errors import CasesearchError, IndexMismatchError
from index.models.cluster import EmbedderRecipe, RayEmbedder, train_on_cluster
from index.models.embedders import (
    BUILTIN_MODEL,
    AdaptedEmbedder,
    CachedEmbedder,
    Embedder,
    configured_model_id,
    innermost,
    load_embedder,
    load_second_embedder,
    model_family,
    prepare_builtin_model,
    registered_models,
)
from index.models.vector_store import EmbeddingStore, StoredPassageEmbedder
from index.progress import Progress
from index.retrieval.in_flight import searches_overlap
from index.retrieval.search import SearchEngine
from index.tuning.store import TunedModel, current_tuned, find_tuned
from service.runtime.settings import Settings
from service.runtime.tuning import tuning_applies

log = logging.getLogger(__name__)


def tuned_for_build(settings: Settings) -> TunedModel | None:
    """The tuned model a build embeds with: the current one (index.tuning.store), when the
    bundled model is configured and tuning is on; None for the base model."""
    if not tuning_applies(settings):
        return None
    return current_tuned(settings.home, configured_model_id(BUILTIN_MODEL) or "")


def tuned_of_index(settings: Settings, model_id: str | None) -> TunedModel | None:
    """The tuned model an index was built with, if it was and that model is still kept: a
    server serves the model of the build it loads (the build a tuning makes follows it)."""
    if not tuning_applies(settings) or model_family(model_id) != "tuned":
        return None
    current = tuned_for_build(settings)
    if current is not None and current.model_id == model_id:
        return current
    return find_tuned(settings.home, model_id)


def open_engine(settings: Settings | None = None) -> SearchEngine:
    """Load the index, check it was built with the configured model (or the bundled model tuned
    for its corpus), then load that model (`settings` default: the environment's, so from a
    checkout the `var/` that make built).

    Raises:
        IndexNotFoundError, IndexIntegrityError, IndexMismatchError, ModelLoadError.
    """
    settings = settings or Settings.from_env()
    # A query's numpy work is small; BLAS threads would only busy-wait against the embedder's.
    threadpool_limits(1, user_api="blas")
    # Fail on a wrong model (read from the manifest alone) before spending seconds loading one.
    manifest = read_manifest(settings.index_path)
    tuned = tuned_of_index(settings, manifest.model_id)
    mismatch = model_mismatch(manifest, settings, tuned)
    if mismatch is not None:
        raise mismatch
    embedder, second = load_embedders(settings, tuned=tuned)
    index = load_index(settings.index_path, model_id=embedder.model_id)
    if settings.query_cache:
        embedder = CachedEmbedder(embedder, settings.query_cache)
        second = CachedEmbedder(second, settings.query_cache) if second else None
    return SearchEngine(index, embedder, second=second)


def reopen_engine(current: SearchEngine, build: Path,
                  settings: Settings | None = None) -> SearchEngine:
    """A new engine over another build of the index, reusing the loaded embedders (and their
    query caches): what a running server does when a build replaces its index. A build made
    with the model tuned for a changed corpus (index.tuning) brings that model in: its map is
    laid over the loaded model (with a query cache of its own), and the old one serves until
    the swap.

    Args:
        current: the engine serving now.
        build: the new build's folder (or the index link).
        settings: the service's settings, for loading a tuned model (default: the
            environment's).

    Raises:
        IndexNotFoundError, IndexIntegrityError, IndexMismatchError: the new build cannot be
            served with the loaded models (a restart is needed); the current one stays.
    """
    embedder = current.embedder
    built_with = read_manifest(build).model_id
    if built_with != embedder.model_id:
        embedder = _embedder_for(built_with, innermost(embedder),
                                 settings or Settings.from_env()) or embedder
    index = load_index(build, model_id=embedder.model_id)
    built, second = index.manifest.second_model_id, current.second_embedder
    if built is not None and (second is None or second.model_id != built):
        raise IndexMismatchError(built, second.model_id if second else "none", str(build))
    return SearchEngine(index, embedder, current.config, second=second)


def _embedder_for(model_id: str, loaded: Embedder, settings: Settings) -> Embedder | None:
    """The embedder for a build made with `model_id` from the model already loaded: the
    bundled model tuned for another corpus (its map laid over the loaded model, which is not
    loaded again), or as it ships; None if `model_id` is another model (a restart is needed)."""
    if loaded.model_id != configured_model_id(settings.model):
        return None
    tuned = tuned_of_index(settings, model_id)
    if tuned is not None:
        embedder: Embedder = AdaptedEmbedder(loaded, tuned.adapter(), tuned.model_id)
    elif model_id == loaded.model_id:
        embedder = loaded
    else:
        return None
    return CachedEmbedder(embedder, settings.query_cache) if settings.query_cache else embedder


def _load_options(settings: Settings, threads: int) -> dict:
    """How the settings load a model, here or on a cluster's worker."""
    return {"cache_dir": settings.home, "allow_download": settings.allow_download,
            "threads": threads}


def load_embedders(settings: Settings, threads: int | None = None, *,
                   tuned: TunedModel | None = None,
                   second: bool = True) -> tuple[Embedder, Embedder | None]:
    """The configured model (or `tuned`, the bundled model tuned for its corpus) and second
    embedder (unless `second` is false), each call on at most `threads` threads (default: the
    settings' share of the cores), and on one when searches overlap."""
    options = {**_load_options(settings, threads or settings.compute_threads),
               "crowded": searches_overlap}
    return (load_embedder(settings.model, backend=settings.backend, tuned=tuned, **options),
            load_second_embedder(settings.second_model, **options) if second else None)


def model_mismatch(manifest: Manifest, settings: Settings,
                   tuned: TunedModel | None = None) -> IndexMismatchError | None:
    """The error to raise if the index was built with other embedders than the configured
    (the bundled model tuned for its corpus, `tuned`, counts as the bundled model)."""
    for built, configured in ((manifest.model_id, configured_model_id(settings.model, tuned)),
                              (manifest.second_model_id,
                               configured_model_id(settings.second_model))):
        if built != configured:
            return IndexMismatchError(str(built), str(configured), str(settings.index_path))
    return None


@dataclass(frozen=True)
class IndexStatus:
    """Whether the index can serve these settings as it is, and what is wrong if not.

    `stale` says why the index must be (re)built, or is None; `index_ok` that the index exists,
    is intact and matches the models; `problems` lists stored documents that cannot be read: a
    rebuild would fail on them, so an intact index is the last good one and keeps serving.
    """

    stale: str | None
    problems: tuple[Problem, ...] = ()
    index_ok: bool = False


def index_status(settings: Settings, *, serving: bool = False) -> IndexStatus:
    """Check the index against the configured models and the corpus: for a build (is a new
    one needed?), against the model a build would embed with — the current tuned model, if
    any; for `serving` (can it be served as it is?), against any model it may be served with
    — the bundled model as it ships, or a tuned model still kept."""
    build = current_build(settings.index_path) or settings.index_path
    try:
        manifest: Manifest = read_manifest(build)
        if manifest.format != FORMAT_VERSION:
            return IndexStatus(f"index format {manifest.format} is not the current "
                               f"{FORMAT_VERSION}")
        verify_files(build, manifest)
    except CasesearchError as exc:
        return IndexStatus(str(exc))
    tuned = (tuned_of_index(settings, manifest.model_id) if serving
             else tuned_for_build(settings))
    if (mismatch := model_mismatch(manifest, settings, tuned)) is not None:
        return IndexStatus(str(mismatch))
    corpus, problems = CorpusStore(settings.data).load_readable()
    if problems:
        return IndexStatus("some documents cannot be read", tuple(problems), index_ok=True)
    if manifest.corpus_sha256 != corpus.sha256:
        return IndexStatus("the corpus has changed since the index was built", index_ok=True)
    return IndexStatus(None, index_ok=True)


@dataclass(frozen=True)
class BuildResult:
    """A finished build: its manifest, and how many texts were embedded or reused."""

    manifest: Manifest
    embedded: int
    reused: int
    set_aside: Path | None = None  # a damaged build this one replaced, kept for a look


def on_cluster(settings: Settings, tuned: TunedModel | None, embedder: Embedder,
               second: Embedder | None) -> tuple[Embedder, Embedder | None, Trainer]:
    """The build's embedders with their passages embedded on the cluster CASESEARCH_CLUSTER
    names (each worker loading the same model as this process, on one thread), and its index
    trained there (index.models.cluster)."""
    options = _load_options(settings, threads=1)
    registered = registered_models()
    main = EmbedderRecipe(load_embedder, tuple({**options, "model": settings.model,
                                                "backend": settings.backend,
                                                "tuned": tuned}.items()), registered)
    workers = settings.cluster_workers or None
    embedder = RayEmbedder(embedder, main, settings.cluster, workers)
    if second is not None:
        recipe = EmbedderRecipe(load_second_embedder,
                                tuple({**options, "model": settings.second_model}.items()),
                                registered)
        second = RayEmbedder(second, recipe, settings.cluster, workers)
    return embedder, second, train_on_cluster(settings.cluster)


def build(settings: Settings, *, progress: Progress | None = None,
          on_wait: Callable[[str], None] | None = None) -> BuildResult:
    """Embed the corpus with the configured model and replace the index; texts embedded by an
    earlier build with the same model are reused from the embedding store.

    One build of an index runs at a time: a second waits for the first (telling `on_wait`),
    then reads the corpus as it is by then, so the last build to finish has every change.

    Raises:
        CorpusError: a document cannot be read (the index is left as it was).
    """
    settings.index_path.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(settings.index_path).hold(on_wait=on_wait):
        corpus = CorpusStore(settings.data).load(on_wait=on_wait)
        aside = set_aside_if_damaged(settings.index_path)
        if aside is not None:
            log.warning("the index build was damaged; set aside at %s", aside)
        if settings.model == BUILTIN_MODEL:
            # The sentence-transformers export is made at set-up whichever backend embeds, so
            # that switching CASESEARCH_BACKEND needs no further step.
            prepare_builtin_model(settings.home, progress)
        # A build is its own process: it may use every core. It embeds with the model tuned
        # for the corpus when there is one (for a changed corpus, the last one tuned).
        tuned = tuned_for_build(settings)
        embedder, second = load_embedders(settings, threads=settings.threads or os.cpu_count(),
                                          tuned=tuned)
        trainer = build_ann
        if settings.cluster:
            embedder, second, trainer = on_cluster(settings, tuned, embedder, second)
        store = EmbeddingStore(settings.home / "embeddings.sqlite")
        try:
            embedder = StoredPassageEmbedder(embedder, store)
            second = StoredPassageEmbedder(second, store) if second else None
            manifest = build_index(corpus, embedder, settings.index_path, second=second,
                                   index_type=settings.index_type, progress=progress,
                                   trainer=trainer)
        finally:
            store.close()
    embedded = embedder.embedded + (second.embedded if second else 0)
    reused = embedder.reused + (second.reused if second else 0)
    log.info("indexed %d cases with %s in %.1f s: embedded %d texts, reused %d",
             manifest.count, manifest.model_id, manifest.build_seconds, embedded, reused)
    return BuildResult(manifest, embedded, reused, aside)
