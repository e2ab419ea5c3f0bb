"""The parser reads the layout exactly and refuses what it cannot place, naming the line."""

from __future__ import annotations

import pytest

from corpus.errors import CorpusFormatError
from corpus.parse import chinese_numeral, parse_text

GOOD = """附件

某某典型工作案例
一、甲市

1.第一条做法。

2.第二条做法，
接续的一行。
二、乙市
1.乙市的做法。
"""


def test_reads_title_sections_and_items():
    parsed = parse_text(GOOD)
    assert parsed.title == "某某典型工作案例"
    assert [(s.ordinal, s.name) for s in parsed.sections] == [(1, "甲市"), (2, "乙市")]
    assert [i.seq for i in parsed.sections[0].items] == [1, 2]


def test_joins_a_paragraph_wrapped_over_lines():
    item = parse_text(GOOD).sections[0].items[1]
    assert item.text == "第二条做法，接续的一行。"
    assert item.line == 8


def test_heading_right_after_an_item_starts_a_new_section():
    first, second = parse_text(GOOD).sections
    assert "乙市" not in first.items[-1].text
    assert second.items[0].text == "乙市的做法。"


def test_a_paragraph_starting_with_a_decimal_is_not_an_item():
    parsed = parse_text("一、甲市\n1.投入\n2.5亿元用于建设。\n")
    assert [i.text for i in parsed.sections[0].items] == ["投入2.5亿元用于建设。"]


@pytest.mark.parametrize(("text", "line", "words"), [
    ("一、甲市\n1.a\n3.b\n", 3, "expected 2"),
    ("一、甲市\n1.a\n1.b\n", 3, "expected 2"),
    ("一、甲市\n2.a\n", 2, "expected 1"),
    ("标题\n1.a\n", 2, "before any section"),
    ("一、甲市\n1.a\n\n无编号的段落\n", 4, "outside a numbered item"),
    ("一、甲市\n二、乙市\n1.a\n", 1, "no numbered items"),
    ("一、甲市\n1.a\n三、丙市\n1.b\n", 3, "expected 2"),
    ("一、甲市\n1.\n", 2, "no text"),
    ("", 1, "no section heading"),
    ("标题\n", 1, "no section heading"),
])
def test_unreadable_structure_names_the_line(text, line, words):
    with pytest.raises(CorpusFormatError) as info:
        parse_text(text, source="doc.txt")
    assert info.value.line == line
    assert words in str(info.value)
    assert str(info.value).startswith(f"doc.txt:{line}:")


@pytest.mark.parametrize(("numeral", "value"), [
    ("一", 1), ("九", 9), ("十", 10), ("十二", 12), ("十六", 16), ("二十", 20), ("二十三", 23),
    ("一百零五", 105),
])
def test_chinese_numerals(numeral, value):
    assert chinese_numeral(numeral) == value


@pytest.mark.parametrize(("text", "section_style", "item_style"), [
    ("（一）甲市\n（1）甲的做法。\n（2）又一做法。\n（二）乙\n（1）乙的做法。\n",
     "（一）", "（1）"),
    ("第一部分 甲市\n1、甲的做法。\n2、又一做法。\n第二部分：乙\n1、乙的做法。\n",
     "第一部分", "1."),
    ("一、甲市\n①甲的做法。\n②又一做法。\n二、乙\n①乙的做法。\n", "一、", "①"),
    ("第1章 甲市\n1.甲的做法。\n2.又一做法。\n第2章 乙\n1.乙的做法。\n", "第一部分", "1."),
])
def test_numbering_styles(text, section_style, item_style):
    parsed = parse_text(text)
    assert (parsed.section_style, parsed.item_style) == (section_style, item_style)
    assert [s.name for s in parsed.sections] == ["甲市", "乙"]
    assert [len(s.items) for s in parsed.sections] == [2, 1]
    assert parsed.sections[0].items[1].text == "又一做法。"


def test_sub_points_in_another_style_stay_in_their_item():
    parsed = parse_text("一、甲市\n1.主要做法：\n（1）第一点；\n（2）第二点。\n2.另一做法。\n")
    first, second = parsed.sections[0].items
    assert first.text == "主要做法：（1）第一点；（2）第二点。" and second.seq == 2


def test_circled_numbers_must_run_in_order():
    with pytest.raises(CorpusFormatError, match="expected 2"):
        parse_text("一、甲市\n①做法一。\n③做法三。\n")


def test_the_report_lists_sections_items_and_warnings():
    parsed = parse_text("标题\n一、甲市\n1.做法。\n2.一个相当完整的做法说明。\n")
    report = parsed.report()
    assert "1 sections, 2 items" in report and "甲市: 2 items" in report
    assert "item 1 has only 3 characters" in report


def test_control_characters_in_the_text_are_removed_or_spaced_and_reported():
    parsed = parse_text("标\x07题\n一、济\x0b南市\n"
                        "1.做法\u202e内容\x00足够\x9f长。\x85接续\t部分\n", source="doc.txt")
    assert parsed.title == "标题"
    assert parsed.sections[0].name == "济 南市"
    assert parsed.sections[0].items[0].text == "做法内容足够长。 接续 部分"
    assert "removed 4 invisible control characters (U+0007, U+202E, U+0000, U+009F)" in \
        parsed.warnings
    assert "read 2 breaks inside a line (U+000B, U+0085) as spaces" in parsed.warnings


def test_a_line_number_still_counts_lines_as_an_editor_does_after_cleaning():
    with pytest.raises(CorpusFormatError) as info:
        parse_text("一、甲市\x0c乙\n1.a\u2028b\x1c\n3.c\n")
    assert info.value.line == 3


def test_a_text_without_control_characters_has_no_such_warning():
    assert not any("control" in warning for warning in parse_text(GOOD).warnings)


@pytest.mark.parametrize("numeral", ["3一", "一2", "9" * 5000])
def test_a_section_number_that_is_no_number_names_its_line(numeral):
    with pytest.raises(CorpusFormatError) as info:
        parse_text(f"第一部分 甲市\n1.做法。\n第{numeral}部分 乙市\n1.做法。\n", source="doc.txt")
    assert info.value.line == 3 and "not a number" in str(info.value)
