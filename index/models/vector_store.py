"""Passage vectors kept on disk, so a rebuild embeds only new or changed text.

Keyed by (model id, sha256 of the text): a case whose text did not change is never embedded
twice by the same model, whichever document or position it moves to.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.models.embedders import Embedder, Kind, WrappingEmbedder
from index.progress import Progress

log = logging.getLogger(__name__)


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingStore:
    """A SQLite table of float32 vectors by (model id, text sha256).

    It is only a cache: a damaged file is set aside (`embeddings.sqlite.damaged-<time>`) and a
    fresh one started, at the cost of embedding everything once more."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.set_aside: Path | None = None
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            self.set_aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
            self.path.rename(self.set_aside)
            log.warning("%s is damaged (%s); set aside at %s, starting afresh", self.path, exc,
                        self.set_aside)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), check_same_thread=False)
        try:
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            with db:
                db.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT, sha TEXT, "
                           "vector BLOB, PRIMARY KEY (model, sha))")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start:start + 500])
                rows = self._db.execute(
                    f"SELECT sha, vector FROM vectors WHERE model = ? AND sha IN "
                    f"({','.join('?' * len(chunk))})", [model, *chunk])
                found.update({sha: np.frombuffer(blob, np.float32) for sha, blob in rows})
        return found

    def put_many(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                [(model, sha, np.asarray(v, np.float32).tobytes()) for sha, v in vectors.items()])

    def close(self) -> None:
        self._db.close()


class StoredPassageEmbedder(WrappingEmbedder):
    """An embedder whose passage vectors come from an `EmbeddingStore` when it has them, and
    so do the short texts a build embeds as queries (the figures' metric phrases, kept apart
    under `<model>#query`); `embedded` and `reused` count what a build actually computed."""

    def __init__(self, inner: Embedder, store: EmbeddingStore) -> None:
        super().__init__(inner)
        self.store = store
        self.embedded = self.reused = 0

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if kind != "query":
            return self.inner.embed_batch(texts, kind)
        return self._stored(texts, f"{self.model_id}#query",
                            lambda missing: self.inner.embed_batch(missing, "query"))

    def embed_passages(self, texts: Sequence[str], batch_size: int = 32, *,
                       progress: Progress | None = None, stage: str = "embedding") -> np.ndarray:
        return self._stored(texts, self.passage_model_id, lambda missing: self.inner.embed_passages(
            missing, batch_size, progress=progress,
            stage=f"{stage} ({len(texts) - len(missing)} reused)"))

    def _stored(self, texts: Sequence[str], model: str,
                compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Vectors of `texts` from the store under `model`, the missing ones computed once."""
        keys = [text_key(text) for text in texts]
        known = self.store.get_many(model, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True)
                                     if k not in known))
        if missing:
            new = {text_key(t): v for t, v in zip(missing, compute(missing), strict=True)}
            self.store.put_many(model, new)
            known.update(new)
        self.embedded += len(missing)
        self.reused += len(texts) - len(missing)
        if not texts:
            return np.zeros((0, self.dimension), np.float32)
        return np.vstack([known[key] for key in keys]).astype(np.float32)
