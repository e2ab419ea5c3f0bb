"""`casesearch corpus add` reports what the corpus checks refuse, and changes nothing."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from corpus.load import DEFAULT_DATA_DIR
from service.cli.main import main

TEXT = "2022年典型案例\n一、甲市\n1.推进课后服务全覆盖，参与学生比例达到95%。\n"


@pytest.fixture
def add(tmp_path, monkeypatch):
    """`casesearch corpus add <a good document> <options>` on a copy of the corpus."""
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    monkeypatch.setenv("CASESEARCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CASESEARCH_DATA", str(data))
    monkeypatch.setenv("CASESEARCH_MODEL", "fake/char-ngrams")
    monkeypatch.setenv("CASESEARCH_SECOND_MODEL", "none")
    source = tmp_path / "cases.txt"
    source.write_text(TEXT, encoding="utf-8")

    def invoke(*options: str):
        return CliRunner().invoke(main, ["corpus", "add", str(source), "--year", "2022",
                                         *options], catch_exceptions=False)

    invoke.data = data
    return invoke


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
@pytest.mark.parametrize(("option", "value", "code"), [
    ("--province", "山东\x0b省", "U+000B"), ("--title", "典型\u202e案例", "U+202E"),
    ("--source", "教育厅\x00", "U+0000"), ("--province", "山东\x85省", "U+0085"),
])
def test_metadata_with_a_control_character_is_refused_with_a_clear_message(
        add, dry_run, option, value, code):
    options = ["--province", "山东省", "--id", "x2022", option, value, *dry_run]
    result = add(*options)
    assert result.exit_code == 1
    assert f"{option.lstrip('-')} {value!r} holds" in result.output and code in result.output
    assert "remove it" in result.output and "Nothing was changed" in result.output
    assert not list(add.data.glob("x2022*"))


def test_the_dry_run_report_counts_the_control_characters_removed_from_the_text(
        add, tmp_path):
    (tmp_path / "cases.txt").write_text(TEXT.replace("推进", "推\x07进\x0b"), encoding="utf-8")
    result = add("--province", "山东省", "--id", "x2022", "--dry-run")
    assert result.exit_code == 0
    assert "warning: removed 1 invisible control character (U+0007)" in result.output
    assert "warning: read 1 break inside a line (U+000B) as a space" in result.output


def test_an_id_with_a_control_character_is_refused_as_no_slug(add):
    result = add("--province", "山东省", "--id", "x\x0b2022", "--dry-run")
    assert result.exit_code == 2 and "document id 'x\\x0b2022' is not valid" in result.output


def test_the_command_line_says_who_added_a_document(add):
    result = add("--province", "山东省", "--id", "x2022")
    assert result.exit_code == 0, result.output
    meta = json.loads((add.data / "x2022.json").read_text(encoding="utf-8"))
    assert meta["added_by"].startswith("cli") and meta["cases"] >= 1
