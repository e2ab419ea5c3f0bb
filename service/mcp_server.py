"""`casesearch mcp`: the search as an MCP server (stdio, or streamable HTTP at /mcp).

The tools run the same core search in-process — no HTTP hop to the Flask service. A bad
argument or an unknown id comes back as a tool error result (`isError`) whose text tells the
model what to change, never as a protocol failure.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import Field

from index.search import SearchEngine
from service import tools
from service.tools import FetchOutput, SearchOutput, ToolInputError

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=False)
INSTRUCTIONS = (
    f"casesearch searches {tools.CORPUS_DESCRIPTION} Use `search` for a question, `fetch` to "
    "read a case in full before quoting it, and `similar_cases` to see what other cities did "
    "about the same thing. Cite cases by their title and url."
)


CASE_ID = "A case id from search or similar_cases, e.g. sd2020-jinan-3"


def build_mcp_server(engine: Callable[[], SearchEngine], base_url: str) -> MCPServer:
    """An MCP server with the three read-only tools over `engine()`.

    Args:
        engine: returns the loaded search engine (called on each tool call).
        base_url: where the web service runs, for the `url` of each case.
    """
    server = MCPServer(name="casesearch", title="casesearch: typical work cases",
                       instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING")

    def guarded(call: Callable[[], object]) -> object:
        try:
            return call()
        except ToolInputError as exc:
            raise ToolError(str(exc)) from exc

    @server.tool(description=tools.TOOL_DESCRIPTIONS["search"], annotations=READ_ONLY,
                 structured_output=True)
    def search(
        query: Annotated[str, Field(description="The question or keywords, Chinese or English")],
        k: Annotated[int, Field(ge=1, le=tools.MAX_TOOL_K, description="How many results")] = 10,
        cities: Annotated[list[str] | None, Field(
            description="Only these cities, by name (e.g. [\"青岛市\"]); omit for all")] = None,
        years: Annotated[list[int] | None, Field(
            description="Only these years (e.g. [2020]); omit for all")] = None,
        provinces: Annotated[list[str] | None, Field(
            description="Only these provinces (e.g. [\"山东省\"]); omit for all")] = None,
    ) -> SearchOutput:
        return guarded(lambda: tools.run_search(engine(), base_url, query, k, cities, years,
                                                provinces))

    @server.tool(description=tools.TOOL_DESCRIPTIONS["fetch"], annotations=READ_ONLY,
                 structured_output=True)
    def fetch(id: Annotated[str, Field(description=CASE_ID)]) -> FetchOutput:
        return guarded(lambda: tools.run_fetch(engine(), base_url, id))

    @server.tool(description=tools.TOOL_DESCRIPTIONS["similar_cases"], annotations=READ_ONLY,
                 structured_output=True)
    def similar_cases(
        id: Annotated[str, Field(description=CASE_ID)],
        k: Annotated[int, Field(ge=1, le=tools.MAX_TOOL_K, description="How many results")] = 5,
    ) -> SearchOutput:
        return guarded(lambda: tools.run_similar(engine(), base_url, id, k))

    return server


def transport_security(hosts: Sequence[str]) -> TransportSecuritySettings:
    """Host and Origin checks for MCP over HTTP, set explicitly: requests must be addressed to
    one of `hosts` (any port), and a browser may call only from a page on one of them."""
    names = [f"[{host}]" if ":" in host else host for host in hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*names, *(f"{name}:*" for name in names)],
        allowed_origins=[f"{scheme}://{name}{port}" for scheme in ("http", "https")
                         for name in names for port in ("", ":*")])


class RequireKey:
    """ASGI middleware: with a key set, every MCP request needs `Authorization: Bearer <key>`."""

    def __init__(self, app: Any, key: str) -> None:
        self.app, self.key = app, key

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and self.key and not self._authorized(scope):
            body = json.dumps({"type": "about:blank", "title": "Unauthorized", "status": 401,
                               "detail": "this MCP server needs a key: send the header "
                                         "`Authorization: Bearer <key>`"}).encode()
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/problem+json"),
                (b"www-authenticate", b"Bearer"),
                (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: dict) -> bool:
        headers = dict(scope.get("headers") or [])
        scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(),
                                                                   self.key.encode())


def mcp_http_app(server: MCPServer, *, hosts: Sequence[str], api_key: str = "",
                 host: str = "127.0.0.1") -> Any:
    """The MCP server as an ASGI app at /mcp, with the Host/Origin checks and the API key."""
    app = server.streamable_http_app(streamable_http_path="/mcp", host=host,
                                     transport_security=transport_security(hosts))
    return RequireKey(app, api_key)


def run_mcp(engine: Callable[[], SearchEngine], base_url: str, *, http: bool = False,
            host: str = "127.0.0.1", port: int = 8001, hosts: Sequence[str] = (),
            api_key: str = "") -> None:
    """Serve over stdio (default) or streamable HTTP at http://host:port/mcp until stopped;
    `engine()` gives the engine to answer with (it changes when a new build lands). Over HTTP,
    only requests for `hosts` are answered, and with `api_key` only those that carry it."""
    server = build_mcp_server(engine, base_url)
    if not http:
        server.run("stdio")
        return
    import uvicorn

    app = mcp_http_app(server, hosts=hosts or ("127.0.0.1", "localhost", "::1"),
                       api_key=api_key, host=host)
    uvicorn.run(app, host=host, port=port, log_level="warning")
