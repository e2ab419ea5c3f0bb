"""Settings: where the CLI looks for the model and the index by default."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli.main import main
from service.runtime.settings import Settings, default_home


def test_a_checkouts_var_folder_is_the_default_home_once_make_made_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    assert default_home(tmp_path) == Path("~/.cache/casesearch").expanduser()
    (tmp_path / "var").mkdir()
    assert default_home(tmp_path) == tmp_path / "var"


def test_casesearch_home_wins_over_the_default(tmp_path):
    assert Settings.from_env({"CASESEARCH_HOME": str(tmp_path)}).home == tmp_path
    assert Settings.from_env({}).home == default_home()


def test_help_says_which_home_is_in_use(tmp_path, monkeypatch):
    monkeypatch.setenv("CASESEARCH_HOME", str(tmp_path))
    # The epilog is made when the command is defined; ask for it afresh.
    from service.cli import main as cli

    assert f"Home in use now: {tmp_path}" in cli._help_epilog()
    assert "Home in use now:" in CliRunner().invoke(main, ["--help"]).output


def test_reload_interval_is_read_and_checked():
    assert Settings.from_env({"CASESEARCH_RELOAD_SECONDS": "0.5"}).reload_seconds == 0.5
    for bad in ("soon", "-1", "1e9"):
        try:
            Settings.from_env({"CASESEARCH_RELOAD_SECONDS": bad})
        except ValueError as exc:
            assert "CASESEARCH_RELOAD_SECONDS" in str(exc)
        else:
            raise AssertionError(bad)


def test_the_readme_settings_table_is_the_declared_one():
    from service.runtime.settings import settings_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- settings:")
    table = readme[readme.index("\n", start) + 1: readme.index("<!-- /settings -->")].strip()
    assert table == settings_table(), "run `python -m service.runtime.settings` and paste its table"


def test_every_setting_has_a_variable_a_reader_and_help():
    from dataclasses import fields

    envs = [spec.metadata["env"] for spec in fields(Settings)]
    assert len(envs) == len(set(envs))
    for spec in fields(Settings):
        assert spec.metadata["help"] and callable(spec.metadata["read"])


def test_bad_values_name_their_variable():
    for env, raw in (("PORT", "eighty"), ("CASESEARCH_BACKEND", "gpu"),
                     ("CASESEARCH_WORKERS", "0"), ("CASESEARCH_INDEX_TYPE", "tree")):
        try:
            Settings.from_env({env: raw})
        except ValueError as exc:
            assert env in str(exc)
        else:
            raise AssertionError(env)


@pytest.mark.parametrize("raw", ["my cluster", "head", "head:port", "head:0", "head:70000",
                                 "http://head:6379", ":6379", "ray://user@head:10001",
                                 "head:²", "head:６３７９", "head:6379:1",
                                 "a" * 64 + ".example:6379"])
def test_a_cluster_address_that_is_no_address_names_the_variable(raw):
    with pytest.raises(ValueError, match="CASESEARCH_CLUSTER must be"):
        Settings.from_env({"CASESEARCH_CLUSTER": raw})


@pytest.mark.parametrize("raw", ["auto", "head:6379", "10.0.0.5:6379", "ray://head:10001",
                                 "[::1]:6379"])
def test_a_cluster_address_is_taken_as_written(raw):
    assert Settings.from_env({"CASESEARCH_CLUSTER": f" {raw} "}).cluster == raw


@pytest.mark.parametrize("raw", ["ture", "enabled", "2", "of"])
def test_a_typo_in_an_on_off_setting_names_the_variable(raw):
    with pytest.raises(ValueError, match="CASESEARCH_ALLOW_DOWNLOAD must be one of"):
        Settings.from_env({"CASESEARCH_ALLOW_DOWNLOAD": raw})
    assert Settings.from_env({"CASESEARCH_ALLOW_DOWNLOAD": "Yes"}).allow_download is True
    assert Settings.from_env({"CASESEARCH_LOG_QUERIES": "off"}).log_queries is False


@pytest.mark.parametrize(("args", "words"), [
    (["serve", "--workers", "-2"], "--workers is out of range (1-64)"),
    (["serve", "--threads", "0"], "--threads is out of range (1-64)"),
    (["serve", "--port", "70000"], "--port is out of range (1-65535)"),
    (["mcp", "--http", "--port", "x"], "--port must be a whole number"),
])
def test_command_line_overrides_are_checked_as_their_settings(args, words):
    from click.testing import CliRunner

    from service.cli.main import main

    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and words in result.output


def test_the_app_takes_every_default_from_the_settings():
    from service.http.app import config_from, create_app

    app = create_app({"TESTING": True, "ENGINE": object()})
    for key, value in config_from(Settings()).items():
        assert app.config[key] == value, key
    assert app.config["RELOAD_SECONDS"] == Settings().reload_seconds
