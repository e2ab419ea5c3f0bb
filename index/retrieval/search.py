"""Retrieval over a loaded index: questions → ranked cases, and cases → analogous cases.

Three modes: `dense` (embedding cosine), `lexical` (BM25 over jieba terms) and `hybrid` (both,
fused; the default). A city named in a question (`青岛`, `Qingdao`) puts that city's relevant
cases first. Each hit carries a snippet: the sentence that answers, with matched terms marked.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import faiss
import numpy as np

from corpus.models import Case
from index.artifact.ann import search_parameters
from index.artifact.store import CaseIndex
from index.errors import InvalidRequestError, UnknownCaseError
from index.figures import FigureGroup, FigureTable
from index.models.embedders import Embedder
from index.retrieval.cities import CityMatcher
from index.retrieval.everyday import official_terms
from index.retrieval.fusion import FusionConfig, fuse, maxnorm
from index.retrieval.glosses import english_words, gloss_index, gloss_words
from index.retrieval.in_flight import SEARCHES
from index.retrieval.lexical import BM25Index, tokenize, written_in_han
from index.retrieval.limits import (
    check_k,
    check_level,
    check_mode,
    check_offset,
    check_question,
)
from index.retrieval.match import level_at_least, match_models
from index.retrieval.snippets import choose_span, mark_terms, markable

SECOND_FOR = ("cross-lingual", "always")
DENSE_ONLY = FusionConfig(weights={"dense": 1.0})


@dataclass(frozen=True)
class SearchConfig:
    """Retrieval settings; the defaults are the ones chosen by `casesearch eval` (QUALITY.md)."""

    mode: str = "hybrid"
    fusion: FusionConfig = field(default_factory=FusionConfig)
    candidates: int = 200  # per signal, before fusion; all cases when the corpus is smaller
    city_promote_ratio: float = 0.3  # a named city's case goes first if its score ≥ this × top
    snippet_term_weight: float = 0.2  # sentence choice: cosine + this × share of query terms
    # Case → case: the second embedder weighs more, and BM25 asks with the case's key terms.
    similar_fusion: FusionConfig = field(default_factory=lambda: FusionConfig(
        weights={"dense": 0.4, "second": 0.4, "lexical": 0.2}))
    similar_terms: int = 15  # 0: all of the case's terms
    # When a question asks the second embedder too: "cross-lingual" (only a question written in
    # another script than the corpus: an English question over Chinese cases, where it adds
    # 0.10 nDCG; on questions in the corpus's language it adds nothing and costs ~2 ms), or
    # "always".
    second_for: str = "cross-lingual"
    # English questions over Chinese cases: BM25 over the cases' dictionary glosses
    # (index.retrieval.glosses) is their lexical signal.
    glosses: bool = True
    # Everyday words bring the official terms they stand for (index.retrieval.everyday) into
    # the question's BM25 terms.
    everyday: bool = True


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
        """The API's result object."""
        case = self.case
        return {"id": case.id, "city": case.city, "seq": case.seq, "text": case.text,
                "score": round(float(self.score), 4), "match": self.match,
                "snippet": self.snippet, "year": case.year, "province": case.province}


@dataclass(frozen=True)
class _Ranking:
    rows: np.ndarray
    scores: np.ndarray
    signals: dict[str, np.ndarray] = field(default_factory=dict)  # raw, aligned with rows

    def signal(self, name: str, position: int) -> float:
        values = self.signals.get(name)
        return float(values[position]) if values is not None else 0.0

    def reordered(self, order: np.ndarray) -> _Ranking:
        """The same ranking with its rows (and their scores and signals) in `order`."""
        return _Ranking(self.rows[order], self.scores[order],
                        {name: values[order] for name, values in self.signals.items()})


@dataclass(frozen=True)
class _Probe:
    """What a ranking compares the cases with: vectors in each space, terms for BM25, and
    English words for the cases' English glosses (a question in another script)."""

    vector: np.ndarray | None
    second: np.ndarray | None
    terms: list[str]
    glosses: list[str] = field(default_factory=list)


_faiss_threads = threading.local()


def _one_faiss_thread() -> None:
    """Search one query on the calling thread. FAISS's OpenMP setting belongs to each thread,
    and a team formed for a large flat index would keep busy-waiting against the embedder
    after the search; a single query is cheap enough not to share out (docs/PERFORMANCE.md)."""
    if not getattr(_faiss_threads, "set", False):
        faiss.omp_set_num_threads(1)
        _faiss_threads.set = True


