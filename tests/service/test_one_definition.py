"""Every surface states the same requests: OpenAPI, function calling, MCP and the CLI agree on
fields, bounds and defaults, and what they say about the corpus follows the loaded index."""

from __future__ import annotations

import asyncio
import copy
import csv
import dataclasses
import shutil

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from mcp import Client

from corpus import CorpusStore, load_corpus, models
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
from tests.spreadsheets import csv_file

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


def test_every_fields_description_reaches_every_schema(client, engine):
    """A request field's description is what OpenAPI, function calling and MCP say of it."""
    document = client.get("/openapi.json").get_json()
    body = document["components"]["schemas"]["SearchRequest"]["properties"]
    similar = {p["name"]: p for p in
               document["paths"]["/api/cases/{case_id}/similar"]["get"]["parameters"]}
    tools = {t["function"]["name"]: t["function"]["parameters"]["properties"]
             for t in openai_tools()}
    mcp = _mcp_schemas(engine)
    for spec, openapi in ((SEARCH, {name: s["description"] for name, s in body.items()}),
                          (SIMILAR, {f.name: similar[f.query_name or "case_id"]["description"]
                                     for f in SIMILAR.fields})):
        assert set(openapi) == {field.name for field in spec.fields}
        for field in spec.fields:
            said = field.description
            assert openapi[field.name].startswith(said), (spec.name, field.name)
            assert tools[spec.name][field.name]["description"].startswith(said)
            assert mcp[spec.name].input_schema["properties"][field.name]["description"] == said


# The records: the JSON the routes return, the OpenAPI component schemas, the MCP tools'
# output schemas and the CSV headers agree field by field. The only differences are these,
# deliberate: what an MCP output leaves out of the API's record and adds to it (a fetched
# case's metadata is read flattened), and what a CSV leaves out and adds.
MCP_DIFFERS = {  # record: (tool, path to it in the tool's output schema, left out, added)
    "Result": ("search", ("results",), {"text"}, {"title", "url"}),
    "Case": ("fetch", (), set(), {"url", "source"}),
    "ComparedFigure": ("compare_figures", ("figures",), {"metric", "high", "approx", "span"},
                       {"url"}),
    "FigureRow": ("compare_figures", ("figures", "also"),
                  {"metric", "high", "approx", "span"}, {"url"}),
    "FigureComparison": ("compare_figures", ("related",), {"id", "cities", "count"}, {"url"}),
    "NearGroup": ("compare_figures", ("other_groups",), {"id", "count"}, set()),
    "MetricComparison": ("compare_figures", (), {"id", "cities", "count", "query"}, {"url"}),
}
CSV_DIFFERS = {"Result": ({"snippet"}, {"rank"}), "FigureRow": ({"span"}, set())}
COVERAGE = "普惠性幼儿园覆盖率"


def _resolved(schema: dict, root: dict) -> dict:
    """A schema with its `$ref` (`#/components/schemas/X`, `#/$defs/X`) followed."""
    while "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = target
    return schema


def _shape(schema: dict, root: dict) -> object:
    """A property's type, however a generator spelled it: a type and its choices, an array of
    a shape, or an object (whose fields are checked as a record of their own)."""
    schema = _resolved(schema, root)
    if "anyOf" in schema:
        return tuple(sorted(repr(_shape(each, root)) for each in schema["anyOf"]))
    if schema.get("type") == "array":
        return ("array", _shape(schema.get("items", {}), root))
    if schema.get("type") == "object" or "properties" in schema:
        return "object"
    return (schema.get("type"), tuple(schema.get("enum", ())))


def _fields(schema: dict, root: dict) -> dict[str, object]:
    """An object schema's fields and their shapes."""
    schema = _resolved(schema, root)
    return {name: _shape(prop, root) for name, prop in schema["properties"].items()}


