"""Reading PDFs as offices make them (LibreOffice from Word, in tests/corpus/fixtures/pdf):
punctuation in place, one paragraph a line, page furniture removed; and hostile files."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import corpus.pdf as pdf
from corpus.errors import CorpusError
from corpus.parse import parse_text
from corpus.pdf import Page, make_line, paragraphs, pdf_to_text, run_tool, strip_page_furniture

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
NAMES = sorted(path.stem for path in FIXTURES.glob("*.pdf"))


def expected(name: str) -> list[str]:
    return (FIXTURES / f"{name}.expected.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def read():
    found = {name: pdf_to_text(FIXTURES / f"{name}.pdf") for name in NAMES}
    return lambda name: (found[name][0].split("\n"), found[name][1])


def test_there_are_fixtures():
    assert NAMES == ["compilation", "furniture", "markers", "shipped-ragged", "short-place-lines"]


@pytest.mark.parametrize("name", NAMES)
def test_a_fixture_reads_as_its_paragraphs(read, name):
    assert read(name)[0] == expected(name)


def test_quotes_and_brackets_stay_where_they_are(read):
    lines, _ = read("markers")
    assert lines[2].startswith("【案例1】福山区：“县管校聘”激活教师队伍一池春水，")


def test_a_title_set_on_three_lines_is_one_line(read):
    lines, _ = read("compilation")
    assert lines[1] == ("2021年全省各市推进义务教育优质均衡发展暨落实教师“县管校聘”"
                        "管理改革典型工作案例")


def test_a_paragraph_across_a_page_break_is_one_line(read):
    lines, _ = read("markers")
    assert any(line.startswith("福山区把") and line.endswith("群众满意度达到96.8%。")
               for line in lines)


def test_latin_words_keep_their_spaces_and_a_hyphen_at_a_line_end(read):
    lines, _ = read("markers")
    assert "well-established teacher-rotation scheme known as “County Management, " in lines[-2]


def test_what_was_removed_is_reported(read):
    assert read("compilation")[1] == [
        "removed 3 page numbers (—1— … —3—)",
        "removed 3 running header or footer lines: '2021年典型工作案例汇编' (3×)"]
    assert read("markers")[1][0] == "removed 3 page numbers (第1页共3页 … 第3页共3页)"


def test_headers_of_odd_and_even_pages_are_both_removed_and_a_year_alone_stays(read):
    lines, notes = read("furniture")
    assert notes[1] == ("removed 4 running header or footer lines: '2021年典型工作案例汇编' (2×), "
                        "'山东省人民政府教育督导委员会办公室' (2×)")
    assert lines[-1] == "2021"


def test_a_compilation_read_from_pdf_parses_into_its_items(read):
    lines, _ = read("compilation")
    parsed = parse_text("\n".join(lines), source="compilation.pdf")
    assert [(s.name, len(s.items)) for s in parsed.sections] == [
        ("烟台市", 3), ("威海市", 3), ("日照市", 3)]
    assert parsed.sections[0].items[2].text.endswith("引入Google Classroom等online learning平台，"
                                                     "乡村学校课程开齐率达到100%。")


def test_the_shipped_document_set_ragged_right_parses_into_its_48_cases(read):
    lines, notes = read("shipped-ragged")
    parsed = parse_text("\n".join(lines), source="shipped-ragged.pdf")
    assert [len(s.items) for s in parsed.sections] == [3] * 16
    assert notes == ["removed 6 page numbers (1 … 6)"]


# Paragraphs from lines, by their layout -------------------------------------------------------

EM = 10.0


def line(text: str, y: float, x0: float = 50.0) -> tuple:
    """A line of `text` at height `y`: words at the widths a CJK font (one em) and a Latin one
    (half an em) give them, a space of a quarter em between words."""
    words, x = [], x0
    for word in text.split(" "):
        width = sum(EM if pdf.is_wide(c) else EM / 2 for c in word)
        words.append((word, x, y, x + width, y + 13.0))
        x += width + EM / 4
    return make_line(words)


def page(*lines) -> list[Page]:
    return [Page(1, 400, 600, tuple(lines))]


RIGHT = 50 + 30 * EM  # a frame 30 ems wide


def full(text: str, y: float, x0: float = 50.0) -> tuple:
    """A line that runs to the frame's right edge, as a justified line does."""
    made = line(text, y, x0)
    return pdf.Line(made.text, made.x0, made.y0, RIGHT, made.y1, made.em, made.lead)


