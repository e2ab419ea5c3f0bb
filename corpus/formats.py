"""Reading a source document's text, by format: plain text and Markdown in the encodings
offices save them in (named in the report when not UTF-8), Word (.docx), and PDF with a text
layer (read by `corpus.pdf`: in reading order, page furniture removed and reported)."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from corpus.errors import CorpusError

SUFFIXES = (".txt", ".md", ".docx", ".pdf")
MAX_TEXT_BYTES = 20 * 1024 * 1024   # a .txt or .md: about ten million Chinese characters
_MARKDOWN_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?=\S))")
_MARKDOWN_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MARKDOWN_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+\S")
# Byte order marks, UTF-32's first (its little-endian mark starts as UTF-16's does).
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
         (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"), (codecs.BOM_UTF8, "utf-8", "UTF-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
         (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"))
_HIGH_BYTES = bytes(range(0x80, 0x100))
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                            rb"|[\xf0-\xf4][\x80-\xbf]{3}")


@dataclass(frozen=True)
class Decoded:
    """A text file's text, the encoding it was read in, and a note for the report when that
    was not plain UTF-8."""

    text: str
    encoding: str
    note: str | None = None
    guessed: bool = False  # by charset-normalizer, not by a rule: worth a look


def decode_document(raw: bytes, source: str) -> Decoded:
    """A text file's bytes decoded as offices save them, deciding in this order: a byte order
    mark (UTF-8, UTF-16, UTF-32); UTF-16 without one, told by NUL bytes on one side of each
    pair (other NUL bytes are a binary file's, but for a stray one in UTF-8); strict UTF-8;
    GB18030 (a superset of GBK and GB2312, Chinese Windows' code page) when the text is
    plausibly Chinese, or Big5 when it is clearly traditional Chinese and GB18030 is not as
    plausible; then, unless the file is UTF-8 with a damaged byte (refused, naming its line),
    charset-normalizer's guess.

    Raises:
        CorpusError: bytes that are not text (NUL bytes outside UTF-16 or UTF-32, a text
            mostly of control or private-use characters), UTF-8 with a bad byte, or bytes no
            encoding reads; the message names the file (and the line, where there is one).
    """
    for attempt in (_by_bom, _by_nul_bytes, _as_utf8, _as_chinese, _as_damaged_utf8,
                    _as_detected):
        decoded = attempt(raw, source)
        if decoded is not None:
            return _checked(decoded, source)
    raise AssertionError("unreachable: _as_detected decides or refuses")  # pragma: no cover


def decode_text(raw: bytes, source: str) -> str:
    """A text file's bytes as text, in whichever encoding `decode_document` finds."""
    return decode_document(raw, source).text


def _line_of(raw: bytes, offset: int) -> int:
    return raw[:offset].count(b"\n") + 1


def _by_bom(raw: bytes, source: str) -> Decoded | None:
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise CorpusError(f"{source}: starts with the byte order mark of {name} but is "
                                  f"not {name} text (byte {exc.start + len(bom)}); save the "
                                  f"document again as UTF-8") from exc
            note = ("read as UTF-8 with a byte order mark" if name == "UTF-8"
                    else f"read as {name} (not UTF-8)")
            return Decoded(text, name, note)
    return None


def _by_nul_bytes(raw: bytes, source: str) -> Decoded | None:
    """UTF-16 without a byte order mark: most NULs (the high bytes of ASCII characters, the
    low ones of a few CJK ones such as 一 U+4E00) on one side of each pair, and the text
    decoded so is text."""
    nuls = raw.count(b"\0")
    if not nuls:
        return None
    odd = raw[1::2].count(b"\0")
    if len(raw) % 2 == 0 and max(odd, nuls - odd) >= 0.7 * nuls:
        codec, name = ("utf-16-le", "UTF-16 LE") if odd > nuls - odd else ("utf-16-be",
                                                                             "UTF-16 BE")
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            text = None
        if text is not None and _junk_share(text) <= 0.02:
            return Decoded(text, name, f"read as {name} (not UTF-8; it has no byte order mark)")
    if nuls <= max(2, 0.01 * len(raw)) and _strictly(raw, "utf-8") is not None:
        return None  # a stray NUL in UTF-8 text: removed and reported with the other controls
    first = raw.index(b"\0")
    raise CorpusError(f"{source}:{_line_of(raw, first)}: not text: it holds NUL bytes (the "
                      f"first is byte {first}), as binary files do; save the document as text "
                      f"(UTF-8)")


def _as_utf8(raw: bytes, source: str) -> Decoded | None:
    try:
        return Decoded(raw.decode("utf-8"), "UTF-8")
    except UnicodeDecodeError:
        return None


def _as_chinese(raw: bytes, source: str) -> Decoded | None:
    """GB18030 when it reads the file as plausible Chinese, Big5 when that is clearly more so
    (a short GBK text often decodes as Big5 too, and Big5 always as GB18030)."""
    # Common shares measured: the shipped document in GBK 1.0; a traditional text saved as
    # GB18030 0.62; Big5 misread as GB18030 0.29; a short GBK text misread as Big5 0.5;
    # UTF-8 misread as GB18030 (a damaged byte) about 0.
    gb, big5 = _strictly(raw, "gb18030"), _strictly(raw, "big5hkscs")
    gb_score = _common_share(gb, _gb_common) if gb is not None else -1.0
    big5_score = _common_share(big5, _big5_common) if big5 is not None else -1.0
    if big5 is not None and big5_score >= 0.6 and big5_score > gb_score + 0.15:
        return Decoded(big5, "Big5", "read as Big5 (not UTF-8)")
    if gb is not None and gb_score >= 0.5:
        return Decoded(gb, "GB18030", "read as GB18030 (not UTF-8)")
    return None


def _as_damaged_utf8(raw: bytes, source: str) -> Decoded | None:
    """Refuse, naming the line, a file that is mostly UTF-8 but for some bad bytes."""
    valid = sum(len(match) for match in _UTF8_SEQUENCE.findall(raw))
    if valid < 0.5 * (len(raw) - len(raw.translate(None, _HIGH_BYTES))):
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{source}:{_line_of(raw, exc.start)}: not UTF-8 text (byte "
                          f"{exc.start}), though the rest is; save the document as UTF-8"
                          ) from exc
    return None  # pragma: no cover - only called after strict UTF-8 failed


def _as_detected(raw: bytes, source: str) -> Decoded:
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise CorpusError(f"{source}: not text in any encoding this reads (UTF-8, GB18030, "
                          f"Big5, UTF-16, or one charset-normalizer knows); save the document "
                          f"as text (UTF-8)")
    return Decoded(str(best), best.encoding, f"read as {best.encoding} (not UTF-8; guessed by "
                   f"charset-normalizer: check the text)", guessed=True)


def _checked(decoded: Decoded, source: str) -> Decoded:
    """Refuse a decoding that is mostly control, private-use or unassigned characters."""
    share = _junk_share(decoded.text)
    if share > 0.3:
        raise CorpusError(f"{source}: not text: read as {decoded.encoding}, {share:.0%} of it "
                          f"is control or private-use characters (a binary file?); save the "
                          f"document as text (UTF-8)")
    return decoded


def _strictly(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        return None


def _junk_share(text: str) -> float:
    """The share of the non-blank characters that are no text's: controls, private use,
    unassigned code points, surrogates, replacement characters."""
    sample = [c for c in text[:200_000] if not c.isspace()]
    junk = sum(unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs") or c == "\ufffd"
               for c in sample)
    return junk / len(sample) if sample else 0.0


def _gb_common(char: str) -> bool:
    """GB2312's level-1 characters (the 3,755 commonest) and its CJK punctuation rows."""
    try:
        code = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and (0xB0 <= code[0] <= 0xD7 or code[0] in (0xA1, 0xA3))


def _big5_common(char: str) -> bool:
    """Big5's frequent characters (A440-C67E, 5,401 of them) and its punctuation."""
    try:
        code = char.encode("big5")
    except UnicodeEncodeError:
        return False
    value = int.from_bytes(code, "big") if len(code) == 2 else 0
    return 0xA440 <= value <= 0xC67E or 0xA140 <= value <= 0xA3BF


def _common_share(text: str, common: Callable[[str], bool]) -> float:
    """The share of the non-ASCII characters (the first 20,000) that are common in a
    standard: high for text in the encoding it was written in, low for another's misreading."""
    chars = list(islice((c for c in text if ord(c) > 0x7F and not c.isspace()), 20_000))
    return sum(map(common, chars)) / len(chars) if chars else 0.0


def markdown_to_text(text: str) -> str:
    """Markdown's heading, quote and list markers and bold marks removed, line for line (so
    line numbers still point into the file)."""
    lines = [_MARKDOWN_EMPHASIS.sub(r"\2", _MARKDOWN_PREFIX.sub("", line))
             for line in text.split("\n")]
    return "\n".join(lines)


def docx_to_text(path: Path) -> tuple[str, list[str]]:
    """The paragraphs of a Word document, one a line (line N is paragraph N), with the numbers
    Word draws itself written out; and notes on what was added."""
    from corpus.word import read_docx

    lines, notes, _, _ = read_docx(path)
    return "\n".join(lines), notes


def pdf_to_text(path: Path) -> tuple[str, list[str]]:
    """The text layer of a PDF in reading order, one paragraph a line, page furniture removed;
    and notes on what was removed (see `corpus.pdf`)."""
    from corpus.pdf import pdf_to_text as read_pdf  # here: corpus.pdf imports this module

    return read_pdf(path)


def read_document_text(path: Path) -> tuple[str, list[str]]:
    """The text of a document in any supported format, and notes on what reading changed
    (the encoding of a text file that was not plain UTF-8, the page furniture of a PDF).

    Raises:
        CorpusError: an unsupported format, bytes that are not text, a broken .docx or PDF.
    """
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return pdf_to_text(path)
    if suffix == ".docx":
        return docx_to_text(path)
    return plain_text(path)


def check_size(path: Path, limit: int, kind: str) -> None:
    """Refuse a file over `limit` bytes before reading it."""
    size = path.stat().st_size
    if size > limit:
        raise CorpusError(f"{path.name}: {size / 2**20:.0f} MB is more than the "
                          f"{limit // 2**20} MB {kind} may have; split it into several "
                          f"documents")


def plain_text(path: Path) -> tuple[str, list[str]]:
    """The text of a .txt or .md document (Markdown's markers removed), and a note naming its
    encoding when it was not plain UTF-8.

    Raises:
        CorpusError: an unsupported format, a file too large, or bytes that are not text.
    """
    suffix = path.suffix.lower()
    if suffix == ".md":
        text, notes, _ = read_markdown(path)
        return text, notes
    if suffix != ".txt":
        raise CorpusError(f"{path.name}: unsupported format {suffix!r}; use one of "
                          f"{', '.join(SUFFIXES)}")
    decoded = _decoded_file(path)
    return decoded.text, [decoded.note] if decoded.note else []


def read_markdown(path: Path) -> tuple[str, list[str], dict[int, int]]:
    """A Markdown document's text without its markers (line for line), the note on its
    encoding, and the level of each `#` heading by line number — the file decoded once."""
    decoded = _decoded_file(path)
    return (markdown_to_text(decoded.text), [decoded.note] if decoded.note else [],
            markdown_heading_levels(decoded.text))


def markdown_heading_levels(text: str) -> dict[int, int]:
    """Line number → level of each ATX heading (`## 一、济南市` → 2) of a Markdown text."""
    levels = {}
    for number, line in enumerate(text.split("\n"), start=1):
        match = _MARKDOWN_HEADING.match(line)
        if match:
            levels[number] = len(match.group(1))
    return levels


def _decoded_file(path: Path) -> Decoded:
    check_size(path, MAX_TEXT_BYTES, "a text document")
    return decode_document(path.read_bytes(), path.name)


def read_text(path: Path) -> str:
    """The text of a document in any supported format.

    Raises:
        CorpusError: an unsupported format, bytes that are not text, a broken .docx or PDF.
    """
    return read_document_text(path)[0]
