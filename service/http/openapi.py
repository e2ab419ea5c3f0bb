"""The OpenAPI 3.1 description of the HTTP API, served at /openapi.json."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from service.describe import version
from service.export import BATCH_COLUMNS, CSV_COLUMNS
from service.export import MEDIA_TYPES as TABLE_TYPES
from service.figures import CSV_COLUMNS as FIGURE_CSV_COLUMNS
from service.records import component_schemas
from service.schema import (
    BATCH,
    BRIEF,
    CASES,
    DOCUMENT,
    FIGURES,
    FORMAT,
    SEARCH,
    SIMILAR,
    RequestSpec,
)

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _with_tables(response: dict[str, Any], columns: tuple[str, ...] = CSV_COLUMNS,
                 sheets: str = "one sheet") -> dict[str, Any]:
    """A JSON response that `format=csv` or `format=xlsx` turns into a table, with these
    columns; `sheets` says what the workbook holds."""
    csv = {"schema": {"type": "string",
                      "description": f"UTF-8 with a byte order mark: {','.join(columns)}; a "
                                     f"header, then a row a result"}}
    xlsx = {"schema": {"type": "string", "format": "binary",
                       "description": f"An Excel workbook, {sheets}, the same columns"}}
    return {**response, "content": {**response["content"], _media(TABLE_TYPES["csv"]): csv,
                                    _media(TABLE_TYPES["xlsx"]): xlsx}}


def _media(content_type: str) -> str:
    """`text/csv` of `text/csv; charset=utf-8`: the media type, as OpenAPI's content key."""
    return content_type.split(";")[0]


def _problems(*codes: int) -> dict[str, Any]:
    text = {400: "Malformed request", 401: "No admin key, or a wrong one",
            403: "Document changes over HTTP are off (no CASESEARCH_ADMIN_KEY)",
            404: "Not found", 409: "The id or file name is held by another document",
            410: "Gone", 413: "Body too large", 415: "Not multipart/form-data",
            422: "Invalid argument, or a document the reader cannot read",
            429: "Too many changes from this address (Retry-After)",
            503: "Model and index not loaded yet, or (a batch) the worker runs another batch"}
    return {str(code): {"description": text[code], "content": PROBLEM} for code in codes}


def _param(name: str, where: str, schema: dict[str, Any], description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema,
            "description": description}


CASE_ID = _param("case_id", "path", {"type": "string"}, "Case id, e.g. sd2020-jinan-3", True)
GROUP_ID = _param("group_id", "path", {"type": "string"},
                  "Figure group id, from GET /api/figures", True)
DOC_ID = _param("doc_id", "path", {"type": "string"}, "Document id, e.g. sd2020", True)
# The records the API returns (service.records), then the request bodies (service.schema).
SCHEMAS: dict[str, Any] = {
    **component_schemas(),
    "SearchRequest": SEARCH.json_schema(),
    "SearchBatchRequest": BATCH.json_schema(),
    "DocumentUpload": {
        **DOCUMENT.json_schema(), "required": ["file"],
        "properties": {"file": {"type": "string", "contentMediaType": "application/octet-stream",
                                "description": "The document: .docx, .pdf, .txt or .md (its "
                                               "name gives the format and the default id)"},
                       **DOCUMENT.json_schema()["properties"]}},
}
ADMIN = [{"adminKey": []}]
ADMIN_PROBLEMS = (401, 403, 429)


def _upload(summary: str, operation: str, *, replace: bool) -> dict[str, Any]:
    body = {"required": True, "content": {"multipart/form-data": {
        "schema": _ref("DocumentUpload")}}}
    stored = _json(_ref("DocumentChange"), "Stored; a build to serve it has been started "
                                           "(`status` says when it is live)")
    return {"summary": summary, "operationId": operation, "security": ADMIN,
            **({"parameters": [DOC_ID]} if replace else {}), "requestBody": body,
            "responses": {"200": (_json(_ref("DocumentPreview"), "With dry_run: how it reads "
                                        "(nothing changed)") if not replace else
                                  {**stored, "description": "Replaced, or with dry_run, how "
                                   "it reads: DocumentChange, or DocumentPreview",
                                   "content": {"application/json": {"schema": {"oneOf": [
                                       _ref("DocumentChange"), _ref("DocumentPreview")]}}}}),
                          **({"201": stored} if not replace else {}),
                          **_problems(*ADMIN_PROBLEMS, 404, 409, 413, 415, 422, 503)}}


