"""JSON API: thin handlers over the search engine."""

from __future__ import annotations

import time

from flask import Blueprint, Response, current_app, jsonify, request

from index.search import MAX_K, SearchEngine
from service.openapi import openapi_document
from service.params import (
    MAX_LIST_LIMIT,
    json_object,
    parse_bool,
    parse_int,
    search_args_from_json,
    search_args_from_query_string,
)
from service.state import EngineState
from service.tools import openai_tools

bp = Blueprint("api", __name__)


def state() -> EngineState:
    return current_app.extensions["casesearch"]


def engine() -> SearchEngine:
    return state().require()


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    current = state()
    if current.engine is None:
        status = "failed" if current.error else "loading"
        return jsonify(status=status, ready=False), 503
    index = current.engine.index
    body = {"status": "ready", "ready": True, "model": index.manifest.model_id,
            "backend": current.engine.embedder.backend, "cases": len(index.cases),
            "build": index.path.name, "built_at": index.manifest.built_at}
    if current.reload_error:
        body["reload_error"] = current.reload_error
    if current.corpus_problems:
        body["unreadable_documents"] = list(current.corpus_problems)
    return jsonify(body), 200


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.get("/api/cases")
def list_cases() -> Response:
    cases = engine().cases
    limit = parse_int(request.args.get("limit"), "limit", default=100, low=1,
                      high=MAX_LIST_LIMIT)
    offset = parse_int(request.args.get("offset"), "offset", default=0, low=0, high=10**9)
    page = cases[offset: offset + limit]
    return jsonify(total=len(cases), limit=limit, offset=offset,
                   cases=[case.to_dict() for case in page])


@bp.get("/api/cases/<case_id>")
def get_case(case_id: str) -> Response:
    return jsonify(engine().case(case_id).to_dict())


@bp.get("/api/cases/<case_id>/similar")
def similar_cases(case_id: str) -> Response:
    search_engine = engine()
    case = search_engine.case(case_id)
    k = parse_int(request.args.get("k"), "k", default=10, low=1, high=MAX_K)
    same_city = parse_bool(request.args.get("same_city"), "same_city", default=False)
    started = time.perf_counter()
    hits = search_engine.similar(case_id, k=k, same_city=same_city)
    return jsonify(case=case.to_dict(), results=[hit.to_dict() for hit in hits],
                   took_ms=_ms_since(started))


@bp.post("/api/search")
def search_post() -> Response:
    return _search(search_args_from_json(json_object(request)))


@bp.get("/api/search")
def search_get() -> Response:
    return _search(search_args_from_query_string(request.args))


def _search(args: dict) -> Response:
    search_engine = engine()
    started = time.perf_counter()
    hits = search_engine.search(**args)
    return jsonify(query=args["query"], results=[hit.to_dict() for hit in hits],
                   took_ms=_ms_since(started))


@bp.get("/api/tools")
def tool_definitions() -> Response:
    """The search as OpenAI function-calling tools, each mapped to its HTTP endpoint."""
    return jsonify(openai_tools())


@bp.get("/api/cities")
def cities() -> Response:
    return jsonify([{"city": city, "count": count} for city, count in engine().cities()])


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
