"""What the model learns of its corpus: a linear map of the question's vector, trained on the
corpus's own pairs (index.tuning.pairs) against the fixed vectors of the cases.

The bundled multilingual-e5-small reads every education text as much alike; the map moves a
question's vector towards the cases it was made from and away from the others (in-batch
negatives: the other cases of a batch, no case twice in one; softmax scale 20). It starts at
the identity (`A = I + W`, W = 0) and is trained with AdamW, lr 3e-4, batch 16, 600 steps,
seeded. Only questions pass through it: the cases' vectors, the index and the embedding store
stay as the bundled model made them, and the tuned model serves on the same 4-bit engine at
the same speed. docs/QUALITY.md measures it, and the variants not kept (training the model's
upper layers instead: better in float32, lost when written back in 4 bits).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.progress import Progress, report
from index.tuning.pairs import Pair


@dataclass(frozen=True)
class Recipe:
    """How a map is trained; part of a tuned model's identity (index.tuning.store)."""

    steps: int = 600
    batch: int = 16
    learning_rate: float = 3e-4
    scale: float = 20.0
    seed: int = 0


@dataclass(frozen=True)
class Tuned:
    """The trained map (`adapter`, [d, d]: a question's vector v becomes v @ adapter, then
    normalized) and how training went."""

    adapter: np.ndarray
    losses: tuple[float, ...]  # mean loss of each tenth of the steps
    seconds: float


def batches(pairs: Sequence[Pair], size: int, count: int,
            rng: random.Random) -> list[list[int]]:
    """`count` batches of up to `size` pair numbers, no case twice in a batch (its other pairs
    would be counted as wrong answers), drawn from the pairs shuffled again each pass."""
    out: list[list[int]] = []
    if len({pair.row for pair in pairs}) < 2:  # nothing to tell apart
        return out
    pool: list[int] = []
    while len(out) < count:
        if not pool:
            pool = list(range(len(pairs)))
            rng.shuffle(pool)
        batch: list[int] = []
        rows: set[int] = set()
        rest: list[int] = []
        for number in pool:
            if len(batch) < size and pairs[number].row not in rows:
                batch.append(number)
                rows.add(pairs[number].row)
            else:
                rest.append(number)
        pool = rest
        if len(batch) >= 2:  # the last pairs of a pass may all be one case's: left out
            out.append(batch)
    return out


def train_adapter(pairs: Sequence[Pair], questions: np.ndarray, cases: np.ndarray, *,
                  recipe: Recipe = Recipe(), threads: int | None = None,
                  progress: Progress | None = None) -> Tuned:
    """Train the map on `pairs`, given the vectors of their texts (`questions`, in pair order)
    and of the cases (`cases`, by row), all unit length.

    Raises:
        ValueError: fewer than two cases to tell apart, vectors that do not match the pairs,
            or a training that diverged.
    """
    import torch

    started = time.perf_counter()
    if len(questions) != len(pairs):
        raise ValueError(f"{len(questions)} question vectors for {len(pairs)} pairs")
    plan = batches(pairs, recipe.batch, recipe.steps, random.Random(recipe.seed))
    if not plan:
        raise ValueError("tuning needs pairs of at least two cases")
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(recipe.seed)
    q_all = torch.from_numpy(np.ascontiguousarray(questions, np.float32))
    c_all = torch.from_numpy(np.ascontiguousarray(cases, np.float32))
    rows = torch.tensor([pair.row for pair in pairs])
    dimension = q_all.shape[1]
    change = torch.zeros(dimension, dimension, requires_grad=True)
    optimizer = torch.optim.AdamW([change], lr=recipe.learning_rate, weight_decay=0.0)
    losses: list[float] = []
    for step, batch in enumerate(plan):
        chosen = torch.tensor(batch)
        moved = q_all[chosen] + q_all[chosen] @ change
        moved = moved / moved.norm(dim=1, keepdim=True)
        logits = recipe.scale * moved @ c_all[rows[chosen]].T
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        report(progress, "tuning the model", step + 1, len(plan))
    tenth = max(1, len(losses) // 10)
    curve = tuple(round(float(np.mean(losses[i:i + tenth])), 4)
                  for i in range(0, len(losses), tenth))
    adapter = np.eye(dimension, dtype=np.float32) + change.detach().numpy()
    if not np.isfinite(adapter).all():
        raise ValueError("the training diverged (the map is not finite); try fewer steps "
                         "or a lower learning rate")
    return Tuned(adapter, curve, round(time.perf_counter() - started, 2))
