"""Every surface states the same requests: OpenAPI, function calling, MCP and the CLI agree on
fields, bounds and defaults, and what they say about the corpus follows the loaded index."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from click.testing import CliRunner
from mcp import Client

from corpus import CorpusStore, load_corpus
from corpus.load import DEFAULT_DATA_DIR
from index.artifact.store import build_index, load_index
from index.retrieval.search import SearchEngine
from service.assistants.mcp_server import build_mcp_server, describe_tools
from service.assistants.tools import openai_tools
from service.cli.main import main
from service.describe import version
from service.http.app import create_app
from service.runtime.loader import EngineState
from service.runtime.reload import IndexWatcher
from service.runtime.wiring import reopen_engine
from service.schema import SEARCH, SIMILAR
from tests.conftest import FakeEmbedder

BOUNDS = ("minimum", "maximum", "minLength", "maxLength")


def _norm(schema: dict, *, with_default: bool = True) -> dict:
    """A property's type, bounds, choices and default, however a generator spelled them."""
    options = [s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"]
    base = dict(options[0])
    kind = base.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    found = {"type": kind, **{b: base[b] for b in BOUNDS if b in base}}
    if "enum" in base:
        found["enum"] = sorted(v for v in base["enum"] if v is not None)
    if "items" in base:
        found["items"] = base["items"].get("type")
    if with_default and schema.get("default") is not None:
        found["default"] = schema["default"]
    return found


def _mcp_schemas(engine) -> dict[str, dict]:
    async def main():
        async with Client(build_mcp_server(lambda: engine, "http://127.0.0.1:8000")) as client:
            return {tool.name: tool for tool in (await client.list_tools()).tools}

    return asyncio.run(main())


def test_search_and_similar_agree_everywhere(client, engine):
    document = client.get("/openapi.json").get_json()
    body = document["components"]["schemas"]["SearchRequest"]["properties"]
    similar_params = document["paths"]["/api/cases/{case_id}/similar"]["get"]["parameters"]
    openapi = {
        "search": {name: _norm(s) for name, s in body.items()},
        "similar_cases": {("id" if p["name"] == "case_id" else p["name"]): _norm(p["schema"])
                          for p in similar_params if p["name"] != "format"},  # HTTP's own
    }
    tools = {t["function"]["name"]: t["function"]["parameters"]["properties"]
             for t in openai_tools()}
    mcp = _mcp_schemas(engine)
    # One deliberate difference: assistants get only real matches unless they ask for more.
    for name in ("search", "similar_cases"):
        assert openapi[name]["min_match"]["default"] == "weak"
        openapi[name]["min_match"]["default"] = "partial"
    for name in ("search", "similar_cases"):
        mcp_props = {k: _norm(v) for k, v in mcp[name].input_schema["properties"].items()}
        assert mcp_props == openapi[name], name
        no_defaults = {k: {b: v for b, v in s.items() if b != "default"}
                       for k, s in openapi[name].items()}
        assert {k: _norm(v, with_default=False) for k, v in tools[name].items()} == no_defaults
    assert openapi["search"]["k"] == {"type": "integer", "minimum": 1, "maximum": 50,
                                      "default": 10}
    assert openapi["similar_cases"]["k"] == openapi["search"]["k"]


def test_the_cli_offers_the_same_filters_and_bounds():
    runner = CliRunner()
    search_help = runner.invoke(main, ["search", "--help"]).output
    for field in SEARCH.fields:
        if field.cli:
            assert field.cli[-1] in search_help
    assert "(1-50)" in search_help and "[default: 10]" in search_help
    assert "--same-city" in runner.invoke(main, ["similar", "--help"]).output
    assert {f.name for f in SIMILAR.fields if f.cli} == {"k", "same_city", "min_match"}


def test_the_page_form_uses_the_requests_names(client):
    page = client.get("/?q=教师").get_data(as_text=True)
    assert f'name="{SEARCH.field("query").query_name}"' in page
    assert f'maxlength="{SEARCH.field("query").high}"' in page
    assert f'{SEARCH.field("cities").query_name}=' in page  # the city chips


def test_the_version_comes_from_the_package(client, engine):
    assert client.get("/openapi.json").get_json()["info"]["version"] == version()
    assert version() != "0+unknown"


def test_descriptions_follow_the_index_after_a_corpus_add(tmp_path, corpus):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    embedder, path = FakeEmbedder(), tmp_path / "index"
    build_index(corpus, embedder, path)
    app = create_app({"TESTING": True, "INDEX_PATH": path, "RELOAD_SECONDS": 0,
                      "ENGINE_LOADER": lambda: SearchEngine(load_index(path), embedder)})
    app.extensions["casesearch"].wait(10)
    state = EngineState.ready_with(SearchEngine(load_index(path), embedder))
    server = build_mcp_server(lambda: state.engine, "http://127.0.0.1:8000")
    state.subscribe(lambda _: describe_tools(server, lambda: state.engine,
                                             "http://127.0.0.1:8000"))
    source = tmp_path / "hebei.md"
    source.write_text("2021年河北省典型案例\n\n（一）石家庄\n（1）建设智慧校园，千兆光纤进校园。\n"
                      "（2）推进集团化办学，组建教育集团56个。\n", encoding="utf-8")
    CorpusStore(data).add(source, {"id": "hb2021", "title": "t", "year": 2021,
                                   "province": "河北省"})
    build_index(load_corpus(data), embedder, path)
    for watcher in (app.extensions["casesearch.watcher"],
                    IndexWatcher(state, path, reopen=reopen_engine, interval=0)):
        assert watcher.check_index()
    total = app.test_client().get("/api/cases").get_json()["total"]
    assert total == 50

    async def listed():
        async with Client(server) as client:
            return {t.name: t.description for t in (await client.list_tools()).tools}

    description = asyncio.run(listed())["search"]
    assert f"{total} cases from 2 documents" in description
    assert "河北省 2021 (2 cases, 1 cities)" in description
    footer = app.test_client().get("/").get_data(as_text=True)
    assert f"{total} cases from 2 documents" in footer
    info = app.test_client().get("/openapi.json").get_json()["info"]["description"]
    assert f"{total} cases" in info


@pytest.mark.parametrize("spec", [SEARCH, SIMILAR])
def test_every_field_is_documented(spec):
    for field in spec.fields:
        assert field.description and field.kind in ("text", "id", "int", "bool", "choice",
                                                     "names", "years")
