"""Retrieval over a loaded index: questions → ranked cases, and cases → analogous cases.

Three modes: `dense` (embedding cosine), `lexical` (BM25 over jieba terms) and `hybrid` (both,
fused; the default). A place named in a question (`青岛`, `Qingdao`, `崂山区`, `山东`) puts
its relevant cases first, at any level (青岛 brings 青岛市's and its districts'). Each hit
carries a snippet: the sentence that answers, with matched terms marked. Similar practices
come from other places at the source case's level (a district's from other districts and
counties).

A search is read once into a `Query` (index.retrieval.query), embedded, ranked by the `Ranker`
(index.retrieval.ranking) and turned into `Hit`s by the `HitBuilder` (index.retrieval.hits);
`SearchEngine` checks the arguments and ties these together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from corpus.models import Case
from index.artifact.store import CaseIndex
from index.errors import UnknownCaseError
from index.figures import FigureGroup, FigureTable
from index.models.embedders import Embedder
from index.retrieval.cities import CityMatcher, PlaceName
from index.retrieval.fusion import FusionConfig
from index.retrieval.glosses import gloss_index
from index.retrieval.hits import Hit, HitBuilder
from index.retrieval.in_flight import SEARCHES
from index.retrieval.lexical import BM25Index, written_in_han
from index.retrieval.limits import (
    check_k,
    check_level,
    check_mode,
    check_offset,
    check_question,
)
from index.retrieval.observe import StageObserver, Stopwatch
from index.retrieval.places import (
    CasePlaces,
    Gazetteer,
    KnownPlace,
    default_gazetteer,
    place_key,
)
from index.retrieval.query import CaseFilter, Query, QuestionReader
from index.retrieval.ranking import Ranker, top_k

# Hit, top_k and written_in_han live beside the parts that use them; they are named here too,
# where callers have always imported them.
__all__ = ["SECOND_FOR", "Hit", "Query", "SearchConfig", "SearchEngine", "top_k",
           "written_in_han"]

SECOND_FOR = ("cross-lingual", "always")


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


class SearchEngine:
    """Questions and cases in, ranked `Hit`s out; one per index and embedder.

    Its public methods check their arguments, each once per call, whoever calls: that is the
    core's contract, and some checks can only be made here (an unknown city, offset + k past
    the depth the ranking keeps). The service parses the same arguments first, to word its
    answers field by field, and so runs `check_question` twice; the second run costs ~10 µs
    for a 500-character question, against milliseconds for the search, so the engine keeps no
    unchecked path. After the checks the question is read once (`QuestionReader.read`), and
    a batch's filters are resolved once for all of its questions.
    """

    def __init__(self, index: CaseIndex, embedder: Embedder,
                 config: SearchConfig | None = None, second: Embedder | None = None,
                 observer: StageObserver | None = None,
                 gazetteer: Callable[[], Gazetteer | None] = default_gazetteer) -> None:
        self.index = index
        self.gazetteer = gazetteer  # reads a place asked for (corpus.places by default)
        self.embedder = embedder
        self.config = config or SearchConfig()
        # The second embedder takes part only when the index holds its vectors; it is kept
        # either way, for an engine over the next build (`second_embedder`).
        self.second_embedder = second
        self.second = second if index.second_index is not None else None
        self.observer = observer  # told how long each stage of a search took
        check_mode(self.config.mode)
        self.rows = {case.id: row for row, case in enumerate(index.cases)}
        self.city_counts = Counter(case.city for case in index.cases)
        self.place_index = CasePlaces(index.cases, gazetteer)
        self.filter = CaseFilter(index.cases, self.place_index)
        self.city_of_row = self.filter.columns["cities"]
        self.year_of_row = self.filter.columns["years"]
        self.province_of_row = self.filter.columns["provinces"]
        self.lexical = BM25Index.from_texts(case.passage for case in index.cases)
        self.city_matcher = CityMatcher(self.city_counts, self._place_names(),
                                        [case.text for case in index.cases])
        if self.config.second_for not in SECOND_FOR:
            raise ValueError(f"second_for must be one of {SECOND_FOR}")
        self.corpus_in_han = written_in_han(" ".join(case.text for case in index.cases[:1000]))
        self.glosses = (gloss_index(self.lexical.document_terms)
                        if self.config.glosses and self.corpus_in_han else None)
        self.reader = QuestionReader(self.lexical, self.glosses, self.city_matcher,
                                     self.corpus_in_han, self.config.everyday)
        self.ranker = Ranker(index, self.lexical, self.glosses, self.place_index,
                             self.config.fusion, self.config.candidates,
                             self.config.city_promote_ratio)
        self.hit_builder = HitBuilder(index, self.lexical, self.glosses,
                                      self.config.snippet_term_weight, self.config.everyday)

    def reconfigured(self, config: SearchConfig | None = None,
                     embedder: Embedder | None = None, second: bool = True) -> SearchEngine:
        """An engine over the same index with other settings, another query embedder, or
        (`second=False`) without the second embedder: what evaluations compare."""
        return SearchEngine(self.index, embedder or self.embedder, config or self.config,
                            second=self.second_embedder if second else None,
                            gazetteer=self.gazetteer)

    def observe(self, observer: StageObserver | None) -> SearchEngine:
        """Report the time of each search's stages to `observer` from now on (None: to no
        one); the engine itself."""
        self.observer = observer
        return self

    @property
    def cases(self) -> tuple[Case, ...]:
        return self.index.cases

    def cities(self) -> list[tuple[str, int]]:
        """Each city with its number of cases, in document order."""
        return list(self.city_counts.items())

    def places(self) -> list[KnownPlace]:
        """Every place the cases are about or lie in, with its level, chain and number of
        cases, each before the places below it (index.retrieval.places)."""
        return self.place_index.known()

    def _place_names(self) -> list[PlaceName]:
        """The places a question may name: every place of the cases' chains, with the short
        names the gazetteer gives it."""
        found = []
        for chain, level in self.place_index.chains():
            division = self.place_index.division(chain[-1], chain[:-1])
            shorts = (division.short,) if division is not None and division.short else ()
            found.append(PlaceName(chain[-1], level, shorts))
        return found

    def facets(self) -> dict[str, list]:
        """The years and provinces the corpus covers, in first-seen order (a case of no known
        province counts for none)."""
        return {"years": list(self.filter.known["years"]),
                "provinces": [name for name in self.filter.known["provinces"] if name]}

    def case(self, case_id: str) -> Case:
        """The case with this id; `UnknownCaseError` if there is none."""
        row = self.rows.get(case_id)
        if row is None:
            raise UnknownCaseError(case_id)
        return self.index.cases[row]

    # -- public ------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, cities: Sequence[str] | None = None,
               mode: str | None = None, years: Sequence[int] | None = None,
               provinces: Sequence[str] | None = None, min_match: str = "weak",
               offset: int = 0, places: Sequence[str] | None = None) -> list[Hit]:
        """The k cases that best answer a question, best first.

        Args:
            query: a question or keywords, Chinese or English; a place named in it ranks that
                place's relevant cases first (and those of the places below it).
            k: how many results, 1..MAX_K.
            cities: if given, only cases of these cities (as written, `Case.city`).
            mode: "hybrid" (default), "dense" or "lexical".
            years, provinces: if given, only cases of these years / provinces.
            min_match: leave out hits below this level (`weak`: none left out).
            offset: skip the first `offset` results (the next page); offset + k ≤ MAX_DEPTH.
            places: if given, only cases in these places, at any level (`山东省` or `山东`: its
                cities' and counties' too; `青岛`: 青岛市's and its districts'; `崂山区`).

        Raises:
            InvalidRequestError: an empty query, k out of range, an unknown filter value or mode.
        """
        with SEARCHES:
            text = check_question(query)
            request = self._request(k, offset, min_match, mode, cities, years, provinces,
                                    places)
            asked = self.reader.read(text, **request)
            watch = Stopwatch()
            asked = self._embedded(asked)
            watch.lap("embedding")
            return self._answer(asked, watch)

    def search_batch(self, queries: Sequence[str], k: int = 10,
                     cities: Sequence[str] | None = None, mode: str | None = None,
                     years: Sequence[int] | None = None,
                     provinces: Sequence[str] | None = None,
                     min_match: str = "weak",
                     places: Sequence[str] | None = None) -> list[list[Hit]]:
        """`search` for several questions with the same filters, their embeddings computed in
        one call per embedder (cheaper per question than one call each)."""
        mode = mode or self.config.mode
        check_mode(mode)
        texts = [check_question(query) for query in queries]
        request = self._request(k, 0, min_match, mode, cities, years, provinces, places)
        asked = [self.reader.read(text, **request) for text in texts]
        with SEARCHES:
            watch = Stopwatch()
            asked = self._embedded_batch(asked)
            watch.lap("embedding")  # once, for the batch
            watch.report(self.observer)
            return [self._answer(query, Stopwatch()) for query in asked]

    def similar(self, case_id: str, k: int = 10, same_city: bool = False,
                mode: str | None = None, min_match: str = "weak") -> list[Hit]:
        """Cases most like the given one, never itself; other places only unless `same_city`
        (two 市中区 of two cities are two places); only places at the case's level when
        it is known (a district's practice among other districts and counties, a province's
        among provinces); none below `min_match`.

        Raises:
            UnknownCaseError: no case has this id.
            InvalidRequestError: k or mode out of range.
        """
        with SEARCHES:
            source = self.case(case_id)
            check_k(k)
            check_level(min_match)
            mode = mode or self.config.mode
            check_mode(mode)
            query = self._case_query(source, mode, same_city, k=k, min_match=min_match)
            return self.hit_builder.hits(self.ranker.rank(query, self.config.similar_fusion),
                                         query)

    # -- the parts of a search ---------------------------------------------------------------

    def _request(self, k: int, offset: int, min_match: str, mode: str | None,
                 cities: Sequence[str] | None, years: Sequence[int] | None,
                 provinces: Sequence[str] | None, places: Sequence[str] | None) -> dict:
        """The checked page, mode and filters of a search, as `Query` fields."""
        check_k(k)
        check_offset(offset, k)
        check_level(min_match)
        mode = mode or self.config.mode
        check_mode(mode)
        return {"mode": mode, "allowed": self.filter.allowed(cities, years, provinces, places),
                "k": k, "offset": offset, "min_match": min_match}

    def _asks_second(self, query: Query) -> bool:
        """Whether a question is embedded by the second embedder too (SearchConfig.second_for)."""
        return self.second is not None and query.mode == "hybrid" and (
            self.config.second_for == "always" or query.cross_lingual)

    def _embedded(self, query: Query) -> Query:
        """The query with its vectors: the main embedder's unless lexical, the second's if asked."""
        return replace(
            query, vector=self.embedder.embed_query(query.topic) if query.mode != "lexical"
            else None, second=self.second.embed_query(query.topic)
            if self._asks_second(query) else None)

    def _embedded_batch(self, queries: list[Query]) -> list[Query]:
        """`_embedded` for several queries, in one call per embedder."""
        vectors: list = [None] * len(queries)
        seconds: list = [None] * len(queries)
        topics = [query.topic for query in queries]
        if queries and queries[0].mode != "lexical":
            vectors = list(self.embedder.embed_batch(topics, "query"))
        wanted = [i for i, query in enumerate(queries) if self._asks_second(query)]
        if wanted:
            for i, vector in zip(wanted, self.second.embed_batch(
                    [topics[i] for i in wanted], "query"), strict=True):
                seconds[i] = vector
        return [replace(query, vector=vector, second=second)
                for query, vector, second in zip(queries, vectors, seconds, strict=True)]

    def _answer(self, query: Query, watch: Stopwatch) -> list[Hit]:
        """An embedded query's hits, its stages timed and reported."""
        ranking = self.ranker.rank(query)
        watch.lap("ranking")  # BM25, ANN, fusion
        hits = self.hit_builder.hits(ranking, query)
        watch.lap("snippets")  # and match levels
        watch.report(self.observer)
        return hits

    def _case_query(self, source: Case, mode: str, same_city: bool, **page: object) -> Query:
        """A case as a query for cases like it: its vectors, its key terms (or all of them),
        the rows allowed those of places at its level (when known), but its own row and,
        unless `same_city`, its place's."""
        row = self.rows[source.id]
        keep = np.ones(len(self.index.cases), bool) if same_city else (
            self.place_index.key_of_row != place_key(source))
        if source.place_level:
            keep &= self.place_index.level_of_row == source.place_level
        keep[row] = False
        rows = np.array([row])
        second = (self.index.second_vectors(rows)[0]
                  if self.second is not None and mode == "hybrid" else None)
        terms = tuple(self.lexical.key_terms(row, self.config.similar_terms)
                      if self.config.similar_terms else self.lexical.document_terms[row])
        return Query(text=source.id, mode=mode, topic=source.text, terms=terms, words=terms,
                     marked=terms, vector=self.index.case_vectors(rows)[0], second=second,
                     allowed=np.flatnonzero(keep), source_row=row, **page)

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
