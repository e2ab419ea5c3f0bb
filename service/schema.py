"""The requests the service answers, each defined once.

A request is a list of `Field`s (name, kind, bounds, default, description, how it is spelled in
a query string and on the command line). Everything else is derived from them:

- parsing a JSON body or a query string, with the messages users see (`service.validate`);
- the OpenAPI request schema and query parameters (`service.http.openapi`);
- the OpenAI function definitions and the MCP tool signatures (`service.assistants.tools`,
  `service.assistants.mcp_server`);
- the CLI options (`service.cli.main`) and the page's filters (`service.http.views`).

The records it returns are declared in `service.records`.

To add a search filter: add a `Field` to `SEARCH`, accept the keyword in
`SearchEngine.search` (`index.retrieval.search`), and test both. Nothing else changes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from index.retrieval.limits import MAX_DEPTH, MAX_K, MODES
from index.retrieval.match import LEVELS
from service import validate as params
from service.export import TABLE_FORMATS
from service.problems import ApiError
from service.records import LEVELS_MEANING

MAX_QUERY_CHARS = params.MAX_QUERY_CHARS
MAX_LIST_LIMIT = params.MAX_LIST_LIMIT
MAX_BATCH = 32
MAX_BATCH_CHARS = params.MAX_BATCH_CHARS
_JSON_TYPES = {"text": "string", "label": "string", "id": "string", "int": "integer",
               "bool": "boolean", "choice": "string", "names": "array", "years": "array",
               "texts": "array"}


@dataclass(frozen=True)
class Field:
    """One argument of a request.

    Attributes:
        name: its name in JSON bodies, tool calls and the engine's keywords.
        kind: text (the question), label (a short optional text: a title, a name; blank is
            left out), id (a case id), int, bool, choice, names (a list of names), years (a
            list of years), texts (a list of questions).
        description: what it does, for every schema and `--help`.
        default: its value when omitted (None: no filter).
        low, high: bounds of an int, or the most characters of a text.
        choices: the values of a choice.
        query_name: its name in a query string (lists repeat it); None: not in query strings.
        cli: its command-line option names (`--city`); none: an argument, or not offered.
        example: a value shown in messages and descriptions.
        optional: a text that may be left out (texts are required otherwise).
    """

    name: str
    kind: str
    description: str
    default: Any = None
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    query_name: str | None = None
    cli: tuple[str, ...] = ()
    example: Any = None
    optional: bool = False

    @property
    def required(self) -> bool:
        return self.kind in ("text", "id", "texts") and not self.optional

    @property
    def is_list(self) -> bool:
        return self.kind in ("names", "years")

    def parse(self, raw: Any) -> Any:
        """A raw value (JSON, or text from a query string) → the validated value."""
        if self.kind == "text":
            if raw is None and self.optional:
                return None
            if self.name == "query":
                return params.parse_query(raw, most=self.high or MAX_QUERY_CHARS)
            return params.parse_query(raw, self.name, self.high or MAX_QUERY_CHARS,
                                      what=self.description.split(":")[0].lower(),
                                      ask=f"give a {self.name}, e.g. {self.example}")
        if self.kind == "label":
            return params.parse_label(raw, self.name, self.high or MAX_QUERY_CHARS)
        if self.kind == "id":
            if not isinstance(raw, str) or not raw.strip():
                raise ApiError(422, f"{self.name} must be a case id, e.g. {self.example}")
            return raw.strip()
        if self.kind == "int":
            return params.parse_int(raw, self.name, default=self.default, low=self.low,
                                    high=self.high)
        if self.kind == "bool":
            return params.parse_flag(raw, self.name, default=self.default)
        if self.kind == "choice":
            return params.parse_choice(raw, self.name, self.choices) or self.default
        if self.kind == "years":
            return params.parse_years(raw)
        if self.kind == "texts":
            return params.parse_questions(raw, self.name, self.high)
        return params.parse_names(raw, self.name, self.example)

    # Schemas

    def json_schema(self, *, nullable: bool = False) -> dict[str, Any]:
        """The JSON Schema of the value (`nullable`: null allowed, for strict tool schemas)."""
        schema: dict[str, Any] = {"type": _JSON_TYPES[self.kind]}
        if self.kind == "text":
            schema.update(minLength=1, maxLength=self.high)
        elif self.kind == "label":
            schema.update(maxLength=self.high)
        elif self.kind == "int":
            schema.update(minimum=self.low, maximum=self.high)
        elif self.kind == "choice":
            schema["enum"] = list(self.choices)
        elif self.kind == "names":
            schema["items"] = {"type": "string"}
        elif self.kind == "years":
            schema["items"] = {"type": "integer"}
        elif self.kind == "texts":
            schema.update(items={"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
                          minItems=1, maxItems=self.high)
        if nullable and not self.required:
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        if self.default is not None and not nullable:
            schema["default"] = self.default
        schema["description"] = self.description
        return schema

    def python_type(self) -> Any:
        """The annotation of this argument in a tool function (for MCP's pydantic schemas)."""
        from typing import Literal

        from pydantic import Field as Pydantic

        base: Any = {"text": str, "label": str, "id": str, "int": int, "bool": bool,
                     "names": list[str], "years": list[int], "texts": list[str]}.get(self.kind)
        if self.kind == "choice":
            base = Literal[self.choices]  # type: ignore[valid-type]
        constraints: dict[str, Any] = {"description": self.description}
        if self.kind == "int":
            constraints.update(ge=self.low, le=self.high)
        if self.kind in ("text", "label"):
            constraints.update(min_length=1 if self.kind == "text" else 0,
                               max_length=self.high)
        if not self.required and self.default is None:
            base = base | None
        return Annotated[base, Pydantic(**constraints)]


@dataclass(frozen=True)
class RequestSpec:
    """A request: its fields, in order."""

    name: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)

    def with_defaults(self, **defaults: Any) -> RequestSpec:
        """The same request with other defaults (chat assistants default to real matches)."""
        from dataclasses import replace

        return RequestSpec(self.name, tuple(
            replace(field, default=defaults[field.name]) if field.name in defaults else field
            for field in self.fields))

    def from_json(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments of a JSON object; unknown fields are refused, naming the allowed."""
        allowed = {field.name for field in self.fields}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise ApiError(422, f"unknown fields {', '.join(map(params.shown, unknown[:5]))}; "
                                f"allowed: {', '.join(sorted(allowed))}")
        return {field.name: field.parse(body.get(field.name)) for field in self.fields}

    def from_query(self, args: Any, **path: Any) -> dict[str, Any]:
        """The arguments of a query string (`args` a MultiDict) and of the path."""
        values = {}
        for field in self.fields:
            if field.name in path:
                values[field.name] = field.parse(path[field.name])
            elif field.query_name is None:
                values[field.name] = field.default
            elif field.is_list:
                values[field.name] = field.parse(args.getlist(field.query_name))
            else:
                raw = args.get(field.query_name)
                if raw is None and field.required:
                    raise ApiError(422, f"the parameter {field.query_name} is required, "
                                               f"e.g. ?{field.query_name}={field.example}")
                values[field.name] = field.parse(raw)
        return values

    def json_schema(self) -> dict[str, Any]:
        """The JSON body's schema (OpenAPI)."""
        return {"type": "object", "additionalProperties": False,
                "required": [f.name for f in self.fields if f.required],
                "properties": {f.name: f.json_schema(nullable=f.is_list) for f in self.fields}}

    def query_parameters(self, path_names: Mapping[str, str] | None = None) -> list[dict]:
        """OpenAPI parameters: path parameters (field → name in the path), then the query."""
        path_names = path_names or {}
        found = []
        for field in self.fields:
            if field.name in path_names:
                found.append({"name": path_names[field.name], "in": "path", "required": True,
                              "schema": {"type": "string"}, "description": field.description})
            elif field.query_name is not None:
                schema = field.json_schema()
                description = schema.pop("description")
                if field.is_list:
                    description += "; repeat for several"
                found.append({"name": field.query_name, "in": "query",
                              "required": field.required, "schema": schema,
                              "description": description})
        return found

    def tool_parameters(self) -> dict[str, Any]:
        """Strict function-calling parameters: every property required, optional ones
        nullable (null = the default), no other property."""
        properties = {}
        for field in self.fields:
            schema = field.json_schema(nullable=True)
            if not field.required and field.default is not None:
                schema["description"] += f"; null for {_shown_default(field.default)}"
            elif not field.required:
                schema["description"] += "; null for all"
            properties[field.name] = schema
        return {"type": "object", "properties": properties, "required": list(properties),
                "additionalProperties": False}

    def signature(self) -> inspect.Signature:
        """A Python signature with these fields as annotated parameters (MCP tool schemas)."""
        return inspect.Signature([
            inspect.Parameter(field.name, inspect.Parameter.KEYWORD_ONLY,
                              annotation=field.python_type(),
                              default=(inspect.Parameter.empty if field.required
                                       else field.default))
            for field in self.fields])

    def click_options(self) -> Callable[[Callable], Callable]:
        """Click options for the fields offered on the command line (`cli` set)."""
        import click

        def decorate(command: Callable) -> Callable:
            for field in reversed([f for f in self.fields if f.cli]):
                if field.kind == "bool":
                    option = click.option(*field.cli, field.name, is_flag=True,
                                          help=field.description + ".")
                elif field.is_list:
                    option = click.option(*field.cli, field.name, multiple=True,
                                          type=int if field.kind == "years" else str,
                                          help=field.description + " (repeatable).")
                elif field.kind == "choice":
                    option = click.option(*field.cli, field.name, default=field.default,
                                          type=click.Choice(field.choices), show_default=True,
                                          help=field.description + ".")
                elif field.kind == "int":
                    option = click.option(*field.cli, field.name, default=field.default,
                                          type=int, show_default=True,
                                          help=f"{field.description} ({field.low}-{field.high}).")
                else:
                    option = click.option(*field.cli, field.name, default=field.default,
                                          type=str, help=field.description + ".")
                command = option(command)
            return command

        return decorate


def _shown_default(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


MATCH_HELP = f"Leave out results below this match level: {LEVELS_MEANING}"

SEARCH = RequestSpec("search", (
    Field("query", "text", "The question or keywords, in Chinese or English", high=MAX_QUERY_CHARS,
          query_name="q", example="校车"),
    Field("k", "int", "How many results", default=10, low=1, high=MAX_K, query_name="k",
          cli=("-k", "--k")),
    Field("cities", "names", "Only cases of these cities (names as in /api/cities, e.g. "
          "青岛市)", query_name="city", cli=("--city",), example="青岛市"),
    Field("places", "names", "Only cases of these places, at any level: a province takes in "
          "its cities and counties, a city its districts (山东省 or 山东, 青岛市 or 青岛, "
          "崂山区; names as in /api/places)", query_name="place", cli=("--place",),
          example="青岛市"),
    Field("years", "years", "Only cases of these years (e.g. 2020)", query_name="year",
          cli=("--year",), example=2020),
    Field("provinces", "names", "Only cases of these provinces (e.g. 山东省)",
          query_name="province", cli=("--province",), example="山东省"),
    Field("mode", "choice", "Retrieval: hybrid (embeddings and BM25 fused, the best), dense "
          "or lexical", default="hybrid", choices=MODES, query_name="mode", cli=("--mode",)),
    Field("min_match", "choice", MATCH_HELP, default="weak", choices=tuple(reversed(LEVELS)),
          query_name="min_match", cli=("--min-match",)),
    Field("offset", "int", f"Results to skip, to read the next page (offset + k at most "
          f"{MAX_DEPTH})", default=0, low=0, high=MAX_DEPTH - 1, query_name="offset",
          cli=("--offset",)),
))

SIMILAR = RequestSpec("similar_cases", (
    Field("id", "id", "A case id from search, e.g. sd2020-jinan-3", example="sd2020-jinan-3"),
    Field("k", "int", "How many results", default=10, low=1, high=MAX_K, query_name="k",
          cli=("-k", "--k")),
    Field("same_city", "bool", "Include cases of the case's own place (its city, district "
          "or province). Either way, when the case's place level is known, results are of "
          "places at that level: a district's practice is compared with other districts and "
          "counties, a city's with cities, a province's with provinces", default=False,
          query_name="same_city", cli=("--same-city",)),
    Field("min_match", "choice", MATCH_HELP, default="weak", choices=tuple(reversed(LEVELS)),
          query_name="min_match", cli=("--min-match",)),
))

FETCH = RequestSpec("fetch", (
    Field("id", "id", "A case id from search or similar_cases, e.g. sd2020-jinan-3",
          example="sd2020-jinan-3"),
))

# Several questions with the same filters, embedded a few at a call: a search's fields, but a list
# of questions, and no paging.
BATCH = RequestSpec("search_batch", (
    Field("queries", "texts", f"The questions, 1 to {MAX_BATCH}, each as `query` of a search, "
                              f"{MAX_BATCH_CHARS:,} characters in all", high=MAX_BATCH),
    *(field for field in SEARCH.fields if field.name not in ("query", "offset")),
))

CASES = RequestSpec("cases", (
    Field("limit", "int", "Page size", default=100, low=1, high=MAX_LIST_LIMIT,
          query_name="limit"),
    Field("offset", "int", "Cases to skip", default=0, low=0, high=10**9, query_name="offset"),
))

MAX_METRIC_CHARS = 100
METRIC_HELP = ("What to compare across cities: a measure in the documents' words or your own, "
               "e.g. 普惠性幼儿园覆盖率, 新增学位, 学前教育普及, education spending")
FIGURES = RequestSpec("compare_figures", (
    Field("metric", "text", METRIC_HELP, high=MAX_METRIC_CHARS, query_name="metric",
          example="普惠性幼儿园覆盖率"),
))

MAX_BRIEF_CASES = 20
BRIEF_SEARCH_FIELDS = ("cities", "places", "years", "provinces", "mode")
BRIEF = RequestSpec("brief", (
    Field("ids", "names", f"The practices to put in the brief, by case id, in order (at most "
          f"{MAX_BRIEF_CASES})", query_name="id", cli=("--ids",), example="sd2020-jinan-3"),
    Field("query", "text", "The question the brief answers; without ids, its best practices "
          "are the brief's", high=MAX_QUERY_CHARS, query_name="q", cli=("--query",),
          example="校车安全", optional=True),
    Field("k", "int", "With a question and no ids: at most how many of the practices "
          "that answer it",
          default=5, low=1, high=MAX_BRIEF_CASES, query_name="k", cli=("-k", "--k")),
    Field("min_match", "choice", "With a question and no ids: take only its practices at this "
          f"match level or better ({LEVELS_MEANING}); the brief never pads with weaker ones",
          default="partial", choices=tuple(reversed(LEVELS)), query_name="min_match",
          cli=("--min-match",)),
    # With a question and no ids: the search's own filters and mode, so that a brief holds
    # what the page searched
    *(field for field in SEARCH.fields if field.name in BRIEF_SEARCH_FIELDS),
    Field("figures", "text", "A figure to compare across cities in a table: a group id from "
          "/api/figures, or a metric as in compare_figures", high=MAX_METRIC_CHARS,
          query_name="figures", cli=("--figures",), example="普惠性幼儿园覆盖率",
          optional=True),
    Field("title", "text", "The brief's title (default: the question, or 典型案例简报)",
          high=120, query_name="title", cli=("--title",), example="校车安全的做法",
          optional=True),
    Field("format", "choice", "docx (a Word document) or md (Markdown)", default="docx",
          choices=("docx", "md"), query_name="format", cli=("--format",)),
))

# How a search, similar-cases, batch or figures answer is written: the JSON object, or a table
# for spreadsheets (service.export): CSV (UTF-8 with a byte order mark, which Excel needs) or an
# Excel workbook.
FORMAT = Field("format", "choice", "json (the default); csv, a table of one row per result "
               "(or figure) in UTF-8 with a byte order mark, so that Excel reads it right; or "
               "xlsx, an Excel workbook (a batch: a sheet per question; figures: a sheet per "
               "group)", default="json", choices=("json", *TABLE_FORMATS),
               query_name="format")

# A document to add (or to replace one with): the file comes as a multipart part `file`; these
# are the form's other fields, the options of `casesearch corpus add`, and the page's
# corrections. Each one left out is read from the document itself.
DOCUMENT = RequestSpec("add_document", (
    Field("id", "label", "Document id, the prefix of every case id: 1-64 of a-z, 0-9 and '-' "
          "(default: from the file name)", high=64, query_name="id", cli=("--id",),
          example="hebei-2021"),
    Field("year", "int", "Year the cases are about (default: the year the title line names)",
          low=1, high=9999, query_name="year", cli=("--year",), example=2021),
    Field("province", "label", "Province, e.g. 河北省 (default: the one the title line names; "
          "a national compilation needs none: each case takes its place's)", high=40,
          query_name="province", cli=("--province",), example="河北省"),
    Field("title", "label", "Title (default: the text's title line)", high=200,
          query_name="title", cli=("--title",), example="2021年河北省典型案例"),
    Field("case_level", "int", "Take the headings of this outline level as the cases (the "
          "dry run shows the levels), instead of letting the reader decide", low=1, high=9,
          query_name="case_level", cli=("--level",)),
    Field("place", "label", "The one place every case is about (a document of one county), "
          "instead of the places the reader finds", high=40, query_name="place",
          cli=("--place",), example="崂山区"),
    Field("source", "label", "Where the document comes from", high=500, query_name="source",
          cli=("--source",)),
    Field("dry_run", "bool", "Only read and report (the outline, the cases and their places); "
          "change nothing", default=False, query_name="dry_run", cli=("--dry-run",)),
))
