"""Figures compared across cities: the API, the CLI, the MCP tool, and the pages."""

from __future__ import annotations

import asyncio
import csv
import json
import re

import pytest
from mcp import Client

from service.assistants.mcp_server import build_mcp_server
from service.assistants.tools import ToolInputError, openai_tools, run_compare
from tests.spreadsheets import csv_file, xlsx_sheets

BASE = "http://127.0.0.1:8000"
COVERAGE = "普惠性幼儿园覆盖率"


def _coverage(client) -> dict:
    return client.get(f"/api/figures?metric={COVERAGE}").get_json()


def test_groups_are_listed_those_of_most_cities_first(client):
    body = client.get("/api/figures").get_json()
    assert body["total"] == len(body["groups"]) > 20
    precise = [group["cities"] for group in body["groups"] if len(group["metric"]) > 2]
    assert precise == sorted(precise, reverse=True)
    vague = [number for number, group in enumerate(body["groups"]) if len(group["metric"]) <= 2]
    assert vague == list(range(len(body["groups"]) - len(vague), len(body["groups"])))
    assert {"id", "metric", "unit", "kind", "cities", "count"} <= set(body["groups"][0])


def test_a_metric_finds_its_group_one_row_per_city_largest_first(client):
    body = _coverage(client)
    assert body["metric"] == COVERAGE and body["unit"] == "%" and body["kind"] == "level"
    rows = body["figures"]
    assert [(row["city"], row["value"]) for row in rows] == [
        ("东营市", 93.37), ("威海市", 93.09), ("青岛市", 90.0), ("德州市", 85.83)]
    assert len({(row["city"], row["year"]) for row in rows}) == len(rows)
    for row in rows:  # every figure traces back to its sentence in its case
        text = client.get(f"/api/cases/{row['case_id']}").get_json()["text"]
        start, end = row["span"]
        assert text[start:end] == row["as_written"] and row["as_written"] in row["text"]
        assert row["text"] in text and row["year"] == 2020
    assert body["other_groups"] and all("similarity" in g for g in body["other_groups"])


