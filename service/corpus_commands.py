"""`casesearch corpus add | list | remove`: grow the corpus with new documents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from corpus.errors import CorpusError
from corpus.formats import SUFFIXES
from corpus.load import load_corpus, parse_document, read_metadata
from index.errors import CasesearchError


def _settings():
    from service.cli import _settings as settings

    return settings()


def _documents(data: Path) -> list[tuple[Path, dict]]:
    """(file, metadata) of every stored document."""
    return [(path, read_metadata(path)) for path in sorted(data.iterdir())
            if path.suffix.lower() in SUFFIXES and path.stem.upper() != "README"]


def _rebuild(settings) -> None:
    from service.cli import _echo_build
    from service.engine import build

    _echo_build(build(settings), settings)


@click.group("corpus")
def corpus_group() -> None:
    """Add, list and remove source documents (.txt, .md, .docx, .pdf)."""


@corpus_group.command("list")
def list_documents() -> None:
    """The documents in the corpus, with their cases."""
    settings = _settings()
    try:
        corpus = load_corpus(settings.data)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    for doc in corpus.documents:
        count = sum(case.doc_id == doc.id for case in corpus.cases)
        click.echo(f"{doc.id:<16} {doc.year} {doc.province:<6} {count:>4} cases  "
                   f"{doc.title}  [{doc.path}]")


@corpus_group.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, required=True, help="Year the cases are about.")
@click.option("--province", required=True, help="Province, e.g. 河北省.")
@click.option("--title", default=None, help="Title (default: the text's title line).")
@click.option("--id", "doc_id", default=None,
              help="Short URL-safe id, the prefix of every case id (default: from the name).")
@click.option("--source", default="", help="Where the document comes from.")
@click.option("--dry-run", is_flag=True, help="Only parse and report; change nothing.")
def add_document(path: Path, year: int, province: str, title: str | None, doc_id: str | None,
                 source: str, dry_run: bool) -> None:
    """Check a document, store it as received, and update the index (new text only)."""
    settings = _settings()
    meta = {"year": year, "province": province, "source": source,
            **({"title": title} if title else {}), **({"id": doc_id} if doc_id else {})}
    try:
        doc, cases, parsed = parse_document(path, meta)
    except CorpusError as exc:
        raise click.ClickException(f"{exc}\nNothing was changed.") from exc
    click.echo(parsed.report())
    taken = {m.get("id") or p.stem: p for p, m in _documents(settings.data)}
    if doc.id in taken:
        raise click.ClickException(f"document id {doc.id!r} is taken by {taken[doc.id].name}; "
                                   f"pass another --id (or remove that one first)")
    if dry_run:
        click.echo(f"would add {len(cases)} cases as document {doc.id!r} (dry run)")
        return
    target = settings.data / f"{doc.id}{path.suffix.lower()}"
    shutil.copyfile(path, target)
    record = {"id": doc.id, "title": doc.title, "year": year, "province": province,
              "source": source}
    target.with_suffix(".json").write_text(json.dumps(record, ensure_ascii=False, indent=2)
                                           + "\n", encoding="utf-8")
    click.echo(f"stored {target.name}: {len(cases)} cases, ids {cases[0].id} … {cases[-1].id}")
    try:
        _rebuild(settings)
    except CasesearchError as exc:
        raise click.ClickException(str(exc)) from exc


@corpus_group.command("remove")
@click.argument("doc_id")
def remove_document(doc_id: str) -> None:
    """Remove a document and its cases, and update the index."""
    settings = _settings()
    matches = [p for p, m in _documents(settings.data) if (m.get("id") or p.stem) == doc_id]
    if not matches:
        raise click.ClickException(f"no document has id {doc_id!r}; see `casesearch corpus list`")
    for path in matches:
        path.unlink()
        path.with_suffix(".json").unlink(missing_ok=True)
        click.echo(f"removed {path.name}")
    try:
        _rebuild(settings)
    except (CasesearchError, CorpusError) as exc:
        raise click.ClickException(str(exc)) from exc
