"""For analysts: paging with offset, CSV for spreadsheets, several questions at once."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from service.cli.main import main
from service.export import CSV_COLUMNS


def test_offset_reads_the_next_page(client):
    first = client.get("/api/search?q=教育&k=5").get_json()["results"]
    second = client.get("/api/search?q=教育&k=5&offset=5").get_json()["results"]
    both = client.get("/api/search?q=教育&k=10").get_json()["results"]
    assert [r["id"] for r in first + second] == [r["id"] for r in both]
    too_deep = client.get("/api/search?q=教育&k=10&offset=195")
    assert too_deep.status_code == 422 and "offset + k at most 200" in too_deep.get_json()[
        "detail"]
    assert client.post("/api/search", json={"query": "教育", "offset": -1}).status_code == 422


def test_csv_opens_as_a_table_with_one_row_a_result(client):
    response = client.get("/api/search?q=校车&k=3&offset=2&format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS == ("rank", "id", "city", "seq", "year", "province",
                                             "score", "match", "text", "case_title",
                                             "place_level", "places")
    assert [row[0] for row in rows[1:]] == ["3", "4", "5"]  # ranks count the offset
    page = client.get("/api/search?q=校车&k=3&offset=2").get_json()["results"]
    assert [row[1] for row in rows[1:]] == [r["id"] for r in page]
    assert rows[1][8] == page[0]["text"]  # commas and quotes in the text survive


def test_similar_cases_as_csv(client):
    response = client.get("/api/cases/sd2020-jinan-3/similar?k=4&format=csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 5 and all(row[2] != "济南市" for row in rows[1:])
    assert client.get("/api/search?q=校车&format=xml").status_code == 422


def test_a_batch_answers_each_question_like_a_single_search(client):
    body = {"queries": ["校车安全", "教师周转宿舍", "how do cities run school buses safely"],
            "k": 3, "cities": None}
    response = client.post("/api/search/batch", json=body)
    assert response.status_code == 200, response.get_json()
    answers = response.get_json()["results"]
    assert [a["query"] for a in answers] == body["queries"]
    for answer in answers:
        single = client.post("/api/search", json={"query": answer["query"], "k": 3}).get_json()
        assert answer["results"] == single["results"]


def test_a_batch_is_checked_like_its_questions(client):
    for body, words in (({"queries": []}, "list of questions"),
                        ({"queries": ["校车"] * 33}, "limit is 32"),
                        ({"queries": ["校车", ""]}, "queries[1]: query is empty"),
                        ({"queries": ["校车"], "offset": 3}, "unknown fields"),
                        ({"queries": ["校车"], "k": 0}, "k must be")):
        response = client.post("/api/search/batch", json=body)
        assert response.status_code == 422 and words in response.get_json()["detail"], body


def test_the_cli_asks_a_file_of_questions(engine, tmp_path, monkeypatch):
    import service.cli.main as cli

    monkeypatch.setattr(cli, "_engine", lambda: engine)
    questions = tmp_path / "questions.txt"
    questions.write_text("校车安全\n\n教师周转宿舍\n", encoding="utf-8")
    runner = CliRunner()
    csv_out = runner.invoke(main, ["search", "--file", str(questions), "-k", "2",
                                   "--format", "csv"]).output
    rows = list(csv.reader(io.StringIO(csv_out)))
    assert rows[0][0] == "query" and len(rows) == 5
    assert {row[0] for row in rows[1:]} == {"校车安全", "教师周转宿舍"}
    lines = runner.invoke(main, ["search", "--file", str(questions), "--format",
                                 "jsonl"]).output.splitlines()
    assert [json.loads(line)["query"] for line in lines] == ["校车安全", "教师周转宿舍"]
    table = runner.invoke(main, ["search", "--file", str(questions), "-k", "1"]).output
    assert "== 校车安全" in table and "== 教师周转宿舍" in table
    both = runner.invoke(main, ["search", "校车", "--file", str(questions)])
    assert both.exit_code == 2 and "give a QUESTION, or --file" in both.output


def test_the_readmes_python_example_runs(tmp_path, monkeypatch, corpus):
    """The README's three lines, as written, against an index built with the fake models."""
    from pathlib import Path

    from index.artifact.store import build_index
    from tests.conftest import FakeEmbedder

    build_index(corpus, FakeEmbedder(), tmp_path / "index")
    monkeypatch.setenv("CASESEARCH_HOME", str(tmp_path))
    monkeypatch.setenv("CASESEARCH_MODEL", "fake/char-ngrams")
    monkeypatch.setenv("CASESEARCH_SECOND_MODEL", "none")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```python\n", readme.index("### From Python")) + len("```python\n")
    code = readme[start:readme.index("```", start)]
    assert len(code.strip().splitlines()) == 3
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the documented example
    assert len(scope["hits"]) == 3 and scope["hits"][0].match in ("strong", "partial", "weak")
