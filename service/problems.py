"""A request the service refuses: status and detail, without any web framework, so that the
request definitions (service.schema) serve the CLI and the MCP tools as well as HTTP."""

from __future__ import annotations


class ApiError(Exception):
    """A request the service refuses, with the status and a detail the caller can act on."""

    def __init__(self, status: int, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra
