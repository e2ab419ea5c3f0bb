"""The case finder: each common layout of a compilation read into the right cases, titles and
places, and the first layout read exactly as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document

from corpus.errors import CorpusError
from corpus.load import DEFAULT_DATA_DIR, load_document, parse_document

SHIPPED = DEFAULT_DATA_DIR / "shandong-2020-education-duty-cases.txt"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def read(path: Path, **meta):
    return parse_document(path, {"id": "doc", **meta})


NATIONAL = """2021年全国义务教育典型案例

一、浙江省以数字化改革为抓手，推进教育治理现代化

浙江省建设“教育魔方”平台，汇集全省学校、教师、学生数据，实现教育决策从经验判断向数据支撑转变。

平台上线以来，全省11个设区市全部接入，累计服务师生1000余万人次。

二、广西壮族自治区着力解决乡村教师住房困难

自治区财政安排专项资金，在乡镇学校建设教师周转宿舍2.3万套，解决了乡村教师住宿难题。
"""

DISTRICTS = """青岛市教育系统典型案例汇编（2022年）

案例一　崂山区：打造“家门口”的好学校
【基本情况】崂山区地处青岛东部，辖4个街道，共有中小学52所。
【主要做法】一是实施集团化办学，组建教育集团8个。二是推动教师交流轮岗，每年交流教师300人。
【取得成效】全区义务教育优质均衡发展通过国家督导评估。

案例二　黄岛区：校车进村，接送无忧
【基本情况】黄岛区农村学生占比高，上学路程远。
【主要做法】全区投入校车186辆，开通线路212条，实现农村学生乘车全覆盖。
"""

TOPICS = """2022年全省教育工作典型经验报告

一、加强教师队伍建设

（一）破解教师住宿难题。青岛市新建教师公寓1200套，优先保障乡村教师和新入职教师住宿，教师满意度达到98%。

（二）推进县管校聘改革。烟台市福山区推行“县管校聘”，全区交流轮岗教师560人，城乡师资配置更加均衡。

二、推动学前教育普惠发展

（一）扩大普惠资源。潍坊市新建改扩建公办幼儿园120所，新增学位3.6万个，普惠性幼儿园覆盖率达到91%。
"""

NUMBERED_BLOCKS = """2023年烟台市基础教育典型案例

典型案例1
龙口市：课后服务“一校一案”
龙口市全面推行课后服务，所有义务教育学校实现课后服务全覆盖，参与学生比例达到95%。
课后服务课程包括体育、艺术、科技等100余门。

