"""Word documents as offices send them: numbered by Word itself, headings in Heading styles,
and hostile archives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml

from corpus.errors import CorpusError
from corpus.formats import read_document_text
from corpus.load import DEFAULT_DATA_DIR, parse_document
from corpus.word import (
    MAX_COUNT,
    MAX_DOCX_UNPACKED,
    MAX_LABEL,
    Numbering,
    StyleSheet,
    _Paragraph,
    _section_heading_level,
    format_number,
)

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
META = {"year": 2022, "province": "河北省", "id": "hb2022"}
FAKE_CLI = Path(__file__).resolve().parents[1] / "fake_casesearch.py"


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
    assert parsed.reading.outline.styles_in_order()[:2] == ["（一）", "①"]


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


def zip_bomb(path: Path) -> Path:
    """A .docx small on disk whose main part unpacks past the reader's cap."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        chunk = b"\0" * (16 * 1024 * 1024)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            for _ in range(MAX_DOCX_UNPACKED // len(chunk) + 2):
                member.write(chunk)
    return path


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    bomb = zip_bomb(tmp_path / "bomb.docx")
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


def finishes_within(seconds: float, work):
    """`work()`'s result, or a failed test if it runs longer than `seconds` (a loop or a
    quadratic walk on a crafted file); an exception it raises is raised here."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def styled_in_a_cycle(names: tuple[str, ...], *, entry: bool = False,
                      numbered: bool = False) -> WordWriter:
    """A document whose styles `names` are each based on the next, the last on the first
    (one name: a style based on itself); a paragraph uses the first (or a style based on it).
    """
    word = WordWriter()
    styles = [word.document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH) for name in names]
    for style, base in zip(styles, styles[1:] + styles[:1], strict=True):
        style.base_style = base
    if numbered:
        items = word.list_definition(("decimal", "%1."))
        styles[-1].element.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {W_NS}><w:numId w:val="{items}"/></w:numPr>'))
    used = styles[0].name
    if entry:
        outer = word.document.styles.add_style("Entry", WD_STYLE_TYPE.PARAGRAPH)
        outer.base_style = styles[0]
        used = "Entry"
    for line in ["2022年典型案例", "一、甲市"]:
        word.paragraph(line)
    word.paragraph("1.推进课后服务全覆盖，参与学生比例达到95%。", style=used)
    return word


@pytest.mark.parametrize(("names", "entry", "numbered"), [
    (("Self",), False, False), (("Self",), False, True), (("A", "B"), False, False),
    (("A", "B", "C"), False, False), (("A", "B", "C"), True, False), (("A", "B"), True, True),
])
def test_a_style_based_on_itself_is_refused_and_named(tmp_path, names, entry, numbered):
    path = styled_in_a_cycle(names, entry=entry, numbered=numbered).save(tmp_path / "loop.docx")
    with pytest.raises(CorpusError) as raised:
        finishes_within(10, lambda: parse_document(path, META))
    message = str(raised.value)
    assert message.startswith("loop.docx: ") and "based on" in message
    assert f'"{names[0]}"' in message and "not a readable" not in message
    assert " → ".join(f'"{name}"' for name in (*names, names[0])) in message


def test_a_cycle_in_a_style_no_paragraph_uses_is_refused_too(tmp_path):
    word = styled_in_a_cycle(("Unused A", "Unused B"))
    word.document.paragraphs[-1].style = word.document.styles["Normal"]
    with pytest.raises(CorpusError, match='"Unused A"'):
        finishes_within(10, lambda: parse_document(word.save(tmp_path / "x.docx"), META))


def test_corpus_add_dry_run_on_a_style_cycle_returns_with_the_message(tmp_path):
    path = styled_in_a_cycle(("A", "B")).save(tmp_path / "loop.docx")
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    env = {**os.environ, "CASESEARCH_HOME": str(tmp_path / "home"),
           "CASESEARCH_DATA": str(data), "CASESEARCH_MODEL": "fake/char-ngrams",
           "CASESEARCH_SECOND_MODEL": "none"}
    done = subprocess.run(
        [sys.executable, str(FAKE_CLI), "corpus", "add", str(path), "--year", "2022",
         "--province", "河北省", "--id", "hb2022", "--dry-run"],
        capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert '"A" is based on itself through "B"' in done.stderr
    assert "Style based on" in done.stderr and "Nothing was changed" in done.stderr


def test_a_long_chain_of_styles_is_walked_once_per_style(tmp_path):
    word = WordWriter()
    styles = word.document.styles.element
    for number in range(1500):  # each based on the one before: deep, but not a cycle
        base = f"Deep{number - 1}" if number else "Normal"
        styles.append(parse_xml(
            f'<w:style {W_NS} w:type="paragraph" w:styleId="Deep{number}"><w:name '
            f'w:val="Deep {number}"/><w:basedOn w:val="{base}"/></w:style>'))
    word.paragraph("典型案例")
    for city in ("甲市", "乙市"):
        word.paragraph(city, style="Heading 2")
        for seq in range(1, 301):
            word.paragraph(f"{seq}.{city}推进课后服务全覆盖。")
            word.document.paragraphs[-1]._p.style = "Deep1499"
    path = word.save(tmp_path / "deep.docx")
    text, _ = finishes_within(20, lambda: read_document_text(path))
    assert "一、甲市" in text and "二、乙市" in text


def with_list(lvl: str, *, override: str = "", para_ilvl: str = "0",
              paragraphs: int = 1) -> WordWriter:
    """A document with typed sections whose items are numbered by one list: `lvl` is the
    level's XML (start, numFmt, lvlText), `override` a `w:lvlOverride` of its instance."""
    word = WordWriter()
    word.numbering.append(parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="7">{lvl}'
                                    f'</w:abstractNum>'))
    word.numbering.append(parse_xml(f'<w:num {W_NS} w:numId="8"><w:abstractNumId w:val="7"/>'
                                    f'{override}</w:num>'))
    word.paragraph("2022年典型案例")
    word.paragraph("一、甲市")
    for _ in range(paragraphs):
        paragraph = word.document.add_paragraph("推进课后服务全覆盖，参与学生比例达到95%。")
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {W_NS}><w:ilvl w:val="{para_ilvl}"/><w:numId w:val="8"/></w:numPr>'))
    return word


