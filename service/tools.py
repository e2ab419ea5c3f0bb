"""The search as tools for chat assistants: one definition serves MCP and function calling.

Three read-only tools over the same engine as the API:
- `search(query, k, cities)`: practices that answer a question;
- `fetch(id)`: one case in full, with where it comes from;
- `similar_cases(id, k)`: analogous practices in other cities.

Results are small JSON objects a model can cite: a readable `title`, a `url` on the service, the
answering sentence as `snippet`. Nothing here imports Flask or the MCP SDK.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from typing_extensions import TypedDict  # pydantic (MCP schemas) needs it below Python 3.12

from corpus.models import Case
from index.errors import InvalidRequestError, UnknownCaseError
from index.search import Hit, SearchEngine

MAX_TOOL_K = 20
MAX_OUTPUT_CHARS = 20_000
CORPUS_DESCRIPTION = (
    "a corpus of \"typical work cases\" reported by Chinese governments: short, numbered "
    "practices showing how each city fulfilled its duties — so far how Shandong's 16 cities "
    "fulfilled their education duties in 2020 (48 cases: school funding, school building and "
    "places, preschool, teachers' recruitment, pay, titles and housing, vocational education, "
    "students' health and sports, school safety and school buses, enrollment and after-school "
    "services, governance and supervision). Texts are in Chinese; questions may be in Chinese "
    "or English."
)


class ToolInputError(ValueError):
    """A tool argument the caller (a model) should correct; the message says how."""


class SearchResult(TypedDict):
    id: str
    title: str
    url: str
    city: str
    seq: int
    year: int
    province: str
    snippet: str
    score: float


class SearchOutput(TypedDict):
    results: list[SearchResult]


class FetchMetadata(TypedDict):
    city: str
    seq: int
    year: int
    province: str
    source: str
    doc_id: str
    line: int


class FetchOutput(TypedDict):
    id: str
    title: str
    text: str
    url: str
    metadata: FetchMetadata


TOOL_DESCRIPTIONS = {
    "search": (
        f"Search {CORPUS_DESCRIPTION} Returns the practices that best answer the question, best "
        "first, each with the sentence that answers it (snippet), a title and a URL to cite. "
        "Use it for questions like 'how do cities solve teachers' housing' or '校车安全怎么保障'. "
        "Name a city in the question (青岛 / Qingdao) to see its practices first, or pass "
        "`cities` to search only those cities."
    ),
    "fetch": (
        "Fetch one case of the typical-work-cases corpus in full by its id (from search or "
        "similar_cases): its whole text, a URL to cite, and where it comes from (city, number, "
        "year, province, source document)."
    ),
    "similar_cases": (
        "Find analogous practices in other cities for one case of the typical-work-cases corpus, "
        "by its id: what other cities did about the same thing. Same result shape as search."
    ),
}


def case_title(case: Case, limit: int = 40) -> str:
    """A readable title: city, number and the case's first clause (`济南市 案例3：商河县全力…`)."""
    first = re.split(r"[，。；：,;]", case.text, maxsplit=1)[0]
    if len(first) > limit:
        first = first[:limit] + "…"
    return f"{case.city} 案例{case.seq}：{first}"


def case_url(base_url: str, case_id: str) -> str:
    """Where a person can read the case on the service."""
    return f"{base_url.rstrip('/')}/cases/{case_id}"


def plain_snippet(snippet: str) -> str:
    """The snippet without its <mark> tags and HTML escapes: plain text for a model."""
    return html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))


def _result(hit: Hit, base_url: str) -> SearchResult:
    case = hit.case
    return {"id": case.id, "title": case_title(case), "url": case_url(base_url, case.id),
            "city": case.city, "seq": case.seq, "year": case.year, "province": case.province,
            "snippet": plain_snippet(hit.snippet),
            "score": round(float(hit.score), 4)}


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_TOOL_K:
        raise ToolInputError(f"k must be a whole number from 1 to {MAX_TOOL_K}; got {k!r}")
    return k


