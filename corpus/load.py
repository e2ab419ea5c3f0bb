"""Load source documents (text plus a metadata file beside it) into `Case` records."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from corpus.cases import (
    Draft,
    Reading,
    province_in,
    read_cases,
    reading_of_items,
    table_columns,
    year_in,
)
from corpus.errors import CorpusError, CorpusFormatError, CorpusNumberingError
from corpus.formats import read_document_text, read_markdown
from corpus.ids import ADMIN_SUFFIXES, check_doc_id, derive_doc_id, section_slugs
from corpus.models import Case, Document
from corpus.outline import PREFACE, Block, Outline, outline_of_lines
from corpus.parse import ParsedText, parse_text
from corpus.places import gazetteer
from corpus.report import describe, report_data
from corpus.text import clean_text, cleaning_notes, describe_character, find_unsafe
from corpus.word import read_docx

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"
_REQUIRED_META = {"year": int, "province": str}  # written at `corpus add`, found or given
_TEXT_META = ("title", "province", "source", "place")  # what cases or documents show as text
_OPTIONAL_META = {"case_level": int, "place": str}  # the reader's overrides (`corpus add`)
MAX_CASE_LEVEL = 9  # as `corpus add --level` allows


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
    for field, kind in _OPTIONAL_META.items():
        value = meta.get(field)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise CorpusError(f"{meta_path}: field {field!r} must be a {kind.__name__}")
    if meta.get("case_level") is not None and not 1 <= meta["case_level"] <= MAX_CASE_LEVEL:
        raise CorpusError(f"{meta_path}: field 'case_level' must be 1 to {MAX_CASE_LEVEL}")
    return meta


ADMIN_ENDINGS = (*ADMIN_SUFFIXES, "省", "旗")


@dataclass(frozen=True)
class Source:
    """A document as lines (line N is `lines[N - 1]`), the heading level of its styled
    headings, its tables (by the line they follow) and what reading the file noted."""

    lines: list[str]
    headings: dict[int, int]
    tables: dict[int, list[list[list[str]]]]  # after line N: its tables, each rows of cells
    notes: list[str]


@dataclass(frozen=True)
class ParseReport:
    """What reading a document found: how it was read, its cases, and what to look at."""

    reading: Reading
    cases: tuple[Case, ...]
    notes: tuple[str, ...] = ()
    found: tuple[str, ...] = ()  # the document's year and province, and where they came from

    @property
    def title(self) -> str | None:
        """The document's title line, if it has one."""
        return self.reading.title

    @property
    def sections(self) -> tuple:
        """The sections of a first-layout document (place headings and their items)."""
        return self.reading.sections

    @property
    def warnings(self) -> tuple[str, ...]:
        """Reading notes, then what the case finder would have a person check."""
        return (*self.notes, *self.reading.outline.notes, *self.reading.warnings)

    def report(self) -> str:
        """The dry run's account of the document (see `corpus.report`)."""
        return describe(self.reading, self.cases, self.notes, self.found)

    def to_dict(self) -> dict[str, Any]:
        """The same account as JSON-ready data (the API's and the page's preview)."""
        return report_data(self.reading, self.cases, self.notes, self.found)


