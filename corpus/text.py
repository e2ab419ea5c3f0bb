"""Text helpers shared by reading, indexing and display: the characters no case may hold, and
sentence spans of a case."""

from __future__ import annotations

import re
from collections import Counter

# `- 3 -`, `第 3 页`, `3/12`, `第3页 共12页`, `共12页 第3页`, `Page 3 of 12`.
PAGE_NUMBER = re.compile(r"""
    ^[-–—\s]* (?:第\s*)? \d{1,4} (?:\s*页)? (?:\s*(?:/|[,，]?\s*共)\s*\d{1,4}\s*页?)? [-–—\s]*$
  | ^共\s*\d{1,4}\s*页 \s*[,，]?\s* 第\s*\d{1,4}\s*页$
  | ^(?:page|p\.)\s*\d{1,4} (?:\s*(?:of|/)\s*\d{1,4})?$""", re.I | re.X)
# A sentence ends at Chinese or Western end punctuation, optionally followed by a closing quote.
_SENTENCE_END = re.compile(r"[。！？；!?;]+[”’」』）)]*|\.(?=\s)|\n+")

# What no field of a case may hold: C0 and C1 controls and DEL (invisible, and not allowed in
# XML 1.0, so a Word export fails on them), line and paragraph separators, the bidirectional
# embeddings, overrides, isolates and marks (they reorder what a reader sees, as in "Trojan
# Source", CVE-2021-42574), lone surrogates and noncharacters (not text at all).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH = "\u200b-\u200d\u2060"  # zero-width space, joiners, word joiner: unseen, split words
_NONCHARACTERS = "\ufdd0-\ufdef\ufffe\uffff" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(1, 17))
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}{_ZERO_WIDTH}\ud800-\udfff"
                     f"{_NONCHARACTERS}]")
# In a document's text, lines stay lines; a tab is a space, and a character that means a break
# (vertical tab, form feed, the information separators, NEL, U+2028/2029) becomes a space
# too, so that line N is still the line an editor shows as N.
_IN_TEXT = re.compile(f"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029{_BIDI}{_ZERO_WIDTH}"
                      f"\ud800-\udfff{_NONCHARACTERS}]")
BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def find_unsafe(text: str) -> int | None:
    """The index of the first character no case field may hold, or None."""
    match = _UNSAFE.search(text)
    return match.start() if match else None


_KINDS = ((re.compile("[\ud800-\udfff]"), "a lone surrogate (not text)"),
          (re.compile(f"[{_NONCHARACTERS}]"), "a noncharacter"),
          (re.compile("[\u2028\u2029]"), "a line separator"),
          (re.compile(f"[{_BIDI}]"), "a text-direction control"),
          (re.compile(f"[{_ZERO_WIDTH}]"), "a zero-width character"))


def describe_character(char: str) -> str:
    """`a control character (U+000B)`, `a text-direction control (U+202E)`, …"""
    kind = next((kind for pattern, kind in _KINDS if pattern.match(char)),
                "a control character")
    return f"{kind} (U+{ord(char):04X})"


def clean_text(text: str) -> tuple[str, Counter[str]]:
    """`text` without the characters no case may hold (line ends kept; tabs and breaks inside
    a line made spaces, the rest removed), and how many of each were changed (tabs aside)."""
    changed: Counter[str] = Counter()

    def replace(match: re.Match) -> str:
        char = match.group()
        if char == "\t":
            return " "
        changed[char] += 1
        return " " if char in BREAKS else ""

    return _IN_TEXT.sub(replace, text), changed


def cleaning_notes(changed: Counter[str]) -> list[str]:
    """What `clean_text` did, for a parse report: the characters removed and those spaced."""
    def codes(chars: list[str]) -> str:
        shown = ", ".join(f"U+{ord(char):04X}" for char in chars[:5])
        return shown + (", …" if len(chars) > 5 else "")

    removed = [char for char in changed if char not in BREAKS]
    spaced = [char for char in changed if char in BREAKS]
    notes = []
    if removed:
        count = sum(changed[char] for char in removed)
        notes.append(f"removed {count} invisible control character{'s' * (count != 1)} "
                     f"({codes(removed)})")
    if spaced:
        count = sum(changed[char] for char in spaced)
        notes.append(f"read {count} break{'s' * (count != 1)} inside a line ({codes(spaced)}) "
                     f"as {'spaces' if count != 1 else 'a space'}")
    return notes


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


def shortened(text: str, limit: int) -> str:
    """The start of a text on one line, at most `limit` characters (`…` when cut)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
