"""Where tuned models are kept, and which one serves.

`<home>/models/tuned/` holds one folder per tuned model, named by what it was tuned for (the
base model, the corpus, the pairs' and the recipe's versions), and a link `current` to the one
that serves. A folder holds:

- `adapter.npy`: the map of a question's vector (index.tuning.train), laid over the base model
  whichever backend runs it;
- `tuning.json`: what it was tuned on and how it went (the last file written: a folder without
  it is unfinished and never served).

A corpus that changed keeps being served by the current tuned model (the new cases are embedded
with it at once) until a model tuned for the new corpus replaces it. A tuning that failed is
recorded in `failed.json` so that it is not retried for the same corpus in a loop.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.artifact.hashing import sha256_file
from index.errors import ModelLoadError
from index.models.embedders import TUNED_MARK
from index.tuning.train import Recipe

PAIRS_VERSION = 1  # bump when index.tuning.pairs makes other pairs
ADAPTER_FILE = "adapter.npy"
RECORD_FILE = "tuning.json"


def tuned_root(home: Path) -> Path:
    return Path(home) / "models" / "tuned"


def tuning_key(base_id: str, corpus_sha256: str, recipe: Recipe) -> str:
    """What a tuned model is for, as 16 hex digits: same key, same model."""
    text = json.dumps([base_id, corpus_sha256, PAIRS_VERSION, asdict(recipe)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TunedModel:
    """A finished tuned model in its folder, and its record."""

    folder: Path
    model_id: str
    base_id: str
    corpus_sha256: str
    cases: int
    pairs: int
    recipe: dict
    seconds: float
    losses: tuple[float, ...]
    created: str

    @property
    def adapter_file(self) -> Path:
        return self.folder / ADAPTER_FILE

    def adapter(self) -> np.ndarray:
        """The map of a question's vector, [d, d] float32.

        Raises:
            ModelLoadError: the file is not a square matrix of finite numbers.
        """
        try:
            adapter = np.load(self.adapter_file, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"the tuned model {self.folder.name} cannot be read ({exc}); "
                                 f"remove the folder and run `casesearch tune`") from exc
        if (adapter.ndim != 2 or adapter.shape[0] != adapter.shape[1]
                or adapter.dtype.kind != "f" or not np.isfinite(adapter).all()):
            raise ModelLoadError(f"the tuned model {self.folder.name} holds no usable map "
                                 f"(shape {adapter.shape}, type {adapter.dtype}); remove the "
                                 f"folder and run `casesearch tune`")
        return adapter.astype(np.float32)


def read_tuned(folder: Path) -> TunedModel | None:
    """The tuned model in `folder`, or None if it is unfinished, damaged or not one."""
    try:
        record = json.loads((Path(folder) / RECORD_FILE).read_text(encoding="utf-8"))
        model = TunedModel(folder=Path(folder), model_id=record["model_id"],
                           base_id=record["base_id"], corpus_sha256=record["corpus_sha256"],
                           cases=int(record["cases"]), pairs=int(record["pairs"]),
                           recipe=dict(record["recipe"]), seconds=float(record["seconds"]),
                           losses=tuple(record["losses"]), created=record["created"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not model.adapter_file.is_file():
        return None
    try:  # the id names the map's digest: a file altered or damaged since is not this model
        digest = _digest(model.adapter_file)
    except OSError:
        return None
    return model if model.model_id.endswith(f"{TUNED_MARK}{digest}") else None


_digests: dict[tuple, str] = {}


def _digest(path: Path) -> str:
    """The first 12 hex digits of a file's SHA-256, computed once per process for the file as
    it is (same size and time): servers look at the current model every few seconds."""
    stat = path.stat()
    state = (str(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)
    if state not in _digests:
        _digests[state] = sha256_file(path)[:12]
    return _digests[state]


def current_tuned(home: Path, base_id: str) -> TunedModel | None:
    """The tuned model that serves, if there is one tuned from `base_id`."""
    link = tuned_root(home) / "current"
    try:
        folder = link.parent / os.readlink(link)
    except OSError:
        return None
    model = read_tuned(folder)
    return model if model is not None and model.base_id == base_id else None


def find_tuned(home: Path, model_id: str) -> TunedModel | None:
    """The kept tuned model with this id (a build made with it may still be served)."""
    root = tuned_root(home)
    if not root.is_dir():
        return None
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and not folder.is_symlink() and not folder.name.startswith("."):
            model = read_tuned(folder)
            if model is not None and model.model_id == model_id:
                return model
    return None


def save_tuned(home: Path, key: str, *, base_id: str, corpus_sha256: str, cases: int,
               pairs: int, recipe: Recipe, adapter: np.ndarray, seconds: float,
               losses: tuple[float, ...]) -> TunedModel:
    """Write a tuned model's folder (staged, then renamed into place) and return it."""
    root = tuned_root(home)
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    staging = root / f".{key}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    np.save(staging / ADAPTER_FILE, np.ascontiguousarray(adapter, np.float32),
            allow_pickle=False)
    digest = _digest(staging / ADAPTER_FILE)
    record = {"model_id": f"{base_id}{TUNED_MARK}{digest}", "base_id": base_id,
              "corpus_sha256": corpus_sha256, "cases": cases, "pairs": pairs,
              "recipe": asdict(recipe), "pairs_version": PAIRS_VERSION, "seconds": seconds,
              "losses": list(losses),
              "created": datetime.now(UTC).isoformat(timespec="seconds")}
    (staging / RECORD_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)
    model = read_tuned(final)
    assert model is not None  # just written
    return model


def point_current(home: Path, model: TunedModel, keep: int = 2) -> None:
    """Make `model` the one that serves (an atomic link swap); keep the `keep` newest others,
    which builds still being served may use, and remove older ones."""
    root = tuned_root(home)
    temporary = root / f".current-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(model.folder.name)
    os.replace(temporary, root / "current")
    others = sorted((f for f in root.iterdir() if f.is_dir() and not f.is_symlink()
                     and not f.name.startswith(".") and f != model.folder),
                    key=lambda f: f.stat().st_mtime, reverse=True)
    for folder in others[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    for leftover in root.glob(".*.partial-*"):  # of a tuning killed while it saved
        if not _alive(leftover.name.rsplit("-", 1)[-1]):
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in root.glob(".current-*"):
        if not _alive(leftover.name.rsplit("-", 1)[-1]):
            leftover.unlink(missing_ok=True)


def _alive(pid: str) -> bool:
    """Whether the process numbered `pid` runs (a name that is no number: not a process)."""
    if not pid.isdecimal():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def record_failure(home: Path, corpus_sha256: str, message: str) -> None:
    root = tuned_root(home)
    root.mkdir(parents=True, exist_ok=True)
    (root / "failed.json").write_text(json.dumps(
        {"corpus_sha256": corpus_sha256, "error": message,
         "at": datetime.now(UTC).isoformat(timespec="seconds")}), encoding="utf-8")


def failure_for(home: Path, corpus_sha256: str) -> str | None:
    """Why tuning for this corpus failed, if it did (not retried until the corpus changes)."""
    try:
        record = json.loads((tuned_root(home) / "failed.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record.get("error") if record.get("corpus_sha256") == corpus_sha256 else None


def clear_failure(home: Path) -> None:
    (tuned_root(home) / "failed.json").unlink(missing_ok=True)