def read_source(path: Path) -> Source:
    """The lines, heading levels and tables of a document in any supported format."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        lines, notes, headings, tables = read_docx(path)
        return Source(lines, headings, tables, notes)
    if suffix == ".md":
        text, notes, headings = read_markdown(path)
    else:
        (text, notes), headings = read_document_text(path), {}
    return Source(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), headings, {},
                  list(notes))


def read_cases_of(source: Source, name: str, meta: dict[str, Any],
                  within: tuple[str, ...]) -> Reading:
    """The cases of a document: the first layout read as it always was (numbered items under
    place headings, same ids), anything else by the outline reader and case finder."""
    overrides = {"level": meta.get("case_level"), "place": meta.get("place")}
    text, changed = clean_text("\n".join(source.lines))
    outline = outline_of_lines(text.split("\n"), source.headings,
                               _table_blocks(source.tables), cleaning_notes(changed))
    if not source.tables and not any(overrides.values()):
        try:
            parsed = parse_text("\n".join(source.lines), source=name)
        except CorpusNumberingError:
            if _headed_by_places(outline, within):
                raise  # the first layout, misnumbered: say where, rather than guess
            parsed = None
        except CorpusFormatError:
            parsed = None
        if parsed is not None and not _a_topic_report(parsed, within):
            # The first reader counts what cleaning took out itself, in its warnings.
            return reading_of_items(parsed, replace(outline, notes=()), within)
    return read_cases(outline, within=within, level=overrides["level"],
                      place=overrides["place"], source=name)


def _a_topic_report(parsed: ParsedText, within: tuple[str, ...]) -> bool:
    """Whether a document in the first layout's numbering is a topic report instead: its
    section headings are mostly topics, not places (`一、加大投入`), and most of its items
    name their place (`1.青岛市新建…`). Anything else keeps the first layout's reading."""
    topics = sum(not _place_like(section.name, within) for section in parsed.sections)
    if topics * 2 <= len(parsed.sections):  # most sections are places: the first layout
        return False
    items = [item for section in parsed.sections for item in section.items]
    placed = sum(1 for item in items
                 if gazetteer().first_in(item.text[:40], within=within) is not None)
    return placed * 2 >= len(items)


def _headed_by_places(outline: Outline, within: tuple[str, ...]) -> bool:
    """Whether most top-level headings of a document are place names (`一、济南市`)."""
    styles = outline.styles_in_order()
    heads = [block.text for block in outline.blocks
             if block.kind == "heading" and styles and block.style == styles[0]]
    return bool(heads) and sum(_place_like(head, within) for head in heads) * 2 >= len(heads)


def _place_like(name: str, within: tuple[str, ...]) -> bool:
    """A section name that is a place: one the gazetteer knows, or a short name with an
    administrative ending (`甲市`), not a topic such as `加大投入`."""
    text = name.strip()
    if gazetteer().resolve(text, within=within) is not None:
        return True
    return len(text) <= 12 and text.endswith(ADMIN_ENDINGS) and not re.search(r"[，。、；]",
                                                                              text)


def _table_blocks(tables: dict[int, list[list[list[str]]]]) -> dict[int, list[Block]]:
    """Table rows as outline blocks, each cell under its column's name (its header, or what
    the column holds when the table has no header row)."""
    blocks: dict[int, list[Block]] = {}
    number = 0
    for after, group in sorted(tables.items()):
        for rows in group:
            number += 1
            header, data = table_columns(rows)
            for row in data:
                cells = tuple((name or f"column {i + 1}", cell) for i, (name, cell)
                              in enumerate(zip(header, row, strict=False)))
                if any(cell for _, cell in cells):
                    blocks.setdefault(after, []).append(Block(
                        "row", " | ".join(cell for _, cell in cells if cell), after + 1,
                        cells=cells, table=number))
    return blocks


def build_cases(reading: Reading, doc: Document) -> tuple[Case, ...]:
    """One `Case` per case found, with an id unique in the corpus and stable across
    rebuilds: `<doc>-<place>-<n>`, n counting the place's cases in document order (see
    `corpus.ids.section_slugs`); the first layout keeps its section numbers."""
    keys = [_place_key(draft) for draft in reading.drafts]
    if reading.sections:  # the first layout: sections as numbered, items as numbered
        slugs = section_slugs([s.name for s in reading.sections],
                              [s.ordinal for s in reading.sections])
        seqs = [d.number for d in reading.drafts]
        ids = [f"{doc.id}-{slugs[d.section]}-{d.number}" for d in reading.drafts]
    else:
        distinct = list(dict.fromkeys(keys))
        names = [_slug_name(next(d for d, k in zip(reading.drafts, keys, strict=True)
                                 if k == key)) for key in distinct]
        slugs = dict(zip(distinct, section_slugs(names, range(1, len(names) + 1)), strict=True))
        counts: Counter[str] = Counter()
        seqs, ids = [], []
        for key in keys:
            counts[key] += 1
            seqs.append(counts[key])
            ids.append(f"{doc.id}-{slugs[key]}-{counts[key]}")
    return tuple(_case(draft, case_id, doc, seq) for draft, case_id, seq
                 in zip(reading.drafts, ids, seqs, strict=True))


