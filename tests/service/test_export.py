"""For analysts: paging with offset, CSV and workbooks for spreadsheets, several questions at
once."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from service.cli.main import main
from service.export import CSV_COLUMNS, MEDIA_TYPES
from tests.spreadsheets import csv_file, xlsx_sheets


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
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: what Excel reads as UTF-8
    rows = list(csv.reader(csv_file(raw)))
    assert tuple(rows[0]) == CSV_COLUMNS == ("rank", "id", "city", "seq", "year", "province",
                                             "score", "match", "text", "case_title",
                                             "place_level", "places")
    assert [row[0] for row in rows[1:]] == ["3", "4", "5"]  # ranks count the offset
    page = client.get("/api/search?q=校车&k=3&offset=2").get_json()["results"]
    assert [row[1] for row in rows[1:]] == [r["id"] for r in page]
    assert rows[1][8] == page[0]["text"]  # commas and quotes in the text survive


def test_similar_cases_as_csv(client):
    response = client.get("/api/cases/sd2020-jinan-3/similar?k=4&format=csv")
    rows = list(csv.reader(csv_file(response.get_data(as_text=True))))
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
    rows = list(csv.reader(csv_file(csv_out)))
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


def test_every_table_comes_as_a_workbook_with_real_columns(client):
    """search, similar, figures and a batch as .xlsx: the CSV's columns, numbers as numbers,
    a figure's sentence beside its value, a sheet per question of a batch."""
    search = client.get("/api/search?q=校车&k=3&format=xlsx")
    assert search.status_code == 200
    assert search.headers["Content-Type"] == MEDIA_TYPES["xlsx"]
    assert search.headers["Content-Disposition"] == 'attachment; filename="search.xlsx"'
    (name, rows), = xlsx_sheets(search.data).items()
    assert name == "校车" and tuple(rows[0]) == CSV_COLUMNS
    page = client.get("/api/search?q=校车&k=3").get_json()["results"]
    assert [row[1] for row in rows[1:]] == [hit["id"] for hit in page]
    assert rows[1][0] == 1 and rows[1][6] == page[0]["score"]  # rank and score are numbers
    assert rows[1][CSV_COLUMNS.index("places")] == " / ".join(page[0]["places"])

    similar = xlsx_sheets(client.get("/api/cases/sd2020-jinan-3/similar?k=4&format=xlsx").data)
    assert len(next(iter(similar.values()))) == 5

    figures = xlsx_sheets(client.get("/api/figures?metric=普惠性幼儿园覆盖率&format=xlsx").data)
    (header, *lines), = figures.values()
    assert header[header.index("value") + 1:header.index("text") + 1] == [
        "high", "unit", "shown", "as_written", "text"]
    first = dict(zip(header, lines[0], strict=True))
    assert first["value"] == 93.37 and first["as_written"] in first["text"]

    batch = client.post("/api/search/batch?format=xlsx",
                        json={"queries": ["校车安全", "教师周转宿舍", "校车安全"], "k": 2})
    assert batch.status_code == 200
    sheets = xlsx_sheets(batch.data)
    assert list(sheets) == ["1 校车安全", "2 教师周转宿舍", "3 校车安全"]
    assert all(rows[0][0] == "query" and len(rows) == 3 for rows in sheets.values())
    as_csv = client.post("/api/search/batch?format=csv", json={"queries": ["校车安全"], "k": 2})
    assert list(csv.reader(csv_file(as_csv.data)))[0][:2] == ["query", "rank"]


def test_a_workbook_holds_text_as_text_and_names_its_sheets_as_excel_allows():
    from service.export import Table, workbook

    hostile = ("=HYPERLINK(\"http://x\")", "+1", "http://example.com", "0012", "a\x00b\x0bc",
               "lone \ud800 surrogate")
    tables = [Table("a/b:c*d?[e]" + "长" * 40, ("text",), tuple((text,) for text in hostile)),
              Table("a/b:c*d?[e]" + "长" * 40, ("text",), ()),
              Table("😀" * 20 + "校车", ("text",), ()), Table("\ufffe校车\uffff", ("text",), ()),
              Table("History", ("text",), ())]
    sheets = xlsx_sheets(workbook(tables))  # opens: every name is one Excel and XML take
    first, second, emoji, odd, history = sheets
    assert len(first) <= 31 and not set(first) & set("[]:*?/\\") and first != second
    assert len(emoji.encode("utf-16-le")) <= 62 and odd == "校车" and history == "History (2)"
    values = [row[0] for row in sheets[first][1:]]
    assert values == ["=HYPERLINK(\"http://x\")", "+1", "http://example.com", "0012", "abc",
                      "lone  surrogate"]  # strings, as written: no formula, link or number


