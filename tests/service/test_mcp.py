"""The MCP server in-process with the SDK's client: tools, shapes and the error path."""

from __future__ import annotations

import asyncio
import json

import pytest
from mcp import Client

from service.assistants.mcp_server import build_mcp_server

BASE = "http://127.0.0.1:8000"


def _run(engine, body):
    async def main():
        async with Client(build_mcp_server(lambda: engine, BASE)) as client:
            return await body(client)

    return asyncio.run(main())


def test_lists_read_only_tools_that_describe_the_corpus(engine):
    tools = _run(engine, lambda client: client.list_tools()).tools
    assert {tool.name for tool in tools} == {"search", "fetch", "similar_cases", "compare_figures"}
    for tool in tools:
        assert tool.annotations.read_only_hint is True
        assert tool.output_schema is not None
    search = next(tool for tool in tools if tool.name == "search")
    assert "山东省 2020 (48 cases, 16 cities)" in search.description  # from the loaded index
    assert "education" in search.description
    assert search.input_schema["required"] == ["query"]


def test_search_returns_json_text_and_structured_content(engine):
    result = _run(engine, lambda c: c.call_tool("search", {"query": "购置新国标校车", "k": 2}))
    assert not result.is_error
    assert json.loads(result.content[0].text) == result.structured_content
    assert [r["id"] for r in result.structured_content["results"]][0] == "sd2020-jinan-3"


def test_fetch_and_similar_cases(engine):
    fetched = _run(engine, lambda c: c.call_tool("fetch", {"id": "sd2020-jinan-3"}))
    assert fetched.structured_content["text"].startswith("商河县")
    similar = _run(engine, lambda c: c.call_tool("similar_cases", {"id": "sd2020-jinan-3"}))
    results = similar.structured_content["results"]
    assert len(results) <= 10 and all(r["match"] in ("strong", "partial") for r in results)
    every = _run(engine, lambda c: c.call_tool("similar_cases", {"id": "sd2020-jinan-3",
                                                                "min_match": "weak"}))
    assert len(every.structured_content["results"]) == 10  # the API's default k


@pytest.mark.parametrize(("tool", "arguments", "words"), [
    ("fetch", {"id": "nope"}, "no case has id"),
    ("search", {"query": ""}, "query"),
    ("search", {"query": "？！"}, "no words"),
    ("search", {"query": "校车", "k": 99}, "k"),
    ("search", {"query": "校车", "k": "many"}, "k"),
    ("search", {}, "query"),
    ("similar_cases", {"id": "sd2020-jinan-3", "k": 0}, "k"),
])
def test_bad_calls_are_tool_errors_not_protocol_failures(engine, tool, arguments, words):
    result = _run(engine, lambda c: c.call_tool(tool, arguments))
    assert result.is_error and words in result.content[0].text
