"""How well figures are extracted and grouped, against hand-judged figures.

Judgments live in `corpus/eval/figures/*.jsonl` (their README says how they were judged): a
text (an indexed case, or a sentence given inline), and every figure in it with its metric
phrase (and phrases also accepted), value, unit, kind and comparison group.

- Extraction: a figure found is *right* when it overlaps a judged figure, its metric phrase is
  one of the accepted ones, and its value and unit are the judged ones; precision is right /
  found, recall right / judged, per kind (the judged kind) and overall. Kinds are scored apart.
- Grouping: over the found figures that match a judged one, every pair that the judgments put
  in one group should share a group, and no other pair: pairwise precision and recall.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from corpus.figures import KINDS, Figure, extract_figures
from index.figures import (
    CaseFigure,
    embed_metrics,
    group_figures,
    metric_key,
    similarity,
)
from index.models.embedders import Embedder
from index.retrieval.search import SearchEngine

DEFAULT_FIGURES_DIR = Path(__file__).resolve().parent.parent / "corpus" / "eval" / "figures"


@dataclass(frozen=True)
class JudgedText:
    """A text and its judged figures (dicts as in the judgment files)."""

    id: str
    text: str
    year: int
    figures: tuple[dict, ...]
    source: str  # the judgment file's name
    fold: str = "tune"  # "heldout": never used to tune the extraction or the grouping


@dataclass(frozen=True)
class Match:
    """A found figure and the judged one it overlaps (None: not a figure)."""

    text_id: str
    found: Figure
    judged: dict | None

    @property
    def metric_right(self) -> bool:
        if self.judged is None:
            return False
        accepted = {metric_key(self.judged["metric"]), *map(metric_key,
                                                            self.judged.get("also", ()))}
        return metric_key(self.found.metric) in accepted

    @property
    def value_right(self) -> bool:
        if self.judged is None:
            return False
        return (_same(self.found.value, self.judged["value"])
                and _same(self.found.high, self.judged.get("high"))
                and self.found.unit == self.judged["unit"])

    @property
    def right(self) -> bool:
        return self.metric_right and self.value_right


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


def load_judged_texts(folder: Path = DEFAULT_FIGURES_DIR,
                      case_text: Callable[[str], str] | None = None) -> list[JudgedText]:
    """Every judged text of every `*.jsonl` file; `case_text(id)` gives an indexed case's text
    (judgments of cases are skipped without it)."""
    texts = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            data = json.loads(line)
            if "case" in data:
                if case_text is None:
                    continue
                text_id, text = data["case"], case_text(data["case"])
            else:
                text_id, text = data["id"], data["text"]
            texts.append(JudgedText(text_id, text, int(data["year"]),
                                    tuple(data["figures"]), path.stem,
                                    data.get("fold", "tune")))
    return texts


def match_figures(judged: JudgedText, found: Sequence[Figure]) -> tuple[list[Match], int]:
    """Each found figure with the first judged figure it overlaps (each judged one used once),
    and how many judged figures were not found."""
    unused = list(judged.figures)
    matches = []
    for figure in found:
        hit = next((g for g in unused if g["start"] < figure.end
                    and figure.start < g["start"] + len(g["text"])), None)
        if hit is not None:
            unused.remove(hit)
        matches.append(Match(judged.id, figure, hit))
    return matches, len(unused)


@dataclass
class ExtractionScore:
    judged: int = 0
    found: int = 0
    right: int = 0
    kind_right: int = 0
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        def rates(judged: int, found: int, right: int) -> dict:
            return {"judged": judged, "found": found, "right": right,
                    "precision": round(right / found, 3) if found else None,
                    "recall": round(right / judged, 3) if judged else None}

        return {**rates(self.judged, self.found, self.right),
                "kind_accuracy": round(self.kind_right / self.right, 3) if self.right else None,
                "by_kind": {kind: rates(**counts) for kind, counts in self.by_kind.items()}}


def score_extraction(texts: Sequence[JudgedText],
                     extract: Callable[[str], list[Figure]] = extract_figures) -> dict:
    """Extraction precision and recall per judgment file and kind (see the module's doc)."""
    scores: dict[str, ExtractionScore] = {}
    for judged in texts:
        score = scores.setdefault(judged.source, ExtractionScore())
        matches, _ = match_figures(judged, extract(judged.text))
        score.judged += len(judged.figures)
        score.found += len(matches)
        for figure in judged.figures:
            _kind_slot(score, figure["kind"])["judged"] += 1
        for match in matches:
            kind = match.judged["kind"] if match.judged else match.found.kind
            slot = _kind_slot(score, kind)
            slot["found"] += 1
            if match.right:
                score.right += 1
                slot["right"] += 1
                score.kind_right += match.found.kind == match.judged["kind"]
    return {source: score.as_dict() for source, score in scores.items()}


def _kind_slot(score: ExtractionScore, kind: str) -> dict[str, int]:
    return score.by_kind.setdefault(kind if kind in KINDS else "level",
                                    {"judged": 0, "found": 0, "right": 0})


def pairwise(labels: Sequence[str], predicted: Sequence[object],
             counted: Callable[[int, int], bool] = lambda i, j: True) -> dict:
    """Pairwise precision and recall of a grouping against judged labels, over the pairs
    `counted` accepts."""
    both = said = truth = 0
    for i in range(len(labels)):
        for j in range(i + 1, len(labels)):
            if not counted(i, j):
                continue
            same_truth, same_said = labels[i] == labels[j], predicted[i] == predicted[j]
            truth += same_truth
            said += same_said
            both += same_truth and same_said
    return {"pairs_judged_same": truth, "pairs_grouped": said, "pairs_right": both,
            "precision": round(both / said, 3) if said else None,
            "recall": round(both / truth, 3) if truth else None}


@dataclass(frozen=True)
class JudgedFigure:
    """A found figure that matches a judged one: what the grouping is scored on."""

    item: CaseFigure
    group: str  # the judged comparison group
    fold: str


def judged_figures(texts: Sequence[JudgedText],
                   city_of: Callable[[str], str] = lambda text_id: text_id,
                   extract: Callable[[str], list[Figure]] = extract_figures
                   ) -> list[JudgedFigure]:
    """The found figures of the judged texts that match a judged figure, with its group."""
    found = []
    for judged in texts:
        matches, _ = match_figures(judged, extract(judged.text))
        found += [JudgedFigure(CaseFigure(judged.id, city_of(judged.id), judged.year, m.found),
                               m.judged["group"], judged.fold)
                  for m in matches if m.judged is not None]
    return found


@dataclass(frozen=True)
class JudgedSet:
    """Everything the figure measures read, for one engine: the judged texts, the found
    figures that match a judged one, their distinct metric phrases and how alike these are."""

    texts: list[JudgedText]
    found: list[JudgedFigure]
    keys: tuple[str, ...]
    alike: np.ndarray
    embedders: list[Embedder]


def judged_set(engine: SearchEngine, folder: Path = DEFAULT_FIGURES_DIR) -> JudgedSet:
    """The judged figures read against an engine's cases, compared by its embedders."""
    cases = {case.id: case for case in engine.cases}
    texts = load_judged_texts(folder, case_text=lambda case_id: cases[case_id].text)
    found = judged_figures(texts, city_of=lambda i: cases[i].city if i in cases else i)
    embedders = [engine.embedder, *([engine.second] if engine.second is not None else [])]
    keys, alike = phrase_similarity(found, embedders)
    return JudgedSet(texts, found, keys, alike, embedders)


def phrase_similarity(found: Sequence[JudgedFigure],
                      embedders: Sequence[Embedder]) -> tuple[tuple[str, ...], np.ndarray]:
    """The distinct metric phrases of `found` and how alike they are (index.figures)."""
    keys = tuple(dict.fromkeys(metric_key(f.item.figure.metric) for f in found))
    return keys, similarity(keys, [embed_metrics(keys, each) for each in embedders])


def score_grouping(found: Sequence[JudgedFigure], keys: Sequence[str], alike: np.ndarray,
                   threshold: float) -> dict:
    """Pairwise precision and recall of grouping at `threshold`: among the tuning fold's
    figures, and, grouping every figure together, over the pairs with a held-out figure (does
    a new document's figure join the right group?)."""
    tune = [f for f in found if f.fold != "heldout"]
    report = {"tune": _pairwise_of(tune, keys, alike, threshold)}
    if len(tune) < len(found):
        held = [f.fold == "heldout" for f in found]
        report["heldout"] = _pairwise_of(found, keys, alike, threshold,
                                         lambda i, j: held[i] or held[j])
    return report


def _pairwise_of(found: Sequence[JudgedFigure], keys: Sequence[str], alike: np.ndarray,
                 threshold: float, counted: Callable[[int, int], bool] = lambda i, j: True
                 ) -> dict:
    groups = group_figures([f.item for f in found], keys, alike, threshold)
    group_of = {member: group.id for group in groups for member in group.members}
    return pairwise([f.group for f in found], [group_of[n] for n in range(len(found))],
                    counted)
