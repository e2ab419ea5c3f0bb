"""Snippets: the sentence of a case that answers the question, with matched terms marked."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

import numpy as np

from index.retrieval.lexical import HAN_RE, normalize_text

# A shorter best sentence (a slogan such as "率先打造“校园平安车”。") takes its neighbour along.
MIN_SNIPPET_CHARS = 16


def choose_span(spans: Sequence[tuple[int, int]], sentence_scores: np.ndarray,
                text: str) -> tuple[int, int]:
    """The best sentence's span, extended by its neighbour when it is very short."""
    best = int(np.argmax(sentence_scores))
    start, end = spans[best]
    if len(text[start:end].strip()) < MIN_SNIPPET_CHARS and len(spans) > 1:
        neighbour = best + 1 if best + 1 < len(spans) else best - 1
        start, end = min(start, spans[neighbour][0]), max(end, spans[neighbour][1])
    return start, end


def markable(terms: Iterable[str]) -> list[str]:
    """Terms worth marking: Chinese words of two or more characters, Latin words of two or more
    letters (a single character marks noise)."""
    return [t for t in terms if len(t) >= 2 and (HAN_RE.search(t) or t.isascii())]


def term_intervals(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Merged [start, end) intervals where any of the terms occurs (case-insensitively)."""
    haystack = normalize_text(text)
    if len(haystack) != len(text):  # normalization changed lengths: match on the raw text
        haystack = text.lower()
    intervals = []
    for term in terms:
        for match in re.finditer(re.escape(term), haystack):
            intervals.append((match.start(), match.end()))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark_terms(text: str, terms: Iterable[str]) -> str:
    """HTML-escaped text with each occurrence of a term wrapped in <mark>."""
    pieces, position = [], 0
    for start, end in term_intervals(text, markable(terms)):
        pieces += [html.escape(text[position:start], quote=False), "<mark>",
                   html.escape(text[start:end], quote=False), "</mark>"]
        position = end
    pieces.append(html.escape(text[position:], quote=False))
    return "".join(pieces)
