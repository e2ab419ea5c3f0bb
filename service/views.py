"""Server-rendered pages: ask a question, read the matching practices, compare cities."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup, escape

from index.errors import InvalidRequestError
from index.search import Hit
from service.params import MAX_QUERY_CHARS

bp = Blueprint("views", __name__)

EXAMPLES = ("老师住宿困难怎么解决", "how do cities run school buses safely", "孩子上幼儿园难",
            "职业教育校企合作", "学生体质健康")


def highlighted(hit: Hit) -> Markup:
    """The case text with the answering sentence set off and its matched terms marked."""
    text, (start, end) = hit.case.text, hit.span
    return (escape(text[:start]) + Markup('<span class="answer">') + Markup(hit.snippet)
            + Markup("</span>") + escape(text[end:]))


@bp.get("/")
def index() -> str:
    engine = current_app.extensions["casesearch"].require()
    query = request.args.get("q", "").strip()[:MAX_QUERY_CHARS]
    city = request.args.get("city", "").strip()
    hits, error = [], None
    if query:
        try:
            hits = engine.search(query, k=10, cities=[city] if city else None)
        except InvalidRequestError as exc:
            error = str(exc)
    return render_template("index.html", query=query, city=city, hits=hits, error=error,
                           cities=engine.cities(), examples=EXAMPLES, highlighted=highlighted)


@bp.get("/cases/<case_id>")
def case_page(case_id: str) -> str:
    engine = current_app.extensions["casesearch"].require()
    case = engine.case(case_id)
    similar = engine.similar(case_id, k=10)
    return render_template("case.html", case=case, similar=similar, highlighted=highlighted)