def top_k(index: faiss.Index, vector: np.ndarray, k: int,
          allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(row, score) of the k nearest rows by inner product, optionally only among `allowed`."""
    params = None
    if allowed is not None:
        if allowed.size == 0:
            return []
        k = min(k, int(allowed.size))
        params = search_parameters(index, faiss.IDSelectorBatch(allowed.astype(np.int64)))
    k = min(k, index.ntotal)
    if k <= 0:
        return []
    _one_faiss_thread()
    scores, rows = index.search(vector.reshape(1, -1).astype(np.float32), k, params=params)
    return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


class SearchEngine:
    """Questions and cases in, ranked `Hit`s out; one per index and embedder."""

    def __init__(self, index: CaseIndex, embedder: Embedder,
                 config: SearchConfig | None = None, second: Embedder | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.config = config or SearchConfig()
        # The second embedder takes part only when the index holds its vectors; it is kept
        # either way, for an engine over the next build (`second_embedder`).
        self.second_embedder = second
        self.second = second if index.second_index is not None else None
        # Told how long each stage of a search took (the service records it as a metric).
        self.on_stage: Callable[[str, float], None] | None = None
        check_mode(self.config.mode)
        self.rows = {case.id: row for row, case in enumerate(index.cases)}
        self.city_counts = Counter(case.city for case in index.cases)
        self.city_of_row = np.array([case.city for case in index.cases], dtype=object)
        self.year_of_row = np.array([case.year for case in index.cases], dtype=np.int64)
        self.province_of_row = np.array([case.province for case in index.cases], dtype=object)
        self.lexical = BM25Index.from_texts(case.text for case in index.cases)
        self.city_matcher = CityMatcher(self.city_counts)
        if self.config.second_for not in SECOND_FOR:
            raise ValueError(f"second_for must be one of {SECOND_FOR}")
        self.corpus_in_han = written_in_han(" ".join(case.text for case in index.cases[:1000]))
        self.glosses = (gloss_index(self.lexical.document_terms)
                        if self.config.glosses and self.corpus_in_han else None)
        self.terms_glossed_as: dict[str, list[str]] = {}  # English word → Chinese terms
        if self.glosses is not None:
            for term in self.lexical.vocabulary:
                for word in gloss_words(term):
                    self.terms_glossed_as.setdefault(word, []).append(term)

    def reconfigured(self, config: SearchConfig | None = None,
                     embedder: Embedder | None = None, second: bool = True) -> SearchEngine:
        """An engine over the same index with other settings, another query embedder, or
        (`second=False`) without the second embedder: what evaluations compare."""
        return SearchEngine(self.index, embedder or self.embedder, config or self.config,
                            second=self.second_embedder if second else None)

    def _asks_second(self, question: str) -> bool:
        """Whether a question is embedded by the second embedder too (SearchConfig.second_for)."""
        return self.config.second_for == "always" or (
            written_in_han(question) != self.corpus_in_han)

    @property
    def cases(self) -> tuple[Case, ...]:
        return self.index.cases

    def cities(self) -> list[tuple[str, int]]:
        """Each city with its number of cases, in document order."""
        return list(self.city_counts.items())

    def facets(self) -> dict[str, list]:
        """The years and provinces the corpus covers, in first-seen order."""
        return {"years": list(dict.fromkeys(self.year_of_row.tolist())),
                "provinces": list(dict.fromkeys(self.province_of_row.tolist()))}

    def case(self, case_id: str) -> Case:
        """The case with this id; `UnknownCaseError` if there is none."""
        row = self.rows.get(case_id)
        if row is None:
            raise UnknownCaseError(case_id)
        return self.index.cases[row]

    # -- ranking -----------------------------------------------------------------------------

    def _allowed_rows(self, cities: Sequence[str] | None = None,
                      years: Sequence[int] | None = None,
                      provinces: Sequence[str] | None = None) -> np.ndarray | None:
        """Rows passing every given filter (None: no filter); unknown values are refused."""
        mask = None
        for name, wanted, column in (("cities", cities, self.city_of_row),
                                     ("years", years, self.year_of_row),
                                     ("provinces", provinces, self.province_of_row)):
            if not wanted:
                continue
            known = list(dict.fromkeys(column.tolist()))
            unknown = sorted(set(wanted) - set(known), key=str)
            if unknown:
                raise InvalidRequestError(f"unknown {name} {unknown}; known {name}: "
                                          f"{', '.join(map(str, known))}")
            passing = np.isin(column, list(wanted))
            mask = passing if mask is None else mask & passing
        return None if mask is None else np.flatnonzero(mask)

    def _rank(self, probe: _Probe, allowed: np.ndarray | None, mode: str,
              fusion: FusionConfig | None = None) -> _Ranking:
        """Candidates from each signal, fused into one descending ranking."""
        n = len(self.index.cases)
        limit = min(n, max(self.config.candidates, 1))
        lexical = (self.lexical.term_scores(probe.terms) if mode != "dense"
                   else np.zeros(n, np.float32))
        if probe.glosses and mode != "dense" and self.glosses is not None:
            lexical = lexical + self.glosses.term_scores(probe.glosses)
        if allowed is not None:
            lexical = np.where(np.isin(np.arange(n), allowed), lexical, 0.0)
        lexical_rows = np.argsort(-lexical, kind="stable")[:limit]
        candidates = set(lexical_rows[lexical[lexical_rows] > 0].tolist())
        if mode == "lexical":
            rows = np.array(sorted(candidates), np.int64)
            return self._order(rows, maxnorm(lexical[rows]), {"lexical": lexical[rows]})
        candidates |= {row for row, _ in top_k(self.index.faiss_index, probe.vector, limit,
                                               allowed)}
        use_second = mode == "hybrid" and probe.second is not None
        if use_second:
            candidates |= {row for row, _ in top_k(self.index.second_index, probe.second,
                                                   limit, allowed)}
        rows = np.array(sorted(candidates), np.int64)
        signals = {"dense": self.index.case_vectors(rows) @ probe.vector}
        # How far a case stands out from the other candidates: small for every case when the
        # corpus holds no answer (the match levels read it).
        standing = {"dense_gap": signals["dense"] - float(np.median(signals["dense"]))}
        if mode == "dense":
            return self._order(rows, fuse(signals, DENSE_ONLY), {**signals, **standing})
        if use_second:
            signals["second"] = self.index.second_vectors(rows) @ probe.second
        signals["lexical"] = lexical[rows]
        return self._order(rows, fuse(signals, fusion or self.config.fusion),
                           {**signals, **standing})

    def _gloss_words(self, words: list[str], question: str) -> list[str]:
        """A cross-lingual question's English words that some case's glosses contain."""
        if self.glosses is None or written_in_han(question) == self.corpus_in_han:
            return []
        return [w for w in words if w in self.glosses.vocabulary]

    def _glossed_terms(self, words: list[str]) -> list[str]:
        """The corpus's Chinese terms whose glosses hold these words (to mark in snippets)."""
        return list(dict.fromkeys(term for word in words
                                  for term in self.terms_glossed_as.get(word, ())))

    @staticmethod
    def _order(rows: np.ndarray, scores: np.ndarray,
               signals: dict[str, np.ndarray] | None = None) -> _Ranking:
        return _Ranking(rows, scores, signals or {}).reordered(np.argsort(-scores, kind="stable"))

    def _promote_cities(self, ranking: _Ranking, cities: Sequence[str],
                        ratio: float) -> _Ranking:
        """Move the named cities' cases scoring at least `ratio` × the top one to the front."""
        if not cities or ranking.rows.size == 0:
            return ranking
        in_city = np.isin(self.city_of_row[ranking.rows], list(cities))
        relevant = in_city & (ranking.scores >= ratio * ranking.scores[0])
        return ranking.reordered(np.concatenate([np.flatnonzero(relevant),
                                                 np.flatnonzero(~relevant)]))

    def _hits(self, ranking: _Ranking, k: int, vector: np.ndarray | None,
              terms: list[str] | None, kind: str, cross_lingual: bool = False,
              source_terms: set[str] | None = None, glosses: list[str] | None = None,
              words: list[str] | None = None, offset: int = 0) -> list[Hit]:
        """k hits of a ranking from `offset` on, each with its snippet and its match level."""
        model = match_models()[kind]
        hits = []
        for position in range(offset, min(offset + k, ranking.rows.size)):
            row = int(ranking.rows[position])
            marked = terms if source_terms is None else self._shared_terms(source_terms, row)
            hit = self._hit(row, float(ranking.scores[position]), vector, marked)
            features = {"dense": ranking.signal("dense", position),
                        "dense_gap": ranking.signal("dense_gap", position),
                        "second": ranking.signal("second", position),
                        "coverage": self._coverage(row, words or terms or [],
                                                   bool(glosses)),
                        "score": float(ranking.scores[position]),
                        "cross_lingual": float(cross_lingual)}
            hits.append(replace(hit, match=model.level(features), features=features))
        return hits

    def _coverage(self, row: int, words: list[str], cross_lingual: bool) -> float:
        """How much of the question the case holds: the share of its words' weight (BM25's
        idf; a word the corpus never uses weighs most) found in the case's terms, or for a
        question in another script, among the case's English glosses."""
        if not words:
            return 0.0
        index = self.glosses if cross_lingual and self.glosses is not None else self.lexical
        held = set(index.document_terms[row])
        top = float(index.idf.max()) if index.idf.size else 1.0
        weights = [float(index.idf[index.vocabulary[w]]) if w in index.vocabulary else top
                   for w in words]
        stands_for = (official_terms if not cross_lingual and self.config.everyday
                      else lambda word: ())  # a word counts if an official term of it is held
        found = [word in held or any(term in held for term in stands_for(word))
                 for word in words]
        return sum(w for w, hit in zip(weights, found, strict=True) if hit) / (sum(weights) or 1.0)

    def _hit(self, row: int, score: float, vector: np.ndarray | None, terms: list[str]) -> Hit:
        case = self.index.cases[row]
        spans, vectors = self.index.sentences_of(row)
        term_share = np.array([
            sum(term in case.text[a:b] for term in terms) / max(len(terms), 1) for a, b in spans])
        cosine = vectors @ vector if vector is not None else np.zeros(len(spans))
        start, end = choose_span(spans, cosine + self.config.snippet_term_weight * term_share,
                                 case.text)
        sentence = case.text[start:end]
        start += len(sentence) - len(sentence.lstrip())
        end -= len(sentence) - len(sentence.rstrip())
        return Hit(case, score, mark_terms(case.text[start:end], terms), (start, end))

    # -- public ------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, cities: Sequence[str] | None = None,
               mode: str | None = None, years: Sequence[int] | None = None,
               provinces: Sequence[str] | None = None, min_match: str = "weak",
               offset: int = 0) -> list[Hit]:
        """The k cases that best answer a question, best first.

        Args:
            query: a question or keywords, Chinese or English; a city named in it ranks that
                city's relevant cases first.
            k: how many results, 1..MAX_K.
            cities: if given, only cases of these cities.
            mode: "hybrid" (default), "dense" or "lexical".
            years, provinces: if given, only cases of these years / provinces.
            min_match: leave out hits below this level (`weak`: none left out).
            offset: skip the first `offset` results (the next page); offset + k ≤ MAX_DEPTH.

        Raises:
            InvalidRequestError: an empty query, k out of range, an unknown filter value or mode.
        """
        with SEARCHES:
            return self._search(query, k, cities, mode, years, provinces, min_match, offset)

    def search_batch(self, queries: Sequence[str], k: int = 10,
                     cities: Sequence[str] | None = None, mode: str | None = None,
                     years: Sequence[int] | None = None,
                     provinces: Sequence[str] | None = None,
                     min_match: str = "weak") -> list[list[Hit]]:
        """`search` for several questions with the same filters, their embeddings computed in
        one call per embedder (cheaper per question than one call each)."""
        mode = mode or self.config.mode
        check_mode(mode)
        topics = [self._topic(check_question(query))[0] for query in queries]
        vectors: list = [None] * len(topics)
        seconds: list = [None] * len(topics)
        with SEARCHES:
            if mode != "lexical" and topics:
                vectors = list(self.embedder.embed_batch(topics, "query"))
            wanted = [i for i, t in enumerate(topics) if self.second and mode == "hybrid"
                      and self._asks_second(t)]
            if wanted:
                for i, vector in zip(wanted, self.second.embed_batch(
                        [topics[i] for i in wanted], "query"), strict=True):
                    seconds[i] = vector
            return [self._search(query, k, cities, mode, years, provinces, min_match, 0,
                                 (vector, second))
                    for query, vector, second in zip(queries, vectors, seconds, strict=True)]

    def _topic(self, query: str) -> tuple[str, tuple[str, ...], bool]:
        """What a question asks about (a named city taken out), the cities it names, and
        whether it is only a city's name (then it lists that city's cases)."""
        mention = self.city_matcher.find(query)
        bare_city = bool(mention.cities) and not tokenize(mention.remainder)
        return (query if bare_city else mention.remainder), mention.cities, bare_city

    def _search(self, query: str, k: int, cities: Sequence[str] | None, mode: str | None,
                years: Sequence[int] | None, provinces: Sequence[str] | None,
                min_match: str, offset: int, embedded: tuple | None = None) -> list[Hit]:
        query = check_question(query)
        check_k(k)
        check_offset(offset, k)
        check_level(min_match)
        mode = mode or self.config.mode
        check_mode(mode)
        allowed = self._allowed_rows(cities, years, provinces)
        # Rank by what is asked about the city; a bare city name ("青岛") lists all its cases.
        topic, named_cities, bare_city = self._topic(query)
        # BM25 also asks for the official terms of the question's everyday words (embedding
        # them too gained little and made every such query's embedding longer: QUALITY.md).
        official = " ".join(official_terms(topic)) if self.config.everyday else ""
        started = time.perf_counter()
        vector, second = embedded or (
            self.embedder.embed_query(topic) if mode != "lexical" else None,
            self.second.embed_query(topic)
            if self.second and mode == "hybrid" and self._asks_second(topic) else None)
        embedded_at = time.perf_counter()
        asked = tokenize(topic)  # segmented once: BM25's terms and the match level's words
        english = list(dict.fromkeys(english_words(topic)))
        probe = _Probe(
            vector=vector, second=second,
            terms=[term for term in dict.fromkeys(asked + tokenize(official))
                   if term in self.lexical.vocabulary],
            glosses=self._gloss_words(english, topic))
        ratio = 0.0 if bare_city else self.config.city_promote_ratio
        ranking = self._promote_cities(self._rank(probe, allowed, mode), named_cities, ratio)
        ranked_at = time.perf_counter()
        terms = markable(probe.terms or self._glossed_terms(probe.glosses))
        words = english if probe.glosses else asked
        hits = self._hits(ranking, k, probe.vector, terms, "search",
                          cross_lingual=bool(probe.glosses) or probe.second is not None,
                          glosses=probe.glosses, words=list(dict.fromkeys(words)),
                          offset=offset)
        if self.on_stage is not None:
            self.on_stage("embedding", embedded_at - started)
            self.on_stage("ranking", ranked_at - embedded_at)  # BM25, ANN, fusion
            self.on_stage("snippets", time.perf_counter() - ranked_at)  # and match levels
        return [hit for hit in hits if level_at_least(hit.match, min_match)]

    def similar(self, case_id: str, k: int = 10, same_city: bool = False,
                mode: str | None = None, min_match: str = "weak") -> list[Hit]:
        """Cases most like the given one, never itself; other cities only unless `same_city`;
        none below `min_match`.

        Raises:
            UnknownCaseError: no case has this id.
            InvalidRequestError: k or mode out of range.
        """
        source = self.case(case_id)
        check_k(k)
        check_level(min_match)
        mode = mode or self.config.mode
        check_mode(mode)
        source_row = self.rows[case_id]
        keep = np.ones(len(self.index.cases), bool) if same_city else (
            self.city_of_row != source.city)
        keep[source_row] = False
        source_rows = np.array([source_row])
        second = (self.index.second_vectors(source_rows)[0]
                  if self.second is not None and mode == "hybrid" else None)
        source_terms = self.lexical.document_terms[source_row]
        terms = (self.lexical.key_terms(source_row, self.config.similar_terms)
                 if self.config.similar_terms else source_terms)
        probe = _Probe(self.index.case_vectors(source_rows)[0], second, terms)
        vector = probe.vector
        ranking = self._rank(probe, np.flatnonzero(keep), mode, self.config.similar_fusion)
        hits = self._hits(ranking, k, vector, terms, "similar", source_terms=set(source_terms))
        return [hit for hit in hits if level_at_least(hit.match, min_match)]

    # -- figures -----------------------------------------------------------------------------

    @property
    def figures(self) -> FigureTable:
        """The cases' figures and their groups across cities (index.figures)."""
        return self.index.figures or FigureTable.empty(self.embedder.dimension)

    def figure_groups(self, metric: str, limit: int = 5) -> list[tuple[FigureGroup, float]]:
        """The figure groups nearest a free-text metric (`学前教育普及`, `new school places`),
        best first, each with its similarity.

        Raises:
            InvalidRequestError: the metric is empty or has no words.
        """
        metric = check_question(metric, "metric", "name a measure to compare, e.g. 新增学位")
        table = self.figures
        if not table.groups:
            return []
        return table.nearest(metric, self.embedder.embed_query(metric), limit)

    def _shared_terms(self, source_terms: set[str], row: int, limit: int = 6) -> list[str]:
        """The rarest terms two cases share: what a reader sees as "why these are alike"."""
        shared = [t for t in markable(self.lexical.document_terms[row]) if t in source_terms]
        shared.sort(key=lambda term: -self.lexical.idf[self.lexical.vocabulary[term]])
        return shared[:limit]
