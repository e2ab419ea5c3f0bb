"""What the `casesearch` commands share: settings, error output, build reports, progress, the
files they read and write, and text made safe for the terminal."""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from corpus.errors import CorpusError
from corpus.formats import decode_document
from index.errors import CasesearchError
from service.cli.progress import TerminalProgress
from service.runtime.logs import escape_controls, json_text
from service.runtime.settings import Settings, read_setting

# Errors a user can act on: printed as a message, never as a traceback.
USER_ERRORS = (CasesearchError, CorpusError)


def load_settings() -> Settings:
    """The settings from the environment, or a usage error naming the bad variable."""
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def checked_as(setting: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback that checks an option as the setting it overrides is checked."""
    def check(context: click.Context, parameter: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        try:
            return read_setting(setting, str(value), f"--{parameter.name}")
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None

    return check


def fail(error: Exception | str) -> NoReturn:
    """Print `error: …` on stderr and exit with status 1 (the message may quote data: it is
    made terminal-safe)."""
    click.echo(f"error: {terminal_safe(error)}", err=True)
    sys.exit(1)


def arguments(spec, values: dict) -> dict:
    """Command-line values checked by the request's definition (the API's rules and
    messages); repeated options arrive as tuples."""
    from service.problems import ApiError

    values = {name: list(value) if isinstance(value, tuple) else value
              for name, value in values.items()}
    try:
        return spec.from_json(values)
    except ApiError as exc:
        fail(exc.detail)


# Text for the terminal. Data (a case's text, a city, a title, a question read from a file)
# goes into the human formats through `say` or `terminal_safe`, into JSON through
# `terminal_json`; only the command itself writes line breaks and colours.

def terminal_safe(value: object) -> str:
    """Text a terminal shows and does not obey: each control character written as its escape
    (`\\x1b`, `\\n`, `\\u202e`; service.runtime.logs), the rest as it is (Chinese, emoji)."""
    return escape_controls(str(value))


def say(template: str, *args: Any, **values: Any) -> None:
    """Print one line made from a template of the command's own and data: every text value is
    made `terminal_safe` first (numbers keep their format specs)."""
    def safe(value: Any) -> Any:
        return terminal_safe(value) if isinstance(value, str) else value

    click.echo(template.format(*map(safe, args), **{k: safe(v) for k, v in values.items()}))


_MARKED = re.compile(r"<mark>(.*?)</mark>", re.S)


def terminal_snippet(snippet: str) -> str:
    """A snippet from the engine (HTML-escaped, its matched terms in <mark>) for a terminal:
    the terms in bold yellow, the rest as text (made terminal-safe). `click.echo` drops the
    styles when the output is not a terminal, so a pipe or a file gets plain text."""
    parts, at = [], 0
    for marked in _MARKED.finditer(snippet):
        parts.append(terminal_safe(html.unescape(snippet[at:marked.start()])))
        parts.append(click.style(terminal_safe(html.unescape(marked.group(1))), bold=True,
                                 fg="yellow"))
        at = marked.end()
    parts.append(terminal_safe(html.unescape(snippet[at:])))
    return "".join(parts)


def terminal_json(data: Any, indent: int | None = None) -> str:
    """JSON as the API writes it (UTF-8 text, not \\u escapes), but with a \\u escape for each
    character a terminal would obey: the same value for any JSON reader."""
    return json_text(data, indent=indent)


# Files

def decode_user_text(raw: bytes, name: str) -> str:
    """A text file as users save it, decoded as the corpus reads documents
    (`corpus.formats.decode_document`: a byte order mark, UTF-8, GB18030, Big5), except that
    a guess among other code pages is refused: on a few short lines it is too often wrong.

    Raises:
        click.BadParameter: the text is in none of these encodings.
    """
    try:
        decoded = decode_document(raw, name)
    except CorpusError:
        decoded = None
    if decoded is None or decoded.guessed:
        raise click.BadParameter(f"{name} is neither UTF-8 nor GB18030 or Big5 text (nor UTF-16 "
                                 f"with a byte order mark); save it as UTF-8")
    return decoded.text


def read_questions(path: str) -> list[str]:
    """The questions of a file (`-`: standard input), one a line, blank lines skipped.

    Raises:
        click.BadParameter: the file cannot be read or decoded, or holds no question.
    """
    name = "standard input" if path == "-" else path
    try:
        with click.open_file(path, "rb") as stream:
            raw = stream.read()
    except OSError as exc:
        raise click.BadParameter(f"cannot read {name}: {exc.strerror or exc}") from None
    lines = [line.strip() for line in decode_user_text(raw, name).splitlines()]
    questions = [line for line in lines if line]
    if not questions:
        raise click.BadParameter(f"{name} holds no question; write one a line")
    return questions


def check_writable(path: Path) -> None:
    """Fail, saying why, when no file can be written at `path`: its folder is missing or is
    not a folder (checked before work whose result would be lost)."""
    parent = path.parent
    if not parent.exists():
        fail(f"cannot write {path}: the folder {parent} does not exist")
    if not parent.is_dir():
        fail(f"cannot write {path}: {parent} is not a folder")


def write_file(path: Path, data: bytes) -> None:
    """Write `data` at `path`, or fail with a message saying why it cannot be written."""
    check_writable(path)
    try:
        path.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def say_waiting(message: str) -> None:
    """Tell the user that this command waits for another one (a lock is held)."""
    click.echo(message, err=True)


def terminal_progress() -> TerminalProgress:
    """Progress lines on stderr when it is a terminal."""
    return TerminalProgress(sys.stderr)


def echo_build(result, settings: Settings) -> None:
    """One line saying what a build did."""
    manifest = result.manifest
    click.echo(f"indexed {manifest.count} cases ({manifest.sentence_count} sentences) with "
               f"{manifest.model_id} in {manifest.build_seconds:.1f} s → {settings.index_path} "
               f"(embedded {result.embedded} texts, reused {result.reused})")
    if result.set_aside is not None:
        click.echo(f"the damaged build it replaces is kept at {result.set_aside}")


def rebuild(settings: Settings) -> None:
    """Rebuild the index after a corpus change, reporting progress and the result."""
    from service.runtime.wiring import build

    echo_build(build(settings, progress=terminal_progress(), on_wait=say_waiting), settings)
