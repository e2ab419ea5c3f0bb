"""Recognizing a place named in a question: a city (`青岛市`, `青岛`, `Qingdao`), and every
place the cases are about or lie in, at any level (`山东`, `崂山区`).

Provinces and cities are recognized anywhere in a question by their full name, their short
name and its pinyin, as cities always were. A county-level place (a district, a county, a
county-level city) is recognized by its full name (崂山区, 龙口市) or a short name of three
characters or more; by a two-character short name (崂山) only when that name stands as a word
of its own in the question (jieba cuts it out: not 市中 in 市中心), is no common word (jieba's
dictionary counts it fewer than COMMON_WORD times: not 新建, 城中, 西湖) and the cases never
write it but as part of the place's name (not 市中 in 全市中小学). Counties are not recognized
in pinyin: too many of their names read as other words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from corpus.ids import short_name, slugify
from index.retrieval.lexical import word_frequency, words

COMMON_WORD = 500  # jieba's dictionary counts 新建 1000 times, 城中 1929, 崂山 71, 黄岛 135
COUNTY_SUFFIXES = ("区", "县", "旗")  # a place as written that looks like a county


@dataclass(frozen=True)
class CityMention:
    """The places a question names (full names, or cities as written: the field is named for
    what it first held) and the question with those names taken out."""

    cities: tuple[str, ...]
    remainder: str


@dataclass(frozen=True)
class PlaceName:
    """A place that a question may name: the full name a mention stands for, its level and
    its short names (the gazetteer's, 青岛 for 青岛市)."""

    name: str
    level: str = ""  # province | city | county | "" (a city as written, not resolved)
    shorts: tuple[str, ...] = ()

    @property
    def county_like(self) -> bool:
        return self.level == "county" or (not self.level and self.name.endswith(COUNTY_SUFFIXES))

    def aliases(self) -> tuple[list[str], list[str], list[str]]:
        """(names found anywhere, two-character names found only as words, pinyin)."""
        shorts = [s for s in dict.fromkeys((*self.shorts, short_name(self.name)))
                  if len(s) >= 2 and s != self.name]
        full = [self.name] if len(self.name) >= 2 else []
        if self.county_like:
            return ([*full, *(s for s in shorts if len(s) >= 3)],
                    [s for s in shorts if len(s) == 2], [])
        latin = [slug for slug in dict.fromkeys(slugify(s) for s in shorts or [self.name])
                 if len(slug) >= 3]
        return [*full, *shorts], [], latin


class CityMatcher:
    """Finds mentions of known places by full name, short name or pinyin (case-insensitive).

    Args:
        cities: the cases' places as written (`Case.city`); one that is also among `places`
            is recognized as that place.
        places: the places the cases are about or lie in, with their levels and short names.
        texts: the cases' texts, which tell a county's short name used as a word (新建学校).
    """

    def __init__(self, cities: Iterable[str], places: Iterable[PlaceName] = (),
                 texts: Iterable[str] = ()) -> None:
        named = {place.name: place for place in places}
        for city in cities:
            named.setdefault(city, PlaceName(city))
        anywhere: dict[str, list[str]] = {}
        as_word: dict[str, list[str]] = {}
        latin: dict[str, list[str]] = {}
        for place in named.values():
            found, words, slugs = place.aliases()
            for table, aliases in ((anywhere, found), (as_word, words), (latin, slugs)):
                for alias in aliases:
                    table.setdefault(alias, []).append(place.name)
        # longest first: 青岛市 before 青岛
        self._aliases = sorted(((alias, tuple(names)) for alias, names in anywhere.items()),
                               key=lambda pair: -len(pair[0]))
        self._words = {word: tuple(names) for word, names in as_word.items()
                       if word_frequency(word) < COMMON_WORD}
        for word in _written_as_words(self._words, list(texts)):
            del self._words[word]
        self._latin = {slug: tuple(names) for slug, names in latin.items()}
        pattern = "|".join(sorted(map(re.escape, self._latin), key=len, reverse=True))
        self._latin_re = (re.compile(rf"\b({pattern})(?:\s+(?:city|province))?\b", re.I)
                          if pattern else None)

    def find(self, query: str) -> CityMention:
        """Places named in the query, in order of appearance, and the query without them."""
        found: dict[int, tuple[str, ...]] = {}
        remainder = query
        for alias, names in self._aliases:
            while (position := remainder.find(alias)) >= 0:
                found.setdefault(position, names)
                remainder = _blanked(remainder, position, len(alias))
        if self._words:
            remainder = self._find_words(remainder, found)
        if self._latin_re is not None:
            for match in self._latin_re.finditer(remainder):
                found.setdefault(match.start(), self._latin[match.group(1).lower()])
            remainder = self._latin_re.sub(lambda m: " " * len(m.group(0)), remainder)
        places = tuple(dict.fromkeys(name for position in sorted(found)
                                     for name in found[position]))
        return CityMention(places, re.sub(r"\s+", " ", remainder).strip())

    def _find_words(self, remainder: str, found: dict[int, tuple[str, ...]]) -> str:
        """Two-character county names that jieba cuts out of the question as words."""
        position = 0
        for word in words(remainder):
            if word in self._words:
                found.setdefault(position, self._words[word])
                remainder = _blanked(remainder, position, len(word))
            position += len(word)
        return remainder


def _blanked(text: str, start: int, length: int) -> str:
    """The text with a mention replaced by spaces (later mentions keep their positions)."""
    return text[:start] + " " * length + text[start + length:]


def _written_as_words(words: dict[str, tuple[str, ...]], texts: list[str]) -> list[str]:
    """The short names that the texts write other than as the start of their place's name
    (新建 in 新建幼儿园, 市中 in 全市中小学): ordinary words in these documents."""
    if not words or not texts:
        return []
    pattern = re.compile("|".join(map(re.escape, words)))
    used = set()
    for text in texts:
        for match in pattern.finditer(text):
            word = match.group(0)
            if not any(text.startswith(name, match.start()) for name in words[word]):
                used.add(word)
    return sorted(used)