def _mcp_fields(record: str, outputs: dict[str, dict]) -> dict[str, object]:
    """The fields of the MCP output that stands for the API's `record`."""
    tool, path, _, _ = MCP_DIFFERS[record]
    root = outputs[tool]
    schema = root
    for name in path:
        schema = _resolved(schema, root)["properties"][name]["items"]
    fields = _fields(schema, root)
    if "metadata" in fields:  # a fetched case: where it comes from, one level down
        meta = _resolved(schema, root)["properties"]["metadata"]
        fields = {**{k: v for k, v in fields.items() if k != "metadata"}, **_fields(meta, root)}
    return fields


def _answers(client) -> dict[str, list[dict]]:
    """Real answers of the routes (fake engine), by the record each is."""
    search = client.get("/api/search?q=校车&k=5").get_json()
    posted = client.post("/api/search", json={"query": "teachers housing", "k": 3}).get_json()
    batch = client.post("/api/search/batch", json={"queries": ["校车", "教师"], "k": 2}
                        ).get_json()
    similar = client.get("/api/cases/sd2020-jinan-3/similar?k=3").get_json()
    cases = client.get("/api/cases?limit=3").get_json()
    listing = client.get("/api/figures").get_json()
    compared = [client.get(f"/api/figures/{group['id']}").get_json()
                for group in listing["groups"]]
    metric = client.get(f"/api/figures?metric={COVERAGE}").get_json()
    gathered = client.get("/api/figures?metric=校车").get_json()
    assert gathered["related"], "no answer gathers related groups"
    compared += gathered["related"]
    rows = [row for answer in compared for row in answer["figures"]]
    return {
        "Case": [client.get("/api/cases/sd2020-jinan-3").get_json(), *cases["cases"],
                 similar["case"]],
        "Result": [*search["results"], *posted["results"], *similar["results"],
                   *(hit for answer in batch["results"] for hit in answer["results"])],
        "SearchResponse": [search, posted], "SimilarResponse": [similar],
        "SearchBatchResponse": [batch], "BatchAnswer": batch["results"], "CaseList": [cases],
        "City": client.get("/api/cities").get_json(),
        "Place": client.get("/api/places").get_json(),
        "FigureGroups": [listing], "FigureGroup": listing["groups"],
        "NearGroup": metric["other_groups"], "FigureComparison": compared,
        "MetricComparison": [metric, gathered], "ComparedFigure": rows,
        "FigureRow": [other for row in rows for other in row["also"]],
        "Problem": [client.get("/api/cases/nope").get_json(),
                    client.get("/api/search?q=校车&k=0").get_json()],
    }


def _document_answers(folder, engine) -> dict[str, list[dict]]:
    """Real answers of the document routes, over a copy of the corpus, by record."""
    import io as bytes_io

    from service.runtime.settings import Settings

    data = folder / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    settings = dataclasses.replace(Settings(), home=folder / "home", data=data, tune="off")
    key = "k" * 20
    client = create_app({"TESTING": True, "ENGINE": engine, "SETTINGS": settings,
                         "DATA_DIR": data, "ADMIN_KEYS": (("admin", key),),
                         "BUILDS": type("Builds", (), {"request": lambda self: None})()}
                        ).test_client()
    auth = {"Authorization": f"Bearer {key}"}
    text = ("2021年河北省典型案例\n为推广经验，现将各地做法汇编如下。\n（一）石家庄\n"
            "（1）建设乡村少年宫二百所。\n（2）推进集团化办学。\n").encode()

    def upload(method: str, path: str, content: bytes = text, **fields: str) -> dict:
        body = {"file": (bytes_io.BytesIO(content), "hebei.txt"), **fields}
        return getattr(client, method)(path, headers=auth, data=body,
                                       content_type="multipart/form-data").get_json()

    preview = upload("post", "/api/documents", dry_run="true")  # a line not a case
    items = upload("post", "/api/documents", text.replace("为推广经验，现将各地做法汇编如下。\n"
                                                          .encode(), b""), dry_run="true")
    changes = [upload("post", "/api/documents"), upload("put", "/api/documents/hebei")]
    listing = client.get("/api/documents", headers=auth).get_json()
    one = client.get("/api/documents/hebei", headers=auth).get_json()
    changes.append(client.delete("/api/documents/hebei", headers=auth).get_json())
    trash = client.get("/api/documents/trash", headers=auth).get_json()
    changes.append(client.post("/api/documents/hebei/restore", headers=auth).get_json())
    report = preview["report"]
    return {
        "DocumentPreview": [preview, items], "ReadReport": [report, items["report"]],
        "OutlineReport": [report["outline"]], "OutlineLevel": report["outline"]["levels"],
        "SectionsReport": [items["report"]["sections"]], "ReportCase": report["cases"],
        "NotCase": report["not_cases"], "DocumentChange": changes,
        "DocumentList": [listing], "BuildState": [listing["build"]],
        "DocumentInfo": [one, *listing["documents"],
                         *(change["document"] for change in changes if change["document"])],
        "TrashList": [trash], "TrashedVersion": trash["versions"],
    }


