"""The search as tools for chat assistants: one definition serves MCP and function calling.

Four read-only tools over the same engine as the API: `search` (practices that answer a
question, in places at any level), `fetch` (one case in full, with where it comes from),
`similar_cases` (analogous practices in other places of the same level) and `compare_figures`
(one measure across places of one level, each figure with its sentence). Their arguments are
the API's requests (`TOOLS`, from service.schema); their outputs are projections of the API's
records (service.records), smaller for a model: a readable `title`, a `url` on the service,
the answering sentence as plain text. A refusal,
the service's or the core's, reaches the model as a `ToolInputError` saying what to change
(`_refused_as_input`). Nothing here imports Flask or the MCP SDK.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from pydantic import Field

from corpus.models import Case
from index.errors import InvalidRequestError, NotFoundError, UnknownCaseError
from index.retrieval.search import Hit, SearchEngine
from service import records
from service.figures import metric_comparison
from service.problems import ApiError
from service.schema import FETCH, FIGURES, SEARCH, SIMILAR, RequestSpec

MAX_OUTPUT_CHARS = 20_000
CORPUS_DESCRIPTION = (
    "a corpus of \"typical work cases\" reported by Chinese governments: short practices "
    "showing how each place (a province, a city, a district or county) fulfilled its duties "
    "(for example in education: school "
    "funding, school building and places, preschool, teachers' recruitment, pay and housing, "
    "vocational education, students' health, school safety and school buses, after-school "
    "services). Texts are in Chinese; questions may be in Chinese or English."
)


class ToolInputError(ValueError):
    """A tool argument the caller (a model) should correct; the message says how."""


# The outputs: the API's records, with fewer fields and a title and url to cite.

_TITLE = (str, Field(description="A readable title: place, number and the case's own title "
                                 "(else its first clause)"))
_URL = (str, Field(description="Where a person reads the case on the service"))
SearchResult = records.projected(
    "SearchResult", records.Result, drop=("text", "snippet"), title=_TITLE, url=_URL,
    snippet=(str, Field(description="The sentence that answers, as plain text")))
FetchMetadata = records.projected(
    "FetchMetadata", records.Case, drop=("id", "text", "title"),
    doc="Where the case comes from.",
    source=(str, Field(description="The source document's title, in 《》")))
FetchOutput = records.projected(
    "FetchOutput", records.Case, keep=("id", "text"), title=_TITLE, url=_URL,
    metadata=(FetchMetadata, Field()))
# No span, range end or qualifier: `shown` and `as_written` say them to a model. One row per
# place and year, as the API gives them: a place's other figures of that year under `also`.
_FIGURE_URL = (str, Field(description="Where a person reads the figure's case on the service"))
FigureRow = records.projected(
    "FigureRow", records.FigureRow, drop=("metric", "high", "approx", "span"), url=_FIGURE_URL)
ComparedRow = records.projected(
    "ComparedRow", records.ComparedFigure, drop=("metric", "high", "approx", "span", "also"),
    url=_FIGURE_URL, also=(list[FigureRow], records.ComparedFigure.model_fields["also"]))
_COMPARISON_URL = (str, Field(description="Where a person sees the comparison on the service"))
RelatedOutput = records.projected(
    "RelatedComparison", records.FigureComparison, keep=("metric", "unit", "kind", "levels"),
    doc="A group gathered with the one compared: a comparison of its own.",
    url=_COMPARISON_URL,
    figures=(list[ComparedRow], records.FigureComparison.model_fields["figures"]))
OtherGroup = records.projected("OtherGroup", records.NearGroup, drop=("id", "count"))
CompareOutput = records.projected(
    "CompareOutput", records.MetricComparison,
    keep=("metric", "unit", "kind", "similarity", "levels"), url=_COMPARISON_URL,
    figures=(list[ComparedRow], records.MetricComparison.model_fields["figures"]),
    related=(list[RelatedOutput], records.MetricComparison.model_fields["related"]),
    other_groups=(list[OtherGroup], records.MetricComparison.model_fields["other_groups"]))


class SearchOutput(records.Record):
    """The results, best first."""

    results: list[SearchResult]  # type: ignore[valid-type]


# The requests as assistants make them: by default only real matches come back, so that an
# assistant never cites a practice that does not answer (the API's default is every result).
TOOLS = {"search": SEARCH.with_defaults(min_match="partial"), "fetch": FETCH,
         "similar_cases": SIMILAR.with_defaults(min_match="partial"),
         "compare_figures": FIGURES}
LEVELS_TEXT = (
    f"Each result has a `match` level: {records.LEVELS_MEANING}; by default (`min_match` = "
    "partial) weak ones are left out, so an empty list means no practice in the corpus "
    "answers it: say so plainly, and do not answer from the closest practices instead. Cite "
    "strong matches as answers and partial ones as related.")


def tool_descriptions(summary: str | None = None) -> dict[str, str]:
    """What each tool does; `summary` says what the loaded index holds (engine_summary)."""
    held = f" It holds {summary}." if summary else ""
    return {
        "search": (
            f"Search {CORPUS_DESCRIPTION}{held} Returns the practices that best answer the "
            "question, best first, each with the sentence that answers it (snippet), a title "
            "and a URL to cite. Use it for questions like 'how do cities solve teachers' "
            "housing' or '校车安全怎么保障'. Name a place in the question (青岛 / Qingdao, 崂山区, "
            "山东) to see its practices first, or pass `places` to search only some places, at "
            "any level: 山东省 (or 山东) takes in its cities' and counties' practices, 青岛 "
            "those of 青岛市 and its districts, 崂山区 only its own (`cities` matches a place "
            "as the document writes it). Each result says its place: `city` as written, "
            "`place_level` (province, city or county) and `places` (the place and the "
            "divisions above it, province first), and `case_title`, the case's own title when "
            "it has one. " + LEVELS_TEXT
        ),
        "fetch": (
            "Fetch one case of the typical-work-cases corpus in full by its id (from search or "
            "similar_cases): its whole text, a URL to cite, and where it comes from (its place "
            "with `place_level` and `places`, its number and `case_title`, year, province, "
            "source document)."
        ),
        "similar_cases": (
            "Find analogous practices in other places for one case of the typical-work-cases "
            "corpus, by its id: what other places did about the same thing. When the case's "
            "place level is known, only places of that level answer: a district's practice is "
            "compared with other districts' and counties', a city's with cities', a province's "
            "with provinces'. Same result shape as search; `match` says how close the practice "
            "is."
        ),
        "compare_figures": (
            "Compare one measure across the places of the typical-work-cases corpus: the "
            "figures the reports give for it (普惠性幼儿园覆盖率 90 % in 青岛市 against 93.37 % "
            "in 东营市, 新增学位, 一般公共预算教育支出 …), one row per place and year, ranked "
            "only among places of the same level (each row's `place_level`; `levels` lists "
            "them in the order they come: never set a district's figure beside a province's), "
            "largest first (a place's other figures of that year, its districts', under "
            "`also`), each with its value as written and normalized, its kind (level, change "
            "or rank), the sentence it comes from and the case's URL to cite. Name the measure "
            "in the documents' words or your own (学前教育普及, new school places); the "
            "nearest group of figures answers, `similarity` says how near, `related` brings "
            "the other groups in its unit about what was asked (校车: new buses bought, buses "
            "in service), each a comparison of its own that must not be ranked with the "
            "first, and `other_groups` lists the next nearest. Quote a figure only with its "
            "sentence."
        ),
    }


def case_title(case: Case, limit: int = 40) -> str:
    """A readable title: place, number and the case's own title, else its first clause
    (`济南市 案例3：商河县全力…`)."""
    first = case.case_title or re.split(r"[，。；：,;]", case.text, maxsplit=1)[0]
    if len(first) > limit:
        first = first[:limit] + "…"
    return f"{case.city} 案例{case.seq}：{first}"


def case_url(base_url: str, case_id: str) -> str:
    """Where a person can read the case on the service."""
    return f"{base_url.rstrip('/')}/cases/{case_id}"


def plain_snippet(snippet: str) -> str:
    """The snippet without its <mark> tags and HTML escapes: plain text for a model."""
    return html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))


def _result(hit: Hit, base_url: str) -> dict[str, Any]:
    return records.project(SearchResult, hit.to_dict(), title=case_title(hit.case),
                           url=case_url(base_url, hit.case.id),
                           snippet=plain_snippet(hit.snippet))


def validated(spec: RequestSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    """A tool call's arguments checked by the request's definition (the API's rules and
    messages); an omitted or null argument takes its default."""
    try:
        return spec.from_json(arguments)
    except ApiError as exc:
        raise ToolInputError(exc.detail) from None


@contextmanager
def _refused_as_input() -> Iterator[None]:
    """What the service or the core refuses (a bad argument, an unknown id) as a message that
    tells the model what to change: the API's words, with ids to use instead of GET routes."""
    try:
        yield
    except ApiError as exc:
        raise ToolInputError(exc.detail) from None
    except UnknownCaseError as exc:
        raise ToolInputError(f"no case has id {exc.case_id[:80]!r}; use the ids that search "
                             f"or similar_cases return (like 'sd2020-jinan-3')") from None
    except (InvalidRequestError, NotFoundError) as exc:
        raise ToolInputError(str(exc)) from None


