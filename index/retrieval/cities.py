"""Recognizing a city named in a question: `青岛市`, `青岛` or `Qingdao`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from corpus.ids import place_slug, short_name


@dataclass(frozen=True)
class CityMention:
    """The cities a question names and the question with those names taken out."""

    cities: tuple[str, ...]
    remainder: str


class CityMatcher:
    """Finds mentions of known cities by full name, short name or pinyin (case-insensitive)."""

    def __init__(self, cities: Iterable[str]) -> None:
        aliases: list[tuple[str, str]] = []
        for city in dict.fromkeys(cities):
            aliases += [(city, city), (short_name(city), city)]
        aliases.sort(key=lambda pair: -len(pair[0]))  # longest first: 青岛市 before 青岛
        self._aliases = [(alias, city) for alias, city in aliases if len(alias) >= 2]
        latin = {place_slug(city): city for city in dict.fromkeys(cities)}
        self._latin = {slug: city for slug, city in latin.items() if len(slug) >= 3}
        pattern = "|".join(sorted(map(re.escape, self._latin), key=len, reverse=True))
        self._latin_re = re.compile(rf"\b({pattern})(?:\s+city)?\b", re.I) if pattern else None

    def find(self, query: str) -> CityMention:
        """Cities named in the query, in order of appearance, and the query without them."""
        found: dict[int, str] = {}
        remainder = query
        for alias, city in self._aliases:
            while (position := remainder.find(alias)) >= 0:
                found.setdefault(position, city)
                blank = " " * len(alias)  # keeps positions of later mentions stable
                remainder = remainder[:position] + blank + remainder[position + len(alias):]
        if self._latin_re is not None:
            for match in self._latin_re.finditer(remainder):
                found.setdefault(match.start(), self._latin[match.group(1).lower()])
            remainder = self._latin_re.sub(lambda m: " " * len(m.group(0)), remainder)
        cities = tuple(dict.fromkeys(found[position] for position in sorted(found)))
        return CityMention(cities, re.sub(r"\s+", " ", remainder).strip())
