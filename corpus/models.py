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


@dataclass(frozen=True)
class Case:
    """One numbered practice of one section (a city) of a document."""

    id: str
    city: str
    seq: int
    text: str
    title: str
    year: int
    province: str
    doc_id: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON-ready data (the API's case object)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Case:
        """Rebuild a case from `to_dict` output."""
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


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
            fields = (doc.id, doc.sha256, doc.title, str(doc.year), doc.province)
            digest.update("\0".join(fields).encode() + b"\n")
        return digest.hexdigest()
