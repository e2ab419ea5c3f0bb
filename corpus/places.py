"""China's administrative divisions (province, city, county), read from jionlp's data file, and
the places that a heading, a table cell or running text names.

The data is jionlp's `china_location.zip` (current to 2025) and `china_location_change.txt`
(renamings since 2002). The package is not imported — its import prints banners and loads
models — only its two data files are read, once, on first use. Where the tree lags the change
list (it still has 湟中县, which became 湟中区), the newer name resolves to the tree's entry.

Decisions on names that more than one division bears (朝阳区, 市中区, 鼓楼区, 吉林):
- `within` (places the caller knows the text is inside) chooses: the namesakes whose chain
  matches the most of those names win;
- otherwise a full name beats a short one, a current name beats a former one, and among what is
  left the namesake of the highest level wins if it is the only one at that level (吉林 →
  吉林省, 朝阳 → 朝阳市); anything else is None — the module never guesses between equals.
- 新疆生产建设兵团 is not an administrative division (GB/T 2260 has no code for it), so it
  resolves to None rather than to 新疆; its cities (石河子市 …) resolve, under 新疆.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Literal

from corpus.errors import CorpusError
from corpus.ids import short_name

__all__ = ["LEVELS", "NOT_DIVISIONS", "Gazetteer", "Level", "Mention", "Place", "gazetteer",
           "matches", "normalize"]

Level = Literal["province", "city", "county"]
LEVELS: tuple[Level, ...] = ("province", "city", "county")
JIONLP_PIN = "jionlp==1.5.31"
TREE_FILE, TREE_MEMBER, CHANGE_FILE = "china_location.zip", "china_location.txt", \
    "china_location_change.txt"


@dataclass(frozen=True)
class Place:
    """One division: its full official name, level, 6-digit code (GB/T 2260), the full names
    from the province down to it, and the data's short name (崂山区 → 崂山)."""

    name: str
    level: Level
    code: str
    chain: tuple[str, ...]
    short: str
    renamed_from: str = ""  # the former name it was resolved from (襄樊市 for 襄阳市)

    def contains(self, other: Place) -> bool:
        """Whether `other` lies strictly inside this place."""
        size = len(self.chain)
        return len(other.chain) > size and other.chain[:size] == self.chain


@dataclass(frozen=True)
class Mention:
    """A place named in running text: the place, the span `text[start:end]`, and that text."""

    place: Place
    start: int
    end: int
    written: str


# Reading the data -------------------------------------------------------------------------

# Only lines with a code: provinces (no tab), cities (one), counties (two). Towns and villages
# (three tabs or more, no code) are 95% of the file's 700,000 lines: one regex over the bytes
# skips them in 0.05 s (a possessive quantifier: no backtracking over the towns' tabs) where
# decoding the text and splitting it into lines takes 0.3 s.
_CODED_LINE = re.compile(rb"\n(\t{0,2}+)([^\t\n]++)\t(\d{6})\t([^\t\r\n]*)")
_PSEUDO = "直辖行政区划"  # 省直辖行政区划 (济源市, 仙桃市 …), 市直辖行政区划 (东莞, 中山)


def data_dir() -> Path:
    """The directory of jionlp's data files, found without importing the package."""
    spec = importlib.util.find_spec("jionlp")
    if spec is None or spec.origin is None:
        raise CorpusError(f"the divisions gazetteer needs jionlp's data: install {JIONLP_PIN}")
    return Path(spec.origin).parent / "dictionary"


def read_rows(directory: Path) -> list[tuple[int, str, str, str]]:
    """(depth, name, code, short) of every province, city and county line of the tree."""
    try:
        with zipfile.ZipFile(directory / TREE_FILE) as archive:
            data = archive.read(TREE_MEMBER)
        first = data.partition(b"\n")[0]  # the regex finds a line after a line break
        rows = [(len(tabs), name.decode(), code.decode(), short.decode().strip())
                for found in (_CODED_LINE.findall(b"\n" + first), _CODED_LINE.findall(data))
                for tabs, name, code, short in found]
    except (OSError, KeyError, zipfile.BadZipFile, UnicodeDecodeError) as error:
        raise CorpusError(f"cannot read the divisions data {directory / TREE_FILE} ({error}): "
                          f"install {JIONLP_PIN}") from error
    rows = [(depth, name, code, short or name) for depth, name, code, short in rows]
    if sum(depth == 0 for depth, *_ in rows) < 30:
        raise CorpusError(f"{directory / TREE_FILE} is not the tree of divisions this module "
                          f"reads: install {JIONLP_PIN}")
    return rows


