"""`casesearch corpus add | list | remove | trash | restore`: grow the corpus, safely.

Every change goes through `corpus.store.CorpusStore` (ids checked, nothing overwritten, old
versions kept in the trash, one writer at a time), then the index is rebuilt reusing every
vector already computed; a running server picks the new build up by itself.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from corpus.errors import CorpusError
from corpus.report import render
from corpus.store import Change, CorpusStore
from service.cli.common import (
    USER_ERRORS,
    arguments,
    load_settings,
    rebuild,
    say_waiting,
    terminal_safe,
)
from service.documents import document_meta, read_received, store_read
from service.schema import DOCUMENT


def _store() -> tuple:
    settings = load_settings()
    return settings, CorpusStore(settings.data)


def _rebuild_after(change: str, settings) -> None:
    try:
        rebuild(settings)
    except USER_ERRORS as exc:
        raise click.ClickException(f"{exc}\n{change}, but the index was not rebuilt: fix the "
                                   f"cause, then run `casesearch build`.") from exc


def _restore_hint(change: Change) -> str:
    if change.trashed is None:
        return ""
    return (f"; the previous version is kept in {change.trashed} (restore it with "
            f"`casesearch corpus restore {change.doc_id}`)")


@click.group("corpus")
def corpus_group() -> None:
    """Add, list, remove and restore source documents (.txt, .md, .docx, .pdf)."""


@corpus_group.command("list")
def list_documents() -> None:
    """The documents in the corpus, with their cases (and any that cannot be read)."""
    settings, store = _store()
    try:
        corpus, problems = store.load_readable(on_wait=say_waiting)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    for doc in corpus.documents:
        count = sum(case.doc_id == doc.id for case in corpus.cases)
        click.echo(f"{doc.id:<16} {doc.year} {terminal_safe(doc.province):<6} {count:>4} cases  "
                   f"{terminal_safe(doc.title)}  [{terminal_safe(doc.path)}]")
    for problem in problems:
        click.echo(f"unreadable: {terminal_safe(problem.message)}", err=True)


@corpus_group.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@DOCUMENT.click_options()
@click.option("--replace", default=None, metavar="ID",
              help="Replace the stored document ID with this file (the old version goes to "
                   "the trash).")
def add_document(path: Path, replace: str | None, **options) -> None:
    """Check a document, store it as received, and update the index (new text only)."""
    settings, store = _store()
    options = arguments(DOCUMENT, options)
    dry_run = options["dry_run"]
    try:
        meta = document_meta(options, path.name, replace=replace)
    except CorpusError as exc:
        raise click.UsageError(f"{exc}; choose one with --id") from exc
    try:
        read = read_received(path, meta, isolated=False)
    except CorpusError as exc:
        raise click.ClickException(f"{exc}\nNothing was changed.") from exc
    click.echo("\n".join(terminal_safe(line) for line in render(read.report).split("\n")))
    try:
        if dry_run:
            store.check_add(meta["id"], path.suffix, replace=bool(replace))
            click.echo(f"would add {read.cases} cases as document {meta['id']!r} (dry run)")
            return
        change = store_read(store, path, read, replace=bool(replace), added_by=_who())
    except CorpusError as exc:
        raise click.ClickException(f"{exc}\nNothing was changed.") from exc
    click.echo(f"stored {change.stored.name}: {read.cases} cases, ids {read.case_ids[0]} … "
               f"{read.case_ids[-1]}{_restore_hint(change)}")
    _rebuild_after(f"{change.stored.name} is stored", settings)


def _who() -> str:
    """Who adds a document from the command line, for the documents list: `cli:<user>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this user id (a container's)
        return "cli"


def _change_and_rebuild(doc_id: str, verb: str, make_change) -> None:
    """Run a store change (`make_change(store)`), say what it did, and rebuild the index."""
    settings, store = _store()
    try:
        change = make_change(store)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{verb} {change.stored.name if change.stored else doc_id}"
               f"{_restore_hint(change)}")
    _rebuild_after(f"{doc_id} is {verb}", settings)


@corpus_group.command("remove")
@click.argument("doc_id")
def remove_document(doc_id: str) -> None:
    """Move a document to the trash, and update the index."""
    _change_and_rebuild(doc_id, "removed",
                        lambda store: store.remove(doc_id, on_wait=say_waiting))


@corpus_group.command("trash")
def list_trash() -> None:
    """Removed and replaced versions, newest first (restorable)."""
    _, store = _store()
    versions = store.trashed()
    if not versions:
        click.echo("the trash is empty")
    for path, meta in versions:
        doc_id = terminal_safe((meta or {}).get("id", "?"))
        click.echo(f"{doc_id:<16} {terminal_safe(path.parent.name)}  "
                   f"{terminal_safe((meta or {}).get('title', ''))}  [{terminal_safe(path)}]")


@corpus_group.command("restore")
@click.argument("doc_id")
def restore_document(doc_id: str) -> None:
    """Put back the newest trashed version of DOC_ID (the current one, if any, is trashed)."""
    _change_and_rebuild(doc_id, "restored",
                        lambda store: store.restore(doc_id, on_wait=say_waiting))
