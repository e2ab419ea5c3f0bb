"""What a search may ask: the bounds of its arguments and the checks that enforce them, with
messages that say what to change (the service's request definitions use the same numbers)."""

from __future__ import annotations

import unicodedata

from index.errors import InvalidRequestError
from index.retrieval.match import LEVELS

MAX_K = 50
MAX_DEPTH = 200  # results can be paged to offset + k ≤ this
MODES = ("hybrid", "dense", "lexical")

__all__ = ["MAX_DEPTH", "MAX_K", "MODES", "check_k", "check_level", "check_mode",
           "check_offset", "check_question"]


def check_question(query: str, name: str = "query",
                   ask: str = "ask a question or give keywords") -> str:
    """The question trimmed, if it can be searched: some letter or digit (not only blanks,
    punctuation, symbols or invisible characters such as zero-width spaces), and only valid
    Unicode (no lone UTF-16 surrogate, which no response could carry back). `name` and `ask`
    say in messages what the text is and what to send instead (a metric to compare, say)."""
    query = query.strip()
    if not query:
        raise InvalidRequestError(f"the {name} is empty; {ask}")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequestError(
            f"the {name} contains an invalid character (a lone UTF-16 surrogate, "
            f"U+{ord(query[exc.start]):04X}); send valid Unicode text") from None
    if not any(unicodedata.category(char)[0] in "LN" for char in query):
        raise InvalidRequestError(f"the {name} has no words: only blanks, punctuation, symbols "
                                  f"or invisible characters; {ask}")
    return query


def check_level(level: str) -> None:
    """Reject a match level that is not strong, partial or weak."""
    if level not in LEVELS:
        raise InvalidRequestError(f"min_match must be one of {', '.join(LEVELS)}; got {level!r}")


def check_offset(offset: int, k: int) -> None:
    """Reject an offset below 0, or one that pages past the first MAX_DEPTH results."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0 or (
            offset + k > MAX_DEPTH):
        raise InvalidRequestError(f"offset must be a whole number from 0 with offset + k at "
                                  f"most {MAX_DEPTH}; got offset {offset!r} with k {k}")


def check_k(k: int) -> None:
    """Reject a result count outside 1..MAX_K."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidRequestError(f"k must be an integer from 1 to {MAX_K}; got {k!r}")


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InvalidRequestError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
