"""The records the service returns, each declared once as a pydantic model.

From each record come its JSON Schema for OpenAPI (`component_schemas`), the MCP tools' output
schemas (`service.assistants.tools`, projections of these made with `projected`) and the CSV
headers (`service.export`, `service.figures`). The JSON itself is made by the core where the
core owns the record (`Case.to_dict`, `Hit.to_dict`) and through `shaped` here otherwise;
tests/service/test_one_definition.py proves that every interface agrees with these.

To add a field to a result: name it in `index.retrieval.hits.RESULT_FIELDS` (a field of the
hit's own also needs its type and description in `HIT_FIELDS` here). A case's fields are read
from `corpus.models.Case` itself: add a description here.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from corpus import models
from corpus.figures import KINDS
from index.retrieval.hits import RESULT_FIELDS
from index.retrieval.match import LEVELS

Level = Literal[LEVELS]  # type: ignore[valid-type]
Kind = Literal[KINDS]  # type: ignore[valid-type]

# How each match level is told to people: (Chinese, short English, what it means).
LEVEL_WORDS = dict(zip(LEVELS, (("回答问题", "answers", "answers the question"),
                                ("部分回答", "partly", "answers part of it"),
                                ("相关", "related", "related at most")), strict=True))
LEVELS_MEANING = ", ".join(f"`{level}` ({words[2]})" for level, words in LEVEL_WORDS.items())


class Record(BaseModel):
    """A record the service returns: no field but those declared."""

    model_config = ConfigDict(extra="forbid")


def projected(name: str, record: type[BaseModel], keep: tuple[str, ...] = (),
              drop: tuple[str, ...] = (), doc: str = "", **added: Any) -> type[Record]:
    """A record made of some of `record`'s fields (`keep`, or all but `drop`), as declared
    there, then the `added` ones (`name=(type, Field(...))`)."""
    names = keep or tuple(name for name in record.model_fields if name not in drop)
    fields = {name: (record.model_fields[name].annotation, record.model_fields[name])
              for name in names}
    return create_model(name, __base__=Record, __doc__=doc or record.__doc__,
                        **fields, **added)


def shaped(record: type[BaseModel], /, **values: Any) -> dict[str, Any]:
    """`values` as the JSON object of `record`, in its fields' order.

    Raises:
        TypeError: a field of the record is missing from `values`, or one is not the record's.
    """
    fields = record.model_fields
    if values.keys() != fields.keys():
        raise TypeError(f"{record.__name__} has the fields {', '.join(fields)}; "
                        f"got {', '.join(values)}")
    return {name: values[name] for name in fields}


def project(record: type[BaseModel], source: dict[str, Any], /, **values: Any) -> dict[str, Any]:
    """The JSON of a `projected` record from that of its source: the fields they share taken
    from `source`, the others (or replaced ones) from `values`."""
    shared = {name: source[name] for name in record.model_fields
              if name in source and name not in values}
    return shaped(record, **shared, **values)


# Cases and results

CASE_FIELDS = {
    "id": "Stable, URL-safe id", "city": "City (section) name, e.g. 济南市",
    "seq": "Item number within its city, from 1", "text": "The practice, in full",
    "title": "Title of the source document", "year": "Year of the source document",
    "province": "Province of the source document, e.g. 山东省",
    "doc_id": "Id of the source document", "line": "Line of the item in its document",
    "case_title": "The case's own title (a titled case, a table's case name), or empty",
    "place_level": "The place's level: province, city or county (a district, a county-level "
                   "city), or empty when it is not a known division",
    "place_code": "The place's administrative division code (GB/T 2260), e.g. 370212, or empty",
    "places": "The place and the divisions above it, full names, province first, e.g. "
              "[\"山东省\", \"青岛市\", \"崂山区\"]",
    "place_from": "Where the place was read: heading, table, text, document or option",
}
Case = create_model(
    "Case", __base__=Record, __doc__="One numbered practice of one city of a document.",
    **{field.name: (get_type_hints(models.Case)[field.name],
                    Field(description=CASE_FIELDS.get(field.name)))
       for field in dataclasses.fields(models.Case)})

# What a result holds besides its case's fields (index.retrieval.hits.RESULT_FIELDS names them
# all, in order; a field of the case named there needs nothing here).
HIT_FIELDS: dict[str, tuple[Any, Any]] = {
    "score": (float, Field(description="Relevance in [0, 1] (fused signals), higher is closer. "
                                       "Results are best first, except that a city named in "
                                       "the question puts its relevant cases ahead")),
    "match": (Level, Field(description=f"How good a match it is: {LEVELS_MEANING}; "
                                       f"calibrated on judged questions (docs/QUALITY.md)")),
    "snippet": (str, Field(description="The sentence that answers, HTML-escaped, with the "
                                       "question's terms in <mark>")),
}
Result = create_model(
    "Result", __base__=Record,
    __doc__="A search or similar-cases result: a case, how close it is, the sentence that "
            "answers.",
    **{name: HIT_FIELDS[name] if name in HIT_FIELDS
       else (Case.model_fields[name].annotation, Case.model_fields[name])
       for name in RESULT_FIELDS})


class SearchResponse(Record):
    """A question's results, best first."""

    query: str
    results: list[Result]  # type: ignore[valid-type]
    took_ms: float