def _tool(run: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A tool's runner, whose refusals reach the model as `ToolInputError`s."""
    @wraps(run)
    def refusing(*args: Any, **kwargs: Any) -> dict[str, Any]:
        with _refused_as_input():
            return run(*args, **kwargs)

    return refusing


def _capped(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Drop results from the end until the JSON fits the output budget."""
    while results and len(json.dumps({"results": results}, ensure_ascii=False)) > MAX_OUTPUT_CHARS:
        results = results[:-1]
    return records.shaped(SearchOutput, results=results)


@_tool
def run_search(engine: SearchEngine, base_url: str, query: Any = None,
               **arguments: Any) -> dict[str, Any]:
    """The `search` tool (arguments as in `service.schema.SEARCH`, min_match `partial`):
    a SearchOutput."""
    hits = engine.search(**validated(TOOLS["search"], {"query": query, **arguments}))
    return _capped([_result(hit, base_url) for hit in hits])


@_tool
def run_fetch(engine: SearchEngine, base_url: str, id: Any = None,
              **arguments: Any) -> dict[str, Any]:
    """The `fetch` tool (as `service.schema.FETCH`): a FetchOutput."""
    case = engine.case(validated(FETCH, {"id": id, **arguments})["id"])
    source = case.to_dict()
    text = case.text if len(case.text) <= MAX_OUTPUT_CHARS - 2000 else (
        case.text[: MAX_OUTPUT_CHARS - 2000] + "…")
    return records.project(FetchOutput, source, title=case_title(case), text=text,
                           url=case_url(base_url, case.id),
                           metadata=records.project(FetchMetadata, source,
                                                    source=f"《{case.title}》"))


@_tool
def run_similar(engine: SearchEngine, base_url: str, id: Any = None,
                **arguments: Any) -> dict[str, Any]:
    """The `similar_cases` tool (as `service.schema.SIMILAR`, min_match `partial`): a
    SearchOutput."""
    args = validated(TOOLS["similar_cases"], {"id": id, **arguments})
    hits = engine.similar(args["id"], k=args["k"], same_city=args["same_city"],
                          min_match=args["min_match"])
    return _capped([_result(hit, base_url) for hit in hits])


@_tool
def run_compare(engine: SearchEngine, base_url: str, metric: Any = None,
                **arguments: Any) -> dict[str, Any]:
    """The `compare_figures` tool (as `service.schema.FIGURES`): a CompareOutput."""
    answer = metric_comparison(engine, validated(FIGURES, {"metric": metric, **arguments})
                               ["metric"])
    output = records.project(
        CompareOutput, answer, url=_figures_url(base_url, answer),
        figures=_compared_rows(answer, base_url),
        related=[records.project(RelatedOutput, other, url=_figures_url(base_url, other),
                                 figures=_compared_rows(other, base_url))
                 for other in answer["related"]],
        other_groups=[records.project(OtherGroup, other) for other in answer["other_groups"]])
    # Within MAX_OUTPUT_CHARS: the gathered groups' last rows go first, then the group's own.
    for rows in (*(other["figures"] for other in reversed(output["related"])),
                 output["figures"]):
        while rows and len(json.dumps(output, ensure_ascii=False)) > MAX_OUTPUT_CHARS:
            rows.pop()
    output["related"] = [other for other in output["related"] if other["figures"]]
    return output


def _figures_url(base_url: str, comparison: dict[str, Any]) -> str:
    return f"{base_url.rstrip('/')}/figures/{comparison['id']}"


def _compared_rows(comparison: dict[str, Any], base_url: str) -> list[dict[str, Any]]:
    """A comparison's rows as the tool gives them: each with its `also` figures, and the
    address of its case."""
    return [records.project(ComparedRow, row, url=case_url(base_url, row["case_id"]),
                            also=[records.project(FigureRow, other,
                                                  url=case_url(base_url, other["case_id"]))
                                  for other in row["also"]])
            for row in comparison["figures"]]


ENDPOINTS = {
    "search": {"method": "POST", "path": "/api/search",
               "body": [field.name for field in SEARCH.fields]},
    "fetch": {"method": "GET", "path": "/api/cases/{id}"},
    "similar_cases": {"method": "GET", "path": "/api/cases/{id}/similar",
                      "query": [f.query_name for f in SIMILAR.fields if f.query_name]},
    "compare_figures": {"method": "GET", "path": "/api/figures",
                        "query": [f.query_name for f in FIGURES.fields if f.query_name]},
}


def openai_tools(summary: str | None = None) -> list[dict[str, Any]]:
    """The tools as OpenAI function definitions (strict: every property required,
    optional ones nullable, no extra properties), each with the HTTP endpoint that serves it."""
    descriptions = tool_descriptions(summary)
    return [{"type": "function",
             "function": {"name": name, "description": descriptions[name], "strict": True,
                          "parameters": spec.tool_parameters()},
             "endpoint": ENDPOINTS[name]}
            for name, spec in TOOLS.items()]
