"""The `casesearch` command: build the index, search from the terminal, serve the API."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

import click

from index.errors import CasesearchError
from service.cli.common import (
    USER_ERRORS,
    arguments,
    check_writable,
    checked_as,
    echo_build,
    fail,
    load_settings,
    read_questions,
    say,
    say_waiting,
    terminal_json,
    terminal_progress,
    terminal_safe,
    terminal_snippet,
    write_file,
)
from service.describe import version
from service.export import TABLE_FORMATS
from service.runtime.settings import Settings, settings_text
from service.schema import BATCH, BRIEF, FIGURES, SEARCH, SIMILAR


def _help_epilog() -> str:
    try:
        home = f"\n\nHome in use now: {Settings.from_env().home}"
    except ValueError as exc:
        home = f"\n\n{exc}"
    return ("Settings are environment variables (CASESEARCH_HOME, CASESEARCH_MODEL, …): "
            "`casesearch settings` lists them with their defaults." + home)


class CommandsFirst(click.Group):
    """`casesearch --help`: what it is, its commands, then its options."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.format_usage(ctx, formatter)
        self.format_help_text(ctx, formatter)
        self.format_commands(ctx, formatter)
        self.format_options(ctx, formatter)
        self.format_epilog(ctx, formatter)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        click.Command.format_options(self, ctx, formatter)  # the commands are listed already


@click.group(cls=CommandsFirst, epilog=_help_epilog(),
             context_settings={"max_content_width": 100})
