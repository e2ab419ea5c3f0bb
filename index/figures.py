"""The cases' figures, grouped across cities so that the same measure can be compared.

At build time every case's figures are extracted (`corpus.figures`) and grouped: figures whose
metric phrases mean the same thing, in the same unit and of the same kind, form one group
(`普惠性幼儿园覆盖率`: 青岛市 90 %, 东营市 93.37 %, 威海市 93.09 %, 德州市 85.83 %). Phrases
are compared by the cosine of their embeddings; groups are formed by average-linkage
clustering cut at a threshold calibrated on hand-judged figures (`scripts/calibrate_figures.py`,
kept in `figure_calibration.json` per model). A free-text metric finds the nearest group.

A group's figures are compared like with like: its rows are ranked within their place's level
only (provinces, cities, counties, then places of unknown level), never a district's figure
against a province's.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from corpus.figures import Figure, extract_figures, format_value
from corpus.models import PLACE_LEVELS, Case
from index.errors import UnknownGroupError
from index.models.embedders import TUNED_MARK, Embedder, model_family, normalize_rows
from index.retrieval.glosses import english_words, gloss_words
from index.retrieval.lexical import tokenize, written_in_han

CALIBRATION = Path(__file__).with_name("figure_calibration.json")
# Without a calibration for the model in use, only phrases that embed almost alike are grouped.
UNCALIBRATED_THRESHOLD = 0.95
LEXICAL_WEIGHT = 0.2
VAGUE_CHARS = 2  # a free-text metric: cosine + this × character-pair overlap
_QUOTES = re.compile(r"[“”\"'‘’「」『』《》\s]")


LEVEL_ORDER = (*PLACE_LEVELS, "")  # how a comparison's levels follow one another


@dataclass(frozen=True)
class CaseFigure:
    """A figure of one case, with where it comes from: the case, its place (as written, its
    level and chain) and year."""

    case_id: str
    city: str
    year: int  # the year the text states for it, else its document's
    figure: Figure
    place_level: str = ""  # province | city | county | "" (unknown)
    places: tuple[str, ...] = ()  # the case's place and the divisions above it

    @property
    def display(self) -> str:
        return format_value(self.figure.value, self.figure.unit, self.figure.high)

    @property
    def place(self) -> str:
        """What tells its place from another's: the chain, or the city as written."""
        return "/".join(self.places) if self.places else self.city

    def to_dict(self) -> dict:
        return {"case_id": self.case_id, "city": self.city, "year": self.year,
                "figure": self.figure.to_dict(), "place_level": self.place_level,
                "places": list(self.places)}

    @classmethod
    def from_dict(cls, data: dict) -> CaseFigure:
        return cls(data["case_id"], data["city"], int(data["year"]),
                   Figure.from_dict(data["figure"]), data.get("place_level", ""),
                   tuple(data.get("places", ())))


@dataclass(frozen=True)
class FigureGroup:
    """Figures that measure the same thing: `metric` names it, `members` index the table."""

    id: str
    metric: str
    unit: str
    kind: str
    members: tuple[int, ...]

    def to_dict(self) -> dict:
        return {"id": self.id, "metric": self.metric, "unit": self.unit, "kind": self.kind,
                "members": list(self.members)}


def metric_key(phrase: str) -> str:
    """A metric phrase as compared: without quotes and spaces."""
    return _QUOTES.sub("", phrase)


def case_figures(cases: Iterable[Case]) -> list[CaseFigure]:
    """Every figure of every case, in case order."""
    return [CaseFigure(case.id, case.city, figure.year or case.year, figure, case.place_level,
                       case.places)
            for case in cases for figure in extract_figures(case.text)]


