"""From a ranking to what a reader sees: each `Hit` with the sentence that answers (matched
terms marked) and its match level, for the page of results a `Query` asks for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from corpus.models import Case
from index.artifact.store import CaseIndex
from index.models.embedders import model_family
from index.retrieval.everyday import official_terms
from index.retrieval.lexical import BM25Index
from index.retrieval.match import level_at_least, match_kind, match_models
from index.retrieval.query import Query
from index.retrieval.ranking import Ranking
from index.retrieval.snippets import choose_span, mark_terms, markable

# A result's fields, in order: a case's, or the hit's own (score, match, snippet). Every
# interface's result — the JSON, OpenAPI, MCP's output schema, the CSV header — is made from
# this one list (service.records.Result): a field is added to results here, once. Fields added
# later go at the end, so that a spreadsheet's columns keep their places.
QUESTION_DEPTH = 10  # the hits whose best signals say how well the corpus answers a question
QUESTION_SIGNALS = ("dense", "sentence", "dense_gap", "coverage", "second", "score")
RESULT_FIELDS = ("id", "city", "seq", "year", "province", "score", "match", "text", "snippet",
                 "case_title", "place_level", "places")


@dataclass(frozen=True)
class Hit:
    """One result: the case, its relevance score, and the sentence that answers."""

    case: Case
    score: float
    snippet: str  # the answering sentence, HTML-escaped, matched terms in <mark>
    span: tuple[int, int]  # where that sentence is in case.text
    match: str = "weak"  # strong | partial | weak (index.retrieval.match)
    features: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict:
        """The API's result object: RESULT_FIELDS, from the hit or else from its case."""
        own = {"score": round(float(self.score), 4), "match": self.match,
               "snippet": self.snippet, "places": list(self.case.places)}
        return {name: own[name] if name in own else getattr(self.case, name)
                for name in RESULT_FIELDS}


