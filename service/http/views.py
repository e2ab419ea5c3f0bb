"""Server-rendered pages: ask, read the practices, compare cities, see the overview.

Every page is complete without JavaScript (a shared `/?q=…&city=…` link shows its results at
once); `static/app.js` only adds a loading state.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup, escape

from index.errors import InvalidRequestError
from index.retrieval.search import Hit, SearchEngine
from index.retrieval.topics import TOPICS, assign_topics
from service.describe import engine_summary
from service.problems import ApiError
from service.schema import MAX_QUERY_CHARS, SEARCH

bp = Blueprint("views", __name__)

EXAMPLES = ("老师住宿困难怎么解决", "how do cities run school buses safely", "孩子上幼儿园难怎么办",
            "职业教育校企合作", "学生体质健康", "青岛 教师待遇")


def engine() -> SearchEngine:
    return current_app.extensions["casesearch"].require()


def highlighted(hit: Hit) -> Markup:
    """The case text with the answering sentence set off and its matched terms marked."""
    text, (start, end) = hit.case.text, hit.span
    return (escape(text[:start]) + Markup('<span class="answer">') + Markup(hit.snippet)
            + Markup("</span>") + escape(text[end:]))


@bp.app_template_global()
def as_markup(snippet: str) -> Markup:
    """A snippet from the engine: already escaped, with <mark> tags."""
    return Markup(snippet)


MATCH_LABELS = {"strong": "回答 · answers", "partial": "部分 · partly", "weak": "较弱 · weak"}
MATCH_TITLES = {"strong": "answers the question", "partial": "answers part of the question",
                "weak": "related at most"}


@bp.app_context_processor
def page_globals() -> dict[str, object]:
    """What the loaded index holds (every page's footer), and how match levels are shown."""
    loaded = current_app.extensions["casesearch"].engine
    return {"corpus_note": engine_summary(loaded) if loaded is not None else "",
            "MATCH_LABELS": MATCH_LABELS, "MATCH_TITLES": MATCH_TITLES}


@bp.get("/")
def index() -> str:
    search_engine = engine()
    shown = {field.name: request.args.get(field.query_name, "").strip()
             for field in SEARCH.fields if field.query_name}
    hits, error = [], None
    if shown["query"]:
        try:  # the API's request, read and checked the API's way
            hits = search_engine.search(**SEARCH.from_query(request.args))
        except ApiError as exc:
            error = exc.detail
        except InvalidRequestError as exc:
            error = str(exc)
    return render_template("index.html", query=shown["query"][:MAX_QUERY_CHARS],
                           city=shown["cities"], year=shown["years"],
                           province=shown["provinces"], hits=hits, error=error,
                           cities=search_engine.cities(), facets=search_engine.facets(),
                           examples=EXAMPLES, highlighted=highlighted,
                           max_query=MAX_QUERY_CHARS)


def best_per_city(hits: list[Hit]) -> list[Hit]:
    """The first (best) hit of each city, in score order."""
    seen, best = set(), []
    for hit in hits:
        if hit.case.city not in seen:
            seen.add(hit.case.city)
            best.append(hit)
    return best


@bp.get("/cases/<case_id>")
def case_page(case_id: str) -> str:
    search_engine = engine()
    case = search_engine.case(case_id)
    others = best_per_city(search_engine.similar(case_id, k=50))
    return render_template("case.html", case=case, similar=others, highlighted=highlighted)


@lru_cache(maxsize=4)
def _topic_members(search_engine: SearchEngine) -> dict[str, set[str]]:
    return assign_topics(search_engine)


@bp.get("/overview")
def overview() -> str:
    search_engine = engine()
    members = _topic_members(search_engine)
    city_of = {case.id: case.city for case in search_engine.cases}
    cities = [city for city, _ in search_engine.cities()]
    counts = {(city, topic.id): 0 for city in cities for topic in TOPICS}
    for topic in TOPICS:
        for case_id in members[topic.id]:
            counts[(city_of[case_id], topic.id)] += 1
    peak = max(counts.values(), default=1) or 1
    return render_template("overview.html", cities=cities, topics=TOPICS, counts=counts,
                           peak=peak, members=members)
