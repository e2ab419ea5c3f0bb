"""Server-rendered pages: ask, read the practices, compare cities and their figures, see the
overview, choose practices for a brief.

Every page is complete without JavaScript (a shared `/?q=…&city=…&pick=…` link shows its
results and its chosen practices at once); `static/app.js` only adds a loading state and keeps
the page's address up to date as practices are chosen.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from corpus.models import Case
from index.errors import InvalidRequestError
from index.figures import FigureTable
from index.retrieval.places import place_key
from index.retrieval.search import Hit, SearchEngine
from index.retrieval.topics import TOPICS, assign_topics
from service.brief import brief_request, make_brief
from service.describe import engine_summary, per_engine
from service.export import TABLE_FORMATS
from service.figures import KIND_LABELS, by_level, comparison, gathered
from service.places import chain_text, level_heading, level_label, level_words
from service.problems import ApiError
from service.records import LEVEL_WORDS, LIVE_WORDS
from service.schema import (
    BRIEF,
    BRIEF_SEARCH_FIELDS,
    FIGURES,
    MAX_BRIEF_CASES,
    MAX_QUERY_CHARS,
    SEARCH,
    RequestSpec,
)

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


MATCH_LABELS = {level: f"{chinese} · {english}" for level, (chinese, english, _)
                in LEVEL_WORDS.items()}
MATCH_TITLES = {level: meaning for level, (_, _, meaning) in LEVEL_WORDS.items()}


@bp.app_context_processor
def page_globals() -> dict[str, object]:
    """What the loaded index holds (every page's footer), how match levels and places are
    shown, and the practices chosen for a brief (`pick` in the address, kept by every link)."""
    loaded = current_app.extensions["casesearch"].engine
    return {"corpus_note": engine_summary(loaded) if loaded is not None else "",
            "MATCH_LABELS": MATCH_LABELS, "MATCH_TITLES": MATCH_TITLES,
            "KIND_LABELS": KIND_LABELS, "picked": picked(loaded), "brief_url": brief_url,
            "unpicked_note": unpicked_note,
            "level_label": level_label, "level_heading": level_heading,
            "level_words": level_words, "chain_text": chain_text,
            "LIVE_LABELS": {state: f"{chinese} · {english}"
                            for state, (chinese, english) in LIVE_WORDS.items()}}


def picked(search_engine: SearchEngine | None) -> list[str]:
    """The practices chosen for a brief: the page address's `pick` ids that name a case, in
    order, each once, at most MAX_BRIEF_CASES."""
    if search_engine is None or not has_request_context():
        return []
    known = search_engine.rows
    chosen = [case_id for case_id in dict.fromkeys(request.args.getlist("pick"))
              if case_id in known]
    return chosen[:MAX_BRIEF_CASES]


def unpicked_note(figures: str, query: str, answering: int) -> str:
    """What the brief holds while no practice is ticked: the cases a figures table cites, the
    practices that answer the page's question (or that none does), or nothing yet."""
    if figures:
        return "未选：取本表引用的做法 · none ticked: the cases cited"
    if not query:
        return "勾选做法以生成简报 · tick practices for a brief"
    if not answering:
        return ("没有做法回答这个问题：勾选做法以生成简报 · nothing answers it: tick practices "
                "for a brief")
    english = "the one that answers" if answering == 1 else f"the {answering} that answer"
    return f"未选：取回答问题的 {answering} 个做法 · none ticked: {english}"


def brief_url(form: str, picks: list[str], query: str = "", figures: str = "",
              search: list[tuple[str, str]] | None = None) -> str:
    """Where the brief of these practices (or, with none chosen, the question's: searched
    with `search`, the page's arguments from `question_brief`) is downloaded."""
    params: list[tuple[str, str]] = [("id", case_id) for case_id in picks]
    if query:
        params.append(("q", query))
        if not picks:
            params += search or []
    if figures:
        params.append(("figures", figures))
    params.append(("format", form))
    return url_for("api.brief") + "?" + urlencode(params)


@bp.get("/")
def index() -> str:
    search_engine = engine()
    shown = {field.name: request.args.get(field.query_name, "").strip()
             for field in SEARCH.fields if field.query_name}
    hits, error, args = [], None, {}
    if shown["query"]:
        try:  # the API's request, read and checked the API's way
            args = SEARCH.from_query(request.args)
            hits = search_engine.search(**args)
        except ApiError as exc:
            error = exc.detail
        except InvalidRequestError as exc:
            error = str(exc)
    brief_search, answering = question_brief(search_engine, args["k"]) if hits else ([], 0)
    return render_template("index.html", query=shown["query"][:MAX_QUERY_CHARS],
                           city=shown["cities"], place=shown["places"], year=shown["years"],
                           province=shown["provinces"], hits=hits, error=error,
                           brief_search=brief_search, brief_answering=answering,
                           table_links=table_links(),
                           cities=search_engine.cities(), places=search_engine.places(),
                           facets=search_engine.facets(),
                           examples=EXAMPLES, highlighted=highlighted,
                           max_query=MAX_QUERY_CHARS)


def _page_arguments(spec: RequestSpec, names: tuple[str, ...] | None = None
                    ) -> list[tuple[str, str]]:
    """The page address's arguments of a request's fields (of those `names`), as given."""
    wanted = {field.query_name for field in spec.fields
              if field.query_name and (names is None or field.name in names)}
    return [(name, value) for name, value in request.args.items(multi=True)
            if name in wanted and value.strip()]


def question_brief(search_engine: SearchEngine, k: int) -> tuple[list[tuple[str, str]], int]:
    """With none ticked, the brief of the page's question: the query-string arguments that
    make it the page's search (its filters, mode and its `k`, at most MAX_BRIEF_CASES), and
    how many practices it holds (those that answer, at BRIEF's min_match)."""
    pairs = _page_arguments(BRIEF, BRIEF_SEARCH_FIELDS)
    k = min(k, MAX_BRIEF_CASES)
    pairs.append((BRIEF.field("k").query_name, str(k)))
    query = BRIEF.field("query").query_name
    args = BRIEF.from_query(MultiDict([(query, request.args.get(query, "")), *pairs]))
    try:  # the brief the link downloads, made as that route makes it
        return pairs, len(make_brief(search_engine, **brief_request(args)).practices)
    except ApiError:  # nothing answers: no brief to offer
        return pairs, 0


def table_links() -> dict[str, str]:
    """The page's results as a spreadsheet: the same search (every argument the page took),
    as `xlsx` and `csv`."""
    pairs = _page_arguments(SEARCH)
    return {form: url_for("api.search_get") + "?" + urlencode([*pairs, ("format", form)])
            for form in TABLE_FORMATS}


def best_per_place(hits: list[Hit]) -> list[Hit]:
    """The first (best) hit of each place, in score order."""
    seen, best = set(), []
    for hit in hits:
        if place_key(hit.case) not in seen:
            seen.add(place_key(hit.case))
            best.append(hit)
    return best


@bp.get("/cases/<case_id>")
def case_page(case_id: str) -> str:
    search_engine = engine()
    case = search_engine.case(case_id)
    others = best_per_place(search_engine.similar(case_id, k=50))
    return render_template("case.html", case=case, similar=others, highlighted=highlighted,
                           case_text=with_figures(case, search_engine.figures))


def with_figures(case: Case, table: FigureTable) -> Markup:
    """The case text with each figure a link to the same figure in other cities."""
    text, out, at = case.text, Markup(""), 0
    picks = picked(engine()) or None
    for item, group in table.of_case(case.id):
        start, end = item.figure.start, item.figure.end
        if start < at:
            continue
        cities = table.cities(group)
        title = (f"{group.metric}: {item.display} · "
                 f"{cities} 市 cities · 点击比较 click to compare")
        link = url_for("views.figure_page", group_id=group.id, **{"from": case.id}, pick=picks)
        out += escape(text[at:start]) + Markup(
            f'<a class="figure" href="{escape(link)}" title="{escape(title)}">'
            f"{escape(text[start:end])}</a>")
        at = end
    return out + escape(text[at:])


@per_engine
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


# style.css lays the chart's HTML labels out at this pitch (.chart-labels li: 22 px, 30 px a
# row): change them together.
CHART_WIDTH, LABEL_WIDTH, BAR_HEIGHT, GAP = 640, 96, 22, 8


def chart_bars(rows: list[dict], source_city: str | None = None) -> dict | None:
    """A horizontal bar chart of a comparison's rows (largest first), laid out for an SVG
    drawn on the server; None when no row has a value to draw (ranks such as 前列)."""
    drawn = [row for row in rows if row["value"] is not None and row["unit"] != "名次"]
    if not drawn:
        return None
    top = max(max(row["value"], row["high"] or 0) for row in drawn) or 1.0
    span = CHART_WIDTH - LABEL_WIDTH - 130
    bars = []
    for number, row in enumerate(drawn):
        y = number * (BAR_HEIGHT + GAP)
        width = max(2.0, span * max(row["value"], 0) / top)
        reach = span * (row["high"] or 0) / top
        bars.append({"row": row, "y": y, "width": round(width, 1),
                     "high": round(max(reach - width, 0), 1), "text_y": y + BAR_HEIGHT * 0.72,
                     "mine": row["city"] == source_city})
    return {"bars": bars, "width": CHART_WIDTH, "label_width": LABEL_WIDTH,
            "bar_height": BAR_HEIGHT,
            # the view box's width: the widest bar (with its range) spans it
            "track": max(bar["width"] + bar["high"] for bar in bars),
            "height": len(drawn) * (BAR_HEIGHT + GAP) - GAP}


@bp.get("/figures/<group_id>")
def figure_page(group_id: str) -> str:
    """The same figure in every city that reports it: a bar chart and a table."""
    search_engine = engine()
    group = search_engine.figures.group(group_id)
    return _figure_page(search_engine, group, request.args.get("metric", "")[:100], None, [])


@bp.get("/figures")
def figures_lookup() -> Response | str:
    """`/figures?metric=学前教育普及`: the nearest group of figures; without one, the list."""
    search_engine = engine()
    if not request.args.get("metric", "").strip():
        return redirect(url_for("views.overview_figures", pick=picked(search_engine) or None))
    try:
        metric = FIGURES.from_query(request.args)["metric"]
        group, similarity, related, others = gathered(search_engine, metric)
    except ApiError as exc:
        return _figures_overview(search_engine, error=exc.detail)
    return _figure_page(search_engine, group, metric, similarity, others, related)


def _figure_page(search_engine: SearchEngine, group, metric: str, similarity: float | None,
                 others: list, related: list | None = None) -> str:
    answer = comparison(search_engine, group)
    source_id = request.args.get("from", "")
    source = search_engine.case(source_id) if source_id in search_engine.rows else None
    phrases = sorted({search_engine.figures.figures[m].figure.metric for m in group.members})
    mine = source.city if source else None
    # One chart and table per place level: a district's figure is never set beside a
    # province's.
    sections = [(level, rows, chart_bars(rows, mine))
                for level, rows in by_level(answer["figures"])]
    # asked for in words: the groups gathered with it (service.figures.gathered), and then the
    # page's brief is of those words
    return render_template("figures.html", answer=answer, group=group, metric=metric,
                           similarity=similarity, others=others, source=source,
                           sections=sections, phrases=phrases, by_level=by_level,
                           related=[comparison(search_engine, other) for other in related or ()])


@bp.get("/overview/figures")
def overview_figures() -> str:
    """The overview's figures tab: every group of figures, the most widely reported first."""
    return _figures_overview(engine())


def _figures_overview(search_engine: SearchEngine, error: str | None = None) -> str:
    table = search_engine.figures
    groups = list(table.groups)
    shared = [group for group in groups if table.cities(group) > 1]
    single = [group for group in groups if table.cities(group) <= 1]
    return render_template("overview_figures.html", shared=shared, single=single,
                           cities_of=table.cities, total=len(table.figures), error=error,
                           metric=request.args.get("metric", "")[:100])
