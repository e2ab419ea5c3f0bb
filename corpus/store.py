"""The corpus folder: the one module that reads, adds, replaces, removes and restores its
documents.

    <data>/
      <id>.<txt|md|docx|pdf>   a document exactly as received (the shipped one keeps its name)
      <id>.json                its metadata: id, title, year, province, source, …
      README.md                the folder's own documentation, never a document
      .lock                    held by every writer (exclusively) and every reader (shared)
      .pending/<id>/           a change being made: the new files, then a COMMIT record
      .trash/<stamp>-<id>/     every replaced or removed version, restorable

Rules that keep documents from being lost: a document id is a slug, the stored file's name is
derived from the id alone, and no id or file name already used in the folder is ever written
over unless the caller asks to replace that document, whose previous version then goes to the
trash. A change is staged in `.pending/`, committed by writing one record, then applied by
renames; a change interrupted before its record is dropped, one interrupted after it is
finished by the next process that opens the folder. Readers and writers hold the folder's lock,
so a reader never sees a change half applied.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError, DocumentConflictError, DocumentNotFoundError
from corpus.filelock import FileLock
from corpus.formats import SUFFIXES
from corpus.ids import check_doc_id, derive_doc_id
from corpus.load import DEFAULT_DATA_DIR, load_document, read_metadata
from corpus.models import Case, Corpus, Document

README_STEM = "readme"
# Every hold of the folder's lock is short (copying the files to read them, or renaming a
# change into place), so a wait this long means a stuck process: give up and name it.
LOCK_WAIT_SECONDS = 120.0
COMMIT = "COMMIT"
Waiting = Callable[[str], None] | None


@dataclass(frozen=True)
class StoredDocument:
    """A document file in the folder, its id, and its metadata (None if unreadable)."""

    path: Path
    id: str
    meta: dict[str, Any] | None


@dataclass(frozen=True)
class Problem:
    """A stored document that cannot be read, and why."""

    path: Path
    message: str


@dataclass(frozen=True)
class Change:
    """What a write did: the document now stored (if any) and where the old one went."""

    doc_id: str
    stored: Path | None
    trashed: Path | None


def is_document(path: Path) -> bool:
    """A file the corpus reads: a supported format, not hidden, not the folder's README."""
    return (path.is_file() and path.suffix.lower() in SUFFIXES
            and not path.name.startswith(".") and path.stem.lower() != README_STEM)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class CorpusStore:
    """The documents of one data folder."""

    def __init__(self, data_dir: Path = DEFAULT_DATA_DIR) -> None:
        self.data = Path(data_dir)
        self.lock = FileLock(self.data / ".lock", f"the corpus in {self.data}")
        self.pending = self.data / ".pending"
        self.trash = self.data / ".trash"

    # Reading

    def paths(self) -> list[Path]:
        """The document files, in file-name order."""
        if not self.data.is_dir():
            raise CorpusError(f"{self.data}: the corpus folder does not exist (CASESEARCH_DATA)")
        return sorted(p for p in self.data.iterdir() if is_document(p))

    def documents(self) -> list[StoredDocument]:
        """Every document with its id: its metadata's, else the one its file name gives."""
        found = []
        for path in self.paths():
            try:
                meta: dict[str, Any] | None = read_metadata(path)
            except CorpusError:
                meta = None
            doc_id = (meta or {}).get("id") or derive_doc_id(path.stem)
            found.append(StoredDocument(path, str(doc_id), meta))
        return found

    def find(self, doc_id: str) -> StoredDocument | None:
        """The stored document with this id, if any."""
        return next((doc for doc in self.documents() if doc.id == doc_id), None)

    def names_in_use(self, documents: list[StoredDocument] | None = None,
                     ) -> dict[str, tuple[str, str | None]]:
        """Every name a new document could collide with → (the file that holds it, the id of
        its document or None): each document's id, each file's stem (any file: a document, its
        metadata, the README, an unrelated note) and the id that stem would give."""
        documents = self.documents() if documents is None else documents
        owner = {}
        for doc in documents:
            owner[doc.path.name] = owner[doc.path.with_suffix(".json").name] = doc
        used: dict[str, tuple[str, str | None]] = {}
        for path in sorted(self.data.iterdir()):
            if path.name.startswith(".") or not path.is_file():
                continue
            doc = owner.get(path.name)
            holder = (doc.path.name, doc.id) if doc else (path.name, None)
            for name in (path.stem.lower(), derive_doc_id(path.stem)):
                used.setdefault(name, holder)
        for doc in documents:
            used[doc.id] = (doc.path.name, doc.id)
        return used

    def load(self, *, on_wait: Waiting = None) -> Corpus:
        """Every document, parsed into cases.

        Raises:
            CorpusError: the folder has no documents, two documents share an id, or one of
                them cannot be read (the message names it and says why).
        """
        corpus, problems = self.load_readable(on_wait=on_wait)
        if problems:
            raise CorpusError(problems[0].message)
        return corpus

    def load_readable(self, *, on_wait: Waiting = None) -> tuple[Corpus, list[Problem]]:
        """The documents that can be read, and a `Problem` for each that cannot.

        The files are copied under the shared lock, so that no change is seen half made, and
        parsed from the copies with the lock released: a document that takes long to read (or
        never finishes) cannot keep a writer waiting.

        Raises:
            CorpusError: no document at all can be read.
        """
        self.recover(on_wait=on_wait)
        with tempfile.TemporaryDirectory(prefix="casesearch-reading-") as scratch:
            copies = self._snapshot(Path(scratch), on_wait)
            documents: list[Document] = []
            cases: list[Case] = []
            problems = []
            for path, copy in copies:
                if isinstance(copy, str):
                    problems.append(Problem(path, copy))
                    continue
                try:
                    doc, doc_cases = load_document(copy)
                except CorpusError as exc:
                    problems.append(Problem(path, str(exc).replace(scratch, str(self.data))))
                    continue
                if any(d.id == doc.id for d in documents):
                    problems.append(Problem(path, f"{path}: document id {doc.id!r} is used by "
                                                  f"another document"))
                    continue
                documents.append(doc)
                cases.extend(doc_cases)
        if not documents:
            raise CorpusError(problems[0].message)
        return Corpus(documents=tuple(documents), cases=tuple(cases)), problems

    def _snapshot(self, scratch: Path, on_wait: Waiting) -> list[tuple[Path, Path | str]]:
        """(stored file, its copy in `scratch`, or why it cannot be copied) for every
        document, its metadata copied too."""
        with self.lock.hold(shared=True, on_wait=on_wait, timeout=LOCK_WAIT_SECONDS):
            paths = self.paths()
            if not paths:
                raise CorpusError(f"{self.data}: no documents ({', '.join(SUFFIXES)}) found")
            copies = []
            for path in paths:
                copy = scratch / path.name
                try:
                    shutil.copyfile(path, copy)
                    meta = path.with_suffix(".json")
                    if meta.is_file():
                        shutil.copyfile(meta, copy.with_suffix(".json"))
                except OSError as exc:  # unreadable (permissions, a disk error): say so
                    copies.append((path, f"{path}: cannot be read ({exc.strerror or exc})"))
                    continue
                copies.append((path, copy))
        return copies

    # Writing

    def add(self, source: Path, meta: dict[str, Any], *, replace: bool = False,
            on_wait: Waiting = None) -> Change:
        """Store `source` as received, with `meta` (which must hold a valid 'id') beside it.

        Args:
            source: the document as received.
            meta: its metadata: id, title, year, province, source.
            replace: the id must belong to a stored document, which is moved to the trash;
                otherwise the id and the file name must both be new to the folder.

        Raises:
            CorpusError: an invalid id, an id or name in use (naming the document holding
                it), or, with `replace`, no document with that id.
        """
        doc_id = check_doc_id(meta.get("id", ""))
        suffix = Path(source).suffix.lower()
        record = {**meta, "id": doc_id, "received_as": meta.get("received_as") or Path(source).name,
                  "stored_at": datetime.now(UTC).isoformat(timespec="seconds")}
        files = {f"{doc_id}{suffix}": Path(source).read_bytes(),
                 f"{doc_id}.json": (json.dumps(record, ensure_ascii=False, indent=2)
                                    + "\n").encode("utf-8")}
        with self._writing(on_wait):
            old = self._check_target(doc_id, suffix, replace)
            return self._commit(doc_id, files, old)

    def check_add(self, doc_id: str, suffix: str, *, replace: bool = False) -> None:
        """Raise the `CorpusError` that `add` would raise for this id, changing nothing."""
        self._check_target(check_doc_id(doc_id), suffix.lower(), replace)

    def remove(self, doc_id: str, *, on_wait: Waiting = None) -> Change:
        """Move a document and its metadata to the trash.

        Raises:
            CorpusError: no document has this id.
        """
        with self._writing(on_wait):
            doc = self.find(doc_id)
            if doc is None:
                raise DocumentNotFoundError(f"no document has id {doc_id!r}",
                                            cli="see `casesearch corpus list`",
                                            http="see GET /api/documents")
            return self._commit(doc_id, {}, self._files_of(doc))

    def trashed(self) -> list[tuple[Path, dict[str, Any] | None]]:
        """Every version in the trash (newest first), with its metadata if readable."""
        if not self.trash.is_dir():
            return []
        versions = []
        for folder in sorted(self.trash.iterdir(), reverse=True):
            if not folder.is_dir():  # a stray file (a desktop's .DS_Store): not a version
                continue
            doc = next((p for p in sorted(folder.iterdir()) if is_document(p)), None)
            if doc is not None:
                try:
                    versions.append((doc, read_metadata(doc)))
                except CorpusError:
                    versions.append((doc, None))
        return versions

    def restore(self, doc_id: str, *, on_wait: Waiting = None) -> Change:
        """Put back the newest trashed version of `doc_id`, trashing the current one if any.

        Raises:
            CorpusError: the trash holds no version of this id.
        """
        for path, meta in self.trashed():
            if meta is not None and meta.get("id") == doc_id:
                replace = self.find(doc_id) is not None
                return self.add(path, meta, replace=replace, on_wait=on_wait)
        raise DocumentNotFoundError(f"the trash holds no version of {doc_id!r}",
                                    cli="see `casesearch corpus trash`",
                                    http="see GET /api/documents/trash")

    def _check_target(self, doc_id: str, suffix: str, replace: bool) -> list[Path]:
        """The files the new document replaces (none unless `replace`), after checking that
        nothing else would be overwritten."""
        documents = self.documents()
        current = next((doc for doc in documents if doc.id == doc_id), None)
        if replace:
            if current is None:
                raise DocumentNotFoundError(
                    f"no document has id {doc_id!r} to replace",
                    cli="add it without --replace (see `casesearch corpus list`)",
                    http="add it with POST /api/documents (see GET /api/documents)")
            old = self._files_of(current)
        else:
            old = []
            used = self.names_in_use(documents)
            if doc_id in used:
                holder, holder_id = used[doc_id]
                if holder_id is None:
                    raise DocumentConflictError(
                        f"document id {doc_id!r} is already used by {holder} (not a "
                        f"document) in the corpus folder", cli="pass another --id",
                        http="give another `id`")
                kept = "(its current version is kept in the trash)"
                raise DocumentConflictError(
                    f"document id {doc_id!r} is already used by {holder} (document "
                    f"{holder_id!r})",
                    cli=f"pass another --id, or --replace {holder_id} to replace that "
                        f"document {kept}",
                    http=f"give another `id`, or replace that document with PUT "
                         f"/api/documents/{holder_id} {kept}")
        for name in (f"{doc_id}{suffix}", f"{doc_id}.json"):
            target = self.data / name
            if target.exists() and target not in old:
                raise DocumentConflictError(
                    f"{target.name} already exists in the corpus folder and is not part of "
                    f"document {doc_id!r}", cli=f"move it away from {self.data} first",
                    http="give another `id`")
        return old

    @staticmethod
    def _files_of(doc: StoredDocument) -> list[Path]:
        meta = doc.path.with_suffix(".json")
        return [doc.path] + ([meta] if meta.is_file() else [])

    @contextmanager
    def _writing(self, on_wait: Waiting) -> Iterator[None]:
        if not self.data.is_dir():
            raise CorpusError(f"{self.data}: the corpus folder does not exist (CASESEARCH_DATA)")
        with self.lock.hold(on_wait=on_wait, timeout=LOCK_WAIT_SECONDS):
            self._recover_locked()
            yield

    def _commit(self, doc_id: str, files: dict[str, bytes], old: list[Path]) -> Change:
        """Stage `files`, write the commit record, then apply it (see the module doc)."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        staging = self.pending / doc_id
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name, data in files.items():
            _write_durably(staging / name, data)
        record = {"new": sorted(files), "old": [p.name for p in old],
                  "trash": f"{stamp}-{doc_id}"}
        _write_durably(staging / f".{COMMIT}", json.dumps(record).encode())
        os.replace(staging / f".{COMMIT}", staging / COMMIT)  # the change is decided here
        _fsync_dir(staging)
        return self._apply(staging, doc_id)

    def _apply(self, staging: Path, doc_id: str) -> Change:
        """Carry out a committed change; safe to run again after an interruption."""
        record = json.loads((staging / COMMIT).read_text(encoding="utf-8"))
        trash_dir = self.trash / record["trash"]
        if record["old"]:
            trash_dir.mkdir(parents=True, exist_ok=True)
        # The document file goes last into place and first out of it: it is what makes a
        # document exist, so its metadata is always there when it is.
        for name in sorted(record["old"], key=lambda n: n.endswith(".json")):
            if (self.data / name).exists():
                os.replace(self.data / name, trash_dir / name)
        for name in sorted(record["new"], key=lambda n: not n.endswith(".json")):
            if (staging / name).exists():
                os.replace(staging / name, self.data / name)
        _fsync_dir(self.data)
        shutil.rmtree(staging)
        stored = next((self.data / n for n in record["new"] if not n.endswith(".json")), None)
        return Change(doc_id, stored, trash_dir if record["old"] else None)

    def recover(self, *, on_wait: Waiting = None) -> None:
        """Finish or drop changes that a killed process left in `.pending/`."""
        if not self.pending.is_dir() or not any(self.pending.iterdir()):
            return
        try:
            with self.lock.hold(on_wait=on_wait, timeout=LOCK_WAIT_SECONDS):
                self._recover_locked()
        except OSError:  # a folder this process cannot write: leave it to one that can
            return

    def _recover_locked(self) -> None:
        if not self.pending.is_dir():
            return
        for staging in sorted(self.pending.iterdir()):
            if (staging / COMMIT).is_file():
                self._apply(staging, staging.name)
            else:
                shutil.rmtree(staging, ignore_errors=True)


def load_corpus(data_dir: Path = DEFAULT_DATA_DIR) -> Corpus:
    """Every document of a folder (.txt, .md, .docx, .pdf, each with its .json; README.* is
    the folder's own documentation), in file-name order.

    Raises:
        CorpusError: the folder has no documents, two documents share an id, or one fails.
    """
    return CorpusStore(data_dir).load()