def _document_paths() -> dict[str, Any]:
    """The routes that change the corpus: each needs an admin key (securitySchemes)."""
    return {
        "/api/documents": {
            "get": {"summary": "The stored documents, each with whether the build served "
                               "holds its version, and which build serves",
                    "operationId": "listDocuments", "security": ADMIN,
                    "responses": {"200": _json(_ref("DocumentList"), "Documents"),
                                  **_problems(*ADMIN_PROBLEMS)}},
            "post": _upload("Add a document (multipart: `file`, and the reader's options); "
                            "with dry_run, only read it and answer how", "addDocument",
                            replace=False)},
        "/api/documents/trash": {"get": {
            "summary": "Removed and replaced versions, newest first",
            "operationId": "listTrash", "security": ADMIN,
            "responses": {"200": _json(_ref("TrashList"), "The trash"),
                          **_problems(*ADMIN_PROBLEMS)}}},
        "/api/documents/{doc_id}": {
            "get": {"summary": "One stored document, and whether it is live",
                    "operationId": "getDocument", "security": ADMIN, "parameters": [DOC_ID],
                    "responses": {"200": _json(_ref("DocumentInfo"), "The document"),
                                  **_problems(*ADMIN_PROBLEMS, 404)}},
            "put": _upload("Replace a document with a new file (the old version goes to the "
                           "trash); with dry_run, only read it", "replaceDocument",
                           replace=True),
            "delete": {"summary": "Move a document to the trash (restorable)",
                       "operationId": "removeDocument", "security": ADMIN,
                       "parameters": [DOC_ID],
                       "responses": {"200": _json(_ref("DocumentChange"), "Removed"),
                                     **_problems(*ADMIN_PROBLEMS, 404, 503)}}},
        "/api/documents/{doc_id}/restore": {"post": {
            "summary": "Put back the newest trashed version (the current one, if any, is "
                       "trashed)", "operationId": "restoreDocument", "security": ADMIN,
            "parameters": [DOC_ID],
            "responses": {"200": _json(_ref("DocumentChange"), "Restored"),
                          **_problems(*ADMIN_PROBLEMS, 404, 503)}}},
    }