@click.version_option(version(), "--version", prog_name="casesearch",
                      message="%(prog)s %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def main(verbose: bool) -> None:
    """Semantic search over typical work cases."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
@click.option("--if-stale", is_flag=True,
              help="Build only if the index is missing, damaged, or made from another model or "
                   "corpus.")
@click.option("--background", is_flag=True, hidden=True,
              help="Started by a server after a document changed: at low priority.")
def build(if_stale: bool, background: bool) -> None:
    """Embed the corpus and (re)build the index."""
    from service.runtime.wiring import build as build_index
    from service.runtime.wiring import index_status

    settings = load_settings()
    if background:  # started by a server: give way to its searches
        with contextlib.suppress(OSError):
            os.nice(10)
    try:
        if if_stale:
            status = index_status(settings)
            if status.problems and status.index_ok:
                _warn_unreadable(status.problems, settings)
                return
            if status.stale is None:
                click.echo(f"index is current: {settings.index_path}")
                return
            click.echo(f"building the index: {status.stale.split('; ')[0]}")
        result = build_index(settings, progress=terminal_progress(), on_wait=say_waiting)
    except USER_ERRORS as exc:
        fail(exc)
    echo_build(result, settings)


@main.command("tune")
@click.option("--if-stale", is_flag=True,
              help="Tune only if the current model was not tuned for the corpus as it is.")
@click.option("--steps", type=click.IntRange(1, 100_000), default=None,
              help="Training steps (default CASESEARCH_TUNE_STEPS).")
@click.option("--background", is_flag=True, hidden=True,
              help="As started by a server: one thread, give way to a tuning already running.")
def tune_command(if_stale: bool, steps: int | None, background: bool) -> None:
    """Teach the bundled model the corpus it serves, then rebuild the index with it.

    A server does this by itself in the background (CASESEARCH_TUNE=auto) and swaps the
    tuned model in when it is ready; this command does it now, in the foreground.
    """
    from corpus.filelock import LockWaitTimeout
    from index.tuning.store import failure_for
    from service.runtime.tuning import tune_for_corpus, tuning_applies
    from service.runtime.wiring import index_status, tuned_for_build

    settings = load_settings()
    if not tuning_applies(settings):
        fail("tuning applies to the bundled model (CASESEARCH_MODEL unset) with "
             "CASESEARCH_TUNE=auto")
    if background:  # started by a server: give way to its searches
        with contextlib.suppress(OSError):
            os.nice(10)
    try:
        if if_stale or background:
            from corpus.store import CorpusStore

            corpus = CorpusStore(settings.data).load(on_wait=say_waiting)
            tuned = tuned_for_build(settings)
            if background and failure_for(settings.home, corpus.sha256):
                click.echo("tuning for this corpus failed before; not retried until it changes")
                return
            if (tuned is not None and tuned.corpus_sha256 == corpus.sha256
                    and index_status(settings).stale is None):
                click.echo("the model is tuned for the corpus as it is")
                return
        outcome = tune_for_corpus(settings, steps=steps, wait=not background,
                                  threads=1 if background else None,
                                  progress=None if background else terminal_progress(),
                                  on_wait=None if background else say_waiting)
    except LockWaitTimeout:
        click.echo("another tuning of the model is running; it will be served when it ends")
        return
    except (ValueError, *USER_ERRORS) as exc:
        fail(exc)
    model = outcome.model
    click.echo(f"{'tuned' if outcome.trained else 'already tuned:'} {model.model_id} on "
               f"{model.pairs} pairs of {model.cases} cases in {model.seconds:.0f} s")
    if outcome.build is not None:
        echo_build(outcome.build, settings)


def _warn_unreadable(problems, settings: Settings) -> None:
    for problem in problems:
        click.echo(f"warning: {terminal_safe(problem.message)}", err=True)
    click.echo(f"warning: {len(problems)} stored document(s) cannot be read; the last good "
               f"index ({settings.index_path}) keeps serving. Fix or remove them "
               f"(`casesearch corpus remove ID`), then run `casesearch build`.", err=True)


def _print_hits(hits: list, first_rank: int = 1) -> None:
    """Hits as a table for people: rank, score, match, city, number, id, the sentence."""
    if not hits:
        click.echo("no matching case")
    elif all(hit.match == "weak" for hit in hits):
        click.echo("no practice answers this closely; the closest:")
    for rank, hit in enumerate(hits, start=first_rank):
        case = hit.case
        say("{:>2}. {:.3f} {:<7}  {} {}  [{}]", rank, hit.score, hit.match, case.city,
            case.seq, case.id)
        click.echo(f"    {terminal_snippet(hit.snippet)}")


def _echo_json(data: dict, one_line: bool = False) -> None:
    """The API's JSON, indented (or on one line for jsonl), terminal-safe."""
    click.echo(terminal_json(data, indent=None if one_line else 2))


OUTPUTS = ("table", "json", "jsonl", *TABLE_FORMATS)  # the tables: service.export
OUT_OPTION = click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write the table here (.csv or .xlsx; the suffix sets --format).")


def _engine():
    from service.runtime.wiring import open_engine

    try:
        return open_engine(load_settings())
    except USER_ERRORS as exc:
        fail(exc)


@main.command()
@click.argument("question", required=False)
@SEARCH.click_options()
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--file", "questions", default=None,
              type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help="Ask every question of this file, one a line ('-': standard input); "
                   "UTF-8, GBK/GB18030, or UTF-16 with a byte order mark.")
@click.option("--format", "output", type=click.Choice(OUTPUTS), default=None,
              help="How to print the answers: table (the default), json (as --json), jsonl "
                   "(one JSON object a line), csv (UTF-8 with a byte order mark, for a "
                   "spreadsheet), xlsx (an Excel workbook: with --file, a sheet per question).")
@OUT_OPTION
def search(question: str | None, as_json: bool, questions: str | None, output: str | None,
           out: Path | None, **filters) -> None:
    """Find the cases that answer QUESTION (or each question of --file)."""
    if (question is None) == (questions is None):
        raise click.UsageError("give a QUESTION, or --file with one question a line")
    output = _output(as_json, output, out)
    if questions is not None:
        try:
            asked = read_questions(questions)
        except click.BadParameter as exc:
            exc.param_hint = "'--file'"
            raise
        _search_file(_engine(), asked, output, out, filters)
        return
    _search_one(_engine(), question, output, out, filters)


