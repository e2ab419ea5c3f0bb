"""The command line's files and formats: a questions file as Windows saves it, an output file
that cannot be written, and every --format with one question or a file of them."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from service.cli.main import main
from tests.spreadsheets import csv_file

QUESTIONS = "校车安全\n\n教师周转宿舍\n"


@pytest.fixture
def cli(engine, fake_home, monkeypatch):
    """`casesearch …` in-process over the fake engine, exceptions caught (a traceback would
    show as `result.exception`)."""
    import service.cli.main as commands

    monkeypatch.setattr(commands, "_engine", lambda: engine)
    runner = CliRunner()
    return lambda *args, **kwargs: runner.invoke(main, list(args), **kwargs)


def _clean_exit(result, code: int) -> None:
    """Exited with `code`, by a message, not a traceback."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception)
    assert "Traceback" not in result.output


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16",
                                      "utf-16-be", "utf-32"])
def test_a_questions_file_is_read_in_the_encodings_windows_saves(cli, tmp_path, encoding):
    raw = QUESTIONS.encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw  # with its byte order mark, as Notepad writes it
    questions = tmp_path / "questions.txt"
    questions.write_bytes(raw)
    result = cli("search", "--file", str(questions), "-k", "1", "--format", "jsonl")
    _clean_exit(result, 0)
    asked = [json.loads(line)["query"] for line in result.output.splitlines()]
    assert asked == ["校车安全", "教师周转宿舍"]


def test_questions_on_standard_input_in_gbk(cli):
    result = cli("search", "--file", "-", "-k", "1", "--format", "jsonl",
                 input=QUESTIONS.encode("gbk"))
    _clean_exit(result, 0)
    assert [json.loads(line)["query"] for line in result.output.splitlines()] == [
        "校车安全", "教师周转宿舍"]


@pytest.mark.parametrize("content, words", [
    (b"\x80\xff\x80\xff\n", "is neither UTF-8 nor GB18030 or Big5 text"),
    (b"", "holds no question"),
    (b"\n  \n\t\n", "holds no question"),
])
def test_a_questions_file_that_cannot_be_read_says_why(cli, tmp_path, content, words):
    questions = tmp_path / "questions.txt"
    questions.write_bytes(content)
    result = cli("search", "--file", str(questions))
    _clean_exit(result, 2)
    assert words in result.output


@pytest.mark.parametrize("name, words", [("missing.txt", "does not exist"),
                                         (".", "is a directory")])
def test_a_questions_file_that_is_not_a_file_says_so(cli, tmp_path, name, words):
    result = cli("search", "--file", str(tmp_path / name))
    _clean_exit(result, 2)
    assert words in result.output


@pytest.mark.parametrize("where, code, words", [
    ("missing_dir/brief.docx", 1, "cannot write {out}: the folder {parent} does not exist"),
    ("a_file.txt/brief.docx", 1, "cannot write {out}: {parent} is not a folder"),
    (".", 2, "is a directory"),
])
def test_a_brief_that_cannot_be_written_says_why(cli, tmp_path, where, code, words):
    (tmp_path / "a_file.txt").write_text("x", encoding="utf-8")
    out = tmp_path / where
    result = cli("brief", "--ids", "sd2020-jinan-3", "--out", str(out))
    _clean_exit(result, code)
    assert words.format(out=out, parent=out.parent) in result.output


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(csv_file(text)))


@pytest.mark.parametrize("with_file", [False, True])
def test_every_format_prints_as_asked_with_one_question_or_a_file(cli, tmp_path, with_file):
    questions = tmp_path / "questions.txt"
    questions.write_text("校车安全\n", encoding="utf-8")
    asked = ["--file", str(questions)] if with_file else ["校车安全"]
    printed = {form: cli("search", *asked, "-k", "2", "--format", form)
               for form in ("table", "json", "jsonl", "csv")}
    for result in printed.values():
        _clean_exit(result, 0)
    rows = _csv_rows(printed["csv"].output)
    assert rows[0][-1] == "places" and "text" in rows[0] and len(rows) == 3
    as_json = json.loads(printed["json"].output)
    assert (as_json["results"][0]["query"] if with_file else as_json["query"]) == "校车安全"
    assert len(printed["jsonl"].output.strip().splitlines()) == 1
    assert json.loads(printed["jsonl"].output)["query"] == "校车安全"
    assert "[sd2020-" in printed["table"].output and not printed["table"].output.startswith(
        "{")
    assert json.loads(cli("search", *asked, "-k", "2", "--json").output).keys() == (
        as_json.keys())


def test_json_and_another_format_are_refused_together(cli):
    result = cli("search", "校车", "--json", "--format", "csv")
    _clean_exit(result, 2)
    assert "--json" in result.output and "--format csv" in result.output
