"""`casesearch corpus add | list | remove | trash | restore`: grow the corpus, safely.

Every change goes through `corpus.store.CorpusStore` (ids checked, nothing overwritten, old
versions kept in the trash, one writer at a time), then the index is rebuilt reusing every
vector already computed; a running server picks the new build up by itself.
"""

from __future__ import annotations

from pathlib import Path

import click

from corpus.errors import CorpusError
from corpus.ids import check_doc_id, derive_doc_id
from corpus.load import parse_document
from corpus.store import Change, CorpusStore
from service.cli.common import USER_ERRORS, load_settings, rebuild, say_waiting, terminal_safe


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


def _document_id(path: Path, doc_id: str | None, replace: str | None) -> str:
    if replace and doc_id and doc_id != replace:
        raise click.UsageError(f"--id {doc_id} and --replace {replace} disagree; the new "
                               f"version keeps the id of the document it replaces")
    try:
        return check_doc_id(replace or doc_id or derive_doc_id(path.stem))
    except CorpusError as exc:
        raise click.UsageError(f"{exc}; choose one with --id") from exc


@corpus_group.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, default=None,
              help="Year the cases are about (default: the year the title line names).")
@click.option("--province", default=None,
              help="Province, e.g. 河北省 (default: the one the title line names; a national "
                   "compilation needs none: each case takes its place's).")
@click.option("--title", default=None, help="Title (default: the text's title line).")
@click.option("--id", "doc_id", default=None,
              help="Document id, the prefix of every case id: 1-64 of a-z, 0-9 and '-' "
                   "(default: from the file name).")
@click.option("--level", "case_level", type=click.IntRange(1, 9), default=None,
              help="Take the headings of this outline level as the cases (the dry run shows "
                   "the levels), instead of letting the reader decide.")
@click.option("--place", default=None,
              help="The one place every case is about (a document of one county), instead "
                   "of the places the reader finds.")
@click.option("--replace", default=None, metavar="ID",
              help="Replace the stored document ID with this file (the old version goes to "
                   "the trash).")
@click.option("--source", default="", help="Where the document comes from.")
@click.option("--dry-run", is_flag=True,
              help="Only read and report (the outline, the cases and their places); change "
                   "nothing.")
def add_document(path: Path, year: int | None, province: str | None, title: str | None,
                 doc_id: str | None, case_level: int | None, place: str | None,
                 replace: str | None, source: str, dry_run: bool) -> None:
    """Check a document, store it as received, and update the index (new text only)."""
    settings, store = _store()
    doc_id = _document_id(path, doc_id, replace)
    given = {"year": year, "province": province, "title": title, "case_level": case_level,
             "place": place}
    meta = {"id": doc_id, "source": source,
            **{name: value for name, value in given.items() if value is not None}}
    try:
        doc, cases, parsed = parse_document(path, meta)
    except CorpusError as exc:
        raise click.ClickException(f"{exc}\nNothing was changed.") from exc
    click.echo("\n".join(terminal_safe(line) for line in parsed.report().split("\n")))
    # What the reader found is written beside the document, so every later load reads it so.
    meta.update(title=doc.title, year=doc.year, province=doc.province)
    try:
        if dry_run:
            store.check_add(doc_id, path.suffix, replace=bool(replace))
            click.echo(f"would add {len(cases)} cases as document {doc_id!r} (dry run)")
            return
        change = store.add(path, meta, replace=bool(replace), on_wait=say_waiting)
    except CorpusError as exc:
        raise click.ClickException(f"{exc}\nNothing was changed.") from exc
    click.echo(f"stored {change.stored.name}: {len(cases)} cases, ids {cases[0].id} … "
               f"{cases[-1].id}{_restore_hint(change)}")
    _rebuild_after(f"{change.stored.name} is stored", settings)


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
