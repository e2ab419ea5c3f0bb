"""Records that cross module boundaries: documents and the cases parsed from them."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Document:
    """One source document as received, with the metadata kept beside it."""

    id: str
    title: str
    year: int
    province: str
    source: str
    path: str
    sha256: str
    # The reader's options it was read with (`case_level`, `place`) as canonical JSON, or "".
    options: str = ""
    # A digest of the stored file and of its metadata file: which version of the document a
    # build holds (corpus.load.stored_version); "" for a document not read from a folder.
    version: str = ""


PLACE_LEVELS = ("province", "city", "county")


@dataclass(frozen=True)
class Case:
    """One practice of a document: a numbered item under a place, a titled block, a table row
    or a report's item, with the place it is about.

    `city` is the place as the document writes it (a city, a province, a district: kept under
    its first name for compatibility); `places` is that place resolved against the gazetteer,
    with the divisions above it, so a filter can match it at any level.
    """

    id: str
    city: str
    seq: int
    text: str
    title: str
    year: int
    province: str
    doc_id: str
    line: int
    case_title: str = ""
    place_level: str = ""
    place_code: str = ""
    places: tuple[str, ...] = ()
    place_from: str = ""

    @property
    def passage(self) -> str:
        """What an index reads of the case: its own title (when it has one), then its text —
        a titled case's key words are often in its title alone (`深化“县管校聘”改革`)."""
        return f"{self.case_title}\n{self.text}" if self.case_title else self.text

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON-ready data (the API's case object)."""
        data = asdict(self)
        data["places"] = list(self.places)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Case:
        """Rebuild a case from `to_dict` output."""
        values = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        values["places"] = tuple(values.get("places", ()))
        return cls(**values)


@dataclass(frozen=True)
class Corpus:
    """All cases of a set of documents, in document order, and the documents themselves."""

    documents: tuple[Document, ...]
    cases: tuple[Case, ...]

    @property
    def sha256(self) -> str:
        """A digest of the documents and their metadata: names what an index was built from."""
        digest = hashlib.sha256()
        for doc in sorted(self.documents, key=lambda d: d.id):
            fields = (doc.id, doc.sha256, doc.title, str(doc.year), doc.province,
                      *((doc.options,) if doc.options else ()))
            digest.update("\0".join(fields).encode() + b"\n")
        return digest.hexdigest()