def _output(as_json: bool, output: str | None, out: Path | None = None) -> str:
    """The output format: --format, else json with --json, else the suffix of --out, else a
    table. --out writes a table for a spreadsheet (csv, xlsx) and nothing else; an xlsx
    workbook is not printed on a terminal."""
    if as_json and output not in (None, "json"):
        raise click.UsageError(f"--json and --format {output} ask for two formats; give one")
    suffix = out.suffix.lower().lstrip(".") if out is not None else ""
    chosen = output or ("json" if as_json else suffix if suffix in TABLE_FORMATS else "table")
    if suffix in TABLE_FORMATS and chosen != suffix:
        raise click.UsageError(f"--format {chosen} would write {chosen} into {out.name}: give "
                               f"the file a .{chosen} name, or leave --format out")
    if out is not None and chosen not in TABLE_FORMATS:
        raise click.UsageError("--out writes a table for a spreadsheet: name a .csv or .xlsx "
                               "file, or give --format csv or xlsx")
    if out is None and chosen == "xlsx" and _on_terminal():
        raise click.UsageError("an xlsx workbook is a file, not text to read here: add "
                               "--out results.xlsx (or redirect the output to a file)")
    if out is not None:
        check_writable(out)
    return chosen


def _on_terminal() -> bool:
    return sys.stdout.isatty()


def _emit_table(tables: list, output: str, out: Path | None) -> None:
    """Tables as CSV or a workbook: into --out (saying so on stderr), else on stdout."""
    from service.export import render_table

    data = render_table(tables, output)
    if out is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_file(out, data)
    rows = sum(len(table.rows) for table in tables)
    click.echo(f"wrote {out} ({rows} row{'' if rows == 1 else 's'}; {len(data):,} bytes)",
               err=True)


def _search_one(engine, question: str, output: str, out: Path | None, filters: dict) -> None:
    import time

    from service.export import hits_table

    args = arguments(SEARCH, {"query": question, **filters})
    started = time.perf_counter()
    try:
        hits = engine.search(**args)
    except USER_ERRORS as exc:
        fail(exc)
    took = round((time.perf_counter() - started) * 1000, 2)
    if output in TABLE_FORMATS:
        _emit_table([hits_table(hits, first_rank=args["offset"] + 1, name=args["query"])],
                    output, out)
    elif output in ("json", "jsonl"):
        _echo_json({"query": args["query"], "results": [hit.to_dict() for hit in hits],
                    "took_ms": took}, one_line=output == "jsonl")
    else:
        _print_hits(hits, first_rank=args["offset"] + 1)


def _search_file(engine, asked: list[str], output: str, out: Path | None,
                 filters: dict) -> None:
    """Ask the file's questions in batches (one embedding call each), then print them all."""
    from service.export import batch_tables
    from service.schema import MAX_BATCH

    if filters.pop("offset", 0):
        raise click.UsageError("--offset pages one question's results; not with --file")
    progress = terminal_progress()
    answers: list[tuple[str, list]] = []
    for start in range(0, len(asked), MAX_BATCH):
        chunk = asked[start:start + MAX_BATCH]
        args = arguments(BATCH, {"queries": chunk, **filters})
        try:
            answers += zip(chunk, engine.search_batch(**args), strict=True)
        except USER_ERRORS as exc:
            fail(exc)
        progress("searching", len(answers), len(asked))
    if output in TABLE_FORMATS:
        _emit_table(batch_tables(answers), output, out)
    elif output in ("json", "jsonl"):
        objects = [{"query": q, "results": [h.to_dict() for h in hits]} for q, hits in answers]
        if output == "json":
            _echo_json({"results": objects})
        for item in objects if output == "jsonl" else ():
            _echo_json(item, one_line=True)
    else:
        for query, hits in answers:
            say("== {}", query)
            _print_hits(hits)


@main.command()
@click.argument("case_id")
@SIMILAR.click_options()
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--format", "output", type=click.Choice(("table", "json", *TABLE_FORMATS)),
              default=None, help="table (the default), json (as --json), csv or xlsx.")
@OUT_OPTION
def similar(case_id: str, as_json: bool, output: str | None, out: Path | None,
            **options) -> None:
    """Find practices in other places like the case CASE_ID (places of its level, when its
    level is known)."""
    from service.export import hits_table

    output = _output(as_json, output, out)
    engine = _engine()
    args = arguments(SIMILAR, {"id": case_id, **options})
    try:
        case = engine.case(case_id)
        hits = engine.similar(case_id, k=args["k"], same_city=args["same_city"],
                              min_match=args["min_match"])
    except USER_ERRORS as exc:
        fail(exc)
    if output in TABLE_FORMATS:
        _emit_table([hits_table(hits, name=f"similar {case_id}")], output, out)
        return
    if output == "json":
        _echo_json({"case": case.to_dict(), "results": [hit.to_dict() for hit in hits]})
        return
    say("{} {} [{}]: {}…\n", case.city, case.seq, case.id, case.text[:60])
    _print_hits(hits)


