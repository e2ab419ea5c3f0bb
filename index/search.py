"""Retrieval over a loaded index: questions → ranked cases, and cases → analogous cases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import faiss
import numpy as np

from corpus.models import Case
from index.embedders import Embedder
from index.errors import InvalidRequestError, UnknownCaseError
from index.store import CaseIndex

MAX_K = 50


@dataclass(frozen=True)
class Hit:
    """One result: the case, its cosine similarity and the sentence that matches best."""

    case: Case
    score: float
    snippet: str

    def to_dict(self) -> dict:
        """The API's result object."""
        case = self.case
        return {"id": case.id, "city": case.city, "seq": case.seq, "text": case.text,
                "score": round(self.score, 4), "snippet": self.snippet}


def top_k(index: faiss.Index, vector: np.ndarray, k: int,
          allowed: Iterable[int] | None = None) -> list[tuple[int, float]]:
    """(row, score) of the k nearest rows by inner product, optionally only among `allowed`."""
    params = None
    if allowed is not None:
        rows = np.fromiter(allowed, dtype=np.int64)
        if rows.size == 0:
            return []
        k = min(k, int(rows.size))
        params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(rows))
    k = min(k, index.ntotal)
    if k <= 0:
        return []
    scores, rows = index.search(vector.reshape(1, -1).astype(np.float32), k, params=params)
    return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


def best_sentence(text: str, spans: Sequence[tuple[int, int]], vectors: np.ndarray,
                  target: np.ndarray) -> str:
    """The sentence of `text` whose vector is closest to `target`."""
    if len(spans) <= 1:
        return text.strip()
    start, end = spans[int(np.argmax(vectors @ target))]
    return text[start:end].strip()


class SearchEngine:
    """Questions and cases in, ranked `Hit`s out; one per index and embedder."""

    def __init__(self, index: CaseIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.rows = {case.id: row for row, case in enumerate(index.cases)}
        self.city_counts = Counter(case.city for case in index.cases)

    @property
    def cases(self) -> tuple[Case, ...]:
        return self.index.cases

    def cities(self) -> list[tuple[str, int]]:
        """Each city with its number of cases, in document order."""
        return list(self.city_counts.items())

    def case(self, case_id: str) -> Case:
        """The case with this id; `UnknownCaseError` if there is none."""
        row = self.rows.get(case_id)
        if row is None:
            raise UnknownCaseError(case_id)
        return self.index.cases[row]

    def _hit(self, row: int, score: float, target: np.ndarray) -> Hit:
        case = self.index.cases[row]
        spans, vectors = self.index.sentences_of(row)
        return Hit(case, score, best_sentence(case.text, spans, vectors, target))

    def _rows_in(self, cities: Sequence[str]) -> list[int]:
        unknown = sorted(set(cities) - set(self.city_counts))
        if unknown:
            raise InvalidRequestError(f"unknown cities {unknown}; known cities: "
                                      f"{', '.join(self.city_counts)}")
        wanted = set(cities)
        return [row for row, case in enumerate(self.index.cases) if case.city in wanted]

    def search(self, query: str, k: int = 10, cities: Sequence[str] | None = None) -> list[Hit]:
        """The k cases most similar to a question, best first.

        Args:
            query: a question or keywords, in any language the model reads.
            k: how many results, 1..MAX_K.
            cities: if given, only cases of these cities.

        Raises:
            InvalidRequestError: an empty query, k out of range, or an unknown city.
        """
        query = query.strip()
        if not query:
            raise InvalidRequestError("the query is empty; ask a question or give keywords")
        check_k(k)
        allowed = self._rows_in(cities) if cities else None
        vector = self.embedder.embed_query(query)
        return [self._hit(row, score, vector)
                for row, score in top_k(self.index.faiss_index, vector, k, allowed)]

    def similar(self, case_id: str, k: int = 10, same_city: bool = False) -> list[Hit]:
        """Cases most like the given one, never itself; other cities only unless `same_city`.

        Raises:
            UnknownCaseError: no case has this id.
            InvalidRequestError: k out of range.
        """
        source = self.case(case_id)
        check_k(k)
        source_row = self.rows[case_id]
        allowed = [row for row, case in enumerate(self.index.cases)
                   if row != source_row and (same_city or case.city != source.city)]
        vector = self.index.case_vector(source_row)
        return [self._hit(row, score, vector)
                for row, score in top_k(self.index.faiss_index, vector, k, allowed)]


def check_k(k: int) -> None:
    """Reject a result count outside 1..MAX_K."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidRequestError(f"k must be an integer from 1 to {MAX_K}; got {k!r}")