def _csv_headers(client, group_id: str) -> dict[str, list[str]]:
    return {"Result": next(csv.reader(csv_file(client.get(
                "/api/search?q=校车&format=csv").get_data(as_text=True)))),
            "FigureRow": next(csv.reader(csv_file(client.get(
                f"/api/figures/{group_id}?format=csv").get_data(as_text=True))))}


def disagreements(document: dict, answers: dict[str, list[dict]], outputs: dict[str, dict],
                  headers: dict[str, list[str]]) -> list[str]:
    """Every way the four interfaces disagree about a record's fields, in words."""
    found = []
    components = document["components"]["schemas"]
    for record, objects in answers.items():
        openapi = _fields(components[record], document)
        required = set(components[record].get("required", ()))
        if required != set(openapi) and record != "Problem":
            found.append(f"{record}: OpenAPI requires {sorted(required)} of {sorted(openapi)}")
        assert objects, f"no answer holds a {record}"
        for value in objects:
            if record != "Problem" and set(value) != set(openapi):
                found.append(f"{record}: the JSON has {sorted(value)}, OpenAPI {sorted(openapi)}")
            errors = Draft202012Validator({**components[record], **document}
                                          ).iter_errors(value)
            found += [f"{record}: the JSON against OpenAPI: {error.message}" for error in errors]
        if record in MCP_DIFFERS:
            _, _, left_out, added = MCP_DIFFERS[record]
            mcp = _mcp_fields(record, outputs)
            if set(mcp) != set(openapi) - left_out | added:
                found.append(f"{record}: MCP has {sorted(mcp)}, OpenAPI {sorted(openapi)}")
            found += [f"{record}.{name}: MCP {mcp[name]}, OpenAPI {openapi[name]}"
                      for name in set(mcp) & set(openapi) if mcp[name] != openapi[name]]
        if record in CSV_DIFFERS:
            left_out, added = CSV_DIFFERS[record]
            if set(headers[record]) != set(openapi) - left_out | added:
                found.append(f"{record}: the CSV has {headers[record]}, OpenAPI "
                             f"{sorted(openapi)}")
    return found


@pytest.fixture(scope="module")
def document_answers(tmp_path_factory, engine):
    """The document routes' answers, made once for the module (each reads files)."""
    return _document_answers(tmp_path_factory.mktemp("documents"), engine)


@pytest.fixture
def interfaces(client, engine, document_answers):
    answers = {**_answers(client), **copy.deepcopy(document_answers)}
    outputs = {name: tool.output_schema for name, tool in _mcp_schemas(engine).items()}
    headers = _csv_headers(client, answers["FigureComparison"][0]["id"])
    return client.get("/openapi.json").get_json(), answers, outputs, headers


def test_json_openapi_mcp_and_csv_agree_on_every_record(interfaces):
    document, answers, _, _ = interfaces
    assert disagreements(*interfaces) == []
    documented = set(document["components"]["schemas"]) - {
        "SearchRequest", "SearchBatchRequest", "DocumentUpload"}
    assert set(answers) == documented  # every record the API documents is checked