class BatchAnswer(Record):
    """One question of a batch and its results."""

    query: str
    results: list[Result]  # type: ignore[valid-type]


class SearchBatchResponse(Record):
    """The results of each question of a batch, in order."""

    results: list[BatchAnswer]
    took_ms: float


class SimilarResponse(Record):
    """A case and the practices most like it."""

    case: Case  # type: ignore[valid-type]
    results: list[Result]  # type: ignore[valid-type]
    took_ms: float


class CaseList(Record):
    """A page of cases, in document order."""

    total: int
    limit: int
    offset: int
    cases: list[Case]  # type: ignore[valid-type]


class City(Record):
    """A city and how many cases it has."""

    city: str
    count: int


class Place(Record):
    """A place the cases are about or lie in, at any level, and how many cases it holds."""

    name: str = Field(description="Its full name, e.g. 崂山区; for a place no division "
                                  "resolves, as the document writes it")
    level: str = Field(description="province, city or county (a district, a county, a "
                                   "county-level city); empty for a place no division resolves")
    chain: list[str] = Field(description="The place and the divisions above it, full names, "
                                         "province first, e.g. [\"山东省\", \"青岛市\", "
                                         "\"崂山区\"]; empty for a place no division resolves")
    count: int = Field(description="Its cases, with those of the places below it")


# Figures

class FigureRow(Record):
    """One figure of a case, with the sentence it comes from."""

    metric: str = Field(description="What it measures, as the text names it")
    city: str
    year: int = Field(description="The year the text states for it, else its document's")
    value: float | None = Field(description="Normalized: money in 元, 万/亿 multiplied out; "
                                            "null for a rank such as 前列")
    high: float | None = Field(description="The end of a range, else null")
    unit: str = Field(description="元, %, 人, 所, 个, 名次 (a rank) …")
    shown: str = Field(description="As a reader expects it: 213.8 亿元")
    kind: Kind = Field(description="level, change (against an earlier value, a target, or a "
                                   "growth rate) or rank")
    as_written: str = Field(description="The figure as the text writes it")
    approx: str = Field(description="How the text qualifies it (约, 近, 余, 以上), or empty")
    scope: str = Field(description="A part of the city it is about, or empty")
    case_id: str
    text: str = Field(description="The sentence it comes from")
    span: list[int] = Field(description="[start, end) of the figure in its case's text")
    place_level: str = Field(description="The level of its case's place: province, city or "
                                         "county, or empty when unknown; a comparison ranks "
                                         "a figure only against those of the same level")


class ComparedFigure(FigureRow):
    """A city's figure of a year in a comparison, with its others of that year."""

    also: list[FigureRow] = Field(description="The city's other figures of that year in the "
                                              "group (its districts, say)")


class FigureGroup(Record):
    """Figures that measure the same thing, in one unit, across cities."""

    id: str
    metric: str = Field(description="What the group measures")
    unit: str
    kind: Kind
    cities: int = Field(description="How many cities report it")
    count: int = Field(description="How many figures it holds")


