"""Validating the values of a request, one kind at a time, with the messages users see.

Which request has which fields is defined in `service.schema`; this module checks one value.
"""

from __future__ import annotations

import json
import re
from typing import Any

from index.errors import InvalidRequestError
from index.retrieval.limits import check_question
from service.problems import ApiError

MAX_QUERY_CHARS = 500
MAX_LIST_LIMIT = 1000
# A question's embedding costs about 1 ms a character on one core when alone (a 480-character
# question 0.46 s), 1.6 ms beside other work, and a batch's questions run one after another on
# one core (service.http.api): 8,000 characters took 12.6-16.7 s under load, past the batch's
# 15 s budget; 4,000 in all (32 questions of 125) take about 6 s (docs/RELIABILITY.md).
MAX_BATCH_CHARS = 4000
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


def parse_flag(raw: Any, name: str, *, default: bool) -> bool:
    """A boolean: JSON true/false, or in a query string true/false, 1/0, yes/no."""
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    if not isinstance(raw, str):
        raise ApiError(422, f"{name} must be true or false; got {shown(raw)}")
    lowered = raw.strip().lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ApiError(422, f"{name} must be true or false; got {shown(raw)}")


def parse_query(raw: Any, name: str = "query", most: int = MAX_QUERY_CHARS,
                what: str = "the question or keywords to search for",
                ask: str = "ask a question or give keywords") -> str:
    """A question (or another free text, named `name`): a string of 1..`most` characters
    after trimming, with words in it (see `index.retrieval.limits.check_question`)."""
    if not isinstance(raw, str):
        raise ApiError(422, f"{name} must be a string ({what})")
    if not raw.strip():
        raise ApiError(422, f"{name} is empty; {ask}")
    try:
        query = check_question(raw, name, ask)
    except InvalidRequestError as exc:
        raise ApiError(422, str(exc)) from None
    if len(query) > most:
        raise ApiError(422, f"{name} is {len(query)} characters; the limit is {most}")
    return query


def parse_label(raw: Any, name: str, most: int) -> str | None:
    """A short optional text (a title, a name): trimmed, None when blank or left out; at most
    `most` characters (the reader refuses a control character in it, naming it)."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ApiError(422, f"{name} must be a string")
    value = raw.strip()
    if len(value) > most:
        raise ApiError(422, f"{name} is {len(value)} characters; the limit is {most}")
    return value or None


def parse_names(raw: Any, field: str, example: str) -> list[str] | None:
    """An optional list of names (cities, provinces); blanks dropped, None if none is left."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(name, str) for name in raw):
        raise ApiError(422, f"{field} must be a list of names, e.g. [\"{example}\"]")
    return [name.strip() for name in raw if name.strip()] or None


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


def parse_choice(raw: Any, name: str, choices: tuple[str, ...]) -> str | None:
    """One of `choices`, or None when omitted (the default)."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or raw not in choices:
        raise ApiError(422, f"{name} must be one of {', '.join(choices)}; got {shown(raw)}")
    return raw


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


def parse_questions(raw: Any, name: str, most: int) -> list[str]:
    """A list of 1..`most` questions, each checked like `query` (the message names which)."""
    if not isinstance(raw, list) or not raw:
        raise ApiError(422, f"{name} must be a list of questions, e.g. [\"校车安全\", "
                            f"\"教师周转宿舍\"]")
    if len(raw) > most:
        raise ApiError(422, f"{name} holds {len(raw)} questions; the limit is {most}")
    questions = []
    for position, question in enumerate(raw):
        try:
            questions.append(parse_query(question))
        except ApiError as exc:
            raise ApiError(422, f"{name}[{position}]: {exc.detail}") from None
    total = sum(map(len, questions))
    if total > MAX_BATCH_CHARS:
        raise ApiError(422, f"{name} hold {total:,} characters in all; a batch takes at most "
                            f"{MAX_BATCH_CHARS:,}: split them over several batches")
    return questions
