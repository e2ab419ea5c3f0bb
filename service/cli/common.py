"""What the `casesearch` commands share: settings, error output, build reports, progress."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from corpus.errors import CorpusError
from index.errors import CasesearchError
from service.cli.progress import TerminalProgress
from service.runtime.settings import Settings

# Errors a user can act on: printed as a message, never as a traceback.
USER_ERRORS = (CasesearchError, CorpusError)


def load_settings() -> Settings:
    """The settings from the environment, or a usage error naming the bad variable."""
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def fail(error: Exception | str) -> NoReturn:
    """Print `error: …` on stderr and exit with status 1."""
    click.echo(f"error: {error}", err=True)
    sys.exit(1)


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