class NearGroup(FigureGroup):
    """A group near a metric asked for."""

    similarity: float = Field(description="How near the group is to the metric asked, in "
                                          "[0, 1]")


class FigureGroups(Record):
    """Every figure group, those reported by the most cities first."""

    total: int
    groups: list[FigureGroup]


class FigureComparison(FigureGroup):
    """A group's figures compared across cities."""

    levels: list[str] = Field(description="The place levels of its rows (province, city, "
                                          "county; empty: unknown), in the order the rows come")
    figures: list[ComparedFigure] = Field(description="One row per place and year, by level "
                                                      "(as in `levels`), largest first within "
                                                      "a level: a district's figure is never "
                                                      "ranked against a city's")


class MetricComparison(FigureComparison):
    """The comparison of the group nearest a metric, the groups it gathers with it, and the
    next nearest groups."""

    query: str = Field(description="The metric asked for")
    similarity: float = NearGroup.model_fields["similarity"]
    related: list[FigureComparison] = Field(
        description="Other groups in the same unit about what was asked, each a comparison of "
                    "its own (never ranked with this one's figures): those whose measure names "
                    "it (校车 → 购置新国标校车), and, when it names a thing rather than a "
                    "measure, those reported in a sentence about that thing (校车 → 运营车辆 "
                    "in a sentence on school buses)")
    other_groups: list[NearGroup]


# Documents (service.documents; the routes of service.http.documents)

# Where a document's version stands (service.documents.live_state), as people are told it.
LIVE_WORDS = {"live": ("可搜索", "live"), "waiting": ("等待构建", "waiting for a build"),
              "building": ("正在构建", "building"), "failed": ("构建失败", "build failed"),
              "removed": ("已删除，尚在服务", "removed, still served"),
              "gone": ("已删除", "removed"), "replaced": ("已有新版本", "replaced")}
LiveState = Literal[tuple(LIVE_WORDS)]  # type: ignore[valid-type]
LIVE_MEANING = ("`live`: the build served holds this version; `waiting`: stored, a build "
                "will serve it (one starts after every change, and is served within seconds "
                "of its end); `building`: a build runs; `failed`: the last build after it "
                "was stored failed (see `build`); `removed`: trashed, still served until the "
                "next build; `gone`: trashed and no longer served; `replaced` (in the "
                "trash): a newer version is stored")


class DocumentInfo(Record):
    """A stored document."""

    id: str = Field(description="The document's id, the prefix of its cases' ids")
    title: str
    year: int | None
    province: str = Field(description="Its province, or empty for a national compilation")
    file: str = Field(description="The stored file's name (the id and the format)")
    received_as: str = Field(description="The name the file was received with")
    cases: int | None = Field(description="Cases read from it when it was stored (null for "
                                          "a document stored before this was kept)")
    stored_at: str = Field(description="When it was stored (ISO 8601, UTC)")
    added_by: str = Field(description="Who stored it: the admin key's name, `cli:<user>` "
                                      "from the command line, or empty")
    version: str = Field(description="A digest of the stored file and its metadata: the "
                                     "version a build serves")
    live: LiveState = Field(description=LIVE_MEANING)
    readable: bool = Field(description="Whether its metadata can be read")


class BuildState(Record):
    """Which build serves, and how background builds stand."""

    serving: str = Field(description="The build served now")
    running: bool = Field(description="Whether a build of the index runs now")
    last: dict[str, Any] = Field(description="How the last background build ended: `ok`, "
                                             "`at`, `message` (empty before the first)")
    tuning: str | None = Field(description="The model's tuning for the corpus served: tuned, "
                                           "running, pending, failed: …; null when tuning "
                                           "does not apply")


class DocumentList(Record):
    """The stored documents, and which build serves."""

    documents: list[DocumentInfo]
    build: BuildState


class TrashedVersion(Record):
    """A version in the trash: removed, or replaced by a newer one."""

    id: str
    version: str = Field(description="The trash folder's name: when it was trashed, and the "
                                     "id")
    title: str
    year: int | None
    file: str
    received_as: str
    stored_at: str
    added_by: str
    stored_now: bool = Field(description="Whether a document with this id is stored now "
                                         "(restoring puts it in the trash in turn)")
    live: LiveState = Field(description=LIVE_MEANING)


