"""Documents received, read and stored: the one path by which `casesearch corpus add` and the
HTTP API (`/api/documents`, the documents page) change the corpus, without a web framework.

- `document_meta`: the request's options (service.schema.DOCUMENT) and the file's name → the
  metadata a document is read with (its id derived as the command line derives it);
- `read_received`: a file as received, read in a process of its own with a time and memory
  limit (corpus.isolated), or in this process for the command line;
- `store_read`: store what was read (corpus.store: the same ids, lock, staging and trash),
  with what the reader found and who added it;
- `document_records`, `trash_records`: the documents and the trash as the API lists them,
  each with whether the build being served holds its version (`live`);
- `audit`: one log line per change over HTTP — who, what, when, outcome.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from corpus.errors import CorpusError
from corpus.formats import SUFFIXES
from corpus.ids import check_doc_id, derive_doc_id
from corpus.isolated import ReadDocument, read_document, read_here
from corpus.load import stored_version
from corpus.store import Change, CorpusStore, StoredDocument
from corpus.text import shortened

audit_log = logging.getLogger("casesearch.audit")
# The options a document is read with, besides its id (service.schema.DOCUMENT's fields).
READ_OPTIONS = ("year", "province", "title", "case_level", "place")
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e"
                          r"\u2066-\u2069/\\]")
MAX_NAME_CHARS = 120


def received_name(filename: str) -> str:
    """The name a file was sent with, as it may be kept and shown: its last path part (a
    browser may send `C:\\fakepath\\x.docx`), without control, direction or path characters,
    at most MAX_NAME_CHARS (its suffix kept).

    Raises:
        CorpusError: no name is left, or its suffix is not one the reader takes.
    """
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = _UNSAFE_NAME.sub("", name).strip().lstrip(".")
    suffix = Path(name).suffix.lower()
    if len(name) > MAX_NAME_CHARS:
        name = Path(name).stem[:MAX_NAME_CHARS - len(suffix)] + suffix
    if not name or not Path(name).stem:
        raise CorpusError("the file has no name; send it with a file name such as "
                          "compilation.docx")
    if suffix not in SUFFIXES:
        raise CorpusError(f"{shortened(name, 60)}: unsupported format {suffix or '(none)'}; "
                          f"the reader takes {', '.join(SUFFIXES)}")
    return name


def document_id(filename: str, given: str | None, replace: str | None = None) -> str:
    """The id a document is stored under: the one it replaces, else the one given, else one
    derived from its file name.

    Raises:
        CorpusError: the id given and the one replaced disagree, or the id is invalid.
    """
    if replace and given and given != replace:
        raise CorpusError(f"the id {given!r} and the document replaced ({replace!r}) "
                          f"disagree; the new version keeps the id of the document it replaces")
    return check_doc_id(replace or given or derive_doc_id(Path(filename).stem))


def document_meta(args: dict[str, Any], filename: str, *,
                  replace: str | None = None) -> dict[str, Any]:
    """The metadata a document is read with: its id, source, and the options given.

    Raises:
        CorpusError: see `document_id`.
    """
    meta: dict[str, Any] = {"id": document_id(filename, args.get("id"), replace),
                            "source": args.get("source") or ""}
    meta.update({name: args[name] for name in READ_OPTIONS if args.get(name) is not None})
    return meta


def read_received(path: Path, meta: dict[str, Any], *, isolated: bool = True) -> ReadDocument:
    """Read a document as received (nothing is stored).

    Args:
        isolated: in a process of its own, limited in time and memory (anything received
            over a network); otherwise in this process (the command line, a user's own file).

    Raises:
        CorpusError: the document cannot be read, or reading it went past the limits.
    """
    return read_document(path, meta) if isolated else read_here(path, meta)


def store_read(store: CorpusStore, source: Path, read: ReadDocument, *, replace: bool = False,
               added_by: str = "", received_as: str | None = None) -> Change:
    """Store a document that was read, with what the reader found beside it (so every later
    load reads it so) and who added it.

    Raises:
        CorpusError: as `CorpusStore.add` (an id in use, no document to replace, …).
    """
    meta = {**read.meta, "title": read.doc.title, "year": read.doc.year,
            "province": read.doc.province, "cases": read.cases}
    if added_by:
        meta["added_by"] = added_by
    if received_as:
        meta["received_as"] = received_as
    return store.add(source, meta, replace=replace)


@contextmanager
def received_file(data: bytes, name: str) -> Iterator[Path]:
    """The bytes received, as a file of the name they came with (the reader takes the format
    from it), in a private folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="casesearch-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        yield path


# What is listed

@dataclass(frozen=True)
class Served:
    """What the server serves and does: each document's version in the build it serves (id
    → file digest) and its cases there, the build's name, and how background builds stand."""

    documents: dict[str, str]  # a digest is "" for a build made before they were kept
    cases: dict[str, int]
    build: str = ""
    built_at: str = ""
    building: bool = False
    last_build: dict[str, Any] | None = None


class Digests:
    """The version of each stored document (corpus.load.stored_version), computed once per
    state of its two files (their sizes and modification times), so that listing the
    documents does not read them all each time."""

    def __init__(self) -> None:
        self._known: dict[tuple, str] = {}

    def of(self, path: Path) -> str:
        key = (str(path), *((stat.st_size, stat.st_mtime_ns) for stat in
                            (path.stat(), path.with_suffix(".json").stat())))
        if key not in self._known:
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[key] = stored_version(path)
        return self._known[key]


def live_state(doc_id: str, digest: str | None, served: Served, stored_at: str = "") -> str:
    """Where a document's version stands: `live` (the build served holds it), `removed`
    (trashed, but still in the build served), `gone` (trashed and no longer served),
    `building` (a build runs), `failed` (the last build after it was stored failed), or
    `waiting` (a build will serve it: it is started after each change, and the server swaps
    it in within seconds of its end)."""
    held = served.documents.get(doc_id)
    if digest is None:
        return "removed" if held is not None else "gone"
    if held == digest or held == "" and served.built_at >= stored_at:
        return "live"
    if served.building:
        return "building"
    last = served.last_build or {}
    if last.get("ok") is False and str(last.get("at", "")) >= stored_at:
        return "failed"
    return "waiting"


def document_records(store: CorpusStore, served: Served, digests: Digests) -> list[dict]:
    """Every stored document as the API lists it (service.records.DocumentInfo)."""
    return [document_record(doc, served, digests) for doc in store.documents()]


def document_record(doc: StoredDocument, served: Served, digests: Digests) -> dict[str, Any]:
    meta = doc.meta or {}
    try:
        digest: str | None = digests.of(doc.path)
    except OSError:
        digest = None
    state = live_state(doc.id, digest or "", served, str(meta.get("stored_at", "")))
    cases = _int(meta.get("cases"))
    if cases is None and state == "live":  # stored before counts were kept: the build's
        cases = served.cases.get(doc.id)
    return {"id": doc.id, "title": str(meta.get("title", "")), "year": _int(meta.get("year")),
            "province": str(meta.get("province", "")), "file": doc.path.name,
            "received_as": str(meta.get("received_as", doc.path.name)),
            "cases": cases, "stored_at": str(meta.get("stored_at", "")),
            "added_by": str(meta.get("added_by", "")), "version": digest or "",
            "live": state, "readable": doc.meta is not None}


def trash_records(store: CorpusStore, served: Served) -> list[dict[str, Any]]:
    """Every trashed version, newest first (service.records.TrashedVersion)."""
    stored = {doc.id for doc in store.documents()}  # read once, not once a version
    versions = []
    for path, meta in store.trashed():
        meta = meta or {}
        doc_id = str(meta.get("id", ""))
        current = doc_id if doc_id in stored else None
        versions.append({
            "id": doc_id, "version": path.parent.name, "title": str(meta.get("title", "")),
            "year": _int(meta.get("year")), "file": path.name,
            "received_as": str(meta.get("received_as", path.name)),
            "stored_at": str(meta.get("stored_at", "")),
            "added_by": str(meta.get("added_by", "")),
            "stored_now": current is not None,
            "live": live_state(doc_id, None, served) if current is None else "replaced"})
    return versions


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# The audit line

def audit(action: str, doc_id: str, *, who: str, address: str, outcome: str,
          **details: Any) -> None:
    """One log line for a change asked for over HTTP (logger `casesearch.audit`): when (the
    line's time, and `at`), who (the admin key's name and the client's address), what (the
    action, the document, the file), and the outcome (`ok`, or why it was refused)."""
    fields = {"audit": action, "document": doc_id, "by": who, "client": address,
              "outcome": outcome, "at": datetime.now(UTC).isoformat(timespec="seconds"),
              **details}
    text = " ".join(f"{name}={_quoted(value)}" for name, value in fields.items())
    audit_log.info("document change: %s", text, extra=fields)


def _quoted(value: Any) -> str:
    text = str(value)
    return text if text and re.fullmatch(r"[\w.:@+-]+", text) else repr(text)
