"""Hostile case data on the way out: whatever a corpus holds (control characters, terminal
escapes, formula starts, Markdown and HTML), the Word and Markdown briefs, the CSVs and the
terminal get it harmless, from the core, over HTTP and on the command line."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import replace

import pytest
from click.testing import CliRunner
from docx import Document

from corpus.models import Case, Corpus
from index.artifact.store import build_index, load_index
from index.retrieval.search import SearchEngine
from service.brief import Brief, Practice, make_brief, render_brief
from service.cli.main import main
from service.describe import engine_summary
from service.export import csv_text
from service.http.app import create_app
from tests.spreadsheets import csv_file

# NUL, vertical tab, form feed, an ANSI screen clear, an OSC title change ended by BEL, DEL,
# the C1 CSI, NEL and the line separator: what a hostile document may carry.
CONTROLS = "\x00\x0b\x0c\x1b[2J\x1b]0;owned\x07\x7f\x9b31m\x85\u2028"
HOSTILE_ID = "=1+1" + CONTROLS + "-x"
HOSTILE = {
    "id": HOSTILE_ID,
    "city": "+城市" + CONTROLS + "|<script>alert(1)</script>",
    "title": "@《标题》\n# 不是标题" + CONTROLS + " [x](javascript:alert(1)) | 列",
    "province": "-省" + CONTROLS,
    "doc_id": "\tdoc" + CONTROLS,
    "case_title": "=HYPERLINK(\"x\")" + CONTROLS + "|<b>题</b>",
    "places": ("-省" + CONTROLS, "+城市" + CONTROLS + "|<script>alert(1)</script>"),
    # a figure whose metric phrase starts with = and carries control characters
    "text": "=普惠性\x0b幼儿园\x1b[2J覆盖率达到93.37%。=cmd|' /C calc'!A0" + CONTROLS
            + "\n# 标题\n- 列表 | a | b |\n<script>alert(1)</script> [点我](javascript:alert(1)) "
            "![x](javascript:alert(2))\n\n1. 新增学位达到3.5万个。",
}
# What no output may carry raw: C0 controls but tab and line ends, DEL, C1 controls.
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
FORMULA_START = tuple("=+-@\t\r＝＋－＠")


@pytest.fixture(scope="module")
def hostile_engine(tmp_path_factory, corpus, fake_embedder, fake_second) -> SearchEngine:
    """The corpus with one more case whose every text field is hostile."""
    hostile = replace(corpus.cases[0], **HOSTILE)
    path = tmp_path_factory.mktemp("hostile-index") / "index"
    build_index(Corpus(corpus.documents, (hostile, *corpus.cases)), fake_embedder, path,
                second=fake_second)
    return SearchEngine(load_index(path, model_id=fake_embedder.model_id), fake_embedder,
                        second=fake_second)


@pytest.fixture(scope="module")
def hostile_group(hostile_engine) -> str:
    """The id of the figure group of the hostile case's figure with the hostile metric."""
    groups = [group for item, group in hostile_engine.figures.of_case(HOSTILE_ID)
              if item.figure.metric.startswith("=")]
    assert groups, "the hostile case's figure was not extracted"
    return groups[0].id


@pytest.fixture
def hostile_client(hostile_engine):
    return create_app({"TESTING": True, "ENGINE": hostile_engine}).test_client()


@pytest.fixture
def hostile_cli(hostile_engine, fake_home, monkeypatch):
    """`casesearch …` in-process over the hostile engine; exceptions are not caught."""
    import service.cli.main as cli

    monkeypatch.setattr(cli, "_engine", lambda: hostile_engine)
    runner = CliRunner()
    return lambda *args, **kwargs: runner.invoke(main, list(args), **kwargs)


def _docx_parts(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist()
                       if name.endswith(".xml"))


def _surrogate_case() -> Case:
    """A case whose every string field carries control characters and lone surrogates (no
    index can hold one, but a brief is made from whatever it is given)."""
    bad = CONTROLS + "\ud800\udfff\ufffe"
    return Case(id="x" + bad, city="城" + bad, seq=1, text="文" + bad, title="题" + bad,
                year=2020, province="省" + bad, doc_id="d" + bad, line=1)


# Word


def test_a_word_brief_of_a_hostile_case_is_made_and_keeps_its_words(hostile_engine,
                                                                     hostile_group):
    made = make_brief(hostile_engine, ids=[HOSTILE_ID], query="校车" + CONTROLS,
                      figures=hostile_group, title="简报" + CONTROLS + "\udcff",
                      base_url="http://x", corpus=engine_summary(hostile_engine))
    data = render_brief(made, "docx")
    assert not RAW_CONTROL.search(_docx_parts(data))
    texts = [p.text for p in Document(io.BytesIO(data)).paragraphs]
    assert any("城市" in text and "alert(1)" in text for text in texts)  # cleaned, not dropped
    assert any(text.startswith("=普惠性") for text in texts)  # the figure's sources


