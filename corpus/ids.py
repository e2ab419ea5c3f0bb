"""Ids that end up in file names and URLs: document ids, and the slugs of place names."""

from __future__ import annotations

import re

from pypinyin import lazy_pinyin

from corpus.errors import CorpusError

DOC_ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,63}"
_DOC_ID_RE = re.compile(DOC_ID_PATTERN + r"\Z")
_SLUG_RE = re.compile(r"[^a-z0-9]+")
ADMIN_SUFFIXES = ("市", "州", "地区", "盟", "区", "县")


def slugify(text: str) -> str:
    """An ASCII, URL-safe slug: Chinese as pinyin (`济南` → `jinan`), the rest lower-cased."""
    ascii_text = "".join(lazy_pinyin(text)).lower()
    return _SLUG_RE.sub("-", ascii_text).strip("-") or "x"


def short_name(place: str) -> str:
    """A place name without its administrative suffix: `青岛市` → `青岛`; names that would
    keep fewer than two characters stay as they are."""
    for suffix in ADMIN_SUFFIXES:
        if place.endswith(suffix) and len(place) - len(suffix) >= 2:
            return place[: -len(suffix)]
    return place


def place_slug(name: str) -> str:
    """Slug of a place name without its administrative suffix: `济南市` → `jinan`."""
    return slugify(short_name(name))


def derive_doc_id(stem: str) -> str:
    """The document id a file name gives when its metadata names none: `河北 2021` →
    `hebei-2021` (at most 64 characters)."""
    return slugify(stem)[:64].rstrip("-") or "x"


def check_doc_id(doc_id: str) -> str:
    """`doc_id` if it is a valid document id, else a `CorpusError` showing a valid one.

    A document id names the stored file and prefixes every case id and URL, so it is a slug:
    1-64 lower-case ASCII letters, digits and hyphens, starting with a letter or a digit.
    """
    if not isinstance(doc_id, str) or not _DOC_ID_RE.match(doc_id):
        raise CorpusError(f"document id {doc_id!r} is not valid: use 1-64 lower-case letters, "
                          f"digits and hyphens, starting with a letter or digit "
                          f"(for example hb2021 or hebei-2021)")
    return doc_id
