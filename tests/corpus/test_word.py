"""Word documents as offices send them: numbered by Word itself, headings in Heading styles,
and hostile archives."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import parse_xml

from corpus.errors import CorpusError
from corpus.formats import read_document_text
from corpus.load import parse_document
from corpus.word import MAX_DOCX_UNPACKED, format_number

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
META = {"year": 2022, "province": "河北省", "id": "hb2022"}


class WordWriter:
    """Builds a .docx with its own numbering definitions, as Word saves them."""

    def __init__(self) -> None:
        self.document = Document()
        self.numbering = self.document.part.numbering_part.element
        self.next_id = 100

    def list_definition(self, *levels: tuple[str, str], start: int = 1) -> str:
        """A numbering instance (numId) whose levels are (numFmt, lvlText); returns numId."""
        abstract_id, num_id = str(self.next_id), str(self.next_id + 1)
        self.next_id += 2
        lvls = "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/></w:lvl>' for i, (fmt, text) in enumerate(levels))
        abstract = parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="{abstract_id}">{lvls}'
                             f'</w:abstractNum>')
        num = parse_xml(f'<w:num {W_NS} w:numId="{num_id}"><w:abstractNumId '
                        f'w:val="{abstract_id}"/></w:num>')
        first_num = self.numbering.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}num")
        if first_num is not None:
            first_num.addprevious(abstract)  # abstractNum elements come before num elements
        else:
            self.numbering.append(abstract)
        self.numbering.append(num)
        return num_id

    def restart(self, num_id: str, ilvl: int = 0, start: int = 1) -> str:
        """A new instance of the same definition that restarts at `start` (Word's "Restart
        numbering")."""
        abstract_id = self._abstract_of(num_id)
        new_id = str(self.next_id)
        self.next_id += 1
        self.numbering.append(parse_xml(
            f'<w:num {W_NS} w:numId="{new_id}"><w:abstractNumId w:val="{abstract_id}"/>'
            f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{start}"/>'
            f'</w:lvlOverride></w:num>'))
        return new_id

    def _abstract_of(self, num_id: str) -> str:
        for num in self.numbering.iter(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}num"):
            if num.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}numId") \
                    == num_id:
                return num[0].get(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")
        raise KeyError(num_id)

    def paragraph(self, text: str, num_id: str | None = None, ilvl: int = 0,
                  style: str | None = None) -> None:
        paragraph = self.document.add_paragraph(text, style=style)
        if num_id is not None:
            p_pr = paragraph._p.get_or_add_pPr()
            p_pr.append(parse_xml(f'<w:numPr {W_NS}><w:ilvl w:val="{ilvl}"/>'
                                  f'<w:numId w:val="{num_id}"/></w:numPr>'))

    def save(self, path: Path) -> Path:
        self.document.save(str(path))
        return path


def test_sections_and_items_numbered_by_word_parse_like_typed_numbers(tmp_path):
    word = WordWriter()
    sections = word.list_definition(("chineseCounting", "%1、"))
    word.paragraph("2022年河北省各市履行教育职责典型案例")
    cities = (("石家庄市", ["建设智慧校园，千兆光纤进校园。", "推进集团化办学，组建集团56个。"]),
              ("保定市", ["实施乡村教师安居工程，建成周转宿舍800套。"]))
    for city, items in cities:
        word.paragraph(city, sections)
        items_list = word.list_definition(("decimal", "%1."))
        for item in items:
            word.paragraph(item, items_list)
    doc, cases, parsed = parse_document(word.save(tmp_path / "auto.docx"), META)
    assert [(s.name, len(s.items)) for s in parsed.sections] == [("石家庄市", 2), ("保定市", 1)]
    assert parsed.title == "2022年河北省各市履行教育职责典型案例"
    assert [c.id for c in cases] == ["hb2022-shijiazhuang-1", "hb2022-shijiazhuang-2",
                                     "hb2022-baoding-1"]
    assert cases[2].text == "实施乡村教师安居工程，建成周转宿舍800套。"  # the number is not text
    assert any("Word's automatic numbering" in w for w in parsed.warnings)


def test_one_multilevel_list_with_chinese_sections_and_circled_items(tmp_path):
    word = WordWriter()
    outline = word.list_definition(("chineseCounting", "（%1）"), ("decimalEnclosedCircle", "%2"))
    word.paragraph("典型案例汇编")
    for city in ("甲市", "乙市", "丙市"):
        word.paragraph(city, outline, 0)
        word.paragraph(f"{city}的第一项做法，内容足够长。", outline, 1)
        word.paragraph(f"{city}的第二项做法，内容足够长。", outline, 1)
    text, _ = read_document_text(word.save(tmp_path / "outline.docx"))
    assert "（三）丙市" in text and "②乙市的第二项做法" in text  # level 2 restarts under level 1
    _, cases, parsed = parse_document(tmp_path / "outline.docx", META)
    assert len(parsed.sections) == 3 and len(cases) == 6
    assert (parsed.section_style, parsed.item_style) == ("（一）", "①")


def test_the_list_number_style_numbers_items_and_a_running_count_restarts_per_section(
        tmp_path):
    word = WordWriter()
    word.paragraph("典型案例")
    for city in ("甲市", "乙市"):
        word.paragraph(city, style="Heading 2")
        word.paragraph(f"{city}推进课后服务全覆盖。", style="List Number")
        word.paragraph(f"{city}建设公办幼儿园。", style="List Number")
    _, cases, parsed = parse_document(word.save(tmp_path / "styles.docx"), META)
    # Word draws 1, 2 then 3, 4 (one list); the sections come from the Heading style.
    assert [(c.city, c.seq) for c in cases] == [("甲市", 1), ("甲市", 2), ("乙市", 1), ("乙市", 2)]
    assert any("ran on across sections" in w for w in parsed.warnings)
    assert any("Heading style as section headings" in w for w in parsed.warnings)


def test_a_restarted_list_and_a_heading_title_above_the_sections(tmp_path):
    word = WordWriter()
    items = word.list_definition(("decimal", "%1、"))
    word.paragraph("2022年典型案例", style="Heading 1")
    word.paragraph("甲市", style="Heading 2")
    word.paragraph("做法一，内容足够长。", items)
    word.paragraph("做法二，内容足够长。", items)
    word.paragraph("乙市", style="Heading 2")
    word.paragraph("做法三，内容足够长。", word.restart(items))
    _, cases, parsed = parse_document(word.save(tmp_path / "restart.docx"), META)
    assert parsed.title == "2022年典型案例"
    assert [(c.city, c.seq) for c in cases] == [("甲市", 1), ("甲市", 2), ("乙市", 1)]
    assert not any("ran on" in w for w in parsed.warnings)  # Word itself restarted it


def test_typed_numbers_in_a_word_file_still_parse(tmp_path):
    word = WordWriter()
    for line in ["2022年某省典型案例", "一、甲市", "1.推进课后服务全覆盖，参与学生比例达到95%。"]:
        word.paragraph(line)
    _, cases, parsed = parse_document(word.save(tmp_path / "typed.docx"), META)
    assert len(cases) == 1 and parsed.warnings == ()


@pytest.mark.parametrize(("value", "fmt", "drawn"), [
    (3, "decimal", "3"), (12, "chineseCounting", "十二"), (21, "chineseCountingThousand", "二十一"),
    (4, "decimalEnclosedCircle", "④"), (2, "chineseLegalSimplified", "贰"),
    (3, "ideographTraditional", "丙"), (28, "lowerLetter", "bb"), (14, "upperRoman", "XIV"),
    (5, "bullet", ""), (7, "decimalFullWidth", "７"),
])
def test_word_number_formats(value, fmt, drawn):
    assert format_number(value, fmt) == drawn


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        chunk = b"\0" * (16 * 1024 * 1024)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(MAX_DOCX_UNPACKED // len(chunk) + 2):
                member.write(chunk)
    assert bomb.stat().st_size < 2 * 1024 * 1024  # small on disk, huge unpacked
    with pytest.raises(CorpusError, match="unpacks to .* MB"):
        read_document_text(bomb)


@pytest.mark.parametrize(("name", "content", "words"), [
    ("notzip.docx", b"this is not a zip archive", "not a readable Word"),
    ("truncated.docx", None, "not a readable Word"),
    ("badxml.docx", "<w:document><unclosed>", "not a readable Word"),
])
def test_a_corrupt_docx_is_refused_with_a_message(tmp_path, name, content, words):
    path = tmp_path / name
    if content is None:  # a real document cut in half
        whole = WordWriter()
        whole.paragraph("一、甲市")
        whole.save(tmp_path / "whole.docx")
        data = (tmp_path / "whole.docx").read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif isinstance(content, str):  # a valid zip whose main part is not XML
        whole = WordWriter()
        whole.paragraph("一、甲市")
        whole.save(tmp_path / "whole.docx")
        with zipfile.ZipFile(tmp_path / "whole.docx") as source, \
                zipfile.ZipFile(path, "w") as target:
            for item in source.infolist():
                data = source.read(item.filename)
                target.writestr(item, content if item.filename == "word/document.xml" else data)
    else:
        path.write_bytes(content)
    with pytest.raises(CorpusError, match=words) as raised:
        read_document_text(path)
    assert name in str(raised.value)
