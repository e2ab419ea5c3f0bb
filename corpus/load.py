"""Load source documents (text plus a metadata file beside it) into `Case` records."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError
from corpus.formats import read_document_text
from corpus.ids import check_doc_id, derive_doc_id, section_slugs
from corpus.models import Case, Document
from corpus.parse import ParsedText, parse_text
from corpus.text import describe_character, find_unsafe

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"
_REQUIRED_META = {"year": int, "province": str}
_TEXT_META = ("title", "province", "source")  # what a case or a document shows as text


def check_metadata_text(meta: dict[str, Any], where: str = "") -> None:
    """Refuse metadata text (title, province, source) that is not a string or that holds a
    control, text-direction or other invisible character: it would reach every case, and a
    brief or export cannot hold it.

    Raises:
        CorpusError: naming the field, the character and where it is.
    """
    for field in _TEXT_META:
        value = meta.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            raise CorpusError(f"{where}field {field!r} must be a str")
        check_clean(value, field, where)


def check_clean(value: str, what: str, where: str = "", fix: str = "remove it") -> None:
    """Refuse `value` if it holds a character no case field may hold (see corpus.text)."""
    index = find_unsafe(value)
    if index is not None:
        raise CorpusError(f"{where}{what} {value!r} holds {describe_character(value[index])} "
                          f"at character {index + 1}: {fix} (control and text-direction "
                          f"characters are invisible, and would reach every case)")


def read_metadata(text_path: Path) -> dict[str, Any]:
    """The JSON metadata kept beside a document (`<name>.json`), checked for required fields."""
    meta_path = text_path.with_suffix(".json")
    if not meta_path.is_file():
        raise CorpusError(f"{text_path}: metadata file {meta_path.name} is missing; it needs "
                          f"at least 'year' and 'province'")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{meta_path}: not valid UTF-8 JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise CorpusError(f"{meta_path}: must be a JSON object with 'year' and 'province'")
    for field, kind in _REQUIRED_META.items():
        value = meta.get(field)
        if not isinstance(value, kind) or isinstance(value, bool):  # JSON's true is no year
            raise CorpusError(f"{meta_path}: field {field!r} must be a {kind.__name__}")
    return meta


def build_cases(parsed: ParsedText, doc: Document) -> tuple[Case, ...]:
    """One `Case` per item, with an id unique in the corpus and stable across rebuilds:
    `<doc>-<place>-<seq>` (see `corpus.ids.section_slugs`)."""
    slugs = section_slugs([section.name for section in parsed.sections],
                          [section.ordinal for section in parsed.sections])
    cases = []
    for section, slug in zip(parsed.sections, slugs, strict=True):
        for item in section.items:
            cases.append(Case(
                id=f"{doc.id}-{slug}-{item.seq}", city=section.name, seq=item.seq,
                text=item.text, title=doc.title, year=doc.year, province=doc.province,
                doc_id=doc.id, line=item.line,
            ))
    return tuple(cases)


def parse_document(path: Path, meta: dict[str, Any]) -> tuple[Document, tuple[Case, ...],
                                                              ParsedText]:
    """Read and parse one document with the given metadata (nothing is stored).

    Raises:
        CorpusError: an unsupported or unreadable file, a file name or metadata holding a
            control character, or metadata without a title.
        CorpusFormatError: text whose structure the parser cannot read (names the line).
    """
    check_clean(path.name, "the file name", f"{path.parent}: ", "rename the file without it")
    check_metadata_text(meta)
    text, notes = read_document_text(path)
    parsed = parse_text(text, source=path.name)
    if notes:
        parsed = replace(parsed, warnings=(*notes, *parsed.warnings))
    title = meta.get("title") or parsed.title
    if not title:
        raise CorpusError(f"{path}: no title line in the text and no 'title' in its metadata")
    doc = Document(
        id=check_doc_id(meta.get("id") or derive_doc_id(path.stem)), title=title, year=meta["year"],
        province=meta["province"], source=meta.get("source", ""), path=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )
    return doc, build_cases(parsed, doc), parsed


def load_document(path: Path) -> tuple[Document, tuple[Case, ...]]:
    """Read one stored document and the metadata beside it; parse it into cases.

    Raises:
        CorpusError: missing or invalid metadata (a control character in it, say), or an
            unreadable file.
        CorpusFormatError: text whose structure the parser cannot read (names the line).
    """
    meta = read_metadata(path)
    check_metadata_text(meta, f"{path.with_suffix('.json')}: ")
    doc, cases, _ = parse_document(path, meta)
    return doc, cases
