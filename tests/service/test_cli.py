"""The `casesearch` command, with the fake embedder standing in for the model."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from service import engine as engine_module
from service.cli import main
from tests.conftest import FakeEmbedder


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("CASESEARCH_HOME", str(tmp_path))
    monkeypatch.setenv("CASESEARCH_MODEL", "fake/char-ngrams")
    monkeypatch.setattr(engine_module, "load_embedder", lambda *a, **k: FakeEmbedder())
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
    monkeypatch.setenv("CASESEARCH_MODEL", "other/model")
    monkeypatch.setattr(engine_module, "load_embedder",
                        lambda *a, **k: FakeEmbedder(model_id="other/model"))
    result = run("build", "--if-stale")
    assert "building index" in result.output and "other/model" in result.output


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
