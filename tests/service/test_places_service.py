"""Cases of places at every level through the service: the place filter and /api/places, the
results' place fields in JSON and CSV (tests/index/places_corpus.py holds the cases)."""

from __future__ import annotations

import asyncio
import csv
import json
import re

from click.testing import CliRunner
from mcp import Client

from service.assistants.mcp_server import build_mcp_server
from service.assistants.tools import openai_tools
from service.cli.main import main
from tests.spreadsheets import csv_file

BASE = "http://127.0.0.1:8000"


def test_the_place_filter_is_a_query_parameter_and_a_body_field(places_client):
    got = places_client.get("/api/search?q=教育&k=50&place=青岛").get_json()["results"]
    assert {r["id"] for r in got} == {"mix2021-qingdao-1", "mix2021-laoshan-1",
                                      "mix2021-laoshan-2"}
    posted = places_client.post("/api/search", json={"query": "教育", "k": 50,
                                                      "places": ["崂山区", "西湖区"]})
    assert {r["city"] for r in posted.get_json()["results"]} == {"崂山区", "西湖区"}


def test_an_unknown_place_is_a_422_saying_where_places_are_listed(places_client):
    response = places_client.get("/api/search?q=教育&place=北京市")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "北京市" in response.get_json()["detail"]
    assert "GET /api/places" in response.get_json()["detail"]


def test_places_are_listed_with_level_chain_and_count(places_client):
    listed = places_client.get("/api/places").get_json()
    laoshan = next(place for place in listed if place["name"] == "崂山区")
    assert laoshan == {"name": "崂山区", "level": "county",
                       "chain": ["山东省", "青岛市", "崂山区"], "count": 2}
    assert listed[0] == {"name": "山东省", "level": "province", "chain": ["山东省"],
                         "count": 7}
    assert {"name": "高新开发区", "level": "", "chain": [], "count": 1} in listed


def test_the_shipped_cities_are_places_of_shandong(client):
    listed = client.get("/api/places").get_json()
    assert listed[0] == {"name": "山东省", "level": "province", "chain": ["山东省"],
                         "count": 48}
    assert {place["name"] for place in listed[1:]} == {
        city["city"] for city in client.get("/api/cities").get_json()}


def test_a_result_carries_its_title_and_place(places_client):
    result = places_client.get("/api/search?q=校车安全&place=崂山区&k=1").get_json()[
        "results"][0]
    assert (result["case_title"], result["place_level"], result["places"]) == (
        "校车安全", "county", ["山东省", "青岛市", "崂山区"])


def test_a_csv_row_carries_the_title_and_the_chain_in_columns_of_its_own(places_client):
    text = places_client.get("/api/search?q=校车安全&place=崂山区&k=1&format=csv").get_data(
        as_text=True)
    header, row = list(csv.reader(csv_file(text)))
    assert header[-3:] == ["case_title", "place_level", "places"]
    assert header[:9] == ["rank", "id", "city", "seq", "year", "province", "score", "match",
                          "text"]
    assert row[-3:] == ["校车安全", "county", "山东省 / 青岛市 / 崂山区"]


def test_similar_cases_over_http_are_of_the_same_level(places_client):
    body = places_client.get("/api/cases/mix2021-qingdao-1/similar?k=50").get_json()
    assert {r["place_level"] for r in body["results"]} == {"city"}
    assert {r["city"] for r in body["results"]} == {"杭州市"}