典型案例2
莱阳市：乡村小规模学校提质增效
莱阳市对全市46所乡村小规模学校实施“强校带弱校”行动，开展联合教研活动200余次。
"""


def test_the_first_layout_reads_as_before_48_cases_same_ids():
    doc, cases = load_document(SHIPPED)
    assert len(cases) == 48 and cases[0].id == "sd2020-jinan-1"
    assert cases[-1].id == "sd2020-heze-3"
    assert all(case.place_level == "city" and case.places == ("山东省", case.city)
               and case.place_from == "heading" and case.case_title == "" for case in cases)
    # What the first reader made of it, saved before the outline reader replaced it.
    before = json.loads((Path(__file__).parent / "fixtures" / "shandong-cases.json")
                        .read_text(encoding="utf-8"))
    assert [{name: getattr(case, name) for name in before[0]} for case in cases] == before


def test_titled_cases_of_a_national_compilation_take_their_province(tmp_path):
    doc, cases, report = read(write(tmp_path, "n.txt", NATIONAL))
    assert (doc.year, doc.province) == (2021, "")  # from the title line; no one province
    assert [c.city for c in cases] == ["浙江省", "广西壮族自治区"]
    assert [c.province for c in cases] == ["浙江省", "广西壮族自治区"]
    assert cases[0].case_title == "浙江省以数字化改革为抓手，推进教育治理现代化"
    assert cases[0].text.startswith("浙江省建设“教育魔方”平台") and "平台上线以来" in cases[0].text
    assert cases[1].place_level == "province" and cases[1].id == "doc-guangxi-1"
    assert report.reading.layout == "titled"


def test_case_blocks_with_parts_keep_their_parts_and_take_the_district(tmp_path):
    _, cases, _ = read(write(tmp_path, "q.txt", DISTRICTS))
    assert [(c.city, c.case_title) for c in cases] == [
        ("崂山区", "打造“家门口”的好学校"), ("黄岛区", "校车进村，接送无忧")]
    assert cases[0].places == ("山东省", "青岛市", "崂山区") and cases[0].place_level == "county"
    assert cases[0].text.startswith("【基本情况】") and "【取得成效】" in cases[0].text


def test_a_topic_reports_items_are_cases_placed_by_their_text(tmp_path):
    _, cases, report = read(write(tmp_path, "t.txt", TOPICS, "gb18030"))
    assert [c.places[-1] for c in cases] == ["青岛市", "福山区", "潍坊市"]
    assert [c.place_from for c in cases] == ["text"] * 3
    assert cases[0].case_title == "破解教师住宿难题"
    assert report.reading.level == 2


def test_numbered_blocks_take_the_next_line_as_their_heading(tmp_path):
    _, cases, _ = read(write(tmp_path, "h.txt", NUMBERED_BLOCKS, "utf-16"))
    assert [(c.city, c.case_title) for c in cases] == [
        ("龙口市", "课后服务“一校一案”"), ("莱阳市", "乡村小规模学校提质增效")]
    assert cases[0].places == ("山东省", "烟台市", "龙口市")
    assert cases[0].text.startswith("龙口市全面推行课后服务")


def test_a_word_table_gives_one_case_a_row(tmp_path):
    document = Document()
    document.add_paragraph("2022年威海市义务教育典型案例汇总表")
    table = document.add_table(rows=1, cols=4)
    for cell, header in zip(table.rows[0].cells, ["序号", "县（市、区）", "案例名称", "主要做法"],
                            strict=True):
        cell.text = header
    for number, (place, title, text) in enumerate([
            ("环翠区", "校车安全管理", "环翠区投入校车80辆，配备随车照管员，安装北斗定位系统。"),
            ("荣成市", "乡村教师周转房", "荣成市建设教师周转房500套，解决乡村教师住宿困难。")], 1):
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text, cells[3].text = str(number), place, title, text
    document.save(tmp_path / "w.docx")
    doc, cases, report = read(tmp_path / "w.docx")
    assert doc.year == 2022 and report.reading.layout == "rows"
    assert [(c.city, c.case_title, c.place_from) for c in cases] == [
        ("环翠区", "校车安全管理", "table"), ("荣成市", "乡村教师周转房", "table")]
    assert cases[1].places == ("山东省", "威海市", "荣成市")
    assert cases[1].text.startswith("荣成市建设")


def test_word_headings_topics_above_titled_cases(tmp_path):
    document = Document()
    document.add_paragraph("2022年全省教育改革典型案例")
    document.add_paragraph("学前教育", style="Heading 1")
    document.add_paragraph("临沂市兰山区：普惠幼儿园扩容", style="Heading 2")
    document.add_paragraph("兰山区新建公办幼儿园30所，新增学位9000个，普惠性幼儿园覆盖率达到92%。")
    document.add_paragraph("职业教育", style="Heading 1")
    document.add_paragraph("淄博市：产教融合实训基地", style="Heading 2")
    document.add_paragraph("淄博市建设产教融合实训基地20个，与企业共建专业60个，订单培养学生3000人。")
    document.save(tmp_path / "j.docx")
    _, cases, _ = read(tmp_path / "j.docx", province="山东省")
    assert [(c.places[-1], c.case_title) for c in cases] == [
        ("兰山区", "普惠幼儿园扩容"), ("淄博市", "产教融合实训基地")]


def test_markdown_headings_are_read_as_headings(tmp_path):
    text = ("# 2022年全省课后服务典型案例\n\n## 济南市\n\n### 历下区：课后服务进社区\n\n"
            "历下区组织社区志愿者参与课后服务，覆盖学生3万人，家长满意度达到96%以上。\n\n"
            "## 青岛市\n\n### 市北区：托管服务延时\n\n市北区所有小学提供延时托管服务至18时，"
            "解决双职工家庭接送难题。\n")
    _, cases, _ = read(write(tmp_path, "m.md", text))
    assert [(c.city, c.case_title) for c in cases] == [
        ("历下区", "课后服务进社区"), ("市北区", "托管服务延时")]
    assert cases[1].places == ("山东省", "青岛市", "市北区")


def test_every_line_is_accounted_for(tmp_path):
    text = NATIONAL.replace("2021年全国义务教育典型案例\n", "2021年全国义务教育典型案例\n\n"
                            "为总结推广各地经验，现将典型案例汇编如下。\n")
    _, cases, report = read(write(tmp_path, "n.txt", text))
    assert len(cases) == 2
    assert [block.text for block in report.reading.other] == [
        "为总结推广各地经验，现将典型案例汇编如下。"]
    assert "not cases (1 lines" in report.report()


def test_a_case_with_no_place_is_warned_about_and_place_can_be_given(tmp_path):
    text = ("2022年典型案例\n\n一、以改革促发展\n\n"
            "学校推行弹性上下学时间，家长接送更方便，受到普遍欢迎。\n")
    _, cases, report = read(write(tmp_path, "x.txt", text), province="山东省")
    assert cases[0].city == "" and any("no place found" in w for w in report.warnings)
    _, cases, report = read(write(tmp_path, "x.txt", text), province="山东省", place="章丘区")
    assert cases[0].places == ("山东省", "济南市", "章丘区") and cases[0].place_from == "option"
    assert not any("no place found" in w for w in report.warnings)


def test_the_case_level_can_be_chosen(tmp_path):
    _, cases, report = read(write(tmp_path, "t.txt", TOPICS), case_level=1)
    assert len(cases) == 2 and report.reading.level == 1
    with pytest.raises(CorpusError, match="no headings at that level"):
        read(write(tmp_path, "t.txt", TOPICS), case_level=5)


def test_a_document_with_no_structure_is_refused_with_a_reason(tmp_path):
    with pytest.raises(CorpusError, match="nothing reads as a case"):
        read(write(tmp_path, "p.txt", "2022年的一段话\n\n没有任何标题的正文。\n"))


def test_a_year_must_come_from_somewhere(tmp_path):
    with pytest.raises(CorpusError, match="names no year"):
        read(write(tmp_path, "n.txt", NATIONAL.replace("2021年", "")))


def test_places_that_slug_alike_get_distinct_ids(tmp_path):
    text = ("2022年全国典型案例\n\n一、北京市朝阳区：学区制改革\n\n朝阳区推进学区制改革，"
            "组建学区12个，促进优质资源共享。\n\n二、长春市朝阳区：智慧校园\n\n朝阳区建设智慧校园"
            "60所，实现宽带网络全覆盖。\n")
    _, cases, _ = read(write(tmp_path, "c.txt", text))
    assert [c.places for c in cases] == [("北京市", "朝阳区"), ("吉林省", "长春市", "朝阳区")]
    assert len({c.id for c in cases}) == 2


def test_the_dry_run_report_shows_outline_cases_and_places(tmp_path):
    _, _, report = read(write(tmp_path, "q.txt", DISTRICTS))
    text = report.report()
    assert "outline:" in text and "level 1 '案例一': 2 headings" in text
    assert "cases: titled" in text
    assert "doc-laoshan-1  崂山区 (county/district: 山东省 › 青岛市 › 崂山区; heading)" in text


def test_bold_paragraphs_are_headings_when_word_has_no_heading_style(tmp_path):
    document = Document()
    document.add_paragraph().add_run("2023年青岛市义务教育典型案例").bold = True
    for title, text in [
            ("崂山区：课后服务进社区", "崂山区组织社区志愿者参与课后服务，覆盖学生3万人。"),
            ("市北区：托管服务延时", "市北区所有小学提供延时托管服务至18时，解决接送难题。")]:
        document.add_paragraph().add_run(title).bold = True
        document.add_paragraph(text)
    document.save(tmp_path / "bold.docx")
    doc, cases, _ = read(tmp_path / "bold.docx")
    assert doc.title == "2023年青岛市义务教育典型案例"
    assert [(c.city, c.case_title) for c in cases] == [
        ("崂山区", "课后服务进社区"), ("市北区", "托管服务延时")]


def test_points_inside_titled_cases_stay_inside_them(tmp_path):
    text = ("2022年全国教育数字化典型案例\n\n一、以数字化改革为抓手推进教育治理现代化\n\n"
            "浙江省建设“教育魔方”平台，汇集全省学校、教师、学生数据。主要做法：\n"
            "1.统一数据标准，建成全省教育数据仓。\n2.开发应用，家长办事一次不用跑。\n\n"
            "二、着力解决乡村教师住房困难\n\n广西壮族自治区财政安排专项资金，建设教师周转宿舍"
            "2.3万套。\n1.科学规划选址。\n2.严格建设标准。\n")
    _, cases, _ = read(write(tmp_path, "k.txt", text))
    assert [(c.places, c.place_from) for c in cases] == [
        (("浙江省",), "text"), (("广西壮族自治区",), "text")]
    assert "2.开发应用" in cases[0].text


def test_place_and_title_lines_head_cases_in_a_text_with_no_numbers(tmp_path):
    text = ("2023年青岛市课后服务典型案例\n\n崂山区：课后服务进社区\n崂山区组织社区志愿者参与课后"
            "服务，覆盖学生3万人，家长满意度达到96%。\n\n市北区：托管服务延时\n市北区所有小学"
            "提供延时托管服务至18时，解决双职工家庭接送难题。\n")
    _, cases, _ = read(write(tmp_path, "p.txt", text))
    assert [(c.city, c.case_title) for c in cases] == [
        ("崂山区", "课后服务进社区"), ("市北区", "托管服务延时")]


def _table_document(path: Path, *, full_cases_before: bool, heading: str | None = None) -> Path:
    document = Document()
    document.add_paragraph("2022年威海市义务教育典型案例")
    cases = [("环翠区", "校车安全管理", "环翠区投入校车80辆，配备随车照管员，安装北斗定位系统，"
              "实现校车运行全程监控，家长可在手机上查看校车位置。"),
             ("荣成市", "乡村教师周转房", "荣成市建设教师周转房500套，解决乡村教师住宿困难，"
              "青年教师拎包入住，乡村教师流失率明显下降。")]
    if full_cases_before:
        for number, (place, title, text) in enumerate(cases, start=1):
            document.add_paragraph(f"案例{number}　{place}：{title}")
            document.add_paragraph(text)
        document.add_paragraph("附表：典型案例汇总")
    if heading:
        document.add_paragraph(heading)
    table = document.add_table(rows=1, cols=3)
    for cell, header in zip(table.rows[0].cells, ["县（市、区）", "案例名称", "主要做法"],
                            strict=True):
        cell.text = header
    for place, title, text in cases:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = place, title
        cells[2].text = text[:12] if full_cases_before else text
    document.save(path)
    return path


def test_a_summary_table_after_the_full_cases_does_not_replace_them(tmp_path):
    _, cases, report = read(_table_document(tmp_path / "s.docx", full_cases_before=True))
    assert report.reading.layout == "titled" and len(cases) == 2
    assert cases[1].text.startswith("荣成市建设教师周转房500套")


def test_a_table_of_cases_under_a_heading_is_read_by_its_rows(tmp_path):
    path = _table_document(tmp_path / "h.docx", full_cases_before=False, heading="一、义务教育")
    _, cases, report = read(path)
    assert report.reading.layout == "rows"
    assert [(c.city, c.case_title) for c in cases] == [
        ("环翠区", "校车安全管理"), ("荣成市", "乡村教师周转房")]


# Documents an outside review wrote, each a layout the reader first got wrong.

def test_page_numbers_and_notes_belong_to_no_case(tmp_path):
    text = ("2021年各市履行教育职责典型工作案例\n\n一、济南市\n\n"
            "1.全面落实教育投入，支出增长9.6%。\n\n"
            "2.新建改扩建中小学幼儿园100所，新增学位8万个。\n\n- 2 -\n\n二、青岛市\n\n"
            "1.新招聘教师5000名。\n\n2.组建教育集团90个。\n\n注：数据截至2021年底。\n")
    _, cases, report = read(write(tmp_path, "r.txt", text), province="山东省")
    assert [c.text for c in cases] == ["全面落实教育投入，支出增长9.6%。",
                                       "新建改扩建中小学幼儿园100所，新增学位8万个。",
                                       "新招聘教师5000名。", "组建教育集团90个。"]
    assert [c.case_title for c in cases] == ["", "", "", ""]
    assert [b.text for b in report.reading.other] == ["- 2 -", "注：数据截至2021年底。"]


def test_place_lines_under_a_topic_are_cases_of_their_own(tmp_path):
    text = ("2022年山东省强校提质典型案例\n一、城区学校扩优\n济南市历下区：实施集团化办学\n"
            "历下区组建14个教育集团，新增优质学位8000个。\n青岛市市南区：打造特色学校\n"
            "市南区建成省级特色学校25所。\n以上案例由各地报送。\n")
    _, cases, report = read(write(tmp_path, "t.txt", text))
    assert [(c.places[-1], c.case_title) for c in cases] == [
        ("历下区", "实施集团化办学"), ("市南区", "打造特色学校")]
    assert [b.text for b in report.reading.other] == ["以上案例由各地报送。"]


def test_an_unnumbered_case_label_marks_each_case(tmp_path):
    text = ("2021年湖北省帮扶典型案例\n\n【典型案例】恩施州：推进精准帮扶\n恩施州建成教育专网，"
            "为2300所农村学校开通同步课堂。\n\n【典型案例】长阳县：建设温馨校园\n长阳县投入1.5亿元"
            "改善乡村学校食宿条件。\n")
    _, cases, _ = read(write(tmp_path, "p.txt", text))
    assert [(c.places[-1], c.case_title) for c in cases] == [
        ("恩施土家族苗族自治州", "推进精准帮扶"), ("长阳土家族自治县", "建设温馨校园")]


def test_a_markdown_title_above_one_bold_place_line(tmp_path):
    text = ("# 2023年山东省乡村教育振兴典型案例\n\n**沂水县：推进乡村学校建设**\n\n"
            "沂水县改造提升乡村小规模学校86所。\n")
    doc, cases, _ = read(write(tmp_path, "m.md", text))
    assert doc.title == "2023年山东省乡村教育振兴典型案例"
    assert [(c.city, c.case_title) for c in cases] == [("沂水县", "推进乡村学校建设")]


def test_a_short_pdf_keeps_its_place_lines_apart():
    pdf = Path(__file__).parent / "fixtures" / "pdf" / "short-place-lines.pdf"
    _, cases, _ = parse_document(pdf, {"id": "w"})
    assert [(c.city, c.case_title) for c in cases] == [
        ("沂水县", "推进乡村学校建设"), ("莒南县", "实施乡村教师暖心工程")]


def _table(document: Document, rows: list[list[str]]) -> None:
    table = document.add_table(rows=0, cols=len(rows[0]))
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value


def test_a_table_without_a_header_row_is_read_by_what_its_columns_hold(tmp_path):
    document = Document()
    document.add_paragraph("2020年江苏省教育现代化典型案例")
    _table(document, [
        ["1", "昆山市", "推进区域教育现代化", "昆山市建成现代化学校120所，生均经费居全省前列。"],
        ["2", "海安市", "打造海安教育品牌", "海安市打造教科研品牌，教育质量多年位居全省前列。"]])
    document.save(tmp_path / "n.docx")
    _, cases, _ = read(tmp_path / "n.docx")
    assert [(c.places[-1], c.case_title) for c in cases] == [
        ("昆山市", "推进区域教育现代化"), ("海安市", "打造海安教育品牌")]


def test_the_most_specific_place_column_names_the_case(tmp_path):
    document = Document()
    document.add_paragraph("2021年浙江省县域教共体建设典型案例")
    _table(document, [
        ["设区市", "县（市、区）", "案例名称", "主要做法"],
        ["杭州市", "淳安县", "城乡教共体同步课堂", "淳安县组建城乡教共体32个，开展同步课堂2万节。"],
        ["丽水市", "遂昌县", "山区县教共体数字化", "遂昌县建设教共体数字平台，备课教研一体化。"]])
    document.save(tmp_path / "c.docx")
    _, cases, _ = read(tmp_path / "c.docx")
    assert [c.places for c in cases] == [("浙江省", "杭州市", "淳安县"),
                                         ("浙江省", "丽水市", "遂昌县")]


def test_cases_in_the_text_and_others_in_a_table_are_all_read(tmp_path):
    document = Document()
    document.add_paragraph("2021年福建省教育扶贫典型案例")
    document.add_paragraph("一、寿宁县：实施一县一校帮扶")
    document.add_paragraph("寿宁县与福州市优质学校结对，开展送教下乡200场，培训乡村教师300人。")
    document.add_paragraph("二、其他地区做法")
    _table(document, [["地区", "案例名称", "主要做法"],
                      ["南平市", "建设乡村温馨校园", "南平市建成乡村温馨校园80所，改善寄宿条件。"]])
    document.save(tmp_path / "t.docx")
    _, cases, report = read(tmp_path / "t.docx")
    assert [c.city for c in cases] == ["寿宁县", "南平市"]
    assert report.reading.layout == "titled and rows"


def test_a_place_named_after_its_title_in_brackets_or_after_a_dash(tmp_path):
    text = ("2023年青岛市基础教育典型案例\n\n案例1：构建家校社协同育人新格局（胶州）\n"
            "该市建立三级家长学校，培训家长12万人次。\n\n案例2：推行课后服务模式——市北区教育局\n"
            "全区中小学每周5天开展课后服务，每天至少2小时。\n")
    _, cases, _ = read(write(tmp_path, "b.txt", text))
    assert [(c.places[-1], c.case_title) for c in cases] == [
        ("胶州市", "构建家校社协同育人新格局"), ("市北区", "推行课后服务模式")]


def test_a_notice_above_the_compilation_is_not_its_title(tmp_path):
    text = ("山东省教育厅\n\n鲁教基字〔2022〕12号\n\n山东省教育厅关于印发家庭教育典型案例的通知\n\n"
            "各市教育局：\n现将典型案例印发给你们，请学习借鉴。\n\n全省中小学校家庭教育典型案例\n\n"
            "一、张店区：建设家庭教育数字平台\n张店区建成家庭教育云平台，上线微课500节。\n")
    doc, cases, report = read(write(tmp_path, "n.txt", text))
    assert (doc.title, doc.year, doc.province) == ("全省中小学校家庭教育典型案例", 2022, "山东省")
    assert [c.places[-1] for c in cases] == ["张店区"]
    assert "山东省教育厅" in [b.text for b in report.reading.other]
    assert "document: year 2022 (from the text), province 山东省 (from the text)" in \
        report.report()


def test_a_title_wrapped_over_two_lines_is_joined(tmp_path):
    text = ("附件2\n\n2022年河南省深化教育领域综合改革\n典型案例汇编\n\n"
            "一、郑州市：推进强校带弱校\n郑州市组建教育集团150个，覆盖中小学600所。\n")
    doc, _, report = read(write(tmp_path, "w.txt", text))
    assert doc.title == "2022年河南省深化教育领域综合改革典型案例汇编"
    assert report.reading.other == ()


def test_zero_width_characters_are_taken_out_of_places_and_reported(tmp_path):
    text = ("2022年典型案例\n\n一、青\u200b岛市：推进课后服务\n"
            "青岛市所有小学提供课后服务，覆盖学生50万人。\n")
    _, cases, report = read(write(tmp_path, "z.txt", text))
    assert cases[0].city == "青岛市" and cases[0].places == ("山东省", "青岛市")
    assert any("U+200B" in note for note in report.warnings)


# What an independent review of the reader found, each now held.

def _bold(document: Document, text: str) -> None:
    document.add_paragraph().add_run(text).bold = True


def test_a_line_break_inside_a_word_paragraph_moves_no_heading(tmp_path):
    document = Document()
    document.add_paragraph("2022年山东省教育改革典型案例")
    note = document.add_paragraph("说明：本汇编收录各地典型案例")
    note.add_run().add_break()
    note.add_run("供学习借鉴")
    for place, title in [("崂山区", "打造家门口好学校"), ("黄岛区", "推进集团化办学")]:
        _bold(document, f"{place}：{title}")
        document.add_paragraph(f"{place}改扩建学校十所，提升了办学质量和群众满意度。")
    document.save(tmp_path / "br.docx")
    _, cases, _ = read(tmp_path / "br.docx")
    assert [(c.city, c.case_title) for c in cases] == [
        ("崂山区", "打造家门口好学校"), ("黄岛区", "推进集团化办学")]


def test_bold_part_labels_stay_inside_their_case(tmp_path):
    document = Document()
    document.add_paragraph("2022年山东省教育改革典型案例")
    for place in ("崂山区", "黄岛区"):
        _bold(document, f"{place}：打造家门口好学校")
        _bold(document, "基本情况")
        document.add_paragraph(f"{place}有中小学五十所，在校生五万人。")
        _bold(document, "主要做法")
        document.add_paragraph("一是改扩建学校十所，二是新建学校五所。")
    document.save(tmp_path / "parts.docx")
    _, cases, _ = read(tmp_path / "parts.docx")
    assert [c.city for c in cases] == ["崂山区", "黄岛区"]
    assert "主要做法" in cases[0].text


def test_a_cell_merged_down_rows_places_every_row(tmp_path):
    document = Document()
    document.add_paragraph("2022年山东省教育改革典型案例")
    table = document.add_table(rows=4, cols=3)
    for r, row in enumerate([("设区市", "案例名称", "主要做法"),
                             ("青岛市", "打造家门口好学校", "改扩建学校十所，新建学校五所。"),
                             ("", "推进集团化办学", "组建教育集团二十个，优质资源共享。"),
                             ("济南市", "教师轮岗交流", "全市交流教师三千余人次。")]):
        for c, value in enumerate(row):
            if value:
                table.cell(r, c).text = value
    table.cell(1, 0).merge(table.cell(2, 0))
    document.save(tmp_path / "merged.docx")
    _, cases, _ = read(tmp_path / "merged.docx")
    assert [c.city for c in cases] == ["青岛市", "青岛市", "济南市"]


def test_one_section_that_is_no_place_keeps_the_first_reading(tmp_path):
    text = ("2022年山东省教育改革典型案例\n一、济南市\n1.济南市推进集团化办学，成效明显。\n"
            "二、青岛市\n1.崂山区打造家门口好学校，成效明显。\n2.黄岛区组建教育集团，优质资源共享。\n三、省属学校\n"
            "1.山东师范大学附属中学推进课程改革，成效明显。\n")
    _, cases, _ = read(write(tmp_path, "g.txt", text))
    assert [c.id for c in cases] == ["doc-jinan-1", "doc-qingdao-1", "doc-qingdao-2",
                                     "doc-shengshuxuexiao-1"]


def test_numbered_preface_points_do_not_outrank_the_place_headings(tmp_path):
    text = ("2022年山东省教育改革典型案例\n1.本汇编收录各市报送的典型案例。\n"
            "2.案例按行政区划排序。\n一、济南市\n1.济南市推进集团化办学，新建学校二十所。\n二、青岛市\n"
            "1.崂山区打造家门口好学校，改扩建学校十所。\n")
    _, cases, report = read(write(tmp_path, "e.txt", text))
    assert [c.city for c in cases] == ["济南市", "青岛市"]
    assert [b.line for b in report.reading.other] == [2, 3]


def test_a_case_heading_that_is_only_a_place_holds_one_case(tmp_path):
    text = ("2022年山东省教育改革典型案例\n案例一　崂山区\n近年来，崂山区改扩建学校十所。\n"
            "一是加强师资，全区交流教师三百人次。\n案例二　黄岛区\n黄岛区组建教育集团二十个。\n")
    _, cases, _ = read(write(tmp_path, "d.txt", text))
    assert [(c.city, c.case_title) for c in cases] == [("崂山区", ""), ("黄岛区", "")]
    assert "一是加强师资" in cases[0].text


def test_a_place_outside_the_documents_province_is_not_the_cases(tmp_path):
    text = ("2022年山东省教育改革典型案例\n一、推进集团化办学\n（一）学习借鉴浙江省经验，崂山区组建"
            "教育集团二十个，覆盖全区义务教育学校。\n")
    _, cases, _ = read(write(tmp_path, "m.txt", text))
    assert cases[0].places == ("山东省", "青岛市", "崂山区")


def test_the_ids_given_at_add_are_the_ids_of_every_later_load(tmp_path):
    text = ("关于印发典型经验的通知\n2022年福建省教育改革典型案例\n鼓楼区：打造家门口好学校\n"
            "鼓楼区改扩建学校十所，提升了办学质量。\n仓山区：推进集团化办学\n"
            "仓山区组建教育集团二十个。\n")
    doc, cases, _ = read(write(tmp_path, "c.txt", text))
    _, again, _ = read(tmp_path / "c.txt", year=doc.year, province=doc.province)
    assert [c.id for c in cases] == [c.id for c in again] == ["doc-gulou-1", "doc-cangshan-1"]


def test_a_closing_section_of_no_case_is_listed(tmp_path):
    text = TOPICS + "\n三、下一步工作打算\n\n下一步，我们将继续加大投入力度。\n"
    _, _, report = read(write(tmp_path, "t.txt", text))
    assert [b.text for b in report.reading.other][-2:] == [
        "下一步工作打算", "下一步，我们将继续加大投入力度。"]
