"""`casesearch mcp`: the search as an MCP server (stdio, or streamable HTTP at /mcp).

The tools run the same core search in-process — no HTTP hop to the Flask service. A bad
argument or an unknown id comes back as a tool error result (`isError`) whose text tells the
model what to change, never as a protocol failure. Arguments are checked by the request
definitions (service.schema) before the SDK sees them, so an unknown argument is refused and
every message is the API's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations

from index.retrieval.search import SearchEngine
from service.assistants import tools
from service.assistants.tools import CompareOutput, FetchOutput, SearchOutput, ToolInputError
from service.describe import engine_summary, version
from service.problems import problem_body
from service.runtime.admission import FAILURE_WINDOW, WindowCounts, bearer_matches, guesser
from service.runtime.loader import EngineState
from service.runtime.settings import LOOPBACK_NAMES
from service.schema import RequestSpec

log = logging.getLogger(__name__)

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                            open_world_hint=False)
INSTRUCTIONS = (
    f"casesearch searches {tools.CORPUS_DESCRIPTION} Use `search` for a question (its "
    "`places` narrows it to places at any level: a province, a city, a district), `fetch` to "
    "read a case in full before quoting it, `similar_cases` to see what other places of the "
    "same level did about the same thing, and `compare_figures` to set one measure side by "
    "side across places of one level. Cite cases by their title and url, and say their place "
    "(`places`, `place_level`)."
)


OUTPUTS = {"search": SearchOutput, "fetch": FetchOutput, "similar_cases": SearchOutput,
           "compare_figures": CompareOutput}
RUNNERS = {"search": tools.run_search, "fetch": tools.run_fetch,
           "similar_cases": tools.run_similar, "compare_figures": tools.run_compare}


class CasesearchMCP(MCPServer):
    """An MCP server whose tool calls are checked by the requests' definitions first: the SDK
    would ignore an unknown argument and answer a wrong one in pydantic's words (with a link to
    its documentation); the API's rules and messages answer instead, and the SDK gets the
    arguments as checked (null as the default, as the API and the function definitions
    take it)."""

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Any = None) -> Any:
        spec = tools.TOOLS.get(name)
        if spec is not None:
            try:
                arguments = tools.validated(spec, arguments)
            except ToolInputError as exc:  # worded as the SDK words a tool's own errors
                raise ToolError(f"Error executing tool {name}: {exc}") from None
        return await super().call_tool(name, arguments, context)


def build_mcp_server(engine: Callable[[], SearchEngine], base_url: str) -> MCPServer:
    """An MCP server with the read-only tools over `engine()`.

    Args:
        engine: returns the loaded search engine (called on each tool call).
        base_url: where the web service runs, for the `url` of each case.
    """
    server = CasesearchMCP(name="casesearch", title="casesearch: typical work cases",
                       instructions=INSTRUCTIONS, version=version(), log_level="WARNING")
    describe_tools(server, engine, base_url)
    return server


def describe_tools(server: MCPServer, engine: Callable[[], SearchEngine],
                   base_url: str) -> None:
    """(Re-)register the tools, their descriptions saying what the loaded index holds: at the
    start, and after a new build is swapped in."""
    loaded = engine()
    descriptions = tools.tool_descriptions(engine_summary(loaded) if loaded else None)
    for name, spec in tools.TOOLS.items():
        try:
            server.remove_tool(name)
        except ToolError:  # not registered yet
            pass
        server.add_tool(_tool_function(name, spec, engine, base_url), name=name,
                        description=descriptions[name], annotations=READ_ONLY,
                        structured_output=True)


def _tool_function(name: str, spec: RequestSpec, engine: Callable[[], SearchEngine],
                   base_url: str) -> Callable[..., Any]:
    """A function whose signature is the request's fields (the SDK derives the input schema
    from it) and which runs the tool, turning a bad argument into a tool error."""
    def call(**arguments: Any) -> Any:
        try:
            return RUNNERS[name](engine(), base_url, **arguments)
        except ToolInputError as exc:
            raise ToolError(str(exc)) from exc

    call.__name__ = call.__qualname__ = name
    call.__signature__ = spec.signature().replace(return_annotation=OUTPUTS[name])
    return call


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
    """ASGI middleware: with a key set, every MCP request needs `Authorization: Bearer <key>`;
    a client address that sent too many wrong keys is refused for a while (429), as by the
    web service (service.runtime.admission)."""

    def __init__(self, app: Any, key: str, failures: WindowCounts | None = None) -> None:
        self.app, self.key = app, key
        self.failures = failures or WindowCounts()

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or not self.key:
            await self.app(scope, receive, send)
            return
        address = guesser((scope.get("client") or ("", 0))[0] or "")
        wait = self.failures.retry_after(address)
        if wait:
            await _problem(send, 429, f"too many wrong keys from this address; try again in "
                                      f"{wait} s", [(b"retry-after", str(wait).encode())])
            return
        if not self._authorized(scope):
            if self._sent_a_key(scope):
                count = self.failures.record(address)
                log.warning("wrong API key (MCP over HTTP) from %s: %d in the last %g s",
                            address, count, FAILURE_WINDOW)
            await _problem(send, 401, "this MCP server needs a key: send the header "
                                      "`Authorization: Bearer <key>`",
                           [(b"www-authenticate", b"Bearer")])
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _sent_a_key(scope: dict) -> bool:
        return b"authorization" in dict(scope.get("headers") or [])

    def _authorized(self, scope: dict) -> bool:
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        return bool(bearer_matches(header.decode("latin-1"), self.key))


async def _problem(send: Callable, status: int, detail: str,
                   headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(problem_body(status, detail)).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"), *headers,
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def mcp_http_app(server: MCPServer, *, hosts: Sequence[str], api_key: str = "",
                 host: str = LOOPBACK_NAMES[0]) -> Any:
    """The MCP server as an ASGI app at /mcp, with the Host/Origin checks and the API key."""
    app = server.streamable_http_app(streamable_http_path="/mcp", host=host,
                                     transport_security=transport_security(hosts))
    return RequireKey(app, api_key)


def run_mcp(state: EngineState, base_url: str, *, port: int, hosts: Sequence[str],
            http: bool = False, host: str = LOOPBACK_NAMES[0], api_key: str = "") -> None:
    """Serve over stdio (default) or streamable HTTP at http://host:port/mcp until stopped,
    answering with the engine `state` holds (a new build swapped in is described and served at
    once). Over HTTP, only requests for `hosts` are answered, and with `api_key` only those
    that carry it."""
    server = build_mcp_server(lambda: state.engine, base_url)
    state.subscribe(lambda _: describe_tools(server, lambda: state.engine, base_url))
    if not http:
        server.run("stdio")
        return
    import uvicorn

    app = mcp_http_app(server, hosts=hosts, api_key=api_key, host=host)
    uvicorn.run(app, host=host, port=port, log_level="warning")
