"""Settings: where the CLI looks for the model and the index by default."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from service.cli import main
from service.settings import Settings, default_home


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
    from service import cli

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