def build_places(rows: Iterable[tuple[int, str, str, str]]) -> list[Place]:
    """Places from tree rows. A municipality's or SAR's own city line (北京市 under 北京市) and
    the 直辖 pseudo-divisions are dropped, so their children hang from the level above."""
    places: list[Place] = []
    province: Place | None = None
    city: Place | None = None
    for depth, name, code, short in rows:
        if depth == 0:
            province = city = Place(name, "province", code, (name,), short)
            places.append(province)
        elif province is None or (depth == 2 and _PSEUDO in name):
            continue
        elif depth == 1 and _PSEUDO in name:
            city = province
        elif depth == 1:
            city = province if code == province.code else \
                Place(name, "city", code, (*province.chain, name), short)
            if city is not province:
                places.append(city)
        elif city is not None:
            places.append(Place(name, "county", code, (*city.chain, name), short))
    return list({place.chain: place for place in places}.values())


@dataclass(frozen=True)
class Renaming:
    """A former division and the current one it became: full names, province first."""

    old: tuple[str, ...]
    old_short: str
    new: tuple[str, ...]


def read_renamings(directory: Path) -> list[Renaming]:
    """The renamings and mergers of `china_location_change.txt` (date, approver, the old
    chain as name/short pairs => the new chain)."""
    try:
        lines = (directory / CHANGE_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CorpusError(f"cannot read {directory / CHANGE_FILE} ({error}): "
                          f"install {JIONLP_PIN}") from error
    renamings = []
    for line in lines:
        old, arrow, new = line.strip().partition("=>")
        fields = old.split("\t")[2:]
        if arrow and len(fields) in (4, 6):
            renamings.append(Renaming(tuple(fields[0::2]), fields[-1], tuple(new.split("\t"))))
    return renamings


# Names as written ---------------------------------------------------------------------------

_INVISIBLE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff]+")
_EDGE_PUNCTUATION = "：:，,。.、；;（）()"
# A department of a place: 青岛市教育局 → 青岛市, 龙口市人民政府 → 龙口市.
_DEPARTMENT = re.compile(r"(?:人民)?政府(?:办公室|办公厅)?|(?:政府)?[\u4e00-\u9fff]{0,5}?"
                         r"(?:局|厅|委员会|委|办公室|督导室)")
NOT_DIVISIONS = ("生产建设兵团",)


def normalize(written: str) -> str:
    """A name without spaces of any width, invisible characters or edge punctuation."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", written))
    return text.strip(_EDGE_PUNCTUATION)


def department_splits(name: str) -> list[str]:
    """Prefixes of `name` whose remainder is a department (青岛市教育局 → 青岛市), longest
    first."""
    return [name[:cut] for cut in range(len(name) - 1, 0, -1)
            if _DEPARTMENT.fullmatch(name[cut:])]


# Resolution ---------------------------------------------------------------------------------

CURRENT_FULL, CURRENT_SHORT, FORMER = 0, 1, 2  # how a name was known: preference order


@dataclass(frozen=True)
class Candidate:
    """One place a written name may denote, how the name denotes it, and the names (full and
    short, of every level of the chain as written and as now) that a hint can match."""

    place: Place
    rank: int
    names: frozenset[str]


def hint_score(candidate: Candidate, hints: Iterable[str]) -> int:
    """How many of the hint names the candidate's chain carries."""
    return sum(hint in candidate.names for hint in hints)


def by_level(pool: Sequence[Candidate]) -> Place | None:
    """The one place among `pool`, or its only place of the highest level, else None."""
    places = list({c.place.chain: c.place for c in sorted(pool, key=lambda c: -c.rank)}.values())
    for level in LEVELS:
        at_level = [place for place in places if place.level == level]
        if at_level:
            return at_level[0] if len(at_level) == 1 else None
    return None


def choose(candidates: Sequence[Candidate], hints: Sequence[str]) -> Place | None:
    """The place the candidates agree on, by the module's rules (hints, then name kind, then
    level); None when equals remain."""
    if not candidates:
        return None
    scores = [hint_score(candidate, set(hints)) for candidate in candidates]
    best = max(scores)
    if best > 0:
        pool = [c for c, score in zip(candidates, scores, strict=True) if score == best]
    else:
        rank = min(candidate.rank for candidate in candidates)
        pool = [candidate for candidate in candidates if candidate.rank == rank]
    return by_level(pool)