def _paths() -> dict[str, Any]:
    format_param = RequestSpec("format", (FORMAT,)).query_parameters()
    search_get_params = SEARCH.query_parameters() + format_param
    return {
        "/api/search": {
            "get": {"summary": "Search cases by a question", "operationId": "searchGet",
                    "parameters": search_get_params,
                    "responses": {
                        "200": _with_tables(_json(_ref("SearchResponse"), "Results, best first")),
                        **_problems(422, 503)}},
            "post": {"summary": "Search cases by a question", "operationId": "searchPost",
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": _ref("SearchRequest")}}},
                     "responses": {"200": _json(_ref("SearchResponse"), "Results, best first"),
                                   **_problems(400, 422, 503)}},
        },
        "/api/search/batch": {
            "post": {"summary": "Search several questions with the same filters (one batch at a "
                                "time per worker; 503 with Retry-After when busy)",
                     "operationId": "searchBatch", "parameters": format_param,
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": _ref("SearchBatchRequest")}}},
                     "responses": {"200": _with_tables(
                         _json(_ref("SearchBatchResponse"), "Results per question, in order"),
                         BATCH_COLUMNS, "a sheet per question"),
                                   **_problems(400, 413, 422, 503)}},
        },
        "/api/cases": {"get": {
            "summary": "List cases in document order", "operationId": "listCases",
            "parameters": CASES.query_parameters(),
            "responses": {"200": _json(_ref("CaseList"), "A page of cases"),
                          **_problems(422, 503)}}},
        "/api/cases/{case_id}": {"get": {
            "summary": "One case", "operationId": "getCase", "parameters": [CASE_ID],
            "responses": {"200": _json(_ref("Case"), "The case"), **_problems(404, 503)}}},
        "/api/cases/{case_id}/similar": {"get": {
            "summary": "Analogous practices: the cases most like this one",
            "operationId": "similarCases",
            "parameters": SIMILAR.query_parameters({"id": "case_id"}) + format_param,
            "responses": {"200": _with_tables(_json(_ref("SimilarResponse"),
                                                    "The case and similar ones")),
                          **_problems(404, 422, 503)}}},
        "/api/cities": {"get": {
            "summary": "Cities and their number of cases", "operationId": "listCities",
            "responses": {"200": _json({"type": "array", "items": _ref("City")}, "Cities"),
                          **_problems(503)}}},
        "/api/places": {"get": {
            "summary": "Places the cases are about or lie in, at every level (a province, its "
                       "cities, their districts and counties), each with its level, chain and "
                       "number of cases; the names the `places` filter takes",
            "operationId": "listPlaces",
            "responses": {"200": _json({"type": "array", "items": _ref("Place")}, "Places"),
                          **_problems(503)}}},
        "/api/figures": {"get": {
            "summary": "Figures compared across cities: without `metric`, every group of "
                       "figures; with it, the nearest group's figures, one row per city and "
                       "year", "operationId": "figures",
            "parameters": [{**param, "required": False}
                           for param in FIGURES.query_parameters()] + format_param,
            "responses": {"200": _with_tables({"description": "The groups, or one comparison",
                                            "content": {"application/json": {"schema": {
                                                "oneOf": [_ref("FigureGroups"),
                                                          _ref("MetricComparison")]}}}},
                                           FIGURE_CSV_COLUMNS, "a sheet for the group and one "
                                           "for each group gathered with it (`related`); the "
                                           "CSV holds the group's own figures"),
                          **_problems(404, 422, 503)}}},
        "/api/figures/{group_id}": {"get": {
            "summary": "One group of figures compared across cities",
            "operationId": "figureGroup", "parameters": [GROUP_ID] + format_param,
            "responses": {"200": _with_tables(_json(_ref("FigureComparison"), "The comparison"),
                                           FIGURE_CSV_COLUMNS),
                          **_problems(404, 503)}}},
        "/api/brief": {"get": {
            "summary": "A brief to download: chosen practices (or those that answer a "
                       "question, never weaker ones), with a figures table, as Word or "
                       "Markdown", "operationId": "brief",
            "parameters": BRIEF.query_parameters(),
            "responses": {"200": {"description": "The brief as a file", "content": {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                    "schema": {"type": "string", "format": "binary"}},
                "text/markdown": {"schema": {"type": "string"}}}},
                **_problems(404, 422, 503)}}},
        "/api/tools": {"get": {
            "summary": "The search as OpenAI function-calling tool definitions (strict schemas), "
                       "each with the endpoint that serves it", "operationId": "listTools",
            "responses": {"200": _json({"type": "array", "items": {"type": "object"}},
                                       "Tool definitions")}}},
        "/healthz": {"get": {"summary": "Liveness", "operationId": "healthz",
                             "responses": {"200": _json({"type": "object"}, "Alive")}}},
        "/readyz": {"get": {"summary": "Readiness: model and index loaded",
                            "operationId": "readyz",
                            "responses": {"200": _json({"type": "object"}, "Ready"),
                                          "503": _json({"type": "object"}, "Not ready")}}},
        "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi",
                                  "responses": {"200": _json({"type": "object"}, "OpenAPI")}}},
        **_document_paths(),
    }


@lru_cache(maxsize=4)
def openapi_document(corpus: str | None = None) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document; `corpus` says what the loaded index holds."""
    held = f" Now serving {corpus}." if corpus else ""
    return {
        "openapi": "3.1.0",
        "info": {"title": "casesearch", "version": version(),
                 "description": "Semantic search over governments' typical work cases: short, "
                                "numbered practices, in Chinese; questions in Chinese or "
                                "English." + held},
        "paths": _paths(),
        "components": {"schemas": SCHEMAS, "securitySchemes": {"adminKey": {
            "type": "http", "scheme": "bearer",
            "description": "An admin key (CASESEARCH_ADMIN_KEY); the read key "
                           "(CASESEARCH_API_KEY), when set, is sent the same way to the "
                           "other routes"}}},
    }
