"""Every error over HTTP is `application/problem+json` (RFC 9457); no stack trace leaves."""

from __future__ import annotations

import logging

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from index.errors import CasesearchError
from service.problems import ApiError, problem_body, status_of
from service.schema import MAX_BATCH, MAX_BATCH_CHARS, MAX_QUERY_CHARS

__all__ = ["ApiError", "PROBLEM_TYPE", "api_problem", "problem", "register_error_handlers"]

PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger(__name__)


def problem(status: int, detail: str, title: str | None = None, **extra: object) -> Response:
    """A problem+json response."""
    return Response(json.dumps(problem_body(status, detail, title, **extra), ensure_ascii=False),
                    status=status, mimetype=PROBLEM_TYPE)


def api_problem(error: ApiError) -> Response:
    """An API refusal as problem+json, with its Retry-After and WWW-Authenticate headers."""
    body_extra = {k: v for k, v in error.extra.items() if k != "www_authenticate"}
    response = problem(error.status, error.detail, **body_extra)
    if "retry_after" in error.extra:
        response.headers["Retry-After"] = str(error.extra["retry_after"])
    if "www_authenticate" in error.extra:
        response.headers["WWW-Authenticate"] = str(error.extra["www_authenticate"])
    return response


def too_large_detail() -> str:
    """What a 413 says: the size sent, the route's limit, and what to send instead."""
    from flask import request

    sent = f"{request.content_length:,} bytes" if request.content_length else "too long"
    limit = request.max_content_length or 0
    if request.path == "/api/search/batch":
        advice = (f"send fewer questions in one batch, or split them over several batches "
                  f"(at most {MAX_BATCH} questions, {MAX_BATCH_CHARS:,} characters in all)")
    else:
        advice = (f"a body holds one request's JSON (a question of at most {MAX_QUERY_CHARS} "
                  f"characters and its filters), not a document")
    return (f"the body is {sent}, more than the {limit:,} bytes {request.method} "
            f"{request.path} takes; {advice}")


def register_error_handlers(app: Flask) -> None:
    """Map HTTP errors, API errors and the core's errors (service.problems.CORE_STATUSES) to
    problem responses."""

    app.register_error_handler(ApiError, api_problem)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        detail = too_large_detail() if error.code == 413 else error.description or ""
        response = problem(error.code or 500, detail)
        if error.code == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(CasesearchError)
    def _core(error: CasesearchError) -> Response:
        status = status_of(error)
        if status < 500:
            return problem(status, str(error))
        log.error("service unavailable: %s", error)  # its message may name server paths
        return problem(status, "the search index or model is unavailable; see the server log")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "an unexpected error occurred; it has been logged")