@main.command()
@click.argument("metric", required=False)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (one line per figure): "
                                                   "--format csv.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON.")
@click.option("--format", "output", type=click.Choice(("table", "json", *TABLE_FORMATS)),
              default=None, help="table (the default), json (as --json), csv (as --csv) or "
                                 "xlsx, one line per figure with its sentence beside it.")
@OUT_OPTION
def figures(metric: str | None, as_csv: bool, as_json: bool, output: str | None,
            out: Path | None) -> None:
    """Compare METRIC across cities (e.g. 普惠性幼儿园覆盖率, 学前教育普及); without METRIC, list
    the figure groups."""
    from service.figures import comparison_tables, groups_listing, metric_comparison
    from service.problems import ApiError

    if as_csv and output not in (None, "csv"):
        raise click.UsageError(f"--csv and --format {output} ask for two formats; give one")
    output = _output(as_json, "csv" if as_csv else output, out)
    if metric is None and output in TABLE_FORMATS:
        raise click.UsageError("name a METRIC to write its figures as a table")
    engine = _engine()
    if metric is None:
        listing = groups_listing(engine)
        if output == "json":
            _echo_json(listing)
            return
        for group in listing["groups"]:
            say("{:>9}  {:>3} figures  {} ({}, {})  [{}]", _cities(group["cities"]),
                group["count"], group["metric"], group["unit"], group["kind"], group["id"])
        return
    asked = arguments(FIGURES, {"metric": metric})["metric"]
    try:
        answer = metric_comparison(engine, asked)
    except (ApiError, *USER_ERRORS) as exc:
        fail(exc)
    if output in TABLE_FORMATS:
        _emit_table(comparison_tables(answer, output), output, out)
    elif output == "json":
        _echo_json(answer)
    else:
        _print_comparison(answer)


def _print_comparison(answer: dict) -> None:
    """A comparison as a table with bars, one section per place level: a figure is set only
    beside those of places of its level, its bar scaled among them; then each group gathered
    with it, a table of its own."""
    near = (f"; the nearest to {answer['query']!r} (similarity {answer['similarity']:.2f})"
            if answer.get("similarity", 1.0) < 0.999 else "")
    say("{} ({}, {}): {}{}", answer["metric"], answer["unit"], answer["kind"],
        _cities(answer["cities"]), near)
    _print_levels(answer)
    for other in answer.get("related", ()):
        say("also about {!r}: {} ({}, {}): {}", answer["query"], other["metric"],
            other["unit"], other["kind"], _cities(other["cities"]))
        _print_levels(other)
    if answer["other_groups"]:
        say("other groups: {}", "; ".join(
            f"{g['metric']} ({g['unit']}, {_cities(g['cities'])})"
            for g in answer["other_groups"]))


def _print_levels(answer: dict) -> None:
    from service.figures import by_level
    from service.places import level_heading

    for level, rows in by_level(answer["figures"]):
        say(" {}", level_heading(level))
        values = [row["value"] for row in rows if row["value"] is not None]
        top = max(values, default=0) or 1
        for row in rows:
            bar = "█" * max(1, round(20 * row["value"] / top)) if row["value"] else ""
            say("  {:<5} {}  {:>14}  {:<20}  {}  [{}]", row["city"], row["year"],
                row["shown"], bar, row["as_written"], row["case_id"])
            for other in row["also"]:
                say("  {:<5} {:<4}  {:>14}  {:<20}  {}: {}", "", "", other["shown"], "",
                    other["scope"] or other["metric"], other["as_written"])


def _cities(count: int) -> str:
    return f"{count} {'city' if count == 1 else 'cities'}"


@main.command()
@BRIEF.click_options()
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the brief here (.docx or .md; the suffix sets the format). "
                   "Without it, Markdown goes to standard output.")