def test_the_command_line_takes_a_place(places_engine, fake_home, monkeypatch):
    import service.cli.main as cli

    monkeypatch.setattr(cli, "_engine", lambda: places_engine)
    result = CliRunner().invoke(main, ["search", "教育", "--place", "山东", "--place", "浙江",
                                       "--json", "-k", "50"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["results"]) == 10


COVERAGE = "普惠性幼儿园覆盖率"
BY_LEVEL = [("浙江省", 92.0, "province"), ("山东省", 85.0, "province"), ("杭州市", 95.0, "city"),
            ("青岛市", 90.0, "city"), ("崂山区", 97.0, "county"), ("龙口市", 88.0, "county")]


def test_a_comparison_ranks_figures_within_their_places_level(places_client):
    body = places_client.get(f"/api/figures?metric={COVERAGE}").get_json()
    assert body["levels"] == ["province", "city", "county"]
    assert [(r["city"], r["value"], r["place_level"]) for r in body["figures"]] == BY_LEVEL
    rows = list(csv.DictReader(csv_file(places_client.get(
        f"/api/figures?metric={COVERAGE}&format=csv").get_data(as_text=True))))
    assert [row["place_level"] for row in rows] == [level for *_, level in BY_LEVEL]


def test_the_figures_page_charts_each_level_apart(places_client):
    group = places_client.get(f"/api/figures?metric={COVERAGE}").get_json()["id"]
    page = places_client.get(f"/figures/{group}").get_data(as_text=True)
    assert page.count('<svg class="chart"') == 3 and page.count('<table class="figures">') == 3
    headings = ["省级 · provinces", "市级 · cities", "区县 · districts and counties"]
    assert [page.index(heading) for heading in headings] == sorted(
        page.index(heading) for heading in headings)
    assert page.index("崂山区") > page.index("区县 · districts and counties")


def test_the_command_line_prints_a_comparison_by_level(places_engine, fake_home, monkeypatch):
    import service.cli.main as cli

    monkeypatch.setattr(cli, "_engine", lambda: places_engine)
    lines = CliRunner().invoke(main, ["figures", COVERAGE]).output.splitlines()
    headings = [at for at, line in enumerate(lines) if line.startswith(" ") and
                not line.startswith("  ")]
    assert [lines[at].strip() for at in headings] == ["省级 · provinces", "市级 · cities",
                                                       "区县 · districts and counties"]
    county = lines[headings[2] + 1:]
    assert county[0].split()[0] == "崂山区" and "█" * 20 in county[0]  # its own level's top
    assert lines[headings[1] + 1].split()[0] == "杭州市" and "█" * 20 in lines[headings[1] + 1]


def _brief_md(client, query: str) -> str:
    response = client.get(f"/api/brief?{query}&format=md")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_a_brief_names_the_cases_title_and_its_place_with_its_chain(places_client):
    text = _brief_md(places_client, "id=mix2021-laoshan-2")
    assert "## 1. 崂山区 · 案例 2：校车安全\n" in text
    assert "地点 · Place: 山东省 / 青岛市 / 崂山区（区县 / district）" in text
    assert "（区县 / county-level city）" in _brief_md(places_client, "id=mix2021-longkou-1")
    assert "地点" not in _brief_md(places_client, "id=mix2021-gaoxin-1")  # not resolved


def test_a_briefs_figures_come_in_a_table_per_level(places_client):
    text = _brief_md(places_client, f"id=mix2021-qingdao-1&figures={COVERAGE}")
    sections = text.split("\n### ")[1:]
    assert [section.splitlines()[0] for section in sections] == [
        "省级 · provinces", "市级 · cities", "区县 · districts and counties"]
    assert "| 崂山区 | 2021 | 97 % |" in sections[2] and "崂山区" not in sections[1]


def test_a_card_shows_the_place_with_its_level_and_the_cases_title(places_client):
    page = places_client.get("/?q=校车安全&place=崂山区").get_data(as_text=True)
    assert page.count('class="card"') == 2
    assert re.search(r'>崂山区</a>\s*<span class="place-level" title="山东省 / 青岛市 / 崂山区">'
                     r'· 区县 / district（青岛市）</span>', page)  # a district with its city
    assert '<p class="case-title">校车安全</p>' in page


def test_the_place_filter_is_offered_beside_the_others_and_kept_by_the_city_chips(places_client):
    page = places_client.get("/?q=教育&place=青岛").get_data(as_text=True)
    assert '<select id="place" name="place">' in page
    assert '<option value="崂山区" >\u3000\u3000崂山区</option>' in page
    chips = re.findall(r'<a href="([^"]*city=[^"]*)"', page)
    assert chips and all("place=%E9%9D%92%E5%B2%9B" in chip for chip in chips)
    assert page.count('class="card"') == 3
    assert '<option value="青岛" selected>青岛</option>' in page  # as asked, when not listed


def test_an_unknown_place_on_the_page_is_a_message(places_client):
    page = places_client.get("/?q=教育&place=北京市").get_data(as_text=True)
    assert 'class="notice"' in page and "北京市" in page and "/api/places" in page


def test_a_case_page_compares_with_other_places_of_its_level(places_client):
    page = places_client.get("/cases/mix2021-laoshan-1").get_data(as_text=True)
    assert '<small class="place-level">· 区县 / district</small>' in page
    assert '<p class="case-title">普惠性幼儿园全覆盖</p>' in page
    assert "地点 · Place: 山东省 / 青岛市 / 崂山区" in page
    assert "The most similar practice of each other district or county" in page
    similar = re.findall(r'class="city" href="[^"]*">([^<]+)</a>', page)
    assert similar and set(similar) <= {"龙口市", "西湖区", "新建区", "市中区"}
    assert similar.count("市中区") == 2  # two districts of one name are two places


def _mcp(engine, body):
    async def run():
        async with Client(build_mcp_server(lambda: engine, BASE)) as client:
            return await body(client)

    return asyncio.run(run())


def test_an_assistant_searches_a_place_and_reads_its_place_and_title(places_engine):
    result = _mcp(places_engine, lambda c: c.call_tool(
        "search", {"query": "校车安全", "places": ["青岛"], "min_match": "weak", "k": 50}))
    assert not result.is_error
    found = result.structured_content["results"]
    assert {r["city"] for r in found} == {"青岛市", "崂山区"}
    bus = next(r for r in found if r["id"] == "mix2021-laoshan-2")
    assert bus["title"] == "崂山区 案例2：校车安全"  # the case's own title
    assert (bus["place_level"], bus["places"]) == ("county", ["山东省", "青岛市", "崂山区"])
    fetched = _mcp(places_engine, lambda c: c.call_tool("fetch", {"id": "mix2021-laoshan-2"}))
    assert fetched.structured_content["metadata"]["places"] == ["山东省", "青岛市", "崂山区"]
    unknown = _mcp(places_engine, lambda c: c.call_tool(
        "search", {"query": "校车", "places": ["北京市"]}))
    assert unknown.is_error and "/api/places" in unknown.content[0].text


def test_the_tools_describe_the_place_filter_and_fields():
    definitions = {tool["function"]["name"]: tool["function"] for tool in openai_tools()}
    search = definitions["search"]
    assert "places" in search["parameters"]["required"]  # strict: present, nullable
    assert search["parameters"]["properties"]["places"]["type"] == ["array", "null"]
    for words in ("`places`", "崂山区", "`place_level`", "`case_title`"):
        assert words in search["description"]
    assert "same level" not in search["description"]
    assert "districts' and counties'" in definitions["similar_cases"]["description"]
    assert "same level" in definitions["compare_figures"]["description"]


def test_a_batch_takes_the_place_filter_for_every_question(places_client):
    body = {"queries": ["校车安全", "教师周转宿舍"], "k": 50, "places": ["浙江"]}
    answers = places_client.post("/api/search/batch", json=body).get_json()["results"]
    assert [{r["places"][0] for r in answer["results"]} for answer in answers] == [
        {"浙江省"}, {"浙江省"}]