class HitBuilder:
    """Builds the hits of a ranking for one index: snippets, coverage and match levels."""

    def __init__(self, index: CaseIndex, lexical: BM25Index, glosses: BM25Index | None,
                 snippet_term_weight: float = 0.2, everyday: bool = True) -> None:
        self.index = index
        self.lexical = lexical
        self.glosses = glosses
        self.snippet_term_weight = snippet_term_weight  # sentence: cosine + this × term share
        self.everyday = everyday

    def hits(self, ranking: Ranking, query: Query) -> list[Hit]:
        """The query's page of the ranking (k from its offset on), without the hits below
        its `min_match`."""
        models = match_models(model_family(self.index.manifest.model_id))
        model = models[match_kind(query.source_row is not None, query.cross_lingual)]
        shared_with = (None if query.source_row is None
                       else set(self.lexical.document_terms[query.source_row]))
        features = self.features(ranking, query)
        hits = []
        for position in range(query.offset, min(query.offset + query.k, ranking.rows.size)):
            row = int(ranking.rows[position])
            marked = (list(query.marked) if shared_with is None
                      else self.shared_terms(shared_with, row))
            hit = self.hit(row, float(ranking.scores[position]), query.vector, marked)
            read = features(position)
            hits.append(replace(hit, match=model.level(read), features=read))
        return [hit for hit in hits if level_at_least(hit.match, query.min_match)]

    def features(self, ranking: Ranking, query: Query) -> Callable[[int], dict[str, float]]:
        """What the match models read of the hit at a position (index.retrieval.match.FEATURES):
        its own signals, and the best of each over the first QUESTION_DEPTH hits — how well
        anything in the corpus answers the question, whatever page is asked for."""
        words, cross = list(query.words), bool(query.glosses)
        unknown = self.unknown_share(words, cross)

        def own(position: int) -> dict[str, float]:
            row = int(ranking.rows[position])
            return {"dense": ranking.signal("dense", position),
                    "dense_gap": ranking.signal("dense_gap", position),
                    "second": ranking.signal("second", position),
                    "coverage": self.coverage(row, words, cross),
                    "score": float(ranking.scores[position]),
                    "sentence": self.best_sentence(row, query.vector)}

        first = [own(p) for p in range(min(QUESTION_DEPTH, ranking.rows.size))]
        best = {f"q_{name}": max((f[name] for f in first), default=0.0)
                for name in QUESTION_SIGNALS}

        def read(position: int) -> dict[str, float]:
            signals = first[position] if position < len(first) else own(position)
            return {**signals, **best, "unknown": unknown, "top": float(position == 0),
                    "rank": float(min(position, 5))}

        return read

    def unknown_share(self, words: list[str], cross_lingual: bool) -> float:
        """The share of the question's weight (as `coverage` weighs it) in words that no case
        holds, itself or as an official term its everyday word stands for: how much of what
        was asked the corpus does not speak of at all."""
        index, top = self._terms_index(cross_lingual)
        total = lost = 0.0
        for word in dict.fromkeys(words):
            terms = [word, *self._stands_for(word, cross_lingual)]
            known = [float(index.idf[index.vocabulary[t]]) for t in terms
                     if t in index.vocabulary]
            weight = min(known) if known else top
            total += weight
            lost += 0.0 if known else weight
        return lost / total if total else 0.0

    def _terms_index(self, cross_lingual: bool) -> tuple[BM25Index, float]:
        """The terms a question's words are looked up among (the cases' own, or for a question
        in another script their English glosses), and the largest weight a word can have (a
        word the corpus never uses weighs most)."""
        index = self.glosses if cross_lingual and self.glosses is not None else self.lexical
        return index, float(index.idf.max()) if index.idf.size else 1.0

    def _stands_for(self, word: str, cross_lingual: bool) -> tuple[str, ...]:
        """The official terms an everyday word stands for (none across scripts)."""
        return official_terms(word) if not cross_lingual and self.everyday else ()

    def best_sentence(self, row: int, vector: np.ndarray | None) -> float:
        """The cosine of the case's sentence nearest the question (0 without a vector)."""
        if vector is None:
            return 0.0
        _, vectors = self.index.sentences_of(row)
        return float((vectors @ vector).max()) if len(vectors) else 0.0

    def coverage(self, row: int, words: list[str], cross_lingual: bool) -> float:
        """How much of the question the case holds: the share of its words' weight (BM25's
        idf; a word the corpus never uses weighs most) found in the case's terms, or for a
        question in another script, among the case's English glosses."""
        if not words:
            return 0.0
        index, top = self._terms_index(cross_lingual)
        held = set(index.document_terms[row])
        weights = [float(index.idf[index.vocabulary[w]]) if w in index.vocabulary else top
                   for w in words]
        # a word counts if an official term it stands for is held
        found = [word in held or any(term in held
                                     for term in self._stands_for(word, cross_lingual))
                 for word in words]
        return sum(w for w, hit in zip(weights, found, strict=True) if hit) / (sum(weights) or 1.0)

    def hit(self, row: int, score: float, vector: np.ndarray | None,
            terms: list[str]) -> Hit:
        """The case of a row with the sentence that best answers: nearest the query vector,
        helped by the share of `terms` it holds, which are marked."""
        case = self.index.cases[row]
        spans, vectors = self.index.sentences_of(row)
        term_share = np.array([
            sum(term in case.text[a:b] for term in terms) / max(len(terms), 1) for a, b in spans])
        cosine = vectors @ vector if vector is not None else np.zeros(len(spans))
        start, end = choose_span(spans, cosine + self.snippet_term_weight * term_share,
                                 case.text)
        sentence = case.text[start:end]
        start += len(sentence) - len(sentence.lstrip())
        end -= len(sentence) - len(sentence.rstrip())
        return Hit(case, score, mark_terms(case.text[start:end], terms), (start, end))

    def shared_terms(self, source_terms: set[str], row: int, limit: int = 6) -> list[str]:
        """The rarest terms two cases share: what a reader sees as "why these are alike"."""
        shared = [t for t in markable(self.lexical.document_terms[row]) if t in source_terms]
        shared.sort(key=lambda term: -self.lexical.idf[self.lexical.vocabulary[term]])
        return shared[:limit]
