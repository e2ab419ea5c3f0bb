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


GOOD_CALLS = {"search": {"query": "校车"}, "fetch": {"id": "sd2020-jinan-3"},
              "similar_cases": {"id": "sd2020-jinan-3"},
              "compare_figures": {"metric": "普惠性幼儿园覆盖率"}}
# Values of the wrong kind, out of bounds or misspelled, by the kind of the field.
BAD_VALUES = {"int": [0, 1000, -1, "ten", 2.5, True, [3]], "text": ["", "  ", 5, ["校车"], "？！"],
              "id": ["", 5, ["x"]], "bool": ["maybe", 2, [True]],
              "choice": ["nope", 3, ["hybrid"]], "names": ["青岛市", [1], {"a": 1}],
              "years": ["2020", ["x"], [2020.5], [True]], "texts": []}


def _api_message(tool: str, arguments: dict) -> str | None:
    """What the API says of these arguments (None: it takes them)."""
    from service.assistants.tools import TOOLS
    from service.problems import ApiError

    try:
        TOOLS[tool].from_json(arguments)
    except ApiError as exc:
        return exc.detail
    return None


def _bad_calls() -> list[tuple[str, dict]]:
    from service.assistants.tools import TOOLS

    calls = []
    for tool, spec in TOOLS.items():
        for field in spec.fields:
            for value in BAD_VALUES[field.kind]:
                arguments = {**GOOD_CALLS[tool], field.name: value}
                if field.kind == "text" and field.high:
                    calls.append((tool, {**arguments, field.name: "校" * (field.high + 1)}))
                calls.append((tool, arguments))
        calls.append((tool, {**GOOD_CALLS[tool], "extra": 1}))
        calls.append((tool, {**GOOD_CALLS[tool], "K": 3, "Query": "x"}))
    return [pytest.param(tool, arguments, id=f"{tool}-{json.dumps(arguments)[:50]}")
            for tool, arguments in calls if _api_message(tool, arguments)]


@pytest.mark.parametrize(("tool", "arguments"), _bad_calls())
def test_every_bad_argument_is_refused_in_the_apis_words(engine, tool, arguments):
    result = _run(engine, lambda c: c.call_tool(tool, arguments))
    assert result.is_error
    text = result.content[0].text
    assert text == f"Error executing tool {tool}: {_api_message(tool, arguments)}"
    assert "pydantic" not in text


@pytest.mark.parametrize("tool", GOOD_CALLS)
def test_null_takes_the_default_as_in_the_api(engine, tool):
    from service.assistants.tools import TOOLS

    nulls = {field.name: None for field in TOOLS[tool].fields if not field.required}
    result = _run(engine, lambda c: c.call_tool(tool, {**GOOD_CALLS[tool], **nulls}))
    assert not result.is_error, result.content[0].text