def _with_colour(where: str, document, answers, outputs, headers):
    """The interfaces with a field `colour` added to a result in one of them only."""
    document, answers = copy.deepcopy(document), copy.deepcopy(answers)
    outputs, headers = copy.deepcopy(outputs), copy.deepcopy(headers)
    if where == "json":
        answers["Result"][0]["colour"] = "red"
    elif where == "openapi":
        document["components"]["schemas"]["Result"]["properties"]["colour"] = {"type": "string"}
    elif where == "mcp":
        outputs["search"]["$defs"]["SearchResult"]["properties"]["colour"] = {"type": "string"}
    else:
        headers["Result"].append("colour")
    return document, answers, outputs, headers


@pytest.mark.parametrize("where", ["json", "openapi", "mcp", "csv"])
def test_a_field_added_to_one_interface_only_is_caught(interfaces, where):
    found = disagreements(*_with_colour(where, *interfaces))
    assert any(problem.startswith("Result") and "colour" in problem for problem in found)


def test_a_field_of_another_type_in_mcp_is_caught(interfaces):
    document, answers, outputs, headers = copy.deepcopy(interfaces)
    outputs["search"]["$defs"]["SearchResult"]["properties"]["seq"] = {"type": "string"}
    assert disagreements(document, answers, outputs, headers) == [
        "Result.seq: MCP ('string', ()), OpenAPI ('integer', ())"]


def test_a_csv_row_holds_the_values_of_the_json(client):
    """Each result's CSV row gives its JSON values, column by column, in rank order."""
    json_results = client.get("/api/search?q=校车&k=5").get_json()["results"]
    text = client.get("/api/search?q=校车&k=5&format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(csv_file(text)))
    assert [row["rank"] for row in rows] == [str(rank) for rank in range(1, 6)]
    for row, result in zip(rows, json_results, strict=True):
        assert {name: row[name] for name in row if name != "rank"} == {
            name: _cell(result[name]) for name in row if name != "rank"}


def _cell(value: object) -> str:
    """A JSON value as its CSV cell reads: a list (a place's chain) joined by ` / `."""
    return " / ".join(value) if isinstance(value, list) else str(value)


def test_every_case_field_is_described(client):
    """A field added to corpus.models.Case reaches every interface by itself; it needs only
    its description (service.records.CASE_FIELDS)."""
    case = client.get("/openapi.json").get_json()["components"]["schemas"]["Case"]
    assert set(case["properties"]) == {field.name for field in dataclasses.fields(models.Case)}
    assert all(prop.get("description") for prop in case["properties"].values())


def _quoted(record) -> str:
    return "{" + ", ".join(f'"{name}"' for name in record.model_fields) + "}"


def test_the_readme_names_each_records_fields_as_defined():
    """The README's API table spells out what comes back; it is checked against the records,
    so that adding a field without saying so there fails here."""
    from pathlib import Path

    from service import records

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    expected = [
        f'"results": [{_quoted(records.Result)}]',
        f"→ `{_quoted(records.SearchResponse)}`",
        f"`{_quoted(records.CaseList)}` in document order",
        f"`{_quoted(records.SimilarResponse)}`: analogous",
        f"`{_quoted(records.MetricComparison)}`",
        f"`{_quoted(records.FigureGroups)}`",
        f"`{_quoted(records.SearchBatchResponse)}`",
        "one case: " + ", ".join(f"`{name}`" for name in records.Case.model_fields),
        f"`[{_quoted(records.City)}]`",
        f"`[{_quoted(records.Place)}]`",
        f'"groups": [{_quoted(records.FigureGroup)}]',
        f'"figures": [{_quoted(records.ComparedFigure)}]',
        f'"results": [{_quoted(records.BatchAnswer)}]',
    ]
    missing = [text for text in expected if text not in readme]
    assert not missing, f"README's API table does not say: {missing}"
