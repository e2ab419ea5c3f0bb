"""Request parsing and validation for the API, in one place."""

from __future__ import annotations

from typing import Any

from flask import Request

from index.search import MAX_K, MODES
from service.errors import ApiError

MAX_QUERY_CHARS = 500
MAX_LIST_LIMIT = 1000
SEARCH_FIELDS = {"query", "k", "cities", "mode", "years", "provinces"}


def parse_int(raw: Any, name: str, *, default: int, low: int, high: int) -> int:
    """An integer query parameter or JSON field within [low, high]."""
    if raw is None or raw == "":
        return default
    wrong = ApiError(422, f"{name} must be an integer from {low} to {high}; got {raw!r}")
    if isinstance(raw, bool) or isinstance(raw, float) and not raw.is_integer():
        raise wrong
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise wrong from None
    if not low <= value <= high:
        raise wrong
    return value


def parse_bool(raw: str | None, name: str, *, default: bool) -> bool:
    """A boolean query parameter: true/false, 1/0, yes/no."""
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ApiError(422, f"{name} must be true or false; got {raw!r}")


def parse_query(raw: Any) -> str:
    """The question: a string of 1..MAX_QUERY_CHARS characters after trimming."""
    if not isinstance(raw, str):
        raise ApiError(422, "query must be a string (the question or keywords to search for)")
    query = raw.strip()
    if not query:
        raise ApiError(422, "query is empty; ask a question or give keywords")
    if len(query) > MAX_QUERY_CHARS:
        raise ApiError(422, f"query is {len(query)} characters; the limit is {MAX_QUERY_CHARS}")
    return query


def parse_names(raw: Any, field: str, example: str) -> list[str] | None:
    """An optional list of names (cities, provinces); blanks dropped, None if none is left."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise ApiError(422, f"{field} must be a list of names, e.g. [\"{example}\"]")
    return [name.strip() for name in raw if name.strip()] or None


def parse_cities(raw: Any) -> list[str] | None:
    """An optional list of city names."""
    return parse_names(raw, "cities", "青岛市")


def parse_years(raw: Any) -> list[int] | None:
    """An optional list of years (integers; strings of digits from a query string too)."""
    if raw is None or raw == []:
        return None
    if not isinstance(raw, list):
        raise ApiError(422, "years must be a list of years, e.g. [2020, 2021]")
    years = []
    for value in raw:
        if isinstance(value, bool) or not (isinstance(value, int) or (
                isinstance(value, str) and value.strip().isdecimal())):
            raise ApiError(422, f"years must be whole numbers; got {value!r}")
        years.append(int(value))
    return years


def parse_provinces(raw: Any) -> list[str] | None:
    """An optional list of province names."""
    return parse_names(raw, "provinces", "山东省")


def parse_mode(raw: Any) -> str | None:
    """An optional retrieval mode: hybrid (the default), dense or lexical."""
    if raw is None or raw == "":
        return None
    if raw not in MODES:
        raise ApiError(422, f"mode must be one of {', '.join(MODES)}; got {raw!r}")
    return raw


def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 for a wrong type, broken JSON or bad bytes."""
    if not request.is_json:
        raise ApiError(400, "send the body as JSON with Content-Type: application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object such as {\"query\": \"校车\"}")
    return body


SearchArgs = dict[str, Any]


def search_args_from_json(body: dict[str, Any]) -> SearchArgs:
    """The search arguments of a POST /api/search body."""
    unknown = sorted(set(body) - SEARCH_FIELDS)
    if unknown:
        raise ApiError(422, f"unknown fields {unknown}; allowed: {sorted(SEARCH_FIELDS)}")
    return {"query": parse_query(body.get("query")),
            "k": parse_int(body.get("k"), "k", default=10, low=1, high=MAX_K),
            "cities": parse_cities(body.get("cities")), "mode": parse_mode(body.get("mode")),
            "years": parse_years(body.get("years")),
            "provinces": parse_provinces(body.get("provinces"))}


def search_args_from_query_string(args: Any) -> SearchArgs:
    """The search arguments of GET /api/search?q=&k=&city=&year=&province=&mode= (city, year
    and province may repeat)."""
    if args.get("q") is None:
        raise ApiError(422, "the parameter q is required, e.g. /api/search?q=校车")
    return {"query": parse_query(args.get("q")),
            "k": parse_int(args.get("k"), "k", default=10, low=1, high=MAX_K),
            "cities": parse_cities(args.getlist("city")), "mode": parse_mode(args.get("mode")),
            "years": parse_years(args.getlist("year")),
            "provinces": parse_provinces(args.getlist("province"))}