def _place_key(draft: Draft) -> str:
    return draft.place.code if draft.place is not None else draft.written


def _slug_name(draft: Draft) -> str:
    if draft.place is not None:
        return draft.place.short or draft.place.name
    return draft.written or "case"


def _case(draft: Draft, case_id: str, doc: Document, seq: int) -> Case:
    place = draft.place
    return Case(
        id=case_id, city=draft.written or (place.name if place else ""), seq=seq,
        text=draft.text, title=doc.title, year=doc.year,
        province=place.chain[0] if place is not None else doc.province, doc_id=doc.id,
        line=draft.line, case_title=draft.title, place_level=place.level if place else "",
        place_code=place.code if place else "", places=place.chain if place else (),
        place_from=draft.place_from if draft.written else "",
    )


def parse_document(path: Path, meta: dict[str, Any]) -> tuple[Document, tuple[Case, ...],
                                                              ParseReport]:
    """Read and parse one document with the given metadata (nothing is stored). The year and
    province may be left out when the document's title line names them.

    Raises:
        CorpusError: an unsupported or unreadable file, a file name or metadata holding a
            control character, metadata without a title or a year that the text does not
            give either, or a document in which nothing reads as a case.
        CorpusFormatError: a first-layout document whose numbering is broken (names the line).
    """
    check_clean(path.name, "the file name", f"{path.parent}: ", "rename the file without it")
    check_metadata_text(meta)
    source = read_source(path)
    title = meta.get("title") or first_title(source.lines)
    province = meta.get("province") or province_in(title) or ""
    reading = read_cases_of(source, path.name, meta, (province,) if province else ())
    title = meta.get("title") or reading.title
    if not title:
        raise CorpusError(f"{path}: no title line in the text and no 'title' in its metadata")
    found_in_title = None if meta.get("province") else province_in(title)
    if found_in_title and found_in_title != province:  # read again, as later loads will
        province = found_in_title
        reading = read_cases_of(source, path.name, meta, (province,))
    year = meta.get("year") or year_in(title) or year_in(" ".join(
        block.text for block in reading.other if block.line < reading.drafts[0].line))
    if not year:
        raise CorpusError(f"{path}: the title line {title[:40]!r} names no year; give one "
                          f"with --year")
    found = (f"year {year} ({'given' if meta.get('year') else 'from the text'}), province "
             + (f"{province} ({'given' if meta.get('province') else 'from the text'})"
                if province else "none (each case takes its place's)"),)
    doc = Document(
        id=check_doc_id(meta.get("id") or derive_doc_id(path.stem)), title=title, year=year,
        province=province, source=meta.get("source", ""), path=path.name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(), options=reader_options(meta),
    )
    cases = build_cases(reading, doc)
    return doc, cases, ParseReport(reading, cases, tuple(source.notes), found)


def first_title(lines: list[str]) -> str | None:
    """The first line with text, as a title candidate (`附件` skipped), before reading."""
    for line in lines:
        text = line.strip().lstrip("\ufeff#").strip()
        if text and not PREFACE.match(text):
            return text if len(text) <= 100 else None
    return None


def reader_options(meta: dict[str, Any]) -> str:
    """The options a document is read with that change its cases, as canonical JSON ("" for
    none): part of the corpus's digest, so that changing one makes the index stale."""
    given = {name: meta[name] for name in ("case_level", "place") if meta.get(name) is not None}
    return json.dumps(given, ensure_ascii=False, sort_keys=True) if given else ""


def stored_version(path: Path) -> str:
    """The version of a stored document: a digest of its file and of its metadata file."""
    digest = hashlib.sha256()
    for part in (path, path.with_suffix(".json")):
        digest.update(str(part.stat().st_size).encode() + b"\0")
        with open(part, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


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
    return replace(doc, version=stored_version(path)), cases