# Running text ---------------------------------------------------------------------------

# The administrative suffix and the next character making a word, not a place: 新建区域,
# 永安市场, 区县, 省份. A province or city so followed is still named (山东省级 names 山东) and
# keeps its short name; a county is dropped (崂山区级 is lost, a price paid for 新建区级).
_WORD_AFTER = frozenset("区域 区县 区划 区间 区块 区别 区分 区位 区级 市场 市县 市级 市值 市容 "
                        "市井 市面 县区 县市 县级 省份 省市 省级 旗帜 旗舰 旗下".split())
# A place's own area or people (商河县城, 龙口市区, 青岛市民办学校): a word only after a county
# name that is itself a common word or one character long (新县城, 和县域).
_OWN_AREA = frozenset("县城 县域 市区 市域 市民".split())
_GENERIC = frozenset("东西南北中上下前后城郊矿新老市")
_COUNTY_SUFFIXES = ("自治县", "自治旗", "林区", "特区", "区", "县", "市", "旗")
# Characters that may stand right before a place in running text when a place name is a
# common word: anything not Chinese, and a few function words (2020年莒县, 在市中区).
_BEFORE_PLACE = frozenset("在年和与及、由对向从自赴至到以是了的或")
_GAP = re.compile(r"[\s：:·—-]*")
Tier = Literal["alone", "boundary", "parent"]
ALONE: Tier = "alone"
BOUNDARY: Tier = "boundary"
PARENT: Tier = "parent"


def county_tier(name: str) -> Tier:
    """What a county's full name needs around it in running text: nothing, a word boundary
    before it (one-character stems 和县 单县, generic ones 市中区 东城区), or its own city right
    before it (names that are common words: 城区 郊区 矿区 东区 新城区 城东区)."""
    stem = next((name[: -len(s)] for s in _COUNTY_SUFFIXES
                 if name.endswith(s) and len(name) > len(s)), name)
    generic = all(char in _GENERIC for char in stem)
    if generic and (len(stem) == 1 or stem[0] == "城" or stem in ("新城", "老城")):
        return PARENT
    return BOUNDARY if generic or len(stem) == 1 else ALONE


def after_boundary(text: str, start: int) -> bool:
    """Whether `text[start]` begins a word: at the start, after a non-Chinese character or a
    function word."""
    if start == 0:
        return True
    before = text[start - 1]
    return not "\u4e00" <= before <= "\u9fff" or before in _BEFORE_PLACE


@dataclass(frozen=True)
class Token:
    """A name found in text, before it is accepted as a mention: span, kind (a full name, or
    a province's or city's short name), what it may denote, and whether its context already
    shows it is a place (a short name cut from 青岛市区 or 济南市中区)."""

    start: int
    end: int
    full: bool
    candidates: tuple[Candidate, ...]
    tier: Tier = ALONE
    cued: bool = False


def shortened(token: Token, end: int | None = None) -> Token | None:
    """A province's or city's full-name token cut to its short name (ending at `end`, if
    given), marked as a place: 青岛市区 → 青岛, 济南市中区 → 济南."""
    cands = [c for c in token.candidates if c.place.level != "county" and c.place.short
             and (end is None or len(c.place.short) == end - token.start)]
    if not cands:
        return None
    size = len(cands[0].place.short)
    cands = [c for c in cands if len(c.place.short) == size]
    return Token(token.start, token.start + size, False, tuple(cands), cued=True)


def adjacent(text: str, left: Token, right: Token) -> bool:
    """Whether only spaces or a colon separate two tokens."""
    return left.end <= right.start and _GAP.fullmatch(text, left.end, right.start) is not None


def inside(outer: Token, inner: Token) -> bool:
    """Whether some place `inner` may denote lies inside some place `outer` may denote."""
    return any(o.place.contains(i.place) for o in outer.candidates for i in inner.candidates)


def same_level(one: Token, other: Token) -> bool:
    """Whether the two tokens may denote places of one level (a list: 济南、青岛、淄博)."""
    return bool({c.place.level for c in one.candidates} & {c.place.level for c in other.candidates})


def nested_pair(text: str, outer: Token | None, inner: Token | None) -> bool:
    """Whether two tokens are a place and, right after it, a place inside it."""
    return (outer is not None and inner is not None and adjacent(text, outer, inner)
            and inside(outer, inner))


