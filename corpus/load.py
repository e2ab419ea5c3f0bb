"""Load source documents (text plus a metadata file beside it) into `Case` records."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin

from corpus.errors import CorpusError
from corpus.formats import SUFFIXES, read_document_text
from corpus.models import Case, Corpus, Document
from corpus.parse import ParsedText, parse_text

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"
_REQUIRED_META = {"year": int, "province": str}
_SLUG_RE = re.compile(r"[^a-z0-9]+")
_ADMIN_SUFFIXES = ("市", "州", "地区", "盟", "区", "县")


def slugify(text: str) -> str:
    """An ASCII, URL-safe slug: Chinese as pinyin (`济南` → `jinan`), the rest lower-cased."""
    ascii_text = "".join(lazy_pinyin(text)).lower()
    return _SLUG_RE.sub("-", ascii_text).strip("-") or "x"


def place_slug(name: str) -> str:
    """Slug of a place name without its administrative suffix: `济南市` → `jinan`."""
    for suffix in _ADMIN_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    return slugify(name)


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
    for field, kind in _REQUIRED_META.items():
        if not isinstance(meta.get(field), kind):
            raise CorpusError(f"{meta_path}: field {field!r} must be a {kind.__name__}")
    return meta


def build_cases(parsed: ParsedText, doc: Document) -> tuple[Case, ...]:
    """One `Case` per item, with an id stable across rebuilds: `<doc>-<place>-<seq>`."""
    slugs = [place_slug(section.name) for section in parsed.sections]
    cases = []
    for section, slug in zip(parsed.sections, slugs, strict=True):
        if slugs.count(slug) > 1:  # two places that read alike in pinyin
            slug = f"{slug}{section.ordinal}"
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
        CorpusError: an unsupported or unreadable file, or metadata without a title.
        CorpusFormatError: text whose structure the parser cannot read (names the line).
    """
    text, notes = read_document_text(path)
    parsed = parse_text(text, source=path.name)
    if notes:
        parsed = replace(parsed, warnings=(*notes, *parsed.warnings))
    title = meta.get("title") or parsed.title
    if not title:
        raise CorpusError(f"{path}: no title line in the text and no 'title' in its metadata")
    doc = Document(
        id=meta.get("id") or slugify(path.stem), title=title, year=meta["year"],
        province=meta["province"], source=meta.get("source", ""), path=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )
    return doc, build_cases(parsed, doc), parsed


def load_document(path: Path) -> tuple[Document, tuple[Case, ...]]:
    """Read one stored document and the metadata beside it; parse it into cases.

    Raises:
        CorpusError: missing or invalid metadata, or an unreadable file.
        CorpusFormatError: text whose structure the parser cannot read (names the line).
    """
    doc, cases, _ = parse_document(path, read_metadata(path))
    return doc, cases


def load_corpus(data_dir: Path = DEFAULT_DATA_DIR) -> Corpus:
    """Every document of a folder (.txt, .md, .docx, each with its .json; README.* is the
    folder's own documentation), in file-name order.

    Raises:
        CorpusError: the folder has no documents, two documents share an id, or one fails.
    """
    paths = sorted(p for p in Path(data_dir).iterdir()
                   if p.suffix.lower() in SUFFIXES and not p.stem.upper() == "README")
    if not paths:
        raise CorpusError(f"{data_dir}: no documents ({', '.join(SUFFIXES)}) found")
    documents, cases = [], []
    for path in paths:
        doc, doc_cases = load_document(path)
        if any(d.id == doc.id for d in documents):
            raise CorpusError(f"{path}: document id {doc.id!r} is used by another document")
        documents.append(doc)
        cases.extend(doc_cases)
    return Corpus(documents=tuple(documents), cases=tuple(cases))
