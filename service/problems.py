"""What the service refuses, and how a refusal is written, without any web framework: the
request definitions (service.schema) serve the CLI and the MCP tools as well as HTTP, and every
interface writes its problem+json (RFC 9457) bodies with `problem_body`."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from index.errors import CasesearchError, InvalidRequestError, NotFoundError


class ApiError(Exception):
    """A request the service refuses, with the status and a detail the caller can act on."""

    def __init__(self, status: int, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


# The one mapping from the core's errors to statuses, first match wins: what was asked for does
# not exist; what was asked is not valid; anything else of the core (a model or an index that
# cannot be used) is the service's own trouble.
CORE_STATUSES: tuple[tuple[type[CasesearchError], int], ...] = (
    (NotFoundError, 404), (InvalidRequestError, 422), (CasesearchError, 503))


def status_of(error: CasesearchError) -> int:
    """The HTTP status of a core error."""
    return next(status for kind, status in CORE_STATUSES if isinstance(error, kind))


def problem_body(status: int, detail: str, title: str | None = None,
                 **extra: object) -> dict[str, Any]:
    """A problem+json body: type, title (the status's phrase unless given), status, detail."""
    return {"type": "about:blank", "title": title or HTTPStatus(status).phrase,
            "status": status, "detail": detail, **extra}
