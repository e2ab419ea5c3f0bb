"""Training pairs made only from the corpus's own text: (a question-like text, the case it
came from). No judged question is used.

For every case:
- each of its sentences;
- up to 4 clauses of at least 8 characters (cut at ，；、：);
- up to 4 keyword queries of 2–4 of its most characteristic BM25 terms (no numbers, no
  place names);
- up to 4 English queries from the CC-CEDICT senses of 2–4 of those terms (the cases are
  Chinese; people also ask in English);
- everyday phrasings from the everyday-words glossary read backwards: a sentence with an
  official term replaced by the everyday word for it, and that word with one other key term.

Without the English and everyday pairs most of the gain disappears (docs/QUALITY.md). A corpus
too large to tune on every change samples its pairs: `max_pairs` caps them, keeping each
case's share.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.models import Case
from corpus.places import gazetteer
from corpus.text import sentence_spans
from index.retrieval.everyday import EVERYDAY
from index.retrieval.glosses import english_senses
from index.retrieval.lexical import BM25Index, tokenize
from index.retrieval.lexical import words as jieba_words

CLAUSE_BREAK = re.compile(r"[，；、：,;:]")
MIN_CLAUSE = 8
PER_CASE = 4  # clauses, keyword queries and English queries, each
KEY_TERMS = 12  # the case's most characteristic terms that keyword queries draw from
_NUMBERISH = re.compile(r"[0-9０-９一二三四五六七八九十百千万亿%．.]")
_PLACE_SUFFIX = ("省", "市", "县", "区", "镇", "乡", "村")
# How English questions open (half of them bare keywords): the model learns to read past them.
ENGLISH_FRAMES = ("", "", "how to improve ", "measures for ", "what was done about ",
                  "how did cities handle ")


@dataclass(frozen=True)
class Pair:
    """One training example: a question-like text and the row of the case it came from."""

    query: str
    row: int
    kind: str  # sentence | clause | keywords | english | everyday


def training_pairs(cases: Sequence[Case], *, seed: int = 0,
                   max_pairs: int | None = None) -> list[Pair]:
    """The pairs of every case, in a fixed order for a seed."""
    rng = random.Random(seed)
    lexical = BM25Index([tokenize(case.passage) for case in cases])
    places = _place_words(cases)
    key_terms = []
    for row, case in enumerate(cases):
        whole = set(jieba_words(case.passage))  # jieba's words, not its search-mode fragments
        key_terms.append([t for t in lexical.key_terms(row, KEY_TERMS * 3)
                          if t in whole and _usable(t, places)][:KEY_TERMS])
    english = english_senses(t for terms in key_terms for t in terms)
    everyday_for = _everyday_words()
    pairs: list[Pair] = []
    for row, case in enumerate(cases):
        sentences = [case.text[a:b].strip() for a, b in sentence_spans(case.text)]
        sentences = [s for s in sentences if len(s) >= MIN_CLAUSE]
        pairs += [Pair(s, row, "sentence") for s in sentences]
        clauses = [c.strip() for s in sentences for c in CLAUSE_BREAK.split(s)
                   if len(c.strip()) >= MIN_CLAUSE and c.strip() != s]
        pairs += [Pair(c, row, "clause") for c in _sample(rng, clauses, PER_CASE)]
        terms = key_terms[row]
        pairs += [Pair(" ".join(q), row, "keywords") for q in _term_sets(rng, terms)]
        senses = [t for t in terms if english.get(t)]
        for chosen in _term_sets(rng, senses):
            words = ", ".join(rng.choice(english[t]) for t in chosen)
            pairs.append(Pair(rng.choice(ENGLISH_FRAMES) + words, row, "english"))
        pairs += _everyday_pairs(rng, row, sentences, terms, everyday_for)
    if max_pairs is not None and len(pairs) > max_pairs:
        pairs = _sampled_by_case(rng, pairs, max_pairs)
    return pairs


def _usable(term: str, places: set[str]) -> bool:
    """A key term a person might ask with: not a number, not a place's name."""
    if len(term) < 2 or _NUMBERISH.search(term):
        return False
    if term in places or (term.endswith(_PLACE_SUFFIX) and len(term) <= 4):
        return False
    return not gazetteer().candidates(term)


def _place_words(cases: Sequence[Case]) -> set[str]:
    """The names of the cases' places, whole and without their suffix (济南市, 济南)."""
    names: set[str] = set()
    for case in cases:
        for name in (case.city, *case.places):
            if name:
                names.add(name)
                names.add(name.rstrip("".join(_PLACE_SUFFIX)))
    return names


def _sample(rng: random.Random, items: list, count: int) -> list:
    return list(items) if len(items) <= count else rng.sample(items, count)


def _term_sets(rng: random.Random, terms: list[str]) -> list[list[str]]:
    """Up to PER_CASE different sets of 2–4 of `terms`."""
    if len(terms) < 2:
        return []
    found: dict[tuple[str, ...], None] = {}
    for _ in range(PER_CASE * 3):
        chosen = tuple(rng.sample(terms, min(len(terms), rng.randint(2, 4))))
        found.setdefault(chosen, None)
        if len(found) == PER_CASE:
            break
    return [list(chosen) for chosen in found]


def _everyday_words() -> dict[str, list[str]]:
    """The glossary backwards: official term → the everyday words that stand for it."""
    backwards: dict[str, list[str]] = {}
    for phrase, terms in EVERYDAY.items():
        for term in terms:
            backwards.setdefault(term, []).append(phrase)
    return backwards


def _everyday_pairs(rng: random.Random, row: int, sentences: list[str], terms: list[str],
                    everyday_for: dict[str, list[str]]) -> list[Pair]:
    """A sentence with an official term in everyday words, and the everyday word with one
    other key term, for each official term of the glossary the case uses (at most PER_CASE)."""
    pairs = []
    official = [t for t in everyday_for if any(t in s for s in sentences)]
    for term in _sample(rng, official, PER_CASE):
        word = rng.choice(everyday_for[term])
        sentence = rng.choice([s for s in sentences if term in s])
        pairs.append(Pair(sentence.replace(term, word), row, "everyday"))
        others = [t for t in terms if t != term and term not in t]
        if others:
            pairs.append(Pair(f"{word} {rng.choice(others)}", row, "everyday"))
    return pairs


def _sampled_by_case(rng: random.Random, pairs: list[Pair], limit: int) -> list[Pair]:
    """`limit` pairs, each case keeping its share (at least one pair of each case)."""
    by_row: dict[int, list[Pair]] = {}
    for pair in pairs:
        by_row.setdefault(pair.row, []).append(pair)
    share = limit / len(pairs)
    kept = [p for row_pairs in by_row.values()
            for p in _sample(rng, row_pairs, max(1, round(len(row_pairs) * share)))]
    return kept[:limit] if len(kept) > limit else kept