def brief(out: Path | None, **options) -> None:
    """Make a brief of chosen practices (--ids a,b,c) or of the practices that answer a
    question (--query "…", at most --k 5), with a figures table (--figures METRIC), as Word or
    Markdown. Each practice links to the service only when CASESEARCH_BASE_URL is set."""
    from service.brief import brief_request, make_brief, render_brief
    from service.describe import engine_summary
    from service.problems import ApiError

    options["ids"] = [part for value in options["ids"] for part in value.split(",")
                      if part.strip()]
    suffix = out.suffix.lower().lstrip(".") if out is not None else ""
    source = click.get_current_context().get_parameter_source("format")
    if source == click.core.ParameterSource.DEFAULT:  # the file's suffix, or Markdown to print
        options["format"] = suffix if suffix in ("docx", "md") else (
            "md" if out is None else options["format"])
    args = arguments(BRIEF, options)
    if out is not None:
        check_writable(out)
    engine = _engine()
    settings = load_settings()
    try:
        made = make_brief(engine, **brief_request(args),
                          base_url=settings.base_url, corpus=engine_summary(engine))
    except (ApiError, *USER_ERRORS) as exc:
        fail(exc)
    data = render_brief(made, args["format"])
    if out is None:
        if args["format"] == "docx":
            fail("a Word brief needs a file: add --out brief.docx")
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_file(out, data)
    count = len(made.practices)
    click.echo(f"wrote {out} ({count} practice{'' if count == 1 else 's'}"
               f"{', a figures table' if made.figures else ''}; {len(data):,} bytes)")


@main.command("eval")
@click.option("--judgments", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Folder of *.jsonl judgments (default corpus/eval).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the full report as JSON here.")
def evaluate_command(judgments: Path | None, json_path: Path | None) -> None:
    """Measure retrieval quality: nDCG@10, Recall@5 and MRR per mode and slice."""
    from index.evaluation import DEFAULT_EVAL_DIR, evaluate, format_table, load_judgments

    engine = _engine()
    judged = load_judgments(judgments or DEFAULT_EVAL_DIR)
    report = evaluate(engine, judged)
    if engine.second is not None:  # what the second embedder adds
        alone = engine.reconfigured(second=False)
        report["hybrid without second"] = evaluate(alone, judged, modes=("hybrid",))["hybrid"]
    click.echo(format_table(report))
    figures = _evaluate_figures(engine)
    if json_path is not None:
        payload = {"model": engine.embedder.model_id,
                   "second_model": engine.second.model_id if engine.second else None,
                   "judgments": len(judged), "report": report, "figures": figures}
        try:
            json_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"cannot write {json_path}: {exc.strerror or exc}")
        write_file(json_path, (json.dumps(payload, indent=2, ensure_ascii=False)
                               + "\n").encode("utf-8"))


def _evaluate_figures(engine) -> dict:
    """Figure extraction and grouping against the judged figures (corpus/eval/figures),
    printed as tables; the report, for the JSON."""
    from index.figure_evaluation import judged_set, score_extraction, score_grouping

    judged = judged_set(engine)
    extraction = score_extraction(judged.texts)
    click.echo("\n| figures | kind | judged | found | right | precision | recall |")
    click.echo("|---|---|---|---|---|---|---|")
    for source, score in extraction.items():
        for kind, row in (("all", score), *score["by_kind"].items()):
            click.echo(f"| {source} | {kind} | {row['judged']} | {row['found']} | "
                       f"{row['right']} | {row['precision']} | {row['recall']} |")
    threshold = engine.figures.threshold
    grouping = score_grouping(judged.found, judged.keys, judged.alike, threshold)
    click.echo(f"\n| grouping at {threshold:.2f} | pairs judged the same | pairs grouped | right "
               f"| precision | recall |")
    click.echo("|---|---|---|---|---|---|")
    for fold, row in grouping.items():
        click.echo(f"| {fold} | {row['pairs_judged_same']} | {row['pairs_grouped']} | "
                   f"{row['pairs_right']} | {row['precision']} | {row['recall']} |")
    return {"extraction": extraction, "grouping": {"threshold": threshold, **grouping}}


@main.command()
@click.option("--http", "use_http", is_flag=True,
              help="Serve streamable HTTP at http://127.0.0.1:PORT/mcp instead of stdio.")