class TrashList(Record):
    """The trash, newest first."""

    versions: list[TrashedVersion]


class OutlineLevel(Record):
    """One heading level of a document's outline."""

    level: int = Field(description="Its level, 1 the top (what `case_level` takes)")
    style: str = Field(description="How its headings are numbered or styled, e.g. 一、 or h2")
    headings: int
    first_line: int
    first: str = Field(description="Its first heading, shortened")


class OutlineReport(Record):
    """A document's outline."""

    levels: list[OutlineLevel]
    paragraphs: int
    rows: int = Field(description="Table rows")
    blocks: int


class SectionsReport(Record):
    """The first layout's sections (numbered items under place headings)."""

    count: int
    items: int
    heading_style: str
    item_style: str


class ReportCase(Record):
    """A case as the reader found it."""

    id: str
    place: str = Field(description="The place as the document writes it")
    place_level: str
    places: list[str]
    place_from: str = Field(description="Where the place was read: heading, table, text, "
                                        "document or option")
    case_title: str
    line: int
    start: str = Field(description="The start of its text")
    characters: int


class NotCase(Record):
    """A line the reader kept out of the index."""

    line: int
    text: str


class ReadReport(Record):
    """How a document was read (the dry run's report)."""

    title: str
    found: list[str] = Field(description="Where its year and province came from")
    outline: OutlineReport
    layout: str = Field(description="The layout taken as cases")
    level: int | None = Field(description="The outline level taken as cases")
    why: str = Field(description="Why that layout and level")
    sections: SectionsReport | None
    places: int
    cases: list[ReportCase]
    not_cases: list[NotCase]
    warnings: list[str] = Field(description="What to check: reading notes, then the reader's "
                                            "doubts")
    notes: int = Field(description="How many of the warnings are reading notes")


class DocumentPreview(Record):
    """A document read and not stored (a dry run), or the report of one just stored."""

    dry_run: bool
    id: str
    title: str
    year: int
    province: str
    cases: int
    case_ids: list[str]
    replaces: bool = Field(description="Whether it replaces a stored document")
    report: ReadReport


class DocumentChange(Record):
    """What a change did, and where to see it go live."""

    action: Literal["added", "replaced", "removed", "restored"]
    id: str
    document: DocumentInfo | None = Field(description="The document as stored now (null "
                                                      "once removed)")
    trashed: str | None = Field(description="The trash version the previous one went to, "
                                             "if any")
    cases: int | None
    live: LiveState = Field(description=LIVE_MEANING)
    serving: str = Field(description="The build served when the change was made: the change "
                                     "is live in the first build after it (/readyz names the "
                                     "build served as `build`)")
    status: str = Field(description="Where to see it go live: GET this until `live` says "
                                    "so (the first build made after the change serves it)")


class Problem(Record):
    """An error (RFC 9457); some carry more members, such as nearest_groups."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str


API_RECORDS = (Case, Result, SearchResponse, BatchAnswer, SearchBatchResponse, SimilarResponse,
               CaseList, City, Place, FigureRow, ComparedFigure, FigureGroup, NearGroup,
               FigureGroups, FigureComparison, MetricComparison, DocumentInfo, BuildState,
               DocumentList, TrashedVersion, TrashList, ReadReport, DocumentPreview,
               DocumentChange, Problem)


class _Schema(GenerateJsonSchema):
    """JSON Schema without a title for every property (the name says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def json_schema(record: type[BaseModel]) -> dict[str, Any]:
    """A record's JSON Schema, the records it holds under `$defs`."""
    return record.model_json_schema(mode="serialization", schema_generator=_Schema)


def component_schemas(prefix: str = "#/components/schemas/") -> dict[str, dict[str, Any]]:
    """Every record the API returns, by name, as OpenAPI component schemas."""
    _, found = models_json_schema([(record, "serialization") for record in API_RECORDS],
                                  ref_template=prefix + "{model}", schema_generator=_Schema)
    return found["$defs"]