@lru_cache(maxsize=8)
def _calibrations() -> dict[str, float]:
    try:
        data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
        return {str(model): float(value["threshold"]) for model, value in data.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def models_key(embedders: Sequence[Embedder]) -> str:
    """What a grouping threshold is calibrated for: the models that compare phrases (a model
    tuned for its corpus by its family, `<base id>+tuned`: every re-tuning of it is alike
    enough to share one threshold, measured by scripts/calibrate_figures.py)."""
    return "+".join(_family_id(embedder.model_id) for embedder in embedders)


def _family_id(model_id: str) -> str:
    if model_family(model_id) != "tuned":
        return model_id
    return model_id.split(TUNED_MARK)[0] + TUNED_MARK.rstrip(".")


def calibrated_threshold(models: str) -> float:
    """The grouping threshold calibrated for these models, or a strict default."""
    return _calibrations().get(models, UNCALIBRATED_THRESHOLD)


def similarity(keys: Sequence[str], vector_sets: Sequence[np.ndarray],
               characters: bool = True) -> np.ndarray:
    """How alike metric phrases are, [len(keys)]²: the mean of each embedder's cosine and of
    the phrases' share of character pairs in common (embeddings of short Chinese phrases all
    lie close together; shared characters tell 新增学位 from 新建幼儿园). `characters=False`
    leaves the characters out (to measure what they add)."""
    if not keys:
        return np.zeros((0, 0), np.float32)
    parts = [vectors @ vectors.T for vectors in vector_sets]
    if characters or not parts:
        parts.append(np.array([[_overlap(a, b) for b in keys] for a in keys], np.float32))
    alike = (sum(parts) / len(parts)).astype(np.float32)
    # A phrase of one or two characters (学校, 教师, 农村) names a kind of thing, not a
    # measure: it is compared only with the same phrase.
    vague = np.array([len(key) <= VAGUE_CHARS for key in keys])
    alike[vague[:, None] | vague[None, :]] = 0.0
    np.fill_diagonal(alike, 1.0)
    same = np.array([[a == b for b in keys] for a in keys])
    alike[same] = 1.0
    return alike


def cluster(alike: np.ndarray, threshold: float) -> list[int]:
    """A cluster number per row of a similarity matrix: average-linkage clusters whose mean
    similarity stays at or above `threshold`."""
    if len(alike) < 2:
        return [0] * len(alike)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distance = np.clip(1.0 - (alike + alike.T) / 2, 0.0, None).astype(np.float64)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    return [int(label) for label in fcluster(tree, t=1.0 - threshold, criterion="distance")]


def _group_id(kind: str, unit: str, metric: str) -> str:
    return "f" + hashlib.sha256(f"{kind}\0{unit}\0{metric}".encode()).hexdigest()[:10]


def group_figures(figures: Sequence[CaseFigure], keys: Sequence[str], alike: np.ndarray,
                  threshold: float) -> list[FigureGroup]:
    """Groups of figures in the same unit and of the same kind whose metric phrases cluster
    together; the most common phrase names a group. Largest groups (most cities) first, those
    named by a phrase of one or two characters last."""
    row_of = {key: row for row, key in enumerate(keys)}
    buckets: dict[tuple[str, str], list[int]] = {}
    for number, item in enumerate(figures):
        buckets.setdefault((item.figure.kind, item.figure.unit), []).append(number)
    groups = []
    for (kind, unit), members in buckets.items():
        bucket_keys = list(dict.fromkeys(metric_key(figures[m].figure.metric) for m in members))
        rows = [row_of[key] for key in bucket_keys]
        labels = cluster(alike[np.ix_(rows, rows)], threshold)
        cluster_of = dict(zip(bucket_keys, labels, strict=True))
        for label in dict.fromkeys(labels):
            chosen = tuple(m for m in members
                           if cluster_of[metric_key(figures[m].figure.metric)] == label)
            counts = Counter(metric_key(figures[m].figure.metric) for m in chosen)
            name = min(counts, key=lambda key: (-counts[key], len(key), key))
            groups.append(FigureGroup(_group_id(kind, unit, name), name, unit, kind, chosen))
    # Most cities first; groups named by a vague phrase (学校: which schools?) last.
    groups.sort(key=lambda g: (len(g.metric) <= VAGUE_CHARS,
                               -len({figures[m].city for m in g.members}), -len(g.members),
                               g.metric))
    return groups


@dataclass(frozen=True)
class FigureTable:
    """The figures of an index and their groups, with the metric phrases' vectors."""

    figures: tuple[CaseFigure, ...]
    groups: tuple[FigureGroup, ...]
    keys: tuple[str, ...]
    vectors: np.ndarray  # one unit row per key
    threshold: float
    _by_id: dict[str, FigureGroup] = field(default_factory=dict, compare=False, repr=False)
    _group_of: dict[int, str] = field(default_factory=dict, compare=False, repr=False)
    _of_case: dict[str, list[int]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({group.id: group for group in self.groups})
        self._group_of.update({m: group.id for group in self.groups for m in group.members})
        for number, item in enumerate(self.figures):
            self._of_case.setdefault(item.case_id, []).append(number)

    @classmethod
    def empty(cls, dimension: int) -> FigureTable:
        return cls((), (), (), np.zeros((0, dimension), np.float32), UNCALIBRATED_THRESHOLD)

    def group(self, group_id: str) -> FigureGroup:
        """The group with this id; `UnknownGroupError` if there is none."""
        found = self._by_id.get(group_id)
        if found is None:
            raise UnknownGroupError(group_id)
        return found

    def cities(self, group: FigureGroup) -> int:
        return len({self.figures[m].city for m in group.members})

    def of_case(self, case_id: str) -> list[tuple[CaseFigure, FigureGroup]]:
        """A case's figures in text order, each with its group."""
        return [(self.figures[number], self._by_id[self._group_of[number]])
                for number in self._of_case.get(case_id, ())]

    def rows(self, group: FigureGroup) -> list[tuple[CaseFigure, list[CaseFigure]]]:
        """One row per place and year: the figure about the whole place (no sub-area) when
        there is one, else the first; the others of that place and year come with it. Rows
        come by their place's level (LEVEL_ORDER), largest first within a level: a
        district's figure is never ranked against a city's or a province's."""
        by_place: dict[tuple[str, int], list[CaseFigure]] = {}
        for member in group.members:
            item = self.figures[member]
            by_place.setdefault((item.place, item.year), []).append(item)
        rows = []
        for items in by_place.values():
            first = min(items, key=lambda item: bool(item.figure.scope))
            rows.append((first, [item for item in items if item is not first]))
        rows.sort(key=lambda row: (_level_rank(row[0].place_level),
                                   row[0].figure.value is None, -(row[0].figure.value or 0)))
        return rows

    def nearest(self, metric: str, vector: np.ndarray | None, limit: int = 5
                ) -> list[tuple[FigureGroup, float]]:
        """The groups whose metric phrases are nearest a free-text metric, best first, with a
        similarity in [0, 1] (the cosine of the nearest phrase, with a share of character
        pairs in common weighed in)."""
        if not self.groups:
            return []
        asked = metric_key(metric)
        cosine = (self.vectors @ vector if vector is not None and len(self.keys)
                  else np.zeros(len(self.keys), np.float32))
        best_of = dict(zip(self.keys, cosine.tolist(), strict=True))
        # Words in common: characters for a metric in Chinese, dictionary glosses for one in
        # another script (`new school places` meets 新增学位 through 学位's gloss).
        english = [] if written_in_han(metric) else list(dict.fromkeys(english_words(metric)))
        scored = []
        for group in self.groups:
            phrases = {metric_key(self.figures[m].figure.metric) for m in group.members}
            similarity = max(best_of.get(p, 0.0) + LEXICAL_WEIGHT * (
                _gloss_share(english, p) if english else _overlap(asked, p))
                for p in phrases) / (1 + LEXICAL_WEIGHT)
            scored.append((group, round(float(similarity), 4)))
        scored.sort(key=lambda pair: (-pair[1], -self.cities(pair[0])))
        return scored[:limit]

    def to_json(self) -> dict:
        return {"threshold": self.threshold, "keys": list(self.keys),
                "figures": [item.to_dict() for item in self.figures],
                "groups": [group.to_dict() for group in self.groups]}

    @classmethod
    def from_json(cls, data: dict, vectors: np.ndarray) -> FigureTable:
        return cls(tuple(CaseFigure.from_dict(item) for item in data["figures"]),
                   tuple(FigureGroup(g["id"], g["metric"], g["unit"], g["kind"],
                                     tuple(g["members"])) for g in data["groups"]),
                   tuple(data["keys"]), vectors, float(data["threshold"]))


def _level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def _gloss_share(words: Sequence[str], phrase: str) -> float:
    """The share of English words found among the glosses of a Chinese phrase's terms."""
    glossed = {word for term in tokenize(phrase) for word in gloss_words(term)}
    return sum(word in glossed for word in words) / len(words) if words else 0.0


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)} or {text}


