"""The OpenAPI 3.1 description of the HTTP API, served at /openapi.json."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from service.describe import version
from service.schema import BATCH, CASES, FORMAT, SEARCH, SIMILAR, RequestSpec

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _with_csv(response: dict[str, Any]) -> dict[str, Any]:
    """A JSON response that `format=csv` turns into CSV (`service.export.CSV_COLUMNS`)."""
    csv = {"schema": {"type": "string", "description": "rank,id,city,seq,year,province,score,"
                                                       "match,text; a header, then a row a result"}}
    return {**response, "content": {**response["content"], "text/csv": csv}}


def _problems(*codes: int) -> dict[str, Any]:
    text = {400: "Malformed request", 404: "Not found", 422: "Invalid argument",
            503: "Model and index not loaded yet"}
    return {str(code): {"description": text[code], "content": PROBLEM} for code in codes}


def _param(name: str, where: str, schema: dict[str, Any], description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema,
            "description": description}


CASE_ID = _param("case_id", "path", {"type": "string"}, "Case id, e.g. sd2020-jinan-3", True)

SCHEMAS: dict[str, Any] = {
    "Case": {
        "type": "object",
        "required": ["id", "city", "seq", "text", "title", "year", "province", "doc_id", "line"],
        "properties": {
            "id": {"type": "string", "description": "Stable, URL-safe id"},
            "city": {"type": "string", "description": "City (section) name, e.g. 济南市"},
            "seq": {"type": "integer", "description": "Item number within its city, from 1"},
            "text": {"type": "string"},
            "title": {"type": "string", "description": "Title of the source document"},
            "year": {"type": "integer"},
            "province": {"type": "string"},
            "doc_id": {"type": "string", "description": "Id of the source document"},
            "line": {"type": "integer", "description": "Line of the item in its document"},
        },
    },
    "Result": {
        "type": "object",
        "required": ["id", "city", "seq", "text", "score", "snippet", "match"],
        "properties": {
            "id": {"type": "string"}, "city": {"type": "string"}, "seq": {"type": "integer"},
            "text": {"type": "string"},
            "score": {"type": "number",
                      "description": "Relevance in [0, 1] (fused signals), higher is closer. "
                                     "Results are best first, except that a city named in "
                                     "the question puts its relevant cases ahead"},
            "snippet": {"type": "string",
                        "description": "The sentence that answers, HTML-escaped, with the "
                                       "question's terms in <mark>"},
            "match": {"type": "string", "enum": ["strong", "partial", "weak"],
                      "description": "How good a match it is: strong (answers the question), "
                                     "partial (answers part of it), weak (related at most); "
                                     "calibrated on judged questions (docs/QUALITY.md)"},
            "year": {"type": "integer"}, "province": {"type": "string"},
        },
    },
    "SearchRequest": SEARCH.json_schema(),
    "SearchBatchRequest": BATCH.json_schema(),
    "SearchBatchResponse": {
        "type": "object", "required": ["results", "took_ms"],
        "properties": {"results": {"type": "array", "items": {
            "type": "object", "required": ["query", "results"],
            "properties": {"query": {"type": "string"},
                           "results": {"type": "array", "items": _ref("Result")}}}},
            "took_ms": {"type": "number"}},
    },
    "SearchResponse": {
        "type": "object", "required": ["query", "results", "took_ms"],
        "properties": {"query": {"type": "string"},
                       "results": {"type": "array", "items": _ref("Result")},
                       "took_ms": {"type": "number"}},
    },
    "SimilarResponse": {
        "type": "object", "required": ["case", "results", "took_ms"],
        "properties": {"case": _ref("Case"),
                       "results": {"type": "array", "items": _ref("Result")},
                       "took_ms": {"type": "number"}},
    },
    "CaseList": {
        "type": "object", "required": ["total", "cases"],
        "properties": {"total": {"type": "integer"}, "limit": {"type": "integer"},
                       "offset": {"type": "integer"},
                       "cases": {"type": "array", "items": _ref("Case")}},
    },
    "City": {"type": "object", "required": ["city", "count"],
             "properties": {"city": {"type": "string"}, "count": {"type": "integer"}}},
    "Problem": {
        "type": "object", "required": ["title", "status", "detail"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                       "status": {"type": "integer"}, "detail": {"type": "string"}},
    },
}


def _paths() -> dict[str, Any]:
    format_param = RequestSpec("format", (FORMAT,)).query_parameters()
    search_get_params = SEARCH.query_parameters() + format_param
    return {
        "/api/search": {
            "get": {"summary": "Search cases by a question", "operationId": "searchGet",
                    "parameters": search_get_params,
                    "responses": {
                        "200": _with_csv(_json(_ref("SearchResponse"), "Results, best first")),
                        **_problems(422, 503)}},
            "post": {"summary": "Search cases by a question", "operationId": "searchPost",
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": _ref("SearchRequest")}}},
                     "responses": {"200": _json(_ref("SearchResponse"), "Results, best first"),
                                   **_problems(400, 422, 503)}},
        },
        "/api/search/batch": {
            "post": {"summary": "Search several questions with the same filters (embedded in "
                                "one call)", "operationId": "searchBatch",
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": _ref("SearchBatchRequest")}}},
                     "responses": {"200": _json(_ref("SearchBatchResponse"),
                                                "Results per question, in order"),
                                   **_problems(400, 422, 503)}},
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
            "responses": {"200": _with_csv(_json(_ref("SimilarResponse"),
                                                    "The case and similar ones")),
                          **_problems(404, 422, 503)}}},
        "/api/cities": {"get": {
            "summary": "Cities and their number of cases", "operationId": "listCities",
            "responses": {"200": _json({"type": "array", "items": _ref("City")}, "Cities"),
                          **_problems(503)}}},
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
        "components": {"schemas": SCHEMAS},
    }