def test_a_wrapped_line_joins_the_next_and_a_short_one_ends_its_paragraph():
    lines = page(full("第一段的第一行写满了整行文字内容", 0, x0=70), full("第二行也写满了整行", 18),
                 line("最后一行短。", 36), full("第二段没有缩进但上一行短所以是新段落", 54),
                 line("完。", 72))
    assert paragraphs(lines) == ["第一段的第一行写满了整行文字内容第二行也写满了整行最后一行短。",
                                 "第二段没有缩进但上一行短所以是新段落完。"]


def test_an_indent_a_gap_and_a_numbering_marker_each_start_a_paragraph():
    lines = page(full("满行", 0), full("缩进的新段落", 18, x0=70), full("满行", 36),
                 full("隔开的新段落", 80), full("满行", 98), full("（二）编号", 116),
                 full("满行", 134), full("①圈号", 152), full("满行", 170),
                 full("【案例2】标题", 188))
    assert paragraphs(lines) == ["满行", "缩进的新段落满行", "隔开的新段落满行", "（二）编号满行",
                                 "①圈号满行", "【案例2】标题"]


def test_latin_lines_join_with_a_space_and_cjk_lines_without():
    lines = page(full("The county adopted", 0), line("a plan.", 18),
                 full("采用 STEM", 36), line("教育。", 54))
    assert paragraphs(lines) == ["The county adopted a plan.", "采用STEM教育。"]


def test_a_line_end_hyphen_is_dropped_only_where_it_clearly_split_a_word():
    lines = page(full("the interoperability of inter-", 0), full("operability and well-", 18),
                 full("known teacher-", 36), line("rotation.", 54))
    assert paragraphs(lines) == [
        "the interoperability of interoperability and well-known teacher-rotation."]


def test_a_soft_hyphen_at_a_line_end_is_dropped():
    assert paragraphs(page(full("inter\u00ad", 0), line("operability", 18))) == [
        "interoperability"]


def test_a_next_word_that_would_have_fitted_means_the_line_was_ended():
    lines = page(full("a line as wide as the frame", 0), line("ragged, with room for", 18),
                 line("next", 36))
    assert paragraphs(lines) == ["a line as wide as the frame ragged, with room for", "next"]


# Page furniture in text without positions (pypdf) ---------------------------------------------

def test_page_numbers_in_chinese_styles_are_removed():
    text, _ = strip_page_furniture(["一、甲市\n1.做法。\n第 3 页", "2.做法二。\n3/12"])
    assert text == "一、甲市\n1.做法。\n2.做法二。"


def test_a_number_that_does_not_count_the_pages_is_text():
    text, notes = strip_page_furniture(["一、甲市\n1.做法。\n- 1 -", "2.办法。\n2021\n- 2 -",
                                        "3.措施。\n- 3 -"])
    assert text == "一、甲市\n1.做法。\n2.办法。\n2021\n3.措施。"
    assert notes == ["removed 3 page numbers (- 1 - … - 3 -)"]


def test_headers_alternating_between_odd_and_even_pages_are_removed():
    items = ("1.做法。", "2.办法。", "3.措施。", "4.经验。")
    pages = [f"{'汇编' if n % 2 else '教育厅'}\n{item}\n{n}" for n, item in enumerate(items, 1)]
    text, notes = strip_page_furniture(pages)
    assert text == "\n".join(items)
    assert notes[1] == "removed 4 running header or footer lines: '汇编' (2×), '教育厅' (2×)"


