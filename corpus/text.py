"""Text helpers shared by indexing and display: sentence spans of a case."""

from __future__ import annotations

import re

# A sentence ends at Chinese or Western end punctuation, optionally followed by a closing quote.
_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)]*|\.(?=\s)|\n+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans [start, end) of the sentences of `text`, covering all non-blank text."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans or [(0, len(text))]