def level(start: str = "1", fmt: str = "decimal", text: str = "%1.", ilvl: str = "0") -> str:
    return (f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{text}"/></w:lvl>')


@pytest.mark.parametrize(("lvl", "override", "para_ilvl", "words"), [
    (level(start=str(10**9), fmt="upperRoman"), "", "0", "start value '1000000000'"),
    (level(start=str(2**31 - 1), fmt="upperLetter"), "", "0", "start value '2147483647'"),
    (level(start="32768"), "", "0", "start value '32768'"),
    (level(start="-1"), "", "0", "start value '-1'"),
    (level(start="abc"), "", "0", "start value 'abc'"),
    (level(ilvl="x"), "", "0", "level 'x'"),
    (level(ilvl="9"), "", "0", "level '9'"),
    (level(), '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1e9"/></w:lvlOverride>', "0",
     "start value '1e9'"),
    (level(), '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="-5"/></w:lvlOverride>', "0",
     "start value '-5'"),
    (level(), '<w:lvlOverride w:ilvl="y"><w:startOverride w:val="1"/></w:lvlOverride>', "0",
     "level 'y'"),
    (level(), "", "x", "paragraph 3: list level 'x'"),
    (level(), "", "12", "level '12'"),
    (level(text="%1" * 60), "", "0", "120 characters"),
])
def test_numbering_values_word_never_writes_are_refused_by_name(tmp_path, lvl, override,
                                                                 para_ilvl, words):
    path = with_list(lvl, override=override, para_ilvl=para_ilvl).save(tmp_path / "n.docx")
    with pytest.raises(CorpusError) as raised:
        finishes_within(5, lambda: read_document_text(path))
    message = str(raised.value)
    assert message.startswith("n.docx: ") and words in message
    assert "not a readable" not in message and "save it again" in message


@pytest.mark.parametrize(("fmt", "drawn"), [
    ("decimal", "32767."), ("upperRoman", "M" * 32 + "DCCLXVII."),
    ("lowerRoman", "m" * 32 + "dcclxvii."),
    ("decimalFullWidth", "３２７６７."), ("decimalEnclosedCircle", "32767."),
])
def test_a_list_may_start_at_word_s_largest_start_value(tmp_path, fmt, drawn):
    path = with_list(level(start=str(MAX_COUNT), fmt=fmt)).save(tmp_path / "n.docx")
    text, _ = finishes_within(5, lambda: read_document_text(path))
    assert text.splitlines()[2] == f"{drawn}推进课后服务全覆盖，参与学生比例达到95%。"


def test_a_list_that_counts_past_the_largest_start_value_is_refused(tmp_path):
    path = with_list(level(start=str(MAX_COUNT)), paragraphs=2).save(tmp_path / "n.docx")
    with pytest.raises(CorpusError, match=f"paragraph 4: .*counts past {MAX_COUNT}"):
        finishes_within(5, lambda: read_document_text(path))


@pytest.mark.parametrize("fmt", ["upperLetter", "lowerLetter"])
def test_letters_are_drawn_up_to_the_longest_label(tmp_path, fmt):
    last = 26 * MAX_LABEL  # drawn as MAX_LABEL letters: Z…Z
    path = with_list(level(start=str(last), fmt=fmt, text="%1")).save(tmp_path / "n.docx")
    text, _ = finishes_within(5, lambda: read_document_text(path))
    assert text.splitlines()[2].startswith(("Z" if fmt == "upperLetter" else "z") * MAX_LABEL
                                           + "推进")
    path = with_list(level(start=str(last + 1), fmt=fmt)).save(tmp_path / "n.docx")
    with pytest.raises(CorpusError, match=f"paragraph 3: list 8 .* more than {MAX_LABEL} "
                                          f"characters; .*save it again"):
        finishes_within(5, lambda: read_document_text(path))


@pytest.mark.parametrize("fmt", ["decimal", "upperRoman", "lowerRoman", "upperLetter",
                                 "lowerLetter", "chineseCounting", "chineseLegalSimplified",
                                 "decimalFullWidth", "decimalEnclosedCircle",
                                 "ideographTraditional", "bullet", "unknownFormat"])
def test_every_format_is_bounded_at_and_beyond_the_cap(fmt):
    for value in (MAX_COUNT + 1, 10**9, 2**31 - 1, 10**100):
        with pytest.raises(CorpusError, match=f"more than {MAX_COUNT}"):
            finishes_within(1, lambda value=value: format_number(value, fmt))
    drawn = format_number(MAX_COUNT, fmt) if "Letter" not in fmt else format_number(
        26 * MAX_LABEL, fmt)
    assert len(drawn) <= MAX_LABEL


@pytest.mark.parametrize(("value", "roman"), [
    (1, "I"), (4, "IV"), (9, "IX"), (14, "XIV"), (40, "XL"), (90, "XC"), (400, "CD"),
    (1994, "MCMXCIV"), (3999, "MMMCMXCIX"), (4000, "MMMM"),
])
def test_roman_numerals(value, roman):
    assert format_number(value, "upperRoman") == roman


def with_list_style(*, loop: bool = False) -> WordWriter:
    """Sections numbered through a list style, as Word saves a Multilevel List › Define New
    List Style: the paragraphs' definition (`w:numStyleLink`) names the style, whose list
    holds the levels (`w:styleLink`). With `loop`, the style's list is that same definition."""
    word = WordWriter()
    word.document.styles.element.append(parse_xml(
        f'<w:style {W_NS} w:type="numbering" w:styleId="CaseList"><w:name w:val="Case List"/>'
        f'<w:pPr><w:numPr><w:numId w:val="{"41" if loop else "31"}"/></w:numPr></w:pPr>'
        f'</w:style>'))
    word.numbering.append(parse_xml(
        f'<w:abstractNum {W_NS} w:abstractNumId="30"><w:styleLink w:val="CaseList"/>'
        f'{level(fmt="chineseCounting", text="%1、")}</w:abstractNum>'))
    word.numbering.append(parse_xml(
        f'<w:abstractNum {W_NS} w:abstractNumId="40"><w:numStyleLink w:val="CaseList"/>'
        f'</w:abstractNum>'))
    for num_id, abstract_id in (("31", "30"), ("41", "40")):
        word.numbering.append(parse_xml(f'<w:num {W_NS} w:numId="{num_id}"><w:abstractNumId '
                                        f'w:val="{abstract_id}"/></w:num>'))
    word.paragraph("2022年典型案例")
    for city in ("甲市", "乙市"):
        word.paragraph(city, "41")
        word.paragraph(f"1.{city}推进课后服务全覆盖。")
    return word


def test_a_list_defined_by_a_list_style_is_drawn_in_that_style(tmp_path):
    _, cases, parsed = parse_document(with_list_style().save(tmp_path / "s.docx"), META)
    assert [s.name for s in parsed.sections] == ["甲市", "乙市"] and len(cases) == 2


def test_a_list_style_defined_by_its_own_list_is_refused(tmp_path):
    path = with_list_style(loop=True).save(tmp_path / "s.docx")
    with pytest.raises(CorpusError, match='list style "Case List" .* 40 → 40.*Define New List'):
        finishes_within(5, lambda: read_document_text(path))


def test_many_restarted_lists_are_drawn_in_linear_time():
    lists = 20000  # each instance restarts its definition: one set of counters per instance
    root = parse_xml(
        f'<w:numbering {W_NS}><w:abstractNum w:abstractNumId="1">{level()}</w:abstractNum>'
        + "".join(f'<w:num w:numId="{n}"><w:abstractNumId w:val="1"/><w:lvlOverride '
                  f'w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'
                  for n in range(2, lists + 2)) + "</w:numbering>")
    numbering = Numbering.from_element(root)

    drawn = finishes_within(5, lambda: [numbering.draw(str(n), 0) for n in range(2, lists + 2)])
    assert set(drawn) == {"1."}


def test_many_headings_are_read_in_linear_time():
    paragraphs = [_Paragraph("甲市", None, 2) for _ in range(150000)]
    lines = [p.text for p in paragraphs]
    assert finishes_within(5, lambda: _section_heading_level(paragraphs, lines)) is None


def test_a_long_chain_of_list_styles_is_followed_once():
    chain = 5000  # definition n names list style n, numbered by definition n + 1
    styles = StyleSheet(parse_xml(
        f'<w:styles {W_NS}>' + "".join(
            f'<w:style w:type="numbering" w:styleId="L{n}"><w:pPr><w:numPr><w:numId '
            f'w:val="{n + 1}"/></w:numPr></w:pPr></w:style>' for n in range(chain))
        + "</w:styles>"))
    root = parse_xml(
        f'<w:numbering {W_NS}>' + "".join(
            f'<w:abstractNum w:abstractNumId="{n}"><w:numStyleLink w:val="L{n}"/>'
            f'</w:abstractNum>' for n in range(chain))
        + f'<w:abstractNum w:abstractNumId="{chain}">{level(fmt="upperRoman")}</w:abstractNum>'
        + "".join(f'<w:num w:numId="{n}"><w:abstractNumId w:val="{n}"/></w:num>'
                  for n in range(chain + 1)) + "</w:numbering>")
    numbering = finishes_within(5, lambda: Numbering.from_element(root, styles))
    assert numbering.draw("0", 0) == "I." and numbering.draw("0", 0) == "II."


def test_control_characters_in_word_paragraphs_are_removed_and_reported(tmp_path):
    word = WordWriter()
    sections = word.list_definition(("chineseCounting", "%1、"))
    word.paragraph("\u202e2022年典型案例")
    word.paragraph("\u2066甲市\u2069", sections)  # XML 1.0 holds C1 and bidi, not C0
    word.paragraph("1.推进\x85课后服务\x9b全覆盖，参与学生比例达到95%。")
    _, cases, parsed = parse_document(word.save(tmp_path / "c.docx"), META)
    assert (parsed.title, cases[0].city) == ("2022年典型案例", "甲市")
    assert cases[0].text == "推进 课后服务全覆盖，参与学生比例达到95%。"
    assert "removed 4 invisible control characters (U+202E, U+2066, U+2069, U+009B)" in \
        parsed.warnings
    assert "read 1 break inside a line (U+0085) as a space" in parsed.warnings


def test_a_style_s_name_is_shown_without_its_control_characters(tmp_path):
    path = styled_in_a_cycle(("\u202eTrick",)).save(tmp_path / "loop.docx")
    with pytest.raises(CorpusError, match='style "Trick" is based on itself'):
        finishes_within(10, lambda: parse_document(path, META))
