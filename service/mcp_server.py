"""`casesearch mcp`: the search as an MCP server (stdio, or streamable HTTP at /mcp).

The tools run the same core search in-process — no HTTP hop to the Flask service. A bad
argument or an unknown id comes back as a tool error result (`isError`) whose text tells the
model what to change, never as a protocol failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
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


def run_mcp(engine: Callable[[], SearchEngine], base_url: str, *, http: bool = False,
            host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve over stdio (default) or streamable HTTP at http://host:port/mcp until stopped;
    `engine()` gives the engine to answer with (it changes when a new build lands)."""
    server = build_mcp_server(engine, base_url)
    if http:
        server.run("streamable-http", host=host, port=port, streamable_http_path="/mcp")
    else:
        server.run("stdio")