@click.option("--port", default=None, callback=checked_as("mcp_port"),
              help="Port for --http (default CASESEARCH_MCP_PORT or 8001).")
def mcp(use_http: bool, port: int | None) -> None:
    """Serve the search to chat assistants over MCP (stdio by default)."""
    from service.assistants.mcp_server import run_mcp
    from service.runtime.loader import EngineState
    from service.runtime.reload import IndexWatcher
    from service.runtime.tuning import TuningTrigger, tuning_applies
    from service.runtime.wiring import reopen_engine

    settings = load_settings()
    state = EngineState.ready_with(_engine())
    IndexWatcher(state, settings.index_path,
                 reopen=lambda engine, build: reopen_engine(engine, build, settings),
                 data_dir=settings.data, interval=settings.reload_seconds,
                 on_serving=TuningTrigger(settings) if tuning_applies(settings) else None,
                 ).start()  # serve each new build, and tune the model for its corpus
    run_mcp(state, settings.public_url, http=use_http, port=port or settings.mcp_port,
            hosts=settings.served_hosts, api_key=settings.api_key)


@main.command()
@click.option("--host", default=None, help="Address (default HOST or 127.0.0.1).")
@click.option("--port", default=None, callback=checked_as("port"),
              help="Port (default PORT or 8000).")
@click.option("--workers", default=None, callback=checked_as("workers"),
              help="Worker processes (default CASESEARCH_WORKERS or 1).")
@click.option("--threads", default=None, callback=checked_as("server_threads"),
              help="Request threads per worker (default CASESEARCH_SERVER_THREADS or 4).")
def serve(host: str | None, port: int | None, workers: int | None, threads: int | None) -> None:
    """Serve the API and the page with a production WSGI server (gunicorn)."""
    from service.http.server import run_server
    from service.runtime.wiring import index_status

    settings = load_settings()
    try:
        status = index_status(settings, serving=True)
    except USER_ERRORS as exc:
        fail(exc)
    if status.problems and status.index_ok:
        _warn_unreadable(status.problems, settings)
    elif status.stale is not None and status.index_ok:
        # Intact, but the corpus changed since (a change whose build was stopped, say): serve
        # the last build, and make the new one in the background; it is swapped in when done.
        from service.runtime.jobs import BUILD_LOG, BackgroundBuilds

        click.echo(f"warning: {status.stale}; serving the last build while a new one is made "
                   f"in the background (log: {settings.home / BUILD_LOG})", err=True)
        BackgroundBuilds(settings).request()
    elif status.stale is not None:
        fail(CasesearchError(f"the index is not ready to serve: {status.stale}. "
                             f"Run `casesearch build` (or `make serve`, which does it)."))
    # What the command line says wins; the workers get these settings as they are (the cores
    # are shared out among the workers actually started: Settings.compute_threads).
    run_server(replace(settings, host=host or settings.host, port=port or settings.port,
                       workers=workers or settings.workers,
                       server_threads=threads or settings.server_threads))


@main.command("settings")
def settings_command() -> None:
    """List the settings: each environment variable, its default and what it does."""
    click.echo(settings_text())


# What `casesearch --help` says of each command, on one line (each command's own help, from
# its docstring, says the rest).
SHORT_HELP = {
    "brief": "Make a brief (Word or Markdown) of practices, or of a question's",
    "build": "Embed the corpus and (re)build the index",
    "corpus": "Add, list, remove and restore documents",
    "eval": "Measure retrieval quality on the judged questions",
    "figures": "Compare a figure (METRIC) across cities",
    "mcp": "Serve the search to chat assistants over MCP",
    "search": "Find the cases that answer a question",
    "serve": "Serve the API and the pages (gunicorn)",
    "settings": "List the settings (environment variables)",
    "similar": "Find practices like a case, in other places",
    "tune": "Teach the bundled model the corpus, then rebuild",
}


def _register_commands() -> None:
    from service.cli.corpus import corpus_group

    main.add_command(corpus_group)
    for name, text in SHORT_HELP.items():
        main.commands[name].short_help = text


_register_commands()


if __name__ == "__main__":  # `python -m service.cli.main`, as a server starts a tuning
    main()
