"""Every error over HTTP is `application/problem+json` (RFC 9457); no stack trace leaves."""

from __future__ import annotations

import logging

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from index.errors import CasesearchError, InvalidRequestError, NotFoundError
from service.problems import ApiError

__all__ = ["ApiError", "PROBLEM_TYPE", "problem", "register_error_handlers"]

PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger(__name__)


def problem(status: int, detail: str, title: str | None = None, **extra: object) -> Response:
    """A problem+json response."""
    from http import HTTPStatus

    body = {"type": "about:blank", "title": title or HTTPStatus(status).phrase,
            "status": status, "detail": detail, **extra}
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)


def register_error_handlers(app: Flask) -> None:
    """Map HTTP errors, API errors and the core's errors to problem responses."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        body_extra = {k: v for k, v in error.extra.items() if k != "www_authenticate"}
        response = problem(error.status, error.detail, **body_extra)
        if "retry_after" in error.extra:
            response.headers["Retry-After"] = str(error.extra["retry_after"])
        if "www_authenticate" in error.extra:
            response.headers["WWW-Authenticate"] = str(error.extra["www_authenticate"])
        return response

    @app.errorhandler(InvalidRequestError)
    def _invalid(error: InvalidRequestError) -> Response:
        return problem(422, str(error))

    @app.errorhandler(NotFoundError)
    def _not_found(error: NotFoundError) -> Response:
        return problem(404, str(error))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        response = problem(error.code or 500, error.description or "")
        if error.code == 405 and error.get_response().headers.get("Allow"):
            response.headers["Allow"] = error.get_response().headers["Allow"]
        return response

    @app.errorhandler(CasesearchError)
    def _core(error: CasesearchError) -> Response:
        log.error("service unavailable: %s", error)
        return problem(503, "the search index or model is unavailable; see the server log")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "an unexpected error occurred; it has been logged")