def test_the_cli_writes_workbooks_and_csv_files(engine, tmp_path, monkeypatch):
    import service.cli.main as cli

    monkeypatch.setattr(cli, "_engine", lambda: engine)
    runner = CliRunner()
    out = tmp_path / "results.xlsx"
    made = runner.invoke(main, ["search", "校车", "-k", "2", "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert f"wrote {out} (2 rows;" in made.output
    assert len(xlsx_sheets(out.read_bytes())["校车"]) == 3
    questions = tmp_path / "questions.txt"
    questions.write_text("校车安全\n教师周转宿舍\n", encoding="utf-8")
    assert runner.invoke(main, ["search", "--file", str(questions), "--format", "xlsx",
                                "--out", str(out)]).exit_code == 0
    assert list(xlsx_sheets(out.read_bytes())) == ["1 校车安全", "2 教师周转宿舍"]
    figures = tmp_path / "figures.csv"
    assert runner.invoke(main, ["figures", "普惠性幼儿园覆盖率", "--out", str(figures)]
                         ).exit_code == 0
    assert figures.read_bytes().startswith(b"\xef\xbb\xbf")
    similar = tmp_path / "similar.xlsx"
    assert runner.invoke(main, ["similar", "sd2020-jinan-3", "--out", str(similar)]
                         ).exit_code == 0
    assert len(next(iter(xlsx_sheets(similar.read_bytes()).values()))) == 11
    # what cannot be written is said, before any work
    monkeypatch.setattr(cli, "_on_terminal", lambda: True)
    for args, words in (
            (["search", "校车", "--format", "xlsx"], "an xlsx workbook is a file"),
            (["search", "校车", "--format", "csv", "--out", str(out)], "would write csv into"),
            (["search", "校车", "--out", str(tmp_path / "r.json")], "--out writes a table"),
            (["search", "校车", "--out", str(tmp_path / "no" / "r.csv")], "does not exist"),
            (["figures", "--format", "xlsx", "--out", str(out)], "name a METRIC")):
        refused = runner.invoke(main, args)
        assert refused.exit_code != 0 and words in refused.output, refused.output


@pytest.mark.slow
def test_libreoffice_opens_the_workbooks(client, tmp_path):
    """LibreOffice Calc (headless) reads each exported workbook: its sheets, the Chinese text
    as written, and numbers as numbers."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.fail("LibreOffice is missing: `make test` installs it "
                    "(apt-get install libreoffice-calc-nogui)")
    (tmp_path / "search.xlsx").write_bytes(client.get("/api/search?q=校车&k=3&format=xlsx").data)
    (tmp_path / "figures.xlsx").write_bytes(
        client.get("/api/figures?metric=普惠性幼儿园覆盖率&format=xlsx").data)
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76', "--outdir",
                    str(tmp_path / "out"), str(tmp_path / "search.xlsx"),
                    str(tmp_path / "figures.xlsx")], check=True, capture_output=True,
                   timeout=180)
    search = list(csv.reader(io.StringIO((tmp_path / "out" / "search.csv").read_text("utf-8"))))
    page = client.get("/api/search?q=校车&k=3").get_json()["results"]
    assert tuple(search[0]) == CSV_COLUMNS and [row[2] for row in search[1:]] == [
        hit["city"] for hit in page]
    figures = list(csv.DictReader(io.StringIO(
        (tmp_path / "out" / "figures.csv").read_text("utf-8"))))
    assert figures[0]["city"] == "东营市" and float(figures[0]["value"]) == 93.37


def test_the_results_page_links_to_its_table_downloads(client):
    """The downloads are the page's own search: every argument it took."""
    page = client.get("/?q=校车&city=济南市&k=3&mode=lexical&min_match=weak").get_data(
        as_text=True)
    links = re.findall(r'href="(/api/search\?[^"]+format=(?:xlsx|csv))"', page)
    assert len(links) == 2
    workbook = client.get(links[0].replace("&amp;", "&"))
    assert workbook.headers["Content-Type"] == MEDIA_TYPES["xlsx"]
    (rows,) = xlsx_sheets(workbook.data).values()
    shown = client.get("/api/search?q=校车&city=济南市&k=3&mode=lexical&min_match=weak"
                       ).get_json()["results"]
    assert [row[1] for row in rows[1:]] == [hit["id"] for hit in shown]
    assert {row[2] for row in rows[1:]} == {"济南市"}
