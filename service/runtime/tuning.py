"""The bundled model learns the corpus it serves, as a build step that nothing waits for.

`tune_for_corpus` makes the training pairs of the corpus (index.tuning.pairs), embeds them with
the bundled model, trains the map of a question's vector on them against the cases' vectors
(index.tuning.train), keeps it (index.tuning.store), makes it the current model and builds the
index with it — a build that embeds again only the figures' metric phrases (compared as
questions are), as the cases' vectors are the bundled model's own; a running server swaps
that build in as it does any other (service.runtime.reload), the loaded model kept and the
map laid over it.

Nothing waits for it: a server starts with what it has (the base model on a fresh set-up, the
last tuned model after a corpus change: new cases are searchable at once), and `TuningTrigger`
starts a tuning in a background process of low priority whenever the corpus it serves is not
the one the current model was tuned for. One tuning runs at a time (a lock); one that failed is
not retried for the same corpus (its error is kept, for the log and /readyz).

What it costs: the pairs grow with the corpus (about 20 a case) and each is embedded once (a
question's embedding, ~10 ms); past what the steps can visit they are sampled, so the cost
stops growing there. The training is a fixed number of steps (CASESEARCH_TUNE_STEPS) of 16
pairs over vectors, well under a second at 48 cases (docs/QUALITY.md gives the figures).
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, replace

from corpus.filelock import FileLock, LockWaitTimeout
from corpus.store import CorpusStore
from index.models.embedders import BUILTIN_MODEL, configured_model_id
from index.models.vector_store import EmbeddingStore, StoredPassageEmbedder
from index.progress import Progress, report
from index.tuning.pairs import training_pairs
from index.tuning.store import (
    TunedModel,
    clear_failure,
    current_tuned,
    failure_for,
    point_current,
    read_tuned,
    record_failure,
    save_tuned,
    tuned_root,
    tuning_key,
)
from index.tuning.train import Recipe, train_adapter
from service.runtime.jobs import start_job
from service.runtime.settings import Settings

log = logging.getLogger(__name__)
LOG_FILE = "tune.log"


@dataclass(frozen=True)
class TuneOutcome:
    """A finished tuning: the model, whether it was trained now (or found made), the build."""

    model: TunedModel
    trained: bool
    build: object | None  # service.runtime.wiring.BuildResult


def tuning_applies(settings: Settings) -> bool:
    """Whether these settings tune: on, and the bundled model configured."""
    return settings.tune != "off" and settings.model == BUILTIN_MODEL


def tune_lock(settings: Settings) -> FileLock:
    """The lock one tuning holds at a time (its folder is made by the tuning, not here: a
    health check only looks)."""
    return FileLock(tuned_root(settings.home) / ".tune.lock", "the tuning of the model")


def tune_for_corpus(settings: Settings, *, steps: int | None = None, wait: bool = True,
                    build_after: bool = True, threads: int | None = None,
                    progress: Progress | None = None,
                    on_wait: Callable[[str], None] | None = None) -> TuneOutcome:
    """Tune the bundled model for the corpus as it is now (unless a model tuned for it with
    this recipe is kept), make it current, and build the index with it.

    Args:
        steps: training steps (default CASESEARCH_TUNE_STEPS).
        wait: wait for a tuning already running (else raise LockWaitTimeout at once).
        build_after: build the index with the new model.
        threads: CPU threads for the training (default: every core).

    Raises:
        CorpusError: a document cannot be read. LockWaitTimeout: another tuning runs and
            `wait` is false. ValueError: a corpus of fewer than two cases.
    """
    from service.runtime.wiring import build

    if not tuning_applies(settings):
        raise ValueError("tuning applies to the bundled model with CASESEARCH_TUNE=auto")
    tuned_root(settings.home).mkdir(parents=True, exist_ok=True)
    with tune_lock(settings).hold(timeout=None if wait else 0, on_wait=on_wait):
        corpus = CorpusStore(settings.data).load(on_wait=on_wait)
        base_id = configured_model_id(BUILTIN_MODEL) or BUILTIN_MODEL
        recipe = Recipe(steps=steps or settings.tune_steps)
        key = tuning_key(base_id, corpus.sha256, recipe)
        model = read_tuned(tuned_root(settings.home) / key)
        trained = model is None
        if model is None:
            try:
                model = _train(settings, corpus, base_id, key, recipe, threads, progress)
            except Exception as exc:
                record_failure(settings.home, corpus.sha256, f"{type(exc).__name__}: {exc}")
                raise
        clear_failure(settings.home)
        point_current(settings.home, model)
        building = replace(settings, threads=threads) if threads else settings
        result = build(building, progress=progress, on_wait=on_wait) if build_after else None
    return TuneOutcome(model, trained, result)


def _train(settings: Settings, corpus, base_id: str, key: str, recipe: Recipe,
           threads: int | None, progress: Progress | None) -> TunedModel:
    from service.runtime.wiring import load_embedders

    report(progress, "making training pairs", 0, 1)
    pairs = training_pairs(corpus.cases, seed=recipe.seed,
                           max_pairs=recipe.steps * recipe.batch)
    report(progress, "making training pairs", 1, 1)
    log.info("tuning %s on %d pairs of %d cases (%d steps)", base_id, len(pairs),
             len(corpus.cases), recipe.steps)
    embedder, _ = load_embedders(settings, threads=threads or settings.threads
                                 or os.cpu_count(), second=False)
    store = EmbeddingStore(settings.home / "embeddings.sqlite")
    try:  # the cases' vectors are the ones the builds stored
        cases = StoredPassageEmbedder(embedder, store).embed_passages(
            [case.passage for case in corpus.cases], progress=progress,
            stage="embedding cases")
    finally:
        store.close()
    questions = embedder.embed_queries(
        [pair.query for pair in pairs], progress=progress, stage="embedding training pairs")
    tuned = train_adapter(pairs, questions, cases, recipe=recipe, threads=threads,
                          progress=progress)
    model = save_tuned(settings.home, key, base_id=base_id, corpus_sha256=corpus.sha256,
                       cases=len(corpus.cases), pairs=len(pairs), recipe=recipe,
                       adapter=tuned.adapter, seconds=tuned.seconds, losses=tuned.losses)
    log.info("tuned %s in %.1f s (loss %s)", model.model_id, tuned.seconds,
             " → ".join(f"{loss:.2f}" for loss in tuned.losses))
    return model


def tuning_needed(settings: Settings, corpus_sha256: str, served_id: str | None = None) -> bool:
    """Whether a server that serves a build of this corpus (made with `served_id`) should
    start a tuning: tuning applies, and either the current tuned model (if any) was tuned for
    another corpus and no tuning for this one failed, or it was tuned for this one but the
    build served was made with another model (the build a tuning ends with is still due)."""
    if not tuning_applies(settings):
        return False
    base_id = configured_model_id(BUILTIN_MODEL) or BUILTIN_MODEL
    current = current_tuned(settings.home, base_id)
    if current is not None and current.corpus_sha256 == corpus_sha256:
        return served_id is not None and served_id != current.model_id
    return failure_for(settings.home, corpus_sha256) is None


def tuning_state(settings: Settings, corpus_sha256: str, served_id: str) -> str | None:
    """What /readyz says of the tuning for the corpus a build was made from: `tuned` (the
    model tuned for it serves), `running`, `failed: …`, or `pending` (it will start); None
    when tuning does not apply."""
    if not tuning_applies(settings):
        return None
    base_id = configured_model_id(BUILTIN_MODEL) or BUILTIN_MODEL
    current = current_tuned(settings.home, base_id)
    if current is not None and current.corpus_sha256 == corpus_sha256 \
            and current.model_id == served_id:
        return "tuned"
    if tune_lock(settings).holders():
        return "running"
    failed = failure_for(settings.home, corpus_sha256)
    return f"failed: {failed}" if failed else "pending"


def start_background_tuning(settings: Settings) -> subprocess.Popen | None:
    """Start `casesearch tune --background` in a process of its own (it lowers its own
    priority and keeps to one thread: the server keeps the other cores), with the server's own
    settings (service.runtime.jobs), its output appended to `tune.log` beside the tuned
    models; None if a tuning is running already.

    Raises:
        OSError: the folder of tuned models cannot be written, or the process not started.
    """
    if tune_lock(settings).holders():
        return None
    return start_job(settings, ["tune", "--background"], tuned_root(settings.home) / LOG_FILE)


class TuningTrigger:
    """Starts a background tuning when the build a server serves was made from a corpus that
    the current model was not tuned for (or with another model than the one tuned for it);
    once per corpus and model per process (several workers may each try: the lock lets one
    tune)."""

    def __init__(self, settings: Settings,
                 start: Callable[[Settings], object] = start_background_tuning) -> None:
        self.settings, self.start = settings, start
        self._started_for: set[tuple[str, str | None]] = set()

    def __call__(self, corpus_sha256: str, served_id: str | None = None) -> bool:
        """Start a tuning for this corpus if it needs one; True if one was started."""
        seen = (corpus_sha256, served_id)
        if seen in self._started_for or not tuning_needed(self.settings, corpus_sha256,
                                                          served_id):
            return False
        try:
            started = self.start(self.settings)
        except (OSError, LockWaitTimeout) as exc:
            self._started_for.add(seen)  # not tried again in a loop; the log says why
            log.warning("could not start tuning the model in the background: %s", exc)
            return False
        if started is None:  # another tuning runs: look again when it is over
            return False
        self._started_for.add(seen)
        log.info("tuning the model for the corpus in the background (log: %s)",
                 tuned_root(self.settings.home) / LOG_FILE)
        return True