def test_every_string_of_a_case_is_cleaned_on_its_way_into_either_format():
    brief = Brief(title="题\ud800" + CONTROLS, query="问" + CONTROLS + "\udcff",
                  practices=(Practice(_surrogate_case(), "strong", "http://x/cases/1"),),
                  corpus="语料" + CONTROLS + "\ud800")
    word = render_brief(brief, "docx")
    assert not RAW_CONTROL.search(_docx_parts(word))
    Document(io.BytesIO(word))  # opens
    markdown = render_brief(brief, "md").decode("utf-8")  # no lone surrogate left to encode
    assert not RAW_CONTROL.search(markdown) and "城" in markdown


@pytest.mark.parametrize("form", ["docx", "md"])
def test_the_brief_route_serves_a_hostile_case(hostile_client, hostile_group, form):
    response = hostile_client.get("/api/brief", query_string={
        "id": HOSTILE_ID, "figures": hostile_group, "q": "校车" + CONTROLS,
        "title": "简报" + CONTROLS, "format": form})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = _docx_parts(response.data) if form == "docx" else response.get_data(as_text=True)
    assert not RAW_CONTROL.search(body)


def test_the_command_line_writes_a_brief_of_a_hostile_case(hostile_cli, hostile_group,
                                                           tmp_path):
    out = tmp_path / "brief.docx"
    made = hostile_cli("brief", "--ids", HOSTILE_ID, "--figures", hostile_group,
                       "--title", "简报" + CONTROLS, "--out", str(out),
                       catch_exceptions=False)
    assert made.exit_code == 0 and "(1 practice, a figures table" in made.output, made.output
    assert not RAW_CONTROL.search(_docx_parts(out.read_bytes()))
    printed = hostile_cli("brief", "--ids", HOSTILE_ID, catch_exceptions=False)
    assert printed.exit_code == 0 and not RAW_CONTROL.search(printed.output)


# Markdown


