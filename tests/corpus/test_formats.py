"""Reading documents by format: Markdown, Word, and PDF with page furniture removed."""

from __future__ import annotations

import codecs

import pytest

from corpus.errors import CorpusError
from corpus.formats import markdown_to_text, read_document_text, read_text
from corpus.load import parse_document
from corpus.pdf import strip_page_furniture

META = {"year": 2021, "province": "P", "title": "T", "id": "x"}


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal PDF with a text layer: one line per string, top to bottom (an empty string
    leaves a line blank), in a CID font whose ToUnicode map gives the text back (no glyphs are
    embedded: it is read, not displayed)."""
    chars = sorted({c for lines in pages for line in lines for c in line})
    cid = {c: i + 1 for i, c in enumerate(chars)}
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap "
            "/CMapName /X def 1 begincodespacerange <0000> <FFFF> endcodespacerange "
            f"{len(chars)} beginbfchar "
            + " ".join(f"<{cid[c]:04X}> <{ord(c):04X}>" for c in chars)
            + " endbfchar endcmap CMapName currentdict /CMap defineresource pop end end")
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>", None,
        "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H "
        "/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo "
        "<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        f"<< /Length {len(cmap)} >>\nstream\n{cmap}\nendstream",
    ]
    kids = []
    for lines in pages:
        shown = " ".join("<" + "".join(f"{cid[c]:04X}" for c in line) + "> Tj T*"
                         for line in lines)
        body = f"BT /F1 11 Tf 72 760 Td 14 TL {shown} ET"
        objects.append(f"<< /Length {len(body)} >>\nstream\n{body}\nendstream")
        content = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n"
            f"startxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)


def test_a_pdf_is_read_without_its_page_numbers_and_running_header(tmp_path):
    path = tmp_path / "cases.pdf"
    path.write_bytes(make_pdf([  # the header and footer in the margins, two lines apart
        ["2021年典型案例汇编", "", "", "一、石家庄", "1.建设智慧校园，全市中小学",
         "实现千兆光纤进校园。", "", "", "- 1 -"],
        ["2021年典型案例汇编", "", "", "2.推进集团化办学，组建教育集团56个。", "二、保定市",
         "1.实施乡村教师安居工程。", "", "", "第 2 页"],
    ]))
    text, notes = read_document_text(path)
    assert "典型案例汇编" not in text and "- 1 -" not in text and "第 2 页" not in text
    assert notes == ["removed 2 page numbers (- 1 - … 第 2 页)",
                     "removed 2 running header or footer lines: '2021年典型案例汇编' (2×)"]
    doc, cases, parsed = parse_document(path, META)
    assert [(c.city, c.seq) for c in cases] == [("石家庄", 1), ("石家庄", 2), ("保定市", 1)]
    assert cases[0].text == "建设智慧校园，全市中小学实现千兆光纤进校园。"
    assert [c.id for c in cases] == ["x-shijiazhuang-1", "x-shijiazhuang-2", "x-baoding-1"]
    assert parsed.warnings[0].startswith("removed 2 page numbers")


def test_a_pdf_without_text_is_refused(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[]]))
    with pytest.raises(CorpusError, match="no text layer"):
        read_document_text(path)


def test_a_broken_file_is_refused(tmp_path):
    for name in ("broken.pdf", "broken.docx"):
        path = tmp_path / name
        path.write_bytes(b"not really")
        with pytest.raises(CorpusError, match="not a readable"):
            read_document_text(path)


def test_unsupported_formats_are_refused(tmp_path):
    path = tmp_path / "cases.rtf"
    path.write_text("x")
    with pytest.raises(CorpusError, match="unsupported format"):
        read_document_text(path)


def test_page_numbers_in_chinese_styles_are_removed():
    text, _ = strip_page_furniture(["一、甲市\n1.做法。\n第 3 页", "2.做法二。\n3/12"])
    assert text == "一、甲市\n1.做法。\n2.做法二。"


def test_markdown_markers_are_removed_line_for_line():
    source = "# 标题\n\n## 一、甲市\n- **1.** 做法。\n> 2. 引用的做法。"
    assert markdown_to_text(source) == "标题\n\n一、甲市\n1. 做法。\n2. 引用的做法。"


def test_a_pdf_with_too_many_pages_is_refused_before_reading_them(tmp_path, monkeypatch):
    import corpus.pdf as pdf

    path = tmp_path / "long.pdf"
    path.write_bytes(make_pdf([["一、甲市"], ["1.做法。"], ["2.做法。"]]))
    monkeypatch.setattr(pdf, "MAX_PDF_PAGES", 2)
    with pytest.raises(CorpusError, match="3 pages, more than the 2"):
        read_document_text(path)


@pytest.mark.parametrize("suffix", [".pdf", ".txt"])
def test_an_oversized_file_is_refused_before_reading_it(tmp_path, monkeypatch, suffix):
    import corpus.formats as formats
    import corpus.pdf as pdf

    path = tmp_path / f"big{suffix}"
    path.write_bytes(b"x" * 3 * 1024 * 1024)
    monkeypatch.setattr(pdf, "MAX_PDF_BYTES", 2 * 1024 * 1024)
    monkeypatch.setattr(formats, "MAX_TEXT_BYTES", 2 * 1024 * 1024)
    with pytest.raises(CorpusError, match="3 MB is more than the 2 MB"):
        read_document_text(path)


def test_a_pdf_whose_objects_are_garbage_is_refused_with_a_message(tmp_path):
    data = make_pdf([["一、甲市", "1.做法。"]])
    path = tmp_path / "mangled.pdf"
    path.write_bytes(data[:40] + bytes(range(256)) * 8 + data[40:200])
    with pytest.raises(CorpusError, match="mangled.pdf"):
        read_document_text(path)


def test_control_characters_in_a_pdf_s_text_are_removed_and_reported(tmp_path):
    path = tmp_path / "cases.pdf"
    path.write_bytes(make_pdf([["2021年\x07典型案例", "一、石家\x0b庄", "1.建设\x00智慧校园，"
                                "全市中小学实现千兆\x1b光纤进校园。"]]))
    doc, cases, parsed = parse_document(path, {**META, "title": None})
    # poppler reads U+000B and U+0000 as the blank their glyphs leave: a space.
    assert (doc.title, cases[0].city) == ("2021年典型案例", "石家 庄")
    assert cases[0].text == "建设 智慧校园，全市中小学实现千兆光纤进校园。"
    assert "removed 2 invisible control characters (U+0007, U+001B)" in parsed.warnings


# Text files in the encodings offices save them in --------------------------------------------

SIMPLIFIED = "附件\n2021年典型案例\n一、济南市\n1.新建改扩建中小学校144所，实现“应配尽配”。\n"
TRADITIONAL = ("臺北市推動校園數位學習，全市國民中小學已完成「班班有網路」建設，"
               "並培訓教師三千餘人。\n")


@pytest.mark.parametrize(("text", "data", "note"), [
    (SIMPLIFIED, SIMPLIFIED.encode("utf-8"), None),
    (SIMPLIFIED, SIMPLIFIED.encode("utf-8-sig"), "read as UTF-8 with a byte order mark"),
    (SIMPLIFIED, SIMPLIFIED.encode("gbk"), "read as GB18030 (not UTF-8)"),
    (SIMPLIFIED, SIMPLIFIED.encode("gb18030"), "read as GB18030 (not UTF-8)"),
    (SIMPLIFIED, SIMPLIFIED.encode("utf-16"), "read as UTF-16 LE (not UTF-8)"),
    (SIMPLIFIED, codecs.BOM_UTF16_BE + SIMPLIFIED.encode("utf-16-be"),
     "read as UTF-16 BE (not UTF-8)"),
    (SIMPLIFIED, SIMPLIFIED.encode("utf-32"), "read as UTF-32 LE (not UTF-8)"),
    (SIMPLIFIED, SIMPLIFIED.encode("utf-16-le"),
     "read as UTF-16 LE (not UTF-8; it has no byte order mark)"),
    (SIMPLIFIED, SIMPLIFIED.encode("utf-16-be"),
     "read as UTF-16 BE (not UTF-8; it has no byte order mark)"),
    (TRADITIONAL, TRADITIONAL.encode("big5"), "read as Big5 (not UTF-8)"),
    (TRADITIONAL, TRADITIONAL.encode("gb18030"), "read as GB18030 (not UTF-8)"),
], ids=["utf-8", "utf-8-bom", "gbk", "gb18030", "utf-16-le-bom", "utf-16-be-bom", "utf-32",
        "utf-16-le", "utf-16-be", "big5", "traditional-in-gb18030"])
def test_a_text_in_each_encoding_reads_as_the_same_text_and_says_which(tmp_path, text, data,
                                                                      note):
    path = tmp_path / "cases.txt"
    path.write_bytes(data)
    assert read_document_text(path) == (text, [note] if note else [])
    assert read_text(path) == text


def test_a_short_gbk_text_that_big5_also_reads_is_read_as_gb18030(tmp_path):
    data = "中文".encode("gbk")
    assert data.decode("big5")  # the trap: it is Big5 too
    path = tmp_path / "short.txt"
    path.write_bytes(data)
    assert read_document_text(path) == ("中文", ["read as GB18030 (not UTF-8)"])


def test_markdown_in_gbk_is_read_and_its_markers_removed(tmp_path):
    path = tmp_path / "cases.md"
    path.write_bytes("# 标题\n## 一、甲市\n- **1.** 做法。\n".encode("gbk"))
    assert read_document_text(path) == ("标题\n一、甲市\n1. 做法。\n",
                                        ["read as GB18030 (not UTF-8)"])


def test_a_stray_nul_in_utf8_text_is_left_to_be_removed_and_reported(tmp_path):
    path = tmp_path / "cases.txt"
    path.write_bytes(SIMPLIFIED.encode().replace("济南".encode(), "济\x00南".encode()))
    assert read_document_text(path) == (SIMPLIFIED.replace("济南", "济\x00南"), [])


def test_utf8_with_a_bad_byte_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "cases.txt"
    path.write_bytes(SIMPLIFIED.encode() + "2.做法".encode() + b"\xff" + "。\n".encode())
    with pytest.raises(CorpusError, match=r"cases.txt:5: not UTF-8 text \(byte \d+\), though "
                                          r"the rest is; save the document as UTF-8"):
        read_document_text(path)


@pytest.mark.parametrize(("data", "reason"), [
    (bytes.fromhex("89504e470d0a1a0a0000000d494844520000") + bytes(range(256)),
     r"picture.txt:3: not text: it holds NUL bytes"),
    (bytes(range(1, 256)) * 8, r"picture.txt: not text in any encoding"),
    (b"\x01\x02\x03\x04\x05ab\x06\x07\x08" * 20, r"picture.txt: not text: read as UTF-8, 80% "
                                                 r"of it is control or private-use"),
    ("\ue000\ue001\ue002\ue003".encode() * 20, r"picture.txt: not text: read as UTF-8, 100%"),
    (codecs.BOM_UTF16_LE + b"\x00\xd8ab", r"picture.txt: starts with the byte order mark of "
                                          r"UTF-16 LE but is not UTF-16 LE text"),
], ids=["png", "binary-without-nul", "controls", "private-use", "bad-utf-16"])
def test_what_is_not_text_is_refused_naming_the_file(tmp_path, data, reason):
    path = tmp_path / "picture.txt"
    path.write_bytes(data)
    with pytest.raises(CorpusError, match=reason):
        read_document_text(path)
