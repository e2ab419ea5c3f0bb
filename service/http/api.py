"""JSON API: thin handlers over the search engine."""

from __future__ import annotations

import re
import time
from typing import Any

from flask import Blueprint, Request, Response, current_app, jsonify, request

from index.retrieval.in_flight import BACKGROUND
from index.retrieval.search import SearchEngine
from service import records
from service.assistants.tools import openai_tools
from service.brief import MEDIA_TYPES, brief_request, file_name, make_brief, render_brief
from service.describe import engine_summary
from service.export import MEDIA_TYPES as TABLE_TYPES
from service.export import Table, batch_tables, hits_table, render_table
from service.figures import comparison, comparison_tables, groups_listing, metric_comparison
from service.http.openapi import openapi_document
from service.http.security import public_origin
from service.http.server import REQUEST_SECONDS
from service.problems import ApiError
from service.runtime.loader import EngineState
from service.runtime.reload import without_paths
from service.schema import (
    BATCH,
    BRIEF,
    CASES,
    FIGURES,
    FORMAT,
    MAX_BATCH,
    MAX_BATCH_CHARS,
    SEARCH,
    SIMILAR,
)
from service.validate import decode_json

bp = Blueprint("api", __name__)
# A batch's body holds MAX_BATCH_CHARS of questions, each character possibly written as
# escapes (json.dumps writes Chinese as \uXXXX by default; a character beyond the BMP, such as
# 𠀀 or an emoji, as two: 12 bytes), and the filters.
BATCH_BODY_BYTES = MAX_BATCH_CHARS * 12 + MAX_BATCH * 4 + 4096
# A batch is embedded 8 questions a call (almost all of batching's saving) on one core, so
# that single searches keep the other; it stops starting new calls after BATCH_SECONDS, well
# within the worker's deadline for a whole request.
BATCH_CHUNK = 8
BATCH_SECONDS = REQUEST_SECONDS / 2


def state() -> EngineState:
    return current_app.extensions["casesearch"]


def engine() -> SearchEngine:
    return state().require()


def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; 400, saying what is wrong, for a wrong type, bytes
    that are not UTF-8, broken JSON, nesting too deep, a number too long for Python or a lone
    UTF-16 surrogate (which no answer could carry back)."""
    if not request.is_json:
        raise ApiError(400, "send the body as JSON with Content-Type: application/json")
    body = decode_json(request.get_data(cache=True))
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object such as {\"query\": \"校车\"}")
    return body


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
    settings = current_app.config.get("SETTINGS")
    if settings is not None:  # whether the model tuned for this corpus serves yet
        from service.runtime.tuning import tuning_state

        tuning = tuning_state(settings, index.manifest.corpus_sha256, index.manifest.model_id)
        if tuning is not None:
            body["tuning"] = without_paths(tuning)
    if current.reload_error:
        body["reload_error"] = current.reload_error
    if current.corpus_problems:
        body["unreadable_documents"] = list(current.corpus_problems)
    watcher = current_app.extensions.get("casesearch.watcher")
    stuck = watcher.stuck() if watcher is not None else []
    if stuck:  # still serving, but maybe not the newest build: say so
        body["status"], body["reload_stuck"] = "stale", stuck
    return jsonify(body), 200


@bp.get("/openapi.json")
def openapi() -> Response:
    loaded = state().engine
    return jsonify(openapi_document(engine_summary(loaded) if loaded else None))


@bp.get("/api/cases")
def list_cases() -> Response:
    cases = engine().cases
    args = CASES.from_query(request.args)
    limit, offset = args["limit"], args["offset"]
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
    args = SIMILAR.from_query(request.args, id=case_id)
    form = FORMAT.parse(request.args.get("format"))
    started = time.perf_counter()
    hits = search_engine.similar(case_id, k=args["k"], same_city=args["same_city"],
                                  min_match=args["min_match"])
    if form in TABLE_TYPES:
        return _table([hits_table(hits, name=f"similar {case_id}")], form, f"similar-{case_id}")
    return jsonify(case=case.to_dict(), results=[hit.to_dict() for hit in hits],
                   took_ms=_ms_since(started))


@bp.post("/api/search")
def search_post() -> Response:
    return _search(SEARCH.from_json(json_object(request)))


@bp.post("/api/search/batch")
def search_batch() -> Response:
    """Several questions with the same filters, embedded 8 a call, one batch at a time; as
    JSON, or (`?format=`) CSV or a workbook with a sheet per question."""
    request.max_content_length = BATCH_BODY_BYTES
    form = FORMAT.parse(request.args.get("format"))
    args = BATCH.from_json(json_object(request))
    started = time.perf_counter()
    with current_app.extensions["casesearch.batches"].admit(), BACKGROUND:
        answers = _answer_in_time(engine(), args, started)
    if form in TABLE_TYPES:
        return _table(batch_tables(list(zip(args["queries"], answers, strict=True))), form,
                      "batch")
    return jsonify(results=[{"query": query, "results": [hit.to_dict() for hit in hits]}
                            for query, hits in zip(args["queries"], answers, strict=True)],
                   took_ms=_ms_since(started))


def _answer_in_time(search_engine: SearchEngine, args: dict, started: float) -> list:
    """A batch's answers, BATCH_CHUNK questions at a time, given up (503) once it has run
    BATCH_SECONDS: a busy server says so instead of being cut at the request deadline."""
    queries, answers = args["queries"], []
    for first in range(0, len(queries), BATCH_CHUNK):
        if time.perf_counter() - started > BATCH_SECONDS:
            raise ApiError(503, f"this server is too busy to answer {len(queries)} questions "
                                f"within {BATCH_SECONDS:g} s; try again later, or send fewer "
                                f"questions at a time", retry_after=5)
        answers += search_engine.search_batch(**{**args,
                                                 "queries": queries[first:first + BATCH_CHUNK]})
    return answers


@bp.get("/api/search")
def search_get() -> Response:
    args = SEARCH.from_query(request.args)
    form = FORMAT.parse(request.args.get("format"))
    if form in TABLE_TYPES:
        hits = engine().search(**args)
        return _table([hits_table(hits, first_rank=args["offset"] + 1, name=args["query"])],
                      form, "search")
    return _search(args)


def _search(args: dict) -> Response:
    search_engine = engine()
    started = time.perf_counter()
    hits = search_engine.search(**args)
    return jsonify(query=args["query"], results=[hit.to_dict() for hit in hits],
                   took_ms=_ms_since(started))


def _table(tables: list[Table], form: str, name: str) -> Response:
    """Tables to download: CSV (UTF-8 with a BOM) or a workbook."""
    response = Response(render_table(tables, form))
    response.headers["Content-Type"] = TABLE_TYPES[form]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{download_name(name)}.{form}"')
    return response


def download_name(name: str) -> str:
    """A file name safe in a Content-Disposition header: ASCII letters, digits, `.-_` only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:100].strip("-.") or "export"


