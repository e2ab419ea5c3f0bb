"""Request parsing and validation for the API, in one place."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Request

from index.errors import InvalidRequestError
from index.search import MAX_K, MODES, check_question
from service.errors import ApiError

MAX_QUERY_CHARS = 500
MAX_LIST_LIMIT = 1000
SEARCH_FIELDS = {"query", "k", "cities", "mode", "years", "provinces"}
_YEAR = re.compile(r"\s*\d{1,4}\s*\Z")


def shown(value: Any) -> str:
    """A short, safe rendering of a client's value for an error message: never a huge number
    (which Python will not even turn into text), a deeply nested list, or a long string."""
    if isinstance(value, str):
        return repr(value[:40] + ("…" if len(value) > 40 else ""))
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return repr(value) if value.bit_length() < 64 else f"an integer of about " \
            f"{int(value.bit_length() * 0.30103) + 1} digits"
    return f"a JSON {'array' if isinstance(value, list) else 'object'}"


def parse_int(raw: Any, name: str, *, default: int, low: int, high: int) -> int:
    """An integer query parameter or JSON field within [low, high]."""
    if raw is None or raw == "":
        return default
    wrong = ApiError(422, f"{name} must be an integer from {low} to {high}; got {shown(raw)}")
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
    raise ApiError(422, f"{name} must be true or false; got {shown(raw)}")


def parse_query(raw: Any) -> str:
    """The question: a string of 1..MAX_QUERY_CHARS characters after trimming, with words in
    it (see `index.search.check_question`)."""
    if not isinstance(raw, str):
        raise ApiError(422, "query must be a string (the question or keywords to search for)")
    if not raw.strip():
        raise ApiError(422, "query is empty; ask a question or give keywords")
    try:
        query = check_question(raw)
    except InvalidRequestError as exc:
        raise ApiError(422, str(exc)) from None
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
        if isinstance(value, bool) or not (isinstance(value, int) and 0 < value < 10000 or (
                isinstance(value, str) and _YEAR.match(value))):
            raise ApiError(422, f"years must be whole numbers from 1 to 9999; got {shown(value)}")
        years.append(int(value))
    return years


def parse_provinces(raw: Any) -> list[str] | None:
    """An optional list of province names."""
    return parse_names(raw, "provinces", "山东省")


def parse_mode(raw: Any) -> str | None:
    """An optional retrieval mode: hybrid (the default), dense or lexical."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or raw not in MODES:
        raise ApiError(422, f"mode must be one of {', '.join(MODES)}; got {shown(raw)}")
    return raw


def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; 400, saying what is wrong, for a wrong type, bytes
    that are not UTF-8, broken JSON, nesting too deep, a number too long for Python or a lone
    UTF-16 surrogate (which no answer could carry back)."""
    if not request.is_json:
        raise ApiError(400, "send the body as JSON with Content-Type: application/json")
    body = decode_json(request.get_data(cache=True))
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object such as {\"query\": \"校车\"}")
    return body


def decode_json(data: bytes) -> Any:
    """Parse a JSON body (see `json_object`)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not UTF-8 text; send JSON encoded as UTF-8") from None
    try:
        body = json.loads(text)
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise ApiError(400, "the JSON body is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON ({exc.msg} at line {exc.lineno}, "
                            f"column {exc.colno})") from None
    except UnicodeEncodeError:
        raise ApiError(400, "the body contains an invalid character (a lone UTF-16 "
                            "surrogate such as \\ud800); send valid Unicode text") from None
    except ValueError:  # Python refuses to read integers of more than 4,300 digits
        raise ApiError(400, "a number in the body has too many digits") from None
    return body


SearchArgs = dict[str, Any]


def search_args_from_json(body: dict[str, Any]) -> SearchArgs:
    """The search arguments of a POST /api/search body."""
    unknown = sorted(set(body) - SEARCH_FIELDS)
    if unknown:
        raise ApiError(422, f"unknown fields {[shown(name) for name in unknown[:5]]}; "
                            f"allowed: {sorted(SEARCH_FIELDS)}")
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
