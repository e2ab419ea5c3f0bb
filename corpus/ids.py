"""Ids that end up in file names and URLs: document ids, the slugs of place names, and the
section slugs that make case ids (`<doc>-<section>-<seq>`, e.g. `sd2020-jinan-3`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from pypinyin import lazy_pinyin

from corpus.errors import CorpusError

DOC_ID_PATTERN = r"[a-z0-9][a-z0-9-]{0,63}"
_DOC_ID_RE = re.compile(DOC_ID_PATTERN + r"\Z")
_SLUG_RE = re.compile(r"[^a-z0-9]+")
ADMIN_SUFFIXES = ("市", "州", "地区", "盟", "区", "县")
MAX_SECTION_SLUG = 40  # the longest place slug in China is about 25 letters


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


def section_slugs(names: Sequence[str], ordinals: Sequence[int]) -> list[str]:
    """The slug of each section of one document (`ordinals`: their numbers, all different),
    unique in the document and the same on every load: the place slug with no hyphen
    (`济南市` → `jinan`), so a case id splits one way only and two documents' ids cannot meet
    (`hb` + `2021jinan` + `1`, `hb-2021` + `jinan` + `1`); sections that slug alike get their
    number (`taian1`, `taian2`), and a number that makes a slug already in use an `n2`, `n3`…
    """
    bases = [place_slug(name).replace("-", "")[:MAX_SECTION_SLUG] for name in names]
    twins = Counter(bases)
    taken = {base for base in bases if twins[base] == 1}  # a name of its own keeps it
    slugs = []
    for base, ordinal in zip(bases, ordinals, strict=True):
        slug = base
        if twins[base] > 1:
            slug, again = f"{base}{ordinal}", 1
            while slug in taken:
                again += 1
                slug = f"{base}{ordinal}n{again}"
            taken.add(slug)
        slugs.append(slug)
    return slugs


def derive_doc_id(stem: str) -> str:
    """The document id a file name gives when its metadata names none: `河北 2021` →
    `hebei-2021` (at most 64 characters)."""
    return slugify(stem)[:64].rstrip("-") or "x"


# Names a document may not take: the folder's own README is never a document, and
# /api/documents/trash lists the trash.
RESERVED_IDS = {"readme": "the corpus folder's README is never a document",
                "trash": "/api/documents/trash lists the trash"}


def check_doc_id(doc_id: str) -> str:
    """`doc_id` if it is a valid document id, else a `CorpusError` showing a valid one.

    A document id names the stored file and prefixes every case id and URL, so it is a slug:
    1-64 lower-case ASCII letters, digits and hyphens, starting with a letter or a digit.
    """
    if not isinstance(doc_id, str) or not _DOC_ID_RE.match(doc_id):
        raise CorpusError(f"document id {doc_id!r} is not valid: use 1-64 lower-case letters, "
                          f"digits and hyphens, starting with a letter or digit "
                          f"(for example hb2021 or hebei-2021)")
    if doc_id in RESERVED_IDS:
        raise CorpusError(f"document id {doc_id!r} is reserved ({RESERVED_IDS[doc_id]}); "
                          f"choose another, for example {doc_id}-1")
    return doc_id