def _capped(results: list[SearchResult]) -> SearchOutput:
    """Drop results from the end until the JSON fits the output budget."""
    while results and len(json.dumps({"results": results}, ensure_ascii=False)) > MAX_OUTPUT_CHARS:
        results = results[:-1]
    return {"results": results}


def run_search(engine: SearchEngine, base_url: str, query: str, k: int = 10,
               cities: list[str] | None = None, years: list[int] | None = None,
               provinces: list[str] | None = None) -> SearchOutput:
    """The `search` tool."""
    if not isinstance(query, str) or not query.strip():
        raise ToolInputError("query is empty: pass the question or keywords to search for")
    if len(query) > 500:
        raise ToolInputError("query is longer than 500 characters: shorten it to the question")
    try:
        hits = engine.search(query, k=_check_k(k), cities=cities or None, years=years or None,
                             provinces=provinces or None)
    except InvalidRequestError as exc:
        raise ToolInputError(str(exc)) from exc
    return _capped([_result(hit, base_url) for hit in hits])


def run_fetch(engine: SearchEngine, base_url: str, id: str) -> FetchOutput:
    """The `fetch` tool."""
    try:
        case = engine.case(id)
    except UnknownCaseError as exc:
        raise ToolInputError(f"no case has id {id!r}; use the ids that search or "
                             f"similar_cases return (like 'sd2020-jinan-3')") from exc
    text = case.text if len(case.text) <= MAX_OUTPUT_CHARS - 2000 else (
        case.text[: MAX_OUTPUT_CHARS - 2000] + "…")
    return {"id": case.id, "title": case_title(case), "text": text,
            "url": case_url(base_url, case.id),
            "metadata": {"city": case.city, "seq": case.seq, "year": case.year,
                         "province": case.province, "source": f"《{case.title}》",
                         "doc_id": case.doc_id, "line": case.line}}


def run_similar(engine: SearchEngine, base_url: str, id: str,
                k: int = 5) -> SearchOutput:
    """The `similar_cases` tool."""
    try:
        hits = engine.similar(id, k=_check_k(k))
    except UnknownCaseError as exc:
        raise ToolInputError(f"no case has id {id!r}; use the ids that search returns "
                             f"(like 'sd2020-jinan-3')") from exc
    return _capped([_result(hit, base_url) for hit in hits])


def openai_tools() -> list[dict[str, Any]]:
    """The three tools as OpenAI function definitions (strict: every property required,
    optional ones nullable, no extra properties), each with the HTTP endpoint that serves it."""
    def function(name: str, properties: dict[str, Any], endpoint: dict[str, Any]) -> dict:
        return {"type": "function",
                "function": {"name": name, "description": TOOL_DESCRIPTIONS[name], "strict": True,
                             "parameters": {"type": "object", "properties": properties,
                                            "required": list(properties),
                                            "additionalProperties": False}},
                "endpoint": endpoint}

    k_search = {"type": ["integer", "null"], "minimum": 1, "maximum": 50,
                "description": "How many results (1-50); null for 10"}
    k_similar = {"type": ["integer", "null"], "minimum": 1, "maximum": 50,
                 "description": "How many results (1-50); null for 10"}
    case_id = {"type": "string", "description": "A case id from search, e.g. sd2020-jinan-3"}
    return [
        function("search", {
            "query": {"type": "string", "description": "The question or keywords"},
            "k": k_search,
            "cities": {"type": ["array", "null"], "items": {"type": "string"},
                       "description": "Only these cities (e.g. [\"青岛市\"]); null for all"},
            "years": {"type": ["array", "null"], "items": {"type": "integer"},
                      "description": "Only these years; null for all"},
            "provinces": {"type": ["array", "null"], "items": {"type": "string"},
                          "description": "Only these provinces (e.g. [\"山东省\"]); null for all"},
        }, {"method": "POST", "path": "/api/search",
            "body": ["query", "k", "cities", "years", "provinces"]}),
        function("fetch", {"id": case_id},
                 {"method": "GET", "path": "/api/cases/{id}"}),
        function("similar_cases", {"id": case_id, "k": k_similar},
                 {"method": "GET", "path": "/api/cases/{id}/similar", "query": ["k"]}),
    ]