def _markdown_tokens(text: str) -> list:
    """The tokens CommonMark with tables (and strikethrough, as GitHub reads it) makes."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(text)


def _hostile_markdown(engine, group: str) -> str:
    title = "简报\n# 第二行 <img src=x onerror=alert(1)> | [a](javascript:alert(1))"
    made = make_brief(engine, ids=[HOSTILE_ID, "sd2020-jinan-3"],
                      query="*校车* <script>alert(1)</script>", figures=group, title=title,
                      base_url="http://127.0.0.1:8000", corpus=engine_summary(engine))
    return render_brief(made, "md").decode("utf-8")


def test_a_markdown_brief_of_a_hostile_case_has_no_markup_from_the_data(hostile_engine,
                                                                        hostile_group):
    from markdown_it import MarkdownIt

    text = _hostile_markdown(hostile_engine, hostile_group)
    tokens = _markdown_tokens(text)
    inline = [child for token in tokens for child in (token.children or ())]
    kinds = {token.type for token in (*tokens, *inline)}
    assert not kinds & {"html_block", "html_inline", "image", "code_block", "code_inline",
                        "fence", "s_open"}
    links = [token.attrGet("href") for token in inline if token.type == "link_open"]
    # the two practices' addresses; no link made from their text
    assert len(links) == 2 and all(link.startswith("http://127.0.0.1:8000/cases/")
                                   for link in links)
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as written


def test_a_markdown_brief_keeps_its_outline_whatever_the_data(hostile_engine, hostile_group):
    tokens = _markdown_tokens(_hostile_markdown(hostile_engine, hostile_group))
    headings = [(token.tag, tokens[number + 1].content) for number, token in enumerate(tokens)
                if token.type == "heading_open"]
    # two practices, figures, and the figures' places' level
    assert [tag for tag, _ in headings] == ["h1", "h2", "h2", "h2", "h3"]
    assert headings[0][1].startswith("简报 \\# 第二行")  # the title's line break collapsed
    cells_per_row, cells = [], 0
    for token in tokens:
        if token.type in ("th_open", "td_open"):
            cells += 1
        elif token.type == "tr_close":
            cells_per_row, cells = [*cells_per_row, cells], 0
    assert len(cells_per_row) >= 2 and set(cells_per_row) == {5}
    lists = [token for token in tokens if token.type.endswith("_list_open")]
    items = [token for token in tokens if token.type == "list_item_open"]
    assert len(lists) == 1 and len(items) == len(cells_per_row) - 1  # the sources
    assert "blockquote_open" not in {token.type for token in tokens}


# CSV


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(csv_file(text)))


def _no_formula(rows: list[list[str]]) -> None:
    """No text cell a spreadsheet would read as a formula: each starts as text, or is a
    number (a numeric column, -3.5 too, stays a number)."""
    for row in rows:
        for cell in row:
            if re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", cell):
                continue
            assert not cell.lstrip().startswith(FORMULA_START), (cell, row)


def test_a_text_cell_that_would_start_a_formula_is_quoted_and_numbers_stay_numbers():
    cells = [-3.5, 7, "-3.5", "=1+1", "+1", "@SUM(A1)", "\tx", "\rx", "＝1", "－1", "＠x",
             "  =1+1", "a=b", "", None, "'=x"]
    (row,) = _rows(csv_text(["c"] * len(cells), [cells]))[1:]
    assert row == ["-3.5", "7", "'-3.5", "'=1+1", "'+1", "'@SUM(A1)", "'\tx", "'\rx", "'＝1",
                   "'－1", "'＠x", "'  =1+1", "a=b", "", "", "'=x"]


@pytest.mark.parametrize("url", [
    "/api/search?q=覆盖率&k=50&format=csv",
    "/api/cases/sd2020-jinan-3/similar?k=50&format=csv",  # another city: every case
])
def test_results_as_csv_hold_no_formula(hostile_client, url):
    rows = _rows(hostile_client.get(url).get_data(as_text=True))
    hostile = [row for row in rows if row[1].startswith("'=1+1")]
    assert len(hostile) == 1 and hostile[0][2].startswith("'+城市")
    assert hostile[0][5].startswith("'-省") and hostile[0][8].startswith("'=普惠性")
    _no_formula(rows)


def test_figures_as_csv_hold_no_formula(hostile_client, hostile_group):
    by_id = _rows(hostile_client.get(f"/api/figures/{hostile_group}?format=csv")
                  .get_data(as_text=True))
    assert by_id[1][0].startswith("'=普惠性")  # the metric
    _no_formula(by_id)
    metric = by_id[1][0][1:]
    by_metric = hostile_client.get("/api/figures", query_string={"metric": metric,
                                                                "format": "csv"})
    _no_formula(_rows(by_metric.get_data(as_text=True)))


def test_the_command_lines_csv_holds_no_formula(hostile_cli, hostile_group, tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text("=1+1 覆盖率\n-校车\n", encoding="utf-8")
    batch = _rows(hostile_cli("search", "--file", str(questions), "-k", "50", "--format",
                              "csv", catch_exceptions=False).output)
    assert {row[0] for row in batch[1:]} == {"'=1+1 覆盖率", "'-校车"}  # the question column
    assert any(row[2].startswith("'=1+1") for row in batch)
    _no_formula(batch)
    one = _rows(hostile_cli("search", "=1+1 覆盖率", "-k", "50", "--format", "csv",
                            catch_exceptions=False).output)
    assert any(row[1].startswith("'=1+1") for row in one)
    _no_formula(one)
    figures = _rows(hostile_cli("figures", hostile_group, "--csv",
                                catch_exceptions=False).output)
    assert figures[1][0].startswith("'=普惠性")
    _no_formula(figures)


# The terminal

# What a terminal obeys rather than shows (the command's own line breaks aside).
OBEYED = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def test_the_command_lines_tables_show_hostile_data_escaped(hostile_cli, hostile_group,
                                                            tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text("覆盖率\x1b]0;owned\x07\u202e\n", encoding="utf-8")
    printed = {" ".join(args): hostile_cli(*args, catch_exceptions=False) for args in (
        ("search", "覆盖率", "-k", "50"),
        ("search", "--file", str(questions), "-k", "50"),
        ("similar", "sd2020-jinan-3", "-k", "50"),
        ("similar", HOSTILE_ID, "-k", "3"),
        ("figures",),
        ("figures", hostile_group),
        ("figures", "=普惠性幼儿园\x1b[2J覆盖率"),
    )}
    for command, result in printed.items():
        assert result.exit_code == 0, (command, result.output)
        assert not OBEYED.search(result.output), command
    assert "+城市\\x00\\x0b\\x0c\\x1b[2J\\x1b]0;owned\\x07\\x7f\\x9b31m\\x85\\u2028|" in (
        printed["search 覆盖率 -k 50"].output)  # shown, as escapes
    assert "== 覆盖率\\x1b]0;owned\\x07\\u202e" in printed[f"search --file {questions} -k 50"
                                                           ].output


def test_an_error_quoting_hostile_data_is_escaped(hostile_cli, capsys):
    from service.cli.common import fail

    result = hostile_cli("brief", "--ids", "\x1b[2Jnope\x9b31m")
    assert result.exit_code == 1 and "no case has id" in result.output
    assert not OBEYED.search(result.output)
    with pytest.raises(SystemExit):  # a message that quotes data as it is
        fail(f"cannot read {HOSTILE['title']}")
    assert not OBEYED.search(capsys.readouterr().err)


def test_json_on_the_terminal_escapes_what_a_terminal_would_obey(hostile_cli, hostile_group):
    for args in (("search", "覆盖率", "-k", "50", "--json"),
                 ("search", "覆盖率", "-k", "50", "--format", "jsonl"),
                 ("similar", "sd2020-jinan-3", "-k", "50", "--json"),
                 ("figures", "--json"), ("figures", hostile_group, "--json")):
        result = hostile_cli(*args, catch_exceptions=False)
        assert result.exit_code == 0 and not OBEYED.search(result.output), args
        json.loads(result.output)
    found = json.loads(hostile_cli("search", "覆盖率", "-k", "50", "--json").output)
    (hostile,) = [hit for hit in found["results"] if hit["id"] == HOSTILE_ID]
    assert hostile["city"] == HOSTILE["city"]  # the same value, for any JSON reader