def cued(text: str, tokens: Sequence[Token], accepted: Sequence[bool], i: int) -> bool:
    """Whether a neighbour shows that token `i` is a place: its accepted parent right before
    it (烟台市福山区); for a short name also its accepted child right after it (烟台福山区), a
    short name nesting with it (山东青岛), or a listed place of its level (济南、青岛市)."""
    token = tokens[i]
    before = tokens[i - 1] if i > 0 else None
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    parent_before = nested_pair(text, before, token)
    if parent_before and accepted[i - 1]:
        return True
    if token.full:
        return False
    if parent_before and before is not None and not before.full:
        return True
    child_after = nested_pair(text, token, after)
    if child_after and after is not None and (accepted[i + 1] or not after.full):
        return True
    return any(other is not None and accepted[j] and same_level(token, other) and
               text[min(token.end, other.end):max(token.start, other.start)] == "、"
               for j, other in ((i - 1, before), (i + 1, after)))


_LISTED = re.compile(r"等\s*[\d一二三四五六七八九十]*\s*个?(?:省|市|地市|城市|自治区)")


def stands_alone(text: str, token: Token) -> bool:
    """Whether a token is a place whatever its neighbours are (a short name: if its suffix
    or a count of places follows it, 济南、青岛等16市)."""
    if not token.full:
        return token.cued or _LISTED.match(text, token.end) is not None
    return token.tier == ALONE or (token.tier == BOUNDARY and after_boundary(text, token.start))


def accept(text: str, tokens: Sequence[Token]) -> list[bool]:
    """Which tokens are places: those standing alone, then, until nothing changes, those a
    neighbour shows to be places."""
    accepted = [stands_alone(text, token) for token in tokens]
    changed = True
    while changed:
        changed = False
        for i in range(len(tokens)):
            if not accepted[i] and cued(text, tokens, accepted, i):
                accepted[i] = changed = True
    return accepted


# The gazetteer ----------------------------------------------------------------------------


