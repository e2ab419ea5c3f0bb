"""The tool functions behind MCP and function calling, over the fake engine."""

from __future__ import annotations

import pytest

from service.assistants.tools import (
    MAX_OUTPUT_CHARS,
    ToolInputError,
    case_title,
    openai_tools,
    run_compare,
    run_fetch,
    run_search,
    run_similar,
)

BASE = "http://127.0.0.1:8000"


def test_search_results_are_citable(engine):
    results = run_search(engine, BASE, "购置新国标校车", k=3)["results"]
    first = results[0]
    assert set(first) == {"id", "title", "url", "city", "seq", "year", "province", "snippet",
                          "score", "match", "case_title", "place_level", "places"}
    assert first["id"] == "sd2020-jinan-3"
    assert first["title"].startswith("济南市 案例3：商河县全力做好学生食")
    assert first["url"] == f"{BASE}/cases/sd2020-jinan-3"
    assert "<mark>" not in first["snippet"] and first["snippet"] in engine.case(first["id"]).text


def test_fetch_returns_the_whole_case_and_its_source(engine):
    case = run_fetch(engine, BASE, "sd2020-qingdao-2")
    assert case["text"] == engine.case("sd2020-qingdao-2").text
    assert case["metadata"]["city"] == "青岛市" and case["metadata"]["year"] == 2020
    assert case["metadata"]["source"] == "《2020年各市履行教育职责典型工作案例》"


def test_similar_cases_are_in_other_cities(engine):
    results = run_similar(engine, BASE, "sd2020-jinan-3", k=5, min_match="weak")["results"]
    assert len(results) == 5 and all(r["city"] != "济南市" for r in results)


@pytest.mark.parametrize(("call", "words"), [
    (lambda e: run_search(e, BASE, "  "), "query is empty"),
    (lambda e: run_search(e, BASE, "x" * 501), "the limit is 500"),
    (lambda e: run_search(e, BASE, "校车", k=0), "k must be"),
    (lambda e: run_search(e, BASE, "校车", cities=["北京市"]), "北京市"),
    (lambda e: run_fetch(e, BASE, "nope"), "no case has id 'nope'"),
    (lambda e: run_similar(e, BASE, "nope"), "no case has id 'nope'"),
    (lambda e: run_similar(e, BASE, "sd2020-jinan-3", k=51), "k must be"),
    (lambda e: run_search(e, BASE, "校车", mode="fuzzy"), "mode must be one of"),
    (lambda e: run_search(e, BASE, "校车", colour="red"), "unknown fields"),
    (lambda e: run_fetch(e, BASE, "sd2020-jinan-3", colour="red"),
     "unknown fields 'colour'; allowed: id"),
    (lambda e: run_similar(e, BASE, "sd2020-jinan-3", colour="red"), "unknown fields"),
    (lambda e: run_compare(e, BASE, "新增学位", colour="red"), "unknown fields 'colour'"),
])
def test_bad_arguments_say_what_to_change(engine, call, words):
    with pytest.raises(ToolInputError, match=words):
        call(engine)


def test_output_stays_within_the_budget(engine):
    import json

    output = run_search(engine, BASE, "教育", k=20)
    assert len(json.dumps(output, ensure_ascii=False)) <= MAX_OUTPUT_CHARS


def test_titles_are_short(engine):
    for case in engine.cases:
        assert len(case_title(case)) <= len(case.city) + 6 + 41


def test_openai_definitions_are_strict():
    tools = openai_tools()
    assert [t["function"]["name"] for t in tools] == ["search", "fetch", "similar_cases",
                                                     "compare_figures"]
    for tool in tools:
        parameters = tool["function"]["parameters"]
        assert tool["function"]["strict"] is True
        assert parameters["additionalProperties"] is False
        assert sorted(parameters["required"]) == sorted(parameters["properties"])
        assert tool["endpoint"]["path"].startswith("/api/")


def test_assistants_get_only_real_matches_unless_they_ask_for_more(engine):
    default = run_search(engine, BASE, "购置新国标校车", k=20)["results"]
    everything = run_search(engine, BASE, "购置新国标校车", k=20, min_match="weak")["results"]
    assert all(r["match"] in ("strong", "partial") for r in default)
    assert len(everything) == 20 and len(default) < len(everything)
    strong = run_search(engine, BASE, "教育", k=20, min_match="strong")["results"]
    assert all(r["match"] == "strong" for r in strong)


def test_tool_descriptions_say_what_the_levels_mean():
    search = next(t for t in openai_tools() if t["function"]["name"] == "search")
    description = search["function"]["description"]
    assert "`strong`" in description and "`partial`" in description and "min_match" in description
    assert "null for partial" in search["function"]["parameters"]["properties"]["min_match"][
        "description"]