def test_a_group_by_its_id_and_as_csv(client):
    group_id = _coverage(client)["id"]
    body = client.get(f"/api/figures/{group_id}").get_json()
    assert body["id"] == group_id and len(body["figures"]) == 4
    response = client.get(f"/api/figures/{group_id}?format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(csv_file(response.get_data(as_text=True))))
    assert [row["city"] for row in rows] == ["东营市", "威海市", "青岛市", "德州市"]
    assert rows[0]["as_written"] == "93.37%" and rows[0]["text"].endswith("。")
    assert (rows[0]["value"], rows[2]["value"], rows[0]["high"]) == ("93.37", "90", "")
    assert client.get(f"/api/figures?metric={COVERAGE}&format=csv").status_code == 200


def test_money_is_normalized_and_shown_as_a_reader_expects(client):
    body = client.get("/api/figures?metric=一般公共预算教育支出").get_json()
    jinan = next(row for row in body["figures"] if row["city"] == "济南市")
    assert jinan["value"] == 21_380_840_000 and jinan["unit"] == "元"
    assert jinan["shown"] == "213.8 亿元" and jinan["as_written"] == "2138084万元"


@pytest.mark.parametrize("url, status, words", [
    ("/api/figures/no-such-group", 404, "no figure group has id"),
    ("/api/figures?metric=", 422, "metric is empty"),
    ("/api/figures?metric=%E2%80%8B", 422, "has no words"),
    (f"/api/figures?metric={'x' * 101}", 422, "the limit is 100"),
    ("/api/figures?metric=x&format=xml", 422, "format must be one of"),
])
def test_bad_requests_get_a_problem_that_says_what_to_change(client, url, status, words):
    response = client.get(url)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert words in response.get_json(force=True)["detail"]


def test_the_tool_compares_and_cites(engine):
    output = run_compare(engine, BASE, COVERAGE)
    assert output["metric"] == COVERAGE and len(output["figures"]) == 4
    first = output["figures"][0]
    assert first["url"] == f"{BASE}/cases/{first['case_id']}"
    assert first["as_written"] in first["text"]
    assert output["url"].startswith(f"{BASE}/figures/")
    with pytest.raises(ToolInputError, match="metric"):
        run_compare(engine, BASE, "   ")


def test_the_tool_over_mcp_and_as_a_function(engine):
    async def call():
        async with Client(build_mcp_server(lambda: engine, BASE)) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            result = await client.call_tool("compare_figures", {"metric": COVERAGE})
            bad = await client.call_tool("compare_figures", {"metric": ""})
            return tools, result, bad

    tools, result, bad = asyncio.run(call())
    assert tools["compare_figures"].input_schema["required"] == ["metric"]
    assert "one row per place" in tools["compare_figures"].description
    assert "same level" in tools["compare_figures"].description
    assert not result.is_error and json.loads(result.content[0].text) == result.structured_content
    assert bad.is_error
    definition = next(t for t in openai_tools() if t["function"]["name"] == "compare_figures")
    assert definition["endpoint"] == {"method": "GET", "path": "/api/figures",
                                      "query": ["metric"]}


def test_the_command_line_lists_compares_and_writes_csv(built_cli):
    cli = built_cli
    listing = cli("figures")
    assert listing.exit_code == 0 and COVERAGE in listing.output
    table = cli("figures", COVERAGE)
    assert table.exit_code == 0 and "东营市" in table.output and "93.37 %" in table.output
    rows = list(csv.DictReader(csv_file(cli("figures", COVERAGE, "--csv").output)))
    assert len(rows) == 4
    assert json.loads(cli("figures", COVERAGE, "--json").output)["metric"] == COVERAGE
    empty = cli("figures", " ")
    assert empty.exit_code == 1 and "metric is empty" in empty.output


def test_the_cores_refusals_are_messages_on_every_interface(client, built_cli, engine):
    """A metric without words is refused by the core (InvalidRequestError): 422 over HTTP, a
    message from the command line and a tool error for a model, never a traceback."""
    response = client.get("/api/figures?metric=%E2%80%8B")
    assert response.status_code == 422 and "has no words" in response.get_json()["detail"]
    printed = built_cli("figures", "\u200b")
    assert printed.exit_code == 1 and "has no words" in printed.output
    assert printed.exception is None or isinstance(printed.exception, SystemExit)
    with pytest.raises(ToolInputError, match="has no words"):
        run_compare(engine, BASE, "\u200b")


def test_the_case_page_links_each_figure_to_other_cities(client):
    page = client.get("/cases/sd2020-jinan-1").get_data(as_text=True)
    links = re.findall(r'<a class="figure" href="([^"]+)"[^>]*>([^<]+)</a>', page)
    assert [text for _, text in links] == ["2138084万元", "275709万元", "14.80%"]
    target = client.get(links[0][0].replace("&amp;", "&"))
    body = target.get_data(as_text=True)
    assert target.status_code == 200 and "<svg" in body and "一般公共预算教育支出" in body
    assert 'class="mine"' in body and "bar-link mine" in body  # its city stands out


def test_the_figure_page_draws_sorted_bars_that_link_to_their_cases(client):
    group_id = _coverage(client)["id"]
    page = client.get(f"/figures/{group_id}").get_data(as_text=True)
    svg = page[page.index("<svg"):page.index("</svg>")]
    bars = re.findall(r'<a href="/cases/([^"]+)" class="bar-link[^"]*">.*?'
                      r'<rect[^>]*width="([\d.]+)"', svg, re.S)
    assert [case_id for case_id, _ in bars] == ["sd2020-dongying-3", "sd2020-weihai-1",
                                                "sd2020-qingdao-2", "sd2020-dezhou-2"]
    widths = [float(width) for _, width in bars]
    assert widths == sorted(widths, reverse=True)
    assert "全市学前教育公办率、普惠性幼儿园覆盖率分别达到77.54%、93.37%" in page  # the sentence
    assert "<script" not in svg and "style=" not in svg


def test_a_free_text_metric_opens_the_nearest_group(client):
    page = client.get("/figures?metric=普惠性幼儿园").get_data(as_text=True)
    assert COVERAGE in page and "similarity" in page
    assert client.get("/figures").status_code == 302
    bad = client.get("/figures?metric=%01").get_data(as_text=True)
    assert "has no words" in bad


def test_the_overview_has_a_figures_tab_listing_the_groups(client):
    overview = client.get("/overview").get_data(as_text=True)
    assert 'href="/overview/figures"' in overview
    page = client.get("/overview/figures").get_data(as_text=True)
    assert 'aria-current="page">数据 · Figures' in page
    assert page.count("<tr>") == client.get("/api/figures").get_json()["total"] + 1


def test_the_tool_gives_one_row_per_place_and_year_as_the_api_does(client, engine):
    """A place's other figures of that year (潍坊市's districts) come under `also`, not as
    rows of their own, for every group."""
    groups = client.get("/api/figures").get_json()["groups"]
    assert any(row["also"] for group in groups
               for row in client.get(f"/api/figures/{group['id']}").get_json()["figures"])
    for group in groups:
        api = client.get(f"/api/figures?metric={group['metric']}").get_json()
        tool = run_compare(engine, BASE, metric=group["metric"])
        assert [(row["city"], row["year"], len(row["also"])) for row in tool["figures"]] == [
            (row["city"], row["year"], len(row["also"])) for row in api["figures"]]
        assert [other["metric"] for other in tool["related"]] == [
            other["metric"] for other in api["related"]]


def test_a_metric_asked_in_words_gathers_the_groups_about_it(client, engine, built_cli):
    """校车 is a thing, not a measure: its comparison brings, each labelled and compared on its
    own, the groups in its unit whose measure names it (购置新国标校车) or that are reported in
    a sentence about it (运营车辆, beside 购置30辆新国标校车)."""
    body = client.get("/api/figures?metric=校车").get_json()
    assert body["metric"] == "校车" and body["unit"] == "辆"
    related = {other["metric"]: other for other in body["related"]}
    assert {"购置新国标校车", "运营车辆"} <= set(related)
    for other in body["related"]:
        assert other["unit"] == body["unit"] and other["figures"]
        assert all("校车" in other["metric"] or "校车" in row["text"]
                   for row in other["figures"])
    assert not {other["id"] for other in body["related"]} & {
        group["id"] for group in body["other_groups"]}  # each group in one place
    # a group asked for by its id is that group alone
    assert client.get(f"/api/figures?metric={body['id']}").get_json()["related"] == []
    # a measure gathers only the groups that name it: no other figure of its sentences
    coverage = _coverage(client)
    assert all(COVERAGE in other["metric"] for other in coverage["related"])

    # a workbook takes a sheet per group; a CSV, one table, only the group's own figures
    sheets = xlsx_sheets(client.get("/api/figures?metric=校车&format=xlsx").data)
    assert {"校车", "购置新国标校车", "运营车辆"} <= set(sheets)
    rows = list(csv.DictReader(csv_file(client.get("/api/figures?metric=校车&format=csv").data)))
    assert {row["metric"] for row in rows} == {"校车"}
    printed = built_cli("figures", "校车")
    assert "also about '校车': 购置新国标校车 (辆, level)" in printed.output
    brief = client.get("/api/brief?figures=校车&format=md").get_data(as_text=True)
    assert "### 相关数据组 · Also about “校车”: 运营车辆 (辆, 水平 · level)" in brief
    assert "| 济南市 | 2020 | 116 辆 | 116辆 | sd2020-jinan-3 |" in brief
    tool = run_compare(engine, BASE, metric="校车")
    assert {"购置新国标校车", "运营车辆"} <= {other["metric"] for other in tool["related"]}
    assert all(other["url"].startswith(f"{BASE}/figures/f") for other in tool["related"])


def test_the_page_of_a_metric_in_words_shows_the_groups_about_it(client):
    page = client.get("/figures?metric=校车").get_data(as_text=True)
    related = page.split('id="related-heading"')[1]
    assert "Also about “校车”" in related and "购置新国标校车" in related and "运营车辆" in related
    assert "济南市 2020：<strong>116 辆</strong>" in related
    # its brief holds what the page shows; a group's own page gathers nothing
    assert "figures=%E6%A0%A1%E8%BD%A6" in page.split('class="brief"')[1]
    group = client.get("/api/figures?metric=校车").get_json()["id"]
    assert 'id="related-heading"' not in client.get(f"/figures/{group}").get_data(as_text=True)


def test_a_metric_gathers_only_what_it_measures_closely(client, engine):
    """No group is gathered for words that do not measure the nearest group closely enough
    (the brief would refuse them), nor by a one-character anchor, and each gathered group's
    measure names what was asked or holds the head of the thing asked for."""
    from service.figures import measure_similarities

    groups = client.get("/api/figures").get_json()["groups"]
    for metric in ("火星基地数量", "school buses", "人", "资金", *(g["metric"] for g in groups)):
        body = client.get(f"/api/figures?metric={metric}").get_json()
        if not body["related"]:
            continue
        group = engine.figures.group(body["id"])
        assert measure_similarities(engine, metric, [group])[0] >= engine.figures.threshold
        anchors = {body["metric"], metric} - {""}
        for other in body["related"]:
            assert other["unit"] == body["unit"]
            assert any(anchor in other["metric"] or (len(anchor) == 2
                                                     and anchor[-1] in other["metric"])
                       for anchor in anchors if len(anchor) >= 2), (metric, other["metric"])
    brief = client.get("/api/brief?figures=火星基地数量&format=md")
    assert brief.status_code == 422  # and the API gathers nothing for it either
    assert client.get("/api/figures?metric=火星基地数量").get_json()["related"] == []
