"""The `casesearch` command, with the fake embedder standing in for the model."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from index.models.embedders import register_model
from service.cli.main import main
from tests.conftest import FakeEmbedder


@pytest.fixture
def run(fake_home):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_build_then_build_if_stale_skips(run, tmp_path):
    first = run("build")
    assert first.exit_code == 0 and "indexed 48 cases" in first.output
    assert (tmp_path / "index" / "manifest.json").is_file()
    again = run("build", "--if-stale")
    assert again.exit_code == 0 and "index is current" in again.output


def test_build_if_stale_rebuilds_for_another_model(run, monkeypatch):
    run("build")
    register_model("other/model", lambda **_: FakeEmbedder(model_id="other/model"))
    monkeypatch.setenv("CASESEARCH_MODEL", "other/model")
    result = run("build", "--if-stale")
    assert "building the index: " in result.output and "other/model" in result.output
    assert "build one with" not in result.output  # it is building it


def test_search_json_has_the_api_shape(run):
    run("build")
    result = run("search", "购置新国标校车", "--k", "3", "--json")
    assert result.exit_code == 0
    body = json.loads(result.output)
    assert set(body) == {"query", "results", "took_ms"}
    assert body["results"][0]["id"] == "sd2020-jinan-3" and len(body["results"]) == 3


def test_search_text_output(run):
    run("build")
    result = run("search", "购置新国标校车", "-k", "2")
    assert "济南市 3  [sd2020-jinan-3]" in result.output


def test_similar_lists_other_cities(run):
    run("build")
    result = run("similar", "sd2020-jinan-3", "--json")
    body = json.loads(result.output)
    assert body["case"]["id"] == "sd2020-jinan-3"
    assert all(r["city"] != "济南市" for r in body["results"])


def test_errors_are_messages_not_tracebacks(run):
    run("build")
    unknown = run("similar", "nope")
    assert unknown.exit_code == 1 and "no case has id 'nope'" in unknown.output
    empty = run("search", "  ")
    assert empty.exit_code == 1 and "empty" in empty.output


def test_search_without_an_index_says_what_to_run(run):
    result = run("search", "校车")
    assert result.exit_code == 1 and "casesearch build" in result.output


def test_a_bad_setting_is_a_usage_error(run, monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    result = run("build")
    assert result.exit_code == 2 and "PORT must be a whole number" in result.output


def test_eval_prints_the_quality_table(run, tmp_path):
    run("build")
    report = tmp_path / "quality.json"
    result = run("eval", "--json", str(report))
    assert result.exit_code == 0
    assert "| all | 182 |" in result.output and "| analogous | 31 |" in result.output
    assert "| heldout:all | 52 |" in result.output
    data = json.loads(report.read_text())
    assert set(data["report"]) == {"hybrid", "dense", "lexical"}


def test_a_second_embedder_is_built_into_the_index_and_checked(run, monkeypatch, tmp_path):
    monkeypatch.setenv("CASESEARCH_SECOND_MODEL", "fake/second")  # registered by conftest
    assert run("build").exit_code == 0
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["second_model_id"] == "fake/second" and "second.faiss" in manifest["files"]
    assert "hybrid without second" in run("eval").output
    monkeypatch.setenv("CASESEARCH_SECOND_MODEL", "none")
    stale = run("search", "校车")
    assert stale.exit_code == 1 and "fake/second" in stale.output


def test_a_broken_corpus_is_a_message_not_a_traceback(run, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "doc.txt").write_text("一、甲市\n1.做法\n3.跳号\n", encoding="utf-8")
    (data / "doc.json").write_text('{"year": 2021, "province": "P", "title": "T"}')
    monkeypatch.setenv("CASESEARCH_DATA", str(data))
    result = run("build")
    assert result.exit_code == 1 and "doc.txt:3:" in result.output


def test_make_serve_rebuilds_over_a_damaged_manifest_and_sets_it_aside(run, tmp_path):
    run("build")
    damaged = (tmp_path / "index").resolve()
    (tmp_path / "index" / "manifest.json").write_bytes(b"\xff\xfe")
    result = run("build", "--if-stale")
    assert result.exit_code == 0, result.output
    assert "manifest.json is damaged" in result.output and "indexed 48 cases" in result.output
    assert f"kept at {damaged}.damaged" in result.output
    assert (tmp_path / "index" / "manifest.json").is_file()


def test_the_table_shows_each_match_level_and_min_match_filters(run):
    run("build")
    table = run("search", "购置新国标校车", "--k", "20").output
    assert any(f" {level} " in table for level in ("strong", "partial"))
    close = json.loads(run("search", "购置新国标校车", "--k", "20", "--min-match", "partial",
                           "--json").output)
    assert all(r["match"] != "weak" for r in close["results"])


def test_the_terminal_gets_highlights_rendered_and_json_keeps_the_markup(run):
    run("build")
    plain = run("search", "校车", "--k", "3")
    assert plain.exit_code == 0 and "<mark>" not in plain.output and "\x1b[" not in plain.output
    from click.testing import CliRunner

    from service.cli.main import main

    coloured = CliRunner().invoke(main, ["search", "校车", "--k", "3"], color=True)
    assert "\x1b[1m" in coloured.output and "<mark>" not in coloured.output
    assert "<mark>" in run("search", "校车", "--k", "3", "--json").output


def test_version_and_a_short_help_with_the_commands_first():
    from click.testing import CliRunner

    from service.cli.main import SHORT_HELP, main
    from service.describe import version

    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).output == f"casesearch {version()}\n"
    shown = runner.invoke(main, ["--help"]).output
    assert len(shown.splitlines()) < 35 and shown.index("Commands:") < shown.index("Options:")
    assert "CASESEARCH_MODEL:" not in shown and "casesearch settings" in shown
    assert set(SHORT_HELP) == set(main.commands)
    assert all(f"  {name} " in shown and text in shown for name, text in SHORT_HELP.items())


def test_settings_lists_every_variable_with_its_default():
    from dataclasses import fields

    from click.testing import CliRunner

    from service.cli.main import main
    from service.runtime.settings import Settings

    listed = CliRunner().invoke(main, ["settings"]).output
    for spec in fields(Settings):
        assert f"{spec.metadata['env']}  (default: " in listed
    assert "](" not in listed  # Markdown links written as their file