def test_a_heading_atop_several_pages_is_not_a_running_header():
    pages = ["Chapter 1\n正文。\n- 1 -", "Chapter 3\n正文二。\n- 2 -", "Chapter 4\n正文三。\n- 3 -"]
    text, _ = strip_page_furniture(pages)
    assert text.split("\n")[::2] == ["Chapter 1", "Chapter 3", "Chapter 4"]


# Hostile and broken files ---------------------------------------------------------------------

@pytest.mark.parametrize(("content", "reason"), [
    ((FIXTURES / "compilation.pdf").read_bytes()[:30000], "not a readable PDF"),
    (b"not really a PDF", "not a readable PDF"),
    (b"", "not a readable PDF"),
    (b"%PDF-1.4\n" + bytes(range(256)) * 64, "not a readable PDF"),
])
def test_a_broken_pdf_is_refused_with_what_to_do(tmp_path, content, reason):
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=f"broken.pdf: {reason}.*export it again"):
        pdf_to_text(path)


def test_a_pdf_without_any_text_is_refused_as_a_scan(tmp_path):
    from tests.corpus.test_formats import make_pdf

    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []]))
    with pytest.raises(CorpusError, match="scan.pdf: the PDF has no text layer"):
        pdf_to_text(path)


def test_pages_without_text_in_a_pdf_with_text_are_reported(tmp_path):
    from tests.corpus.test_formats import make_pdf

    path = tmp_path / "partly.pdf"
    path.write_bytes(make_pdf([["一、甲市", "1.做法。"], []]))
    text, notes = pdf_to_text(path)
    assert text == "一、甲市\n1.做法。"
    assert notes == ["1 page without text (2): scanned? Its text is not in the document"]


def test_a_password_protected_pdf_is_refused_with_what_to_do(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(FIXTURES / "compilation.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    with pytest.raises(CorpusError, match="locked.pdf: the PDF is password-protected"):
        pdf_to_text(path)


def test_a_file_name_that_looks_like_an_option_or_a_command_is_only_a_file_name(tmp_path):
    path = tmp_path / "-l 1; echo owned >x.pdf"
    path.write_bytes((FIXTURES / "compilation.pdf").read_bytes())
    text, _ = pdf_to_text(path)
    assert text.split("\n") == expected("compilation") and not (tmp_path / "x").exists()


SLOW = [sys.executable, "-c", "import time; time.sleep(30)"]
CHATTY = [sys.executable, "-c", "import sys; sys.stdout.write('x' * 10**6)"]


def test_a_reader_that_runs_too_long_is_stopped():
    with pytest.raises(CorpusError, match="x.pdf: reading the PDF took longer than 0 s"):
        run_tool(SLOW, lambda chunk: None, timeout=0.3, limit=1000, source="x.pdf")


def test_a_reader_that_writes_too_much_is_stopped():
    with pytest.raises(CorpusError, match="x.pdf: the PDF's text is larger than 0 MB"):
        run_tool(CHATTY, lambda chunk: None, timeout=10, limit=1000, source="x.pdf")


def test_without_poppler_the_pdf_is_read_with_pypdf_and_the_report_says_so(monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    text, notes = pdf_to_text(FIXTURES / "compilation.pdf")
    assert notes[0] == pdf.NO_POPPLER_NOTE and "install poppler-utils" in notes[0]
    assert "一、烟台市" in text.split("\n")


@pytest.mark.parametrize(("limit", "message"), [
    ("MAX_PAGE_LAYOUT", "page 1 holds more text than a page can"),
    ("MAX_PDF_CHARS", "more than 100 characters of text; split it"),
])
def test_a_pdf_with_more_text_than_a_document_may_have_is_refused(monkeypatch, limit, message):
    monkeypatch.setattr(pdf, limit, 100)
    with pytest.raises(CorpusError, match=f"compilation.pdf: {message}"):
        pdf_to_text(FIXTURES / "compilation.pdf")