def _overlap(a: str, b: str) -> float:
    """Dice coefficient of two phrases' character pairs."""
    pa, pb = _pairs(a), _pairs(b)
    return 2 * len(pa & pb) / (len(pa) + len(pb)) if pa and pb else 0.0


def embed_metrics(keys: Sequence[str], embedder: Embedder) -> np.ndarray:
    """Unit vectors of metric phrases (embedded as queries: short texts compared alike)."""
    if not keys:
        return np.zeros((0, embedder.dimension), np.float32)
    return normalize_rows(embedder.embed_batch(list(keys), "query"))


def build_figure_table(cases: Sequence[Case], embedder: Embedder,
                       second: Embedder | None = None,
                       threshold: float | None = None) -> FigureTable:
    """Extract, embed and group the figures of `cases` (phrases compared by both embedders
    when a second is given; the first one's vectors are kept for free-text lookups)."""
    figures = case_figures(cases)
    keys = tuple(dict.fromkeys(metric_key(item.figure.metric) for item in figures))
    embedders = [embedder, *([second] if second is not None else [])]
    vector_sets = [embed_metrics(keys, each) for each in embedders]
    if threshold is None:
        threshold = calibrated_threshold(models_key(embedders))
    groups = group_figures(figures, keys, similarity(keys, vector_sets), threshold)
    return FigureTable(tuple(figures), tuple(groups), keys, vector_sets[0], threshold)