class Gazetteer:
    """The divisions of China and the names they are written under (full, short, former)."""

    def __init__(self, places: Sequence[Place], renamings: Sequence[Renaming] = ()) -> None:
        self.places: tuple[Place, ...] = tuple(places)
        self._by_chain = {place.chain: place for place in self.places}
        self._children: dict[tuple[str, ...], list[Place]] = defaultdict(list)
        for place in self.places:
            self._children[place.chain[:-1]].append(place)
        self._full: dict[str, list[Candidate]] = defaultdict(list)
        self._short: dict[str, list[Candidate]] = defaultdict(list)
        for place in self.places:
            self._add_current(place, self.aliases(place.chain))
        self.unmatched_renamings = tuple(r for r in renamings if not self._add_former(r))
        self._full, self._short = dict(self._full), dict(self._short)  # read-only from here
        self._forms = self._text_forms()
        self._lengths = self._form_lengths()

    @classmethod
    def load(cls, directory: Path | None = None) -> Gazetteer:
        """The gazetteer of jionlp's data (in `directory`, by default the installed package's)."""
        directory = directory or data_dir()
        return cls(build_places(read_rows(directory)), read_renamings(directory))

    def _add_current(self, place: Place, names: frozenset[str]) -> None:
        """Index a division under its full name, its short name and, for an autonomous one,
        the usual short form (恩施州, 长阳县, 鄂温克旗)."""
        self._full[place.name].append(Candidate(place, CURRENT_FULL, names))
        if place.short != place.name:
            self._short[place.short].append(Candidate(place, CURRENT_SHORT, names))
        for suffix, kept in (("自治州", "州"), ("自治县", "县"), ("自治旗", "旗")):
            if place.name.endswith(suffix) and len(place.short) >= 2:
                self._full[place.short + kept].append(Candidate(place, CURRENT_SHORT, names))

    def _add_former(self, renaming: Renaming) -> bool:
        """Index a former name under the current place it became; False if that is unknown.
        A new name the tree does not carry yet (it still has 湟中县 for 湟中区) is indexed
        too, under the tree's place."""
        place = self._target(renaming)
        if place is None:
            return False
        old_name, new_name = renaming.old[-1], renaming.new[-1]
        names = self.aliases(place.chain) | self.aliases(renaming.old) | {renaming.old_short}
        if old_name != place.name:
            former = replace(place, renamed_from=old_name)
            self._full[old_name].append(Candidate(former, FORMER, names))
            if renaming.old_short != old_name:
                self._short[renaming.old_short].append(Candidate(former, FORMER, names))
        if new_name != place.name:
            self._full[new_name].append(Candidate(place, FORMER, names))
        return True

    def _target(self, renaming: Renaming) -> Place | None:
        """The place of the tree a renaming's new chain means: the same chain, or the one
        child of its parent with the new name's short name (the change list writes 金秀县
        for 金秀瑶族自治县, 玉环区 for 玉环市)."""
        if (place := self._by_chain.get(renaming.new)) is not None:
            return place
        wanted = short_name(renaming.new[-1])
        found = [p for p in self._children.get(renaming.new[:-1], ()) if p.short == wanted]
        return found[0] if len(found) == 1 else None

    def aliases(self, chain: Sequence[str]) -> frozenset[str]:
        """The full and short names of every level of a chain (short names from the data, or
        cut from the full name for a chain it does not hold)."""
        names = set(chain)
        for size in range(1, len(chain) + 1):
            place = self._by_chain.get(tuple(chain[:size]))
            names.add(place.short if place else short_name(chain[size - 1]))
        return frozenset(names)

    # Names as a heading or a cell writes them

    def resolve(self, written: str, *, within: Sequence[str] = ()) -> Place | None:
        """The place a heading or a table cell names (济南市, 济南, 广西, 襄樊市, 青岛市教育局,
        枣庄市市中区), or None for what is not one division (市本级, 全市, 某市, 城区 without
        a hint). `within`: places the text is known to be inside, to choose between namesakes.
        """
        name = normalize(written)
        if not name or any(word in name for word in NOT_DIVISIONS):
            return None
        hints = [normalize(hint) for hint in within]
        candidates = self.candidates(name)
        if candidates:
            return choose(candidates, hints)
        for prefix in department_splits(name):
            if self.candidates(prefix) or self.compound(prefix, hints):
                return self.resolve(prefix, within=within)
        return self.compound(name, hints)

    def candidates(self, name: str) -> list[Candidate]:
        """Every place `name` may denote, as a full, short or former name."""
        return [*self._full.get(name, ()), *self._short.get(name, ())]

    def compound(self, name: str, hints: Sequence[str]) -> Place | None:
        """The last place of a name written as a chain (山东省青岛市崂山区, 济南市中区)."""
        mentions = self.mentions_in(name, within=hints)
        covered = "".join(mention.written for mention in mentions)
        nested = all(a.place.contains(b.place) for a, b in pairwise(mentions))
        return mentions[-1].place if mentions and covered == name and nested else None

    # Places in running text

    def mentions_in(self, text: str, *, within: Sequence[str] = ()) -> tuple[Mention, ...]:
        """The divisions running text names, in order, with their spans: full names (烟台市,
        福山区, 广西壮族自治区), and a province's or city's short name where a neighbouring
        place or its suffix shows it is one (山东青岛, 济南市中区). A county's short name is
        never read alone (新建, 城中, 市中 are words), and a name that a word continues is
        not read (新建区域, 永安市场). Names that stay ambiguous are left out."""
        tokens = self._tile(self._tokens(text))
        accepted = accept(text, tokens)
        return self._resolve_tokens(text, [t for t, ok in zip(tokens, accepted, strict=True)
                                           if ok], [normalize(hint) for hint in within])

    def first_in(self, text: str, *, within: Sequence[str] = ()) -> Mention | None:
        """The first division running text names, or None."""
        mentions = self.mentions_in(text, within=within)
        return mentions[0] if mentions else None

    def place_of(self, text: str, *, within: Sequence[str] = ()) -> Place | None:
        """The place a text is about: the most specific of its first mentions that nest, each
        right after the one containing it (烟台市福山区推行… → 福山区)."""
        mentions = self.mentions_in(text, within=within)
        if not mentions:
            return None
        last = mentions[0]
        for mention in mentions[1:]:
            gap = text[last.end:mention.start]
            if not (_GAP.fullmatch(gap) and last.place.contains(mention.place)):
                break
            last = mention
        return last.place

    def _text_forms(self) -> dict[str, bool]:
        """The names read in running text, each True if a full name: every full and former
        name, and the short names (2+ characters) of provinces and cities."""
        forms = {name: False for name, cands in self._short.items()
                 if len(name) >= 2 and any(c.place.level != "county" for c in cands)}
        forms.update({name: True for name in self._full})
        return forms

    def _form_lengths(self) -> dict[str, tuple[int, ...]]:
        """The lengths of the text forms by first character, longest first."""
        lengths: dict[str, set[int]] = defaultdict(set)
        for form in self._forms:
            lengths[form[0]].add(len(form))
        return {char: tuple(sorted(sizes, reverse=True)) for char, sizes in lengths.items()}

    def _tokens(self, text: str) -> list[Token]:
        """Every occurrence of a text form, overlapping ones included, by start then length."""
        found = []
        for start, char in enumerate(text):
            for size in self._lengths.get(char, ()):
                form = text[start:start + size]
                if form in self._forms and (token := self._token(text, start, form)):
                    found.append(token)
        return sorted(found, key=lambda token: (token.start, -token.end))

    def _token(self, text: str, start: int, form: str) -> Token | None:
        """The token for `form` at `start`; a full name a word continues becomes its short
        name (青岛市区 → 青岛) or, for a county, nothing."""
        end = start + len(form)
        if not self._forms[form]:
            cands = [c for c in self._short[form] if c.place.level != "county"]
            return Token(start, end, False, tuple(cands))
        cands = tuple(self._full[form])
        county = all(c.place.level == "county" for c in cands)
        tier = county_tier(form) if county else ALONE
        following = text[end - 1:end + 1]
        if following in _WORD_AFTER or (following in _OWN_AREA and tier != ALONE):
            return shortened(Token(start, end, True, cands))
        return Token(start, end, True, cands, tier)

    def _tile(self, found: Sequence[Token]) -> list[Token]:
        """Non-overlapping tokens, leftmost and longest first, except that a city's suffix
        may begin its county's name (济南市中区 is 济南 + 市中区)."""
        tiles: list[Token] = []
        for token in found:
            if not tiles or token.start >= tiles[-1].end:
                tiles.append(token)
                continue
            last = tiles[-1]
            if token.full and token.start > last.start and inside(last, token):
                cut = shortened(last, token.start)
                if cut is not None:
                    tiles[-1:] = [cut, token]
        return tiles

    def _resolve_tokens(self, text: str, tokens: Sequence[Token],
                        hints: Sequence[str]) -> tuple[Mention, ...]:
        """Mentions of the accepted tokens that name one place: the child of the place right
        before, else the choice the hints and the earlier mentions make."""
        mentions: list[Mention] = []
        seen = list(hints)
        last: tuple[Token, Place] | None = None  # the token before and the place it named
        for token in tokens:
            cands: Sequence[Candidate] = token.candidates
            if last is not None and adjacent(text, last[0], token):
                cands = [c for c in cands if last[1].contains(c.place)] or cands
            place = choose(cands, seen)
            if place is not None:
                mentions.append(Mention(place, token.start, token.end, text[token.start:token.end]))
                seen += [name for name in place.chain if name not in seen]
            last = (token, place) if place is not None else None
        return tuple(mentions)

    # Filters

    def matches(self, place_chain: Sequence[str], wanted: str) -> bool:
        """Whether a case whose place has this chain matches a filter on `wanted`, a full or
        short name of any level (山东, 山东省, 青岛, 崂山区) or a former one (襄樊)."""
        name = normalize(wanted)
        if not name or not place_chain:
            return False
        if name in self.aliases(place_chain):
            return True
        place = self.resolve(name)
        return place is not None and tuple(place_chain[:len(place.chain)]) == place.chain

    def places_under(self, wanted: str, *, within: Sequence[str] = ()) -> tuple[Place, ...]:
        """The place `wanted` names and every division inside it; empty if it names none."""
        place = self.resolve(wanted, within=within)
        if place is None:
            return ()
        current = self._by_chain[place.chain]
        return (current, *(other for other in self.places if current.contains(other)))

    def place(self, chain: Sequence[str]) -> Place | None:
        """The division with this chain of full names, if it exists now."""
        return self._by_chain.get(tuple(chain))


@functools.cache
def gazetteer() -> Gazetteer:
    """The shared gazetteer of the installed jionlp's data, loaded on first use (0.2 s, 5 MB
    kept; 48 MB at the peak of reading)."""
    return Gazetteer.load()


def matches(place_chain: Sequence[str], wanted: str) -> bool:
    """Whether a place with this chain matches a filter on `wanted` (see `Gazetteer.matches`)."""
    return gazetteer().matches(place_chain, wanted)
