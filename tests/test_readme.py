"""The README as a new user reads it: its commands run as written, its sample outputs are what
the commands print, and its measured figures are those the measuring scripts wrote."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scripts.readme_figures import load_data, written
from service.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCUMENTS = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
             for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
ELIDED = "…"  # a line of a sample that stands for any lines the command prints there


def test_the_measured_figures_are_those_the_scripts_wrote():
    _, problems = written(README, load_data())
    assert not problems, ("\n".join(problems) + "\n\nrun `.venv/bin/python -m "
                          "scripts.readme_figures --write` (or measure again)")


def test_the_scale_table_is_the_one_scripts_scale_measured():
    import json

    from scripts.scale import table

    report = json.loads((ROOT / "docs" / "scale.json").read_text(encoding="utf-8"))
    assert len(report) == 3 and report[-1]["n"] == 10_000_000
    assert table(report) in DOCUMENTS["docs/PERFORMANCE.md"], (
        "paste `.venv/bin/python -m scripts.scale --table` into docs/PERFORMANCE.md")


def test_the_recall_tables_are_the_ones_scripts_scale_recall_measured():
    import json

    from scripts.scale_recall import table

    report = json.loads((ROOT / "docs" / "scale-recall.json").read_text(encoding="utf-8"))
    assert set(report["layouts"]) == {"capped", "uncapped"} and report["lexical"]["points"]
    assert table(report) in DOCUMENTS["docs/PERFORMANCE.md"], (
        "paste `.venv/bin/python -m scripts.scale_recall --table` into docs/PERFORMANCE.md")


def test_a_figure_that_drifts_from_its_file_is_found_and_rewritten():
    data = load_data()
    drifted = README.replace(f"{data['bench']['http_search']['start_to_ready_s']} s |",
                             "0.1 s |", 1)
    mended, problems = written(drifted, data)
    assert len(problems) == 1 and "server start → ready" in problems[0] and mended == README
    _, prose = written(README.replace("hybrid nDCG@10 0.", "hybrid nDCG@10 1.", 1), data)
    assert len(prose) == 1 and "does not say" in prose[0]


def samples(text: str) -> list[tuple[str, list[str]]]:
    """Each sample output: a fenced block whose first line is `$ <command>`, or one that
    follows `<!-- output of: <command> -->`; with the lines it shows."""
    found, lines, marked = [], text.split("\n"), None
    number = 0
    while number < len(lines):
        line = lines[number]
        if match := re.fullmatch(r"<!-- output of: (.+) -->", line.strip()):
            marked = match[1]
        elif line.startswith("```"):
            end = lines.index("```", number + 1)
            body = lines[number + 1:end]
            if body and body[0].startswith("$ "):
                found.append((body[0][2:], body[1:]))
            elif marked:
                found.append((marked, body))
            marked, number = None, end
        elif line.strip():
            marked = None if not line.startswith("<!--") else marked
        number += 1
    return found


def shows(expected: list[str], printed: str) -> bool:
    """Whether a sample's lines are the printed ones, in order (trailing spaces aside): a line
    `…` stands for any run of lines, and a line ending in `…` for any line that begins so
    (what differs from one model or day to the next: a date, the next nearest groups)."""
    def line_pattern(line: str) -> str:
        line = line.rstrip()
        if line == ELIDED:
            return r"(?:[^\n]*\n)*?"
        if line.endswith(ELIDED):
            return re.escape(line[:-1]) + r"[^\n]*\n"
        return re.escape(line) + r"[ \t]*\n"
    pattern = "".join(line_pattern(line) for line in expected)
    return re.fullmatch(pattern, printed.rstrip("\n") + "\n") is not None


def test_the_sample_checker_reads_elisions_and_both_kinds_of_sample():
    text = ("```\n$ casesearch figures x\na\n…\nd\n```\n\n<!-- output of: casesearch brief -->\n"
            "\n```markdown\n# t\n```\n\n```sh\nmake serve\n```\n")
    assert samples(text) == [("casesearch figures x", ["a", "…", "d"]),
                             ("casesearch brief", ["# t"])]
    assert shows(["a", "…", "d"], "a\nb\nc\nd\n") and shows(["a", "…"], "a\nb\n")
    assert not shows(["a", "d"], "a\nb\nd\n") and not shows(["a", "…", "e"], "a\nb\nd\n")
    assert shows(["a: x; …", "b"], "a: x; y; z\nb\n") and not shows(["a: x; …"], "a: w\n")


@pytest.mark.slow
def test_every_sample_output_is_what_the_command_prints(real_index_path, st_embedder,
                                                        use_embedder, monkeypatch):
    """With the real model, as `make serve` leaves it (no CASESEARCH_BASE_URL)."""
    import service.cli.main as cli
    from index.artifact.store import load_index
    from index.retrieval.search import SearchEngine

    engine = SearchEngine(load_index(real_index_path, model_id=st_embedder.model_id),
                          st_embedder, second=use_embedder)
    monkeypatch.setattr(cli, "_engine", lambda: engine)
    monkeypatch.delenv("CASESEARCH_BASE_URL", raising=False)
    found = samples(README)
    assert len(found) >= 2
    for command, expected in found:
        words = shlex.split(command)
        assert words[0].endswith("casesearch"), command
        printed = CliRunner().invoke(main, words[1:])
        assert printed.exit_code == 0, (command, printed.output)
        assert shows(expected, printed.output), (
            f"README's sample of `{command}` is not what it prints:\n{printed.output}")


# Commands as written

_SCRIPT = re.compile(r"([^\s`(]*)python3?\s+(?:-m\s+scripts\.(\w+)|scripts/(\w+)\.py)([^`\n]*)")
_CLI = re.compile(r"(?:^|[\s`(])([^\s`(]*)casesearch\s+([a-z][a-z-]*)"
                  r"((?:\s+[a-z][a-z-]*)?)([^`\n#]*)")
_MAKE = re.compile(r"(?:^|`|&& )make\s+([a-z][a-z-]+)", re.M)  # in code: a line, `…`, a && chain


def _options(rest: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest))


def test_every_script_is_run_with_the_projects_python_and_its_own_options():
    found = 0
    for name, text in DOCUMENTS.items():
        for match in _SCRIPT.finditer(text):
            found += 1
            where = f"{name}: {match[0].strip()}"
            assert match[1] == ".venv/bin/", f"{where}: run it as `.venv/bin/python -m …`"
            script = ROOT / "scripts" / f"{match[2] or match[3]}.py"
            assert script.exists(), f"{where}: no {script.name}"
            source = script.read_text(encoding="utf-8")
            unknown = {option for option in _options(match[4])
                       if f'"{option}"' not in source}
            assert not unknown, f"{where}: the script has no {sorted(unknown)}"
    assert found > 20


def _command(name: str, sub: str) -> click.Command | None:
    command = main.commands.get(name)
    if isinstance(command, click.Group) and sub.strip():
        return command.commands.get(sub.strip())
    return command


def test_every_casesearch_command_and_option_exists():
    found = 0
    for name, text in DOCUMENTS.items():
        for match in _CLI.finditer(text):
            if match[1] not in ("", ".venv/bin/", "/path/to/casesearch/.venv/bin/"):
                continue  # a path or a word that only ends in casesearch
            command = _command(match[2], match[3])
            where = f"{name}: casesearch {match[2]}{match[3]}{match[4]}".strip()
            if command is None and match[2] not in main.commands:
                if not match[1]:
                    continue  # prose: "casesearch for more than one machine"
                pytest.fail(f"{where}: no such command")
            found += 1
            if isinstance(command, click.Group):
                continue
            known = {option for parameter in [*command.params, *main.params]
                     for option in (*parameter.opts, *parameter.secondary_opts)}
            unknown = _options(match[4]) - known - {"--help"}
            assert not unknown, f"{where}: no option {sorted(unknown)}"
    assert found > 20


def test_every_make_target_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    for name, text in DOCUMENTS.items():
        for target in _MAKE.findall(text):
            assert target in targets, f"{name}: `make {target}` is no target of the Makefile"