@bp.get("/api/figures")
def figures() -> Response:
    """Without `metric`: every figure group. With it: the nearest group's figures, one row
    per city and year, each with the sentence it comes from."""
    search_engine = engine()
    if "metric" not in request.args:
        return jsonify(groups_listing(search_engine))
    metric = FIGURES.from_query(request.args)["metric"]
    answer = metric_comparison(search_engine, metric)
    form = FORMAT.parse(request.args.get("format"))
    if form in TABLE_TYPES:
        return _table(comparison_tables(answer, form), form, "figures")
    return jsonify(answer)


@bp.get("/api/figures/<group_id>")
def figure_group(group_id: str) -> Response:
    search_engine = engine()
    answer = comparison(search_engine, search_engine.figures.group(group_id))
    form = FORMAT.parse(request.args.get("format"))
    if form in TABLE_TYPES:
        return _table(comparison_tables(answer, form), form, f"figures-{group_id}")
    return jsonify(answer)


@bp.get("/api/brief")
def brief() -> Response:
    """Chosen practices (`id`, repeated) or a question's best (`q`, `k`), with a figures table
    (`figures`), as a Word document or Markdown to download."""
    search_engine = engine()
    args = BRIEF.from_query(request.args)
    made = make_brief(search_engine, **brief_request(args),
                      base_url=public_origin(), corpus=engine_summary(search_engine))
    response = Response(render_brief(made, args["format"]), mimetype=MEDIA_TYPES[args["format"]])
    response.headers["Content-Type"] = MEDIA_TYPES[args["format"]]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{file_name(made, args["format"])}"')
    return response


@bp.get("/api/tools")
def tool_definitions() -> Response:
    """The search as OpenAI function-calling tools, each mapped to its HTTP endpoint."""
    return jsonify(openai_tools(engine_summary(engine())))


@bp.get("/api/cities")
def cities() -> Response:
    return jsonify([{"city": city, "count": count} for city, count in engine().cities()])


@bp.get("/api/places")
def places() -> Response:
    """Every place the cases are about or lie in, each before the places below it."""
    return jsonify([records.shaped(records.Place, name=place.name, level=place.level,
                                   chain=list(place.chain), count=place.count)
                    for place in engine().places()])


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
