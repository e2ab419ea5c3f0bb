"""What a search asks, read once: a `Query` (the question's topic, language and terms, its
vectors, the rows its filters allow, the page wanted), the reader that builds one from a
question, and the filter that turns cities, places, years and provinces into rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from corpus.models import Case
from index.errors import InvalidRequestError
from index.retrieval.cities import CityMatcher
from index.retrieval.everyday import official_terms
from index.retrieval.glosses import english_words, gloss_words
from index.retrieval.lexical import BM25Index, tokenize, written_in_han
from index.retrieval.places import CasePlaces
from index.retrieval.snippets import markable


@dataclass(frozen=True, eq=False)
class Query:
    """One search, read once and handed down: the ranker reads its terms, vectors, filters and
    named cities; the hit builder its page, marked terms and coverage words.

    A case → case search (`SearchEngine.similar`) is a query too, with the source case's vectors
    and key terms, and `source_row` set.
    """

    text: str  # the question, trimmed (a similar-case search: the source case's id)
    mode: str  # hybrid | dense | lexical
    topic: str = ""  # what is ranked by: the question with a named city taken out
    terms: tuple[str, ...] = ()  # BM25's terms, each known to the corpus
    glosses: tuple[str, ...] = ()  # English words looked up among the cases' English glosses
    cross_lingual: bool = False  # written in another script than the corpus
    # Places the question names (full names, at any level; cities as written): their
    # relevant cases go first.
    cities: tuple[str, ...] = ()
    bare_city: bool = False  # only a place's name: all of that place's cases go first
    words: tuple[str, ...] = ()  # what a hit's coverage (the share of the question held) counts
    marked: tuple[str, ...] = ()  # terms marked in snippets
    vector: np.ndarray | None = None  # the question in the main embedder's space
    second: np.ndarray | None = None  # and in the second embedder's, when it is asked
    allowed: np.ndarray | None = None  # rows the filters let through; None: every row
    source_row: int | None = None  # a similar-case search: the row of the case compared with
    k: int = 10
    offset: int = 0
    min_match: str = "weak"

    @property
    def uses_second(self) -> bool:
        """Whether the second embedder's signal takes part (only in hybrid mode)."""
        return self.mode == "hybrid" and self.second is not None


class QuestionReader:
    """Reads a question for one corpus, once: the city it names, its terms for BM25 (with the
    official terms its everyday words stand for), and for a question in another script than
    the corpus, its English words that the cases' glosses hold."""

    def __init__(self, lexical: BM25Index, glosses: BM25Index | None, cities: CityMatcher,
                 corpus_in_han: bool, everyday: bool = True) -> None:
        self.lexical = lexical
        self.glosses = glosses
        self.cities = cities
        self.corpus_in_han = corpus_in_han
        self.everyday = everyday
        self.terms_glossed_as: dict[str, list[str]] = {}  # English word → Chinese terms
        if glosses is not None:
            for term in lexical.vocabulary:
                for word in gloss_words(term):
                    self.terms_glossed_as.setdefault(word, []).append(term)

    def read(self, text: str, mode: str, **request: object) -> Query:
        """A question (already checked) as a `Query` without vectors; `request` gives the
        query's other fields (allowed, k, offset, min_match)."""
        mention = self.cities.find(text)
        rest = tokenize(mention.remainder)  # segmented once: the topic's terms when not bare
        # Rank by what is asked about the city; a bare city name ("青岛") lists all its cases.
        bare_city = bool(mention.cities) and not rest
        topic = text if bare_city else mention.remainder
        asked = tokenize(topic) if bare_city else rest
        # BM25 also asks for the official terms of the question's everyday words (embedding
        # them too gained little and made every such query's embedding longer: QUALITY.md).
        official = tokenize(" ".join(official_terms(topic))) if self.everyday else []
        terms = [t for t in dict.fromkeys(asked + official) if t in self.lexical.vocabulary]
        english = list(dict.fromkeys(english_words(topic)))
        cross_lingual = written_in_han(topic) != self.corpus_in_han
        glosses = ([w for w in english if w in self.glosses.vocabulary]
                   if self.glosses is not None and cross_lingual else [])
        marked = markable(terms or self._glossed_terms(glosses))
        words = list(dict.fromkeys(english if glosses else asked))
        return Query(text=text, mode=mode, topic=topic, terms=tuple(terms),
                     glosses=tuple(glosses), cross_lingual=cross_lingual,
                     cities=mention.cities, bare_city=bare_city,
                     words=tuple(words or marked), marked=tuple(marked), **request)

    def _glossed_terms(self, words: list[str]) -> list[str]:
        """The corpus's Chinese terms whose glosses hold these words (to mark in snippets)."""
        return list(dict.fromkeys(term for word in words
                                  for term in self.terms_glossed_as.get(word, ())))


class CaseFilter:
    """The rows that a search's filters (cities, places, years, provinces) let through."""

    def __init__(self, cases: Sequence[Case], places: CasePlaces | None = None) -> None:
        self.places = places or CasePlaces(cases)
        self.columns = {
            "cities": np.array([case.city for case in cases], dtype=object),
            "years": np.array([case.year for case in cases], dtype=np.int64),
            # a case's province: its document's, or the one its place lies in
            "provinces": np.array([case.province or (case.places[:1] or ("",))[0]
                                   for case in cases], dtype=object)}
        # Known values in first-seen order, for the message that refuses an unknown one.
        self.known = {name: list(dict.fromkeys(column.tolist()))
                      for name, column in self.columns.items()}

    def allowed(self, cities: Sequence[str] | None = None, years: Sequence[int] | None = None,
                provinces: Sequence[str] | None = None,
                places: Sequence[str] | None = None) -> np.ndarray | None:
        """Rows passing every given filter (None: no filter); unknown values are refused."""
        mask = None
        provinces = self._provinces(provinces) if provinces else provinces
        for name, wanted in (("cities", cities), ("years", years), ("provinces", provinces)):
            if not wanted:
                continue
            known = self.known[name]
            unknown = sorted(set(wanted) - set(known), key=str)
            if unknown:
                raise InvalidRequestError(f"unknown {name} {unknown}; known {name}: "
                                          f"{', '.join(map(str, known))}")
            passing = np.isin(self.columns[name], list(wanted))
            mask = passing if mask is None else mask & passing
        if places:
            passing = self.places.allowed(places)
            mask = passing if mask is None else mask & passing
        return None if mask is None else np.flatnonzero(mask)

    def _provinces(self, wanted: Sequence[str]) -> list[str]:
        """Provinces asked for, a short name (山东) read as the province it names."""
        known = set(self.known["provinces"])
        found = []
        for name in wanted:
            division = None if name in known else self.places.division(name)
            found.append(division.name if division is not None and division.level == "province"
                         and division.name in known else name)
        return found
