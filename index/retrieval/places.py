"""The places an index's cases are about, at every level: which rows each place holds (a
province holds its cities' and counties' cases), each row's own place and level, the places
listed for readers, and a place asked for (`山东`, `青岛`, `崂山区`) turned into rows.

A case's place is `Case.places` (full names, province first: 山东省, 青岛市, 崂山区) and its
level `Case.place_level`; a case whose place no division resolved has only its `city` as
written, and is found by that name (or its short form: 青岛 for 青岛市).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from corpus.ids import short_name
from corpus.models import PLACE_LEVELS, Case
from index.errors import InvalidRequestError

SHOWN_IN_MESSAGES = 30  # known places named in the message that refuses an unknown one


class Division(Protocol):
    """A division as the gazetteer gives it (corpus.places.Place)."""

    name: str
    level: str
    code: str
    chain: tuple[str, ...]
    short: str


class Gazetteer(Protocol):
    """What reads a written place name as a division (corpus.places.gazetteer())."""

    def resolve(self, written: str, *, within: Sequence[str] = ()) -> Division | None: ...


def default_gazetteer() -> Gazetteer:
    """The divisions of China (corpus.places), loaded on first use."""
    from corpus.places import gazetteer

    return gazetteer()


@dataclass(frozen=True)
class KnownPlace:
    """A place that cases are about or lie in: its full name, level, chain (province first,
    ending with it) and how many cases it holds (its own and those of the places below)."""

    name: str
    level: str  # province | city | county | "" (a place as written that no division resolved)
    chain: tuple[str, ...]
    count: int


def place_key(case: Case) -> str:
    """What tells one place from another: its chain (two 市中区 of two cities differ), or for
    a place no division resolved, its name as written."""
    return "/".join(case.places) if case.places else case.city


def levels_of(case: Case) -> list[str]:
    """The level of each name of a case's chain: its own level last; above it, a chain's
    first name is a province (or a municipality, of province level) and a second one, above
    a county, a city."""
    chain = case.places
    return [case.place_level if at == len(chain) - 1 else PLACE_LEVELS[at]
            for at in range(len(chain))]


# Kept apart from CasePlaces (a cache on its method would tie each engine to itself, kept
# until the garbage collector's next cycle after a live reload replaced it).
@lru_cache(maxsize=4096)
def _resolved(gazetteer: Callable[[], Gazetteer | None], name: str,
              within: tuple[str, ...]) -> Division | None:
    found = gazetteer()
    return found.resolve(name, within=within) if found is not None else None


class CasePlaces:
    """The places of one index's cases, read once: rows by place at every level, and rows by
    the name a case's place is written with."""

    def __init__(self, cases: Sequence[Case],
                 gazetteer: Callable[[], Gazetteer | None] = default_gazetteer) -> None:
        self.count = len(cases)
        self.level_of_row = np.array([case.place_level for case in cases], dtype=object)
        self.key_of_row = np.array([place_key(case) for case in cases], dtype=object)
        self._gazetteer = gazetteer
        self._in: dict[tuple[str, ...], list[int]] = {}  # a chain → the rows at or below it
        self._named: dict[str, list[int]] = {}  # a full name of a chain → its rows
        self._city: dict[str, list[int]] = {}  # a city as written → its rows
        self._written: dict[str, list[int]] = {}  # the same, and by its short form
        self._levels: dict[tuple[str, ...], str] = {}
        self._unresolved: dict[str, int] = {}  # a place as written alone → its cases
        self._unplaced: dict[str, list[int]] = {}  # a province → its cases of no known place
        for row, case in enumerate(cases):
            if not case.places:
                self._unresolved[case.city] = self._unresolved.get(case.city, 0) + 1
                self._unplaced.setdefault(case.province, []).append(row)
            for at, level in enumerate(levels_of(case)):
                chain = case.places[:at + 1]
                self._in.setdefault(chain, []).append(row)
                self._levels.setdefault(chain, level)
                self._named.setdefault(chain[-1], []).append(row)
            self._city.setdefault(case.city, []).append(row)
            for written in dict.fromkeys((case.city, short_name(case.city))):
                self._written.setdefault(written, []).append(row)

    def known(self) -> list[KnownPlace]:
        """Every place, each before the places below it, in the order the cases first name
        them; then the places as written that no division resolved."""
        listed = [KnownPlace(chain[-1], self._levels[chain], chain, len(rows))
                  for chain, rows in self._in.items()]
        return listed + [KnownPlace(name, "", (), count)
                         for name, count in self._unresolved.items()]

    def chains(self) -> list[tuple[tuple[str, ...], str]]:
        """(chain, level) of every place of the cases' chains, in first-seen order."""
        return list(self._levels.items())

    def division(self, name: str, within: Sequence[str] = ()) -> Division | None:
        """The division a name resolves to (None without a gazetteer, or if none does)."""
        return _resolved(self._gazetteer, name, tuple(within))

    def rows_of(self, name: str) -> set[int]:
        """The rows of a place asked for by a name: those of the division the gazetteer
        resolves it to, at any level (`山东` → every case in 山东省; `青岛` → 青岛市's and its
        districts'), those whose chain holds the name (`市中区`, of whichever city), and those
        whose place is written so (`青岛市`, or its short form `青岛`)."""
        name = name.strip()
        rows = set(self._named.get(name, ())) | set(self._written.get(name, ()))
        division = self.division(name) if self._in else None
        if division is not None:
            chain = tuple(division.chain) or (division.name,)
            rows |= set(self._in.get(chain, self._named.get(division.name, ())))
            if len(chain) == 1:  # a province also holds its cases that no division placed
                rows |= set(self._unplaced.get(division.name, ()))  # (雄安新区 in 河北省)
        return rows

    def allowed(self, wanted: Iterable[str]) -> np.ndarray:
        """A mask of the rows of any of the places asked for.

        Raises:
            InvalidRequestError: a place no case is in, naming the known places.
        """
        mask = np.zeros(self.count, bool)
        unknown = []
        for name in wanted:
            rows = self.rows_of(name)
            if not rows:
                unknown.append(name)
            mask[list(rows)] = True
        if unknown:
            raise InvalidRequestError(self._unknown_message(unknown))
        return mask

    def _unknown_message(self, unknown: list[str]) -> str:
        names = list(dict.fromkeys(place.name for place in self.known()))
        shown = ", ".join(names[:SHOWN_IN_MESSAGES]) + (", …" if len(names) > SHOWN_IN_MESSAGES
                                                         else "")
        return (f"unknown places {sorted(unknown)}: no case is in them. Name a province, city "
                f"or county the cases are about, in full or short (山东省 or 山东, 青岛市 or "
                f"青岛, 崂山区); known places: {shown} (GET /api/places lists each with its "
                f"level and the number of its cases)")

    def named(self, names: Iterable[str]) -> np.ndarray:
        """A mask of the rows a question's named places hold (full names, as CityMatcher finds
        them; a place as written counts as named by its own name)."""
        mask = np.zeros(self.count, bool)
        for name in names:
            mask[self._named.get(name, [])] = True
            mask[self._city.get(name, [])] = True
        return mask
