"""Write the layout fixtures and the truth each is scored against (`<name>.expected.json`).

Invented but plausible compilations of education cases, one per layout real compilations use
(README.md beside this file lists them). Run once and commit the outputs, so that the tests
need neither LibreOffice nor this script:

    .venv/bin/python tests/corpus/layouts/make_fixtures.py

The output is deterministic: Word files get fixed metadata and zip timestamps, the PDF fixed
dates and ids (LibreOffice stamps them; the text and layout do not vary). Without LibreOffice
the PDF is left as committed. Every expected place chain is checked against jionlp's
divisions (the gazetteer the project uses), and every case body against 80–400 characters.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
FULL_SPACE = "\u3000"
ORDINALS = "一二三四五六七八九十"
FIXED_TIME = datetime(2024, 1, 1)
_NORMALIZE = re.compile(r"\s|\*\*")


@dataclass(frozen=True)
class Item:
    """One case as the document holds it, and what a reader must find for it."""

    place: str  # as written ("" when the case names none)
    places: tuple[str, ...]  # province first
    level: str  # province | city | county
    title: str  # the case's own title, "" if it has none
    body: tuple[str, ...]  # its paragraphs (or table cells), heading and title excluded
    group: str = ""  # the topic or part it sits under, for layouts that have them
    extra: dict = field(default_factory=dict)  # more truth for edge cases (see README.md)


@dataclass(frozen=True)
class Fixture:
    name: str  # the file's stem
    suffix: str
    layout: str
    encoding: str
    year: int
    province: str | None
    title: str
    items: tuple[Item, ...]
    render: Callable[[Fixture, Path], None]
    outcome: str = "cases"  # or "refused_or_warnings"
    note: str = ""


def text_starts(item: Item) -> str:
    """The first 12 characters of the case body, whitespace and Markdown bold marks removed."""
    return _NORMALIZE.sub("", "".join(item.body))[:12]


def body_length(item: Item) -> int:
    return len(_NORMALIZE.sub("", "".join(item.body)))


# -- plain-text renderers -------------------------------------------------------------------


def write_text(path: Path, lines: list[str], encoding: str, newline: str = "\n") -> None:
    text = newline.join(lines) + newline
    if encoding == "utf-16":  # with a byte-order mark, little-endian, as Notepad saves it
        path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    else:
        path.write_bytes(text.encode(encoding))


def render_titled_cases(fx: Fixture, path: Path) -> None:
    """`一、<place><doing what>` headings, each followed by unnumbered paragraphs."""
    lines = ["附件", "", fx.title, "", PREAMBLE[fx.name], ""]
    for number, item in enumerate(fx.items):
        lines += [f"{ORDINALS[number]}、{item.title}", *item.body, ""]
    write_text(path, lines, fx.encoding)


def render_topic_report(fx: Fixture, path: Path) -> None:
    """`一、<topic>` then `（一）<lead sentence>。<text naming a place>` items; CRLF lines."""
    lines = [fx.title, "", PREAMBLE[fx.name], ""]
    groups: list[str] = []
    for item in fx.items:
        if item.group not in groups:
            groups.append(item.group)
            lines.append(f"{ORDINALS[len(groups) - 1]}、{item.group}")
            count = 0
        count += 1
        lines.append(f"（{ORDINALS[count - 1]}）{item.title}。{''.join(item.body)}")
    lines += [f"{ORDINALS[len(groups)]}、下一步工作打算", CLOSING[fx.name]]
    write_text(path, lines, fx.encoding, newline="\r\n")


def render_case_blocks(fx: Fixture, path: Path) -> None:
    """`典型案例N` alone on a line, then `<place>：<title>`, then paragraphs; CRLF lines."""
    lines = [fx.title, "", PREAMBLE[fx.name], ""]
    for number, item in enumerate(fx.items, start=1):
        lines += [f"典型案例{number}", f"{item.place}：{item.title}", *item.body, ""]
    write_text(path, lines, fx.encoding, newline="\r\n")


def render_numbered_with_subpoints(fx: Fixture, path: Path) -> None:
    """Today's layout (`一、<place>`, `1.` items), with `（1）` sub-points on their own lines."""
    lines = ["附件", "", fx.title, ""]
    places: list[str] = []
    for item in fx.items:
        if item.place not in places:
            places.append(item.place)
            lines += ["", f"{ORDINALS[len(places) - 1]}、{item.place}", ""]
            count = 0
        count += 1
        lines += [f"{count}.{item.body[0]}", *item.body[1:]]
    write_text(path, lines, fx.encoding)


def render_markdown_blocks(fx: Fixture, path: Path) -> None:
    """`# title`, a quoted byline, `### 典型案例N：<place>——<title>` blocks with bold labels."""
    lines = [f"# {fx.title}", "", "> 四川省教育厅办公室　2023年11月", "", PREAMBLE[fx.name], ""]
    for number, item in enumerate(fx.items, start=1):
        lines += [f"### 典型案例{number}：{item.place}——{item.title}", ""]
        for paragraph in item.body:
            lines += [paragraph, ""]
    write_text(path, lines, fx.encoding)


def render_markdown_lazy_numbers(fx: Fixture, path: Path) -> None:
    """`## 一、<city>` sections whose items are all written `1.` (Markdown numbers them)."""
    lines = [f"# {fx.title}", ""]
    places: list[str] = []
    for item in fx.items:
        if item.place not in places:
            places.append(item.place)
            lines += [f"## {ORDINALS[len(places) - 1]}、{item.place}", ""]
        lines += [f"1. {item.body[0]}", ""]
    write_text(path, lines, fx.encoding)


def render_mixed(fx: Fixture, path: Path) -> None:
    """Three layouts in one file: numbered items, a 【案例3】 block, then a section whose first
    paragraph has no number and whose items are all `1.`."""
    lines = [fx.title, "", "一、石家庄市"]
    lines += [f"{n}.{item.body[0]}" for n, item in enumerate(fx.items[:2], start=1)]
    zhuozhou = fx.items[2]
    lines += ["", f"【案例3】{zhuozhou.place}：{zhuozhou.title}", *zhuozhou.body, ""]
    lines += ["三、唐山市", MIXED_TANGSHAN_INTRO]
    lines += [f"1.{item.body[0]}" for item in fx.items[3:]]
    write_text(path, lines, fx.encoding)


# -- Word and PDF renderers -----------------------------------------------------------------


def new_docx(title: str, title_style: str | None = None):
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = Document()
    core = document.core_properties
    core.author = core.last_modified_by = "办公室"
    core.created = core.modified = FIXED_TIME
    core.revision = 1
    paragraph = document.add_paragraph(title, style=title_style)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return document


def save_docx(document, path: Path) -> None:
    """Save with fixed zip timestamps, so the bytes depend on the content alone."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / path.name
        document.save(str(raw))
        with zipfile.ZipFile(raw) as source, zipfile.ZipFile(path, "w") as target:
            for info in source.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
                fixed.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(fixed, source.read(info.filename))


def render_docx_parts(fx: Fixture, path: Path) -> None:
    """Cases under `【基本情况】【主要做法】【取得成效】` labels, headed `案例一　<place>：<title>`
    typed as text (no Word numbering, no Heading styles)."""
    document = docx_with_headings(fx, lambda n, item: f"案例{ORDINALS[n]}{FULL_SPACE}"
                                                      f"{item.place}：{item.title}")
    save_docx(document, path)


def docx_with_headings(fx: Fixture, heading: Callable[[int, Item], str]):
    document = new_docx(fx.title)
    document.add_paragraph(PREAMBLE[fx.name])
    for number, item in enumerate(fx.items):
        document.add_paragraph(heading(number, item)).runs[0].bold = True
        for paragraph in item.body:
            document.add_paragraph(paragraph)
    return document


def render_pdf_bracketed(fx: Fixture, path: Path) -> None:
    """`【案例N】<place>：<title>` headings with `一、基本情况` part headings, as a PDF made by
    LibreOffice from a Word file."""
    soffice = shutil.which("soffice")
    if soffice is None:
        print(f"  soffice not found: {path.name} left as it is", file=sys.stderr)
        return
    document = docx_with_headings(fx, lambda n, item: f"【案例{n + 1}】{item.place}：{item.title}")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / f"{path.stem}.docx"
        save_docx(document, source)
        subprocess.run([soffice, "--headless", "-env:UserInstallation=file:///tmp/lo-layouts",
                        "--convert-to", "pdf", "--outdir", tmp, str(source)],
                       check=True, capture_output=True, timeout=180)
        path.write_bytes(fixed_pdf_stamps((Path(tmp) / f"{path.stem}.pdf").read_bytes()))


def fixed_pdf_stamps(pdf: bytes) -> bytes:
    """LibreOffice's dates, document ids and checksum replaced by fixed ones of the same
    length (so the cross-reference offsets stay right)."""
    def zeros(match: re.Match) -> bytes:
        return match.group(1) + re.sub(rb"[0-9A-Fa-f]", b"0", match.group(2))

    pdf = re.sub(rb"(/(?:CreationDate|ModDate)\s*\(D:)([0-9]{14})",
                 lambda m: m.group(1) + b"20240101000000", pdf)
    pdf = re.sub(rb"(/ID\s*\[\s*<)([0-9A-Fa-f]+)", zeros, pdf)
    pdf = re.sub(rb"(/DocChecksum\s*/)([0-9A-Fa-f]+)", zeros, pdf)
    return re.sub(rb"(>\s*<)([0-9A-Fa-f]+)(?=>\s*\])", zeros, pdf)


def render_docx_table(fx: Fixture, path: Path) -> None:
    """A title paragraph, then one table row per case under a header row."""
    document = new_docx(fx.title)
    document.add_paragraph("（按县（市、区）报送顺序排列）")
    table = document.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("序号", "县（市、区）", "案例名称", "主要做法",
                                                "成效"), strict=True):
        cell.text = text
    for number, item in enumerate(fx.items, start=1):
        cells = table.add_row().cells
        for cell, text in zip(cells, (str(number), item.place, item.title, *item.body),
                              strict=True):
            cell.text = text
    document.add_paragraph("徐州市教育局　2021年12月")
    save_docx(document, path)


def render_docx_autonumber(fx: Fixture, path: Path) -> None:
    """City headings in `Heading 1`, items in `List Number`: Word draws every number (and, as
    Word does unless told to restart, counts the items on across the cities)."""
    document = new_docx(fx.title, "Title")
    places: list[str] = []
    for item in fx.items:
        if item.place not in places:
            places.append(item.place)
            document.add_paragraph(item.place, style="Heading 1")
        document.add_paragraph(item.body[0], style="List Number")
    save_docx(document, path)


def render_docx_parts_headings(fx: Fixture, path: Path) -> None:
    """`第一部分　<topic>` in `Heading 1`, titled cases `<place>：<title>` in `Heading 2`."""
    document = new_docx(fx.title, "Title")
    groups: list[str] = []
    for item in fx.items:
        if item.group not in groups:
            groups.append(item.group)
            document.add_paragraph(f"第{ORDINALS[len(groups) - 1]}部分{FULL_SPACE}{item.group}",
                                   style="Heading 1")
        document.add_paragraph(f"{item.place}：{item.title}", style="Heading 2")
        for paragraph in item.body:
            document.add_paragraph(paragraph)
    save_docx(document, path)


# -- the documents ----------------------------------------------------------------------------

PREAMBLE = {
    "a-national-titled": "为深入贯彻落实党中央、国务院关于推进基础教育扩优提质的决策部署，"
                         "现将各地在实践中形成的典型经验予以印发，供各地学习借鉴。",
    "b-district-parts": "为总结推广各区（市）在落实教育重点工作中的经验做法，市教育局组织"
                        "遴选了一批典型案例，现汇编如下。",
    "c-bracket-numbered": "各区市坚持把教师队伍建设作为基础工作，在教师管理体制、乡村教师"
                          "支持和青年教师培养等方面探索形成了一批经验。",
    "d-topic-report": "2022年，全省教育系统深入贯彻党的教育方针，聚焦人民群众关心的突出"
                      "问题，推动基础教育和职业教育高质量发展。现将有关情况报告如下。",
    "g-markdown-blocks": "各地坚持以县域为单位推进义务教育优质均衡发展，现选编典型案例3个。",
    "h-utf16-case-blocks": "近年来，我省各地聚焦农村义务教育薄弱环节，改善办学条件，"
                           "现将部分县（区）典型做法汇编如下。",
    "y-no-place": "为推广各地校园安全工作经验，省教育厅遴选了以下典型案例。",
}
CLOSING = {
    "d-topic-report": "下一步，我们将继续加大投入力度，巩固学前教育普及普惠成果，推进县域"
                      "义务教育优质均衡发展，不断增强职业教育服务经济社会发展的能力。",
}
MIXED_TANGSHAN_INTRO = ("唐山市坚持立德树人根本任务，统筹推进家庭、学校、社会协同育人，"
                        "各项工作取得新进展。")

SD, QD, YT = "山东省", "青岛市", "烟台市"


def city(province: str, name: str) -> tuple[str, ...]:
    return (province, name)


A_ITEMS = (
    Item("浙江省", ("浙江省",), "province",
         "浙江省以数字化改革为抓手，推进义务教育课后服务提质增效",
         ("浙江省依托“浙里办”平台上线课后服务应用，家长可在手机上为孩子选择托管、社团和兴趣"
          "课程等服务项目，学校根据报名情况统筹安排师资和场地，实现课后服务“一键报名、全程可查”。",
          "全省建立“财政补助+服务性收费”的课后服务经费保障机制，对参与课后服务的教师给予补助，"
          "并将参与情况作为职称评聘、评优评先的重要参考；引进少年宫、科技馆、体育俱乐部等校外"
          "资源进校园，丰富服务内容。",
          "截至2022年秋季学期，全省义务教育学校课后服务实现全覆盖，学生参与率达到92.6%。")),
    Item("贵州省", ("贵州省",), "province",
         "贵州省实施乡村教师周转宿舍建设工程，让乡村教师安心从教",
         ("贵州省将乡村教师周转宿舍建设纳入省政府民生实事，按照“因地制宜、就近建设、够用"
          "适用”原则，优先保障边远乡镇学校和村小、教学点教师的住房需求，省级财政按每套5万元"
          "给予补助。",
          "2022年全省新建乡村教师周转宿舍6200套，配齐床、桌椅、热水器等基本生活设施，建立"
          "宿舍分配、管理和退出制度，确保周转宿舍用于在岗教师。",
          "乡村教师“住宿难”问题得到有效缓解，乡村学校教师流失率同比下降3.1个百分点。")),
    Item("江西省", ("江西省",), "province",
         "江西省多措并举扩充普惠性学前教育资源，破解“入园难”“入园贵”",
         ("江西省以县为单位编制幼儿园布局规划，利用闲置校舍、村级公共服务用房等改建幼儿园，"
          "每个乡镇至少办好1所公办中心幼儿园。",
          "全面开展城镇小区配套幼儿园治理，应交未交的配套园全部移交当地教育部门，办成公办园"
          "或普惠性民办园；落实普惠性民办幼儿园生均补助，合理确定收费标准，减轻家庭保教费负担。",
          "2022年全省新增公办学位8.6万个，普惠性幼儿园覆盖率达到88.5%。")),
    Item("黑龙江省", ("黑龙江省",), "province",
         "黑龙江省健全特殊教育保障机制，推动残疾儿童少年“应入尽入”",
         ("黑龙江省建立教育、民政、卫生健康、残联等部门数据比对机制，逐一摸排适龄残疾儿童"
          "少年底数，做到“一人一案”精准安置。",
          "对不能到校就读的重度残疾儿童少年，组织特殊教育学校和普通学校教师送教上门，每生每月"
          "送教不少于4次；将特殊教育学校生均公用经费标准提高到每生每年7000元。",
          "全省适龄残疾儿童少年义务教育入学率达到97%以上。")),
)

B_ITEMS = (
    Item("崂山区", (SD, QD, "崂山区"), "county", "实施“智慧护校”工程，织密校园安全防护网",
         ("【基本情况】崂山区现有中小学、幼儿园126所，部分学校地处山区，周边道路情况复杂，"
          "校园安全防控压力较大。",
          "【主要做法】区政府投入2800万元建设校园安全智慧管理平台，在全区学校出入口、周界和"
          "重点部位安装高清视频监控和一键报警装置，与公安110指挥中心联网；上下学时段实行"
          "“护学岗”制度，由公安民警、学校保安和家长志愿者共同在校门口值守。",
          "【取得成效】全区学校一键报警和视频监控联网率达到100%，连续三年未发生重大校园安全"
          "责任事故。")),
    Item("即墨区", (SD, QD, "即墨区"), "county", "推进城乡学校共同体建设，助力乡村学校振兴",
         ("【基本情况】即墨区农村学校数量多、规模小，部分乡村学校师资力量薄弱，音乐、美术、"
          "英语等学科教师结构性短缺。",
          "【主要做法】以城区优质学校为核心校，与28所乡村学校组建城乡学校共同体，实行管理"
          "同步、教研同步、考核捆绑；核心校每学期选派骨干教师到乡村学校任教，乡村学校教师到"
          "核心校跟岗学习，通过同步课堂向乡村学校输送紧缺学科课程。",
          "【取得成效】共同体内乡村学校全部开齐开足国家课程，学生学业水平合格率提高6.5个"
          "百分点。")),
    Item("平度市", (SD, QD, "平度市"), "county", "推行学生午餐“家校共管”，让家长吃下“定心丸”",
         ("【基本情况】平度市农村学校学生午餐主要由学校食堂供应，家长对饭菜质量和食品安全"
          "关注度高。",
          "【主要做法】全市中小学食堂全部实行“明厨亮灶”，后厨操作实时在线展示；成立有家长"
          "代表参加的膳食委员会，参与食谱制定、食材验收和满意度测评，学校负责人每天陪餐；"
          "大宗食材统一招标配送，建立食材溯源制度。",
          "【取得成效】学生午餐满意度达到96%，全市学校食堂全部达到食品安全A级标准。")),
)

C_ITEMS = (
    Item("福山区", (SD, YT, "福山区"), "county", "深化“县管校聘”管理改革，激活教师队伍一池春水",
         ("一、基本情况",
          "福山区义务教育学校教师城乡分布不均，城区学校超编与乡村学校缺编并存，教师交流轮岗"
          "动力不足。",
          "二、主要做法",
          "区教体局统筹管理全区教师编制和岗位，学校按岗竞聘、按需聘用，未竞聘上岗的教师参加"
          "跨校竞聘或由区里统一调剂；将到乡村学校任教经历作为职称评聘和评优的必要条件，每年"
          "交流轮岗教师不低于应交流人数的15%。",
          "三、取得成效",
          "近两年全区交流轮岗教师312人次，乡村学校骨干教师占比提高到31%。")),
    Item("莱州市", (SD, YT, "莱州市"), "county", "健全乡村教师支持体系，让乡村教师“下得去、留得住”",
         ("一、基本情况",
          "莱州市乡村学校分布广，青年教师流动性大，部分教学点长期依靠临时代课。",
          "二、主要做法",
          "按照学校偏远程度分三档发放乡村教师生活补助，每人每月300元至800元；为在乡村学校"
          "从教满20年、30年的教师颁发荣誉证书；职称评审单列乡村教师名额，向长期在乡村任教的"
          "教师倾斜。",
          "三、取得成效",
          "近三年乡村学校新入职教师流失率由12%降至4%。")),
    Item("招远市", (SD, YT, "招远市"), "county", "实施新教师“青蓝工程”，促进青年教师快速成长",
         ("一、基本情况",
          "招远市近三年新招聘教师600余人，新教师占比高，课堂教学和班级管理经验不足。",
          "二、主要做法",
          "为每名新教师确定一名骨干教师作为导师，签订师徒协议，明确三年培养目标；开展新教师"
          "入职培训、课堂教学达标和教学基本功比赛，为每名新教师建立成长档案。",
          "三、取得成效",
          "新教师三年内课堂教学达标率达到98%，40余名青年教师在烟台市优质课评选中获奖。")),
)

D_ITEMS = (
    Item("青岛市", city(SD, QD), "city", "扩充普惠性学前教育资源",
         ("青岛市新建、改扩建公办幼儿园126所，新增学位3.8万个，对普惠性民办幼儿园按照每生每年"
          "1200元标准给予补助，全市普惠性幼儿园覆盖率达到91.2%，“入园难”问题得到有效缓解。",),
         group="着力补齐学前教育短板"),
    Item("寿光市", (SD, "潍坊市", "寿光市"), "county", "提升幼儿园保育教育质量",
         ("寿光市实施幼儿园“强镇带村”工程，由镇中心幼儿园统一管理村办幼儿园的人员、经费和"
          "保教业务，定期组织联合教研和巡回指导，坚决纠正“小学化”倾向，村办幼儿园全部达到"
          "省定办园标准。",),
         group="着力补齐学前教育短板"),
    Item("沂南县", (SD, "临沂市", "沂南县"), "county", "加强乡村小规模学校建设",
         ("沂南县保留并办好42所乡村小规模学校和教学点，对不足100人的按100人核拨公用经费，"
          "统筹安排音体美教师跨校走教，让山区孩子在家门口上好学；县财政每年安排专项资金改善小规模学校的食堂和冬季取暖条件。",),
         group="推动义务教育优质均衡发展"),
    Item("德州市", city(SD, "德州市"), "city", "规范课后服务",
         ("德州市在义务教育学校全面推行“5+2”课后服务模式，每周5天、每天至少2小时，提供作业"
          "辅导、体育锻炼、艺术活动等服务，对家庭经济困难学生免收服务费用，教师参与课后服务情况纳入绩效工资考核。",),
         group="推动义务教育优质均衡发展"),
    Item("淄博市", city(SD, "淄博市"), "city", "深化产教融合校企合作",
         ("淄博市推动中等职业学校与本地化工、陶瓷等重点产业企业共建产业学院18个，实行订单式"
          "培养，企业工程师到校兼职任教，中职学校专业设置与区域主导产业的匹配度达到90%，毕业生本地就业率达到75%。",),
         group="增强职业教育适应性"),
)

XZ = ("江苏省", "徐州市")
E_ITEMS = (
    Item("邳州市", (*XZ, "邳州市"), "county", "课后服务“菜单式”供给",
         ("邳州市义务教育学校在课后服务中推出“基础托管+特色课程”菜单，学生自主选择书法、围棋、"
          "篮球、科技制作等60余门课程，引入退休教师、非遗传承人等社会力量参与，课后服务经费由"
          "财政按生均每年200元补助。",
          "全市参加课后服务的学生占比达到95%。")),
    Item("沛县", (*XZ, "沛县"), "county", "农村学生“定制公交”上下学",
         ("沛县针对农村学校布局调整后学生上学路远的问题，由县交通运输局和教育局联合开通农村"
          "学生上下学定制公交线路46条，车辆统一安装监控和定位系统，每车配备一名照管员，学生"
          "乘车享受半价优惠。",
          "惠及农村学生1.2万人，实现学生乘车安全事故零发生。")),
    Item("睢宁县", (*XZ, "睢宁县"), "county", "改善乡村寄宿制学校住宿条件",
         ("睢宁县投入1.5亿元对31所乡村寄宿制学校学生宿舍进行改造，宿舍统一配备独立卫生间、"
          "热水淋浴和空调，按每50名寄宿生配备1名生活老师，开设晚间阅读和心理辅导活动。",
          "寄宿生对住宿条件的满意度达到97%。")),
    Item("新沂市", (*XZ, "新沂市"), "county", "关爱农村留守儿童",
         ("新沂市为农村留守儿童建立“一人一档”，每名留守儿童与一名教师结对，由教师担任"
          "“代理家长”，学校每周安排亲情视频通话，寒暑假开放乡村少年宫。",
          "2021年全市结对帮扶留守儿童6800余名。")),
)

HN = "河南省"
F_ITEMS = (
    Item("郑州市", city(HN, "郑州市"), "city", "",
         ("着力解决进城务工人员随迁子女入学问题，坚持以流入地政府为主、以公办学校为主，2021年"
          "新建改扩建中小学68所，新增学位7.2万个，随迁子女在公办学校就读比例达到86%。",)),
    Item("郑州市", city(HN, "郑州市"), "city", "",
         ("落实中小学教师平均工资收入水平不低于当地公务员平均工资收入水平的要求，将教师工资"
          "纳入财政优先保障范围，建立联动增长机制，全年发放教师绩效奖励11.3亿元，确保教师工资按时足额发放。",)),
    Item("洛阳市", city(HN, "洛阳市"), "city", "",
         ("推进校车安全管理规范化，市财政对农村校车运营给予每车每年2万元补贴，全市运营标准化"
          "校车460辆，所有校车安装卫星定位和视频监控，纳入“平安校车”监管平台，校车驾驶人全部经过专门培训和考核。",)),
    Item("洛阳市", city(HN, "洛阳市"), "city", "",
         ("推动中等职业学校布局调整，将全市38所中职学校整合为22所，集中资源建设智能制造、现代"
          "农业等专业群，与本地企业合作开展现代学徒制试点，中职毕业生就业率保持在95%以上。",)),
    Item("南阳市", city(HN, "南阳市"), "city", "",
         ("加强农村寄宿制学校建设，投入3.6亿元改善乡镇寄宿制学校宿舍、食堂和浴室条件，新增寄宿床位2.1万张，为寄宿生"
          "配备生活老师，落实寄宿生营养餐补助，让农村孩子住得下、吃得好、学得进。",)),
    Item("南阳市", city(HN, "南阳市"), "city", "",
         ("全市建成县级特殊教育资源中心13个，在普通学校设立特殊教育资源教室86个，为随班就读的"
          "残疾学生配备资源教师，对随班就读残疾学生实行个别化教育计划，适龄残疾儿童少年入学率达到96.5%。",)),
)

SC = "四川省"
G_ITEMS = (
    Item("成都市武侯区", (SC, "成都市", "武侯区"), "county", "以集团化办学推动优质资源扩容",
         ("**主要做法。** 武侯区组建12个教育集团，由优质学校牵头，吸纳新建学校和薄弱学校加入，"
          "实行集团内教师统一调配、课程统一开发、质量统一评价；每年从牵头学校选派不少于10%的"
          "骨干教师到成员校任教，集团内开展联合教研和同课异构。",
          "**工作成效。** 集团成员校家长满意度提升至95%，新建学校开办首年即实现优质运行。")),
    Item("绵阳市三台县", (SC, "绵阳市", "三台县"), "county",
         "办好乡村小规模学校，守住农村孩子家门口的好学校",
         ("**主要做法。** 三台县对100人以下的乡村小规模学校实行“一校一策”，公用经费按100人"
          "核定；推行复式教学加走教，县城学校音体美教师定期到村小授课；为村小配齐录播教室，"
          "接入县城学校同步课堂。",
          "**工作成效。** 全县67所小规模学校全部开齐国家课程，回流学生420余人。")),
    Item("凉山州昭觉县", (SC, "凉山彝族自治州", "昭觉县"), "county",
         "坚持控辍保学，确保适龄儿童“一个不少”",
         ("**主要做法。** 昭觉县落实控辍保学双线责任制，县、乡、村、组干部与校长、班主任共同"
          "包保，对辍学学生逐一登记、上门劝返复学；实施“学前学会普通话”行动，在村级幼教点"
          "开展普通话教学；为寄宿制学校配齐床铺、被褥和冬季取暖设施。",
          "**工作成效。** 全县义务教育阶段失学辍学学生动态清零，九年义务教育巩固率达到97.8%。")),
)

GD = "广东省"
G2_ITEMS = (
    Item("广州市", city(GD, "广州市"), "city", "",
         ("全面推行义务教育学校课后服务“5+2”全覆盖，课后服务结束时间不早于当地正常下班时间，"
          "对有特殊需要的学生提供延时托管服务，课后服务经费由财政补助和家长分担，困难家庭"
          "学生免费。",)),
    Item("广州市", city(GD, "广州市"), "city", "",
         ("建立作业总量审核和公示制度，小学一、二年级不布置书面家庭作业，三至六年级书面作业"
          "平均完成时间不超过60分钟，初中不超过90分钟，各校每周公示作业安排，接受家长监督。",)),
    Item("深圳市", city(GD, "深圳市"), "city", "",
         ("开展校外培训机构专项治理，对学科类培训机构实行预收费资金银行托管，一次性收费不得"
          "超过3个月，全市压减学科类校外培训机构1600余家，查处违规培训和超前培训问题320起。",)),
    Item("深圳市", city(GD, "深圳市"), "city", "",
         ("实施基础教育学位建设攻坚行动，2022年新改扩建公办中小学78所、新增公办义务教育学位"
          "12.8万个，推行“大学区”招生，缓解热点片区学位紧张问题，全市公办学位供给能力明显增强。",)),
    Item("佛山市", city(GD, "佛山市"), "city", "",
         ("建立中小学生心理健康“筛查—预警—干预—转介”工作机制，每所中小学至少配备1名专职"
          "心理健康教育教师，与市精神卫生机构建立绿色转介通道，每学年开展一次全员心理健康"
          "测评。",)),
)

GS = "甘肃省"
H_ITEMS = (
    Item("会宁县", (GS, "白银市", "会宁县"), "county",
         "实施农村学生营养改善计划，让山区孩子吃得饱、吃得好",
         ("会宁县将营养改善计划覆盖全县所有农村义务教育学校，按每生每天5元标准提供营养膳食"
          "补助，推行“校校有食堂、人人吃热饭”，配备专职炊事人员和食品安全员。",
          "县教育局统一招标采购米面油肉等大宗食材，实行学校负责人陪餐和膳食费用公示制度，每"
          "学期开展学生体质监测，根据监测结果调整食谱。",
          "全县农村学生平均身高、体重分别增长2.1厘米和1.6公斤，营养不良检出率明显下降。")),
    Item("东乡族自治县", (GS, "临夏回族自治州", "东乡族自治县"), "county",
         "建好乡村寄宿制学校，让学生住得安心、学得舒心",
         ("东乡族自治县山大沟深，学生居住分散，上学路途远。县政府整合资金2.3亿元，新建改扩建"
          "寄宿制学校21所，新增寄宿床位8600张，配齐生活老师和校医。",
          "学校建立寄宿生一日常规管理制度，开设晚自习辅导、阅读和体育活动，周末统一安排车辆"
          "接送学生往返。")),
    Item("渭源县", (GS, "定西市", "渭源县"), "county", "推进“一村一园”建设，让农村幼儿就近入园",
         ("渭源县利用农村闲置校舍改建村级幼儿园（班）136个，实现行政村幼儿园全覆盖；由乡镇"
          "中心幼儿园统一管理村级园，实行教师走教巡回，统一配备玩教具。",
          "全县学前三年毛入园率由2018年的78%提高到2021年的93%。")),
)

I_ITEMS = (
    Item("龙口市", (SD, YT, "龙口市"), "county", "",
         ("实施农村校车服务全覆盖工程。龙口市统一组建校车服务公司，统筹全市农村学生接送。",
          "（1）全市购置新国标校车126辆，开通线路214条，覆盖所有农村中小学和幼儿园。",
          "（2）市财政每年安排校车运营补贴1800万元，农村学生免费乘车。",
          "（3）每辆校车配备专职照管员，校车全部接入动态监控平台。")),
    Item("龙口市", (SD, YT, "龙口市"), "county", "",
         ("龙口市推进学校心理健康教育，在全市中小学建成标准化心理辅导室52个，配备专兼职心理"
          "教师118名，每学期开展一次学生心理健康筛查，对筛查出的重点学生建立“一生一档”，由"
          "班主任、心理教师和家长共同跟踪帮扶。",)),
    Item("莱阳市", (SD, YT, "莱阳市"), "county", "",
         ("莱阳市多渠道解决乡村教师住房问题。",
          "（1）利用闲置校舍改造教师周转宿舍420套，每套配备基本生活设施。",
          "（2）与住建部门合作，将符合条件的乡村教师纳入公租房保障范围。",
          "（3）对在乡镇学校任教且无自有住房的教师，每月发放住房补贴200元。")),
    Item("莱阳市", (SD, YT, "莱阳市"), "county", "",
         ("莱阳市依托梨乡农业资源，建成市级中小学劳动教育实践基地3处、校内劳动实践园地86个，"
          "每周安排不少于1课时劳动教育课，组织学生参加种植、养殖和农产品加工等劳动实践。",)),
    Item("海阳市", (SD, YT, "海阳市"), "county", "",
         ("海阳市加快公办幼儿园建设。",
          "（1）2021年新建改扩建公办幼儿园15所，新增学位4500个。",
          "（2）每个镇街至少建成1所省级示范幼儿园。",
          "（3）公开招聘幼儿教师120名，落实公办园在编教师与非在编教师同工同酬。")),
    Item("蓬莱区", (SD, YT, "蓬莱区"), "county", "",
         ("蓬莱区推进中等职业学校与葡萄酒、旅游等当地产业深度对接，开设葡萄酒酿造、酒店管理"
          "等特色专业，与42家企业签订校企合作协议，共建实训基地16个，毕业生对口就业率达到86%。",)),
)

HUN = "湖南省"
J_ITEMS = (
    Item("长沙市开福区", (HUN, "长沙市", "开福区"), "county", "多措并举扩增普惠性学前教育学位",
         ("开福区将新建小区配套幼儿园建设纳入土地出让条件，做到与住宅同步规划、同步建设、同步"
          "交付；通过购买服务、租赁场地等方式，在学位紧张片区新办公办幼儿园9所。",
          "2022年新增普惠性学位5400个，公办园在园幼儿占比由38%提高到52%。"),
         group="学前教育普及普惠"),
    Item("株洲市攸县", (HUN, "株洲市", "攸县"), "county",
         "实施乡村教师公费定向培养，补齐乡村师资短板",
         ("攸县每年根据乡村学校学科缺口，与省内师范院校合作公费定向培养本土乡村教师，学生"
          "毕业后回到生源所在乡镇学校任教，服务期不少于6年。",
          "县财政为定向培养学生承担学费和住宿费，并在入职后优先安排教师周转宿舍，已有286名"
          "定向师范生回乡任教。"),
         group="义务教育优质均衡"),
    Item("湘潭市湘乡市", (HUN, "湘潭市", "湘乡市"), "county", "“送教上门”让重度残疾儿童不再失学",
         ("湘乡市组建由特殊教育教师、康复师和志愿者组成的送教团队，对无法到校就读的重度残疾"
          "儿童实行“一生一案”，每两周上门开展一次文化教学和康复训练。",
          "为送教上门学生建立学籍，送教教师按次享受交通补贴，全市87名重度残疾儿童全部纳入"
          "送教服务。"),
         group="特殊教育"),
    Item("岳阳市平江县", (HUN, "岳阳市", "平江县"), "county", "构建“人防+物防+技防”防溺水体系",
         ("平江县对全县河流、山塘、水库等危险水域逐一排查，设置警示标牌和救生设施，在重点"
          "水域安装智能监控和语音提醒装置；组织教师、村干部和志愿者在暑期开展巡河。",
          "每所学校每学期开展防溺水专题教育，通过家长会和告家长书压实监护责任，连续两年未"
          "发生学生溺水死亡事故。"),
         group="校园安全"),
)

HB = "河北省"
X_ITEMS = (
    Item("石家庄市", city(HB, "石家庄市"), "city", "",
         ("全面落实中小学生每天校园体育活动不少于1小时，开齐开足体育与健康课程，组建校园足球、"
          "篮球、排球联赛体系，每年举办全市中小学生运动会，全市中小学生体质健康测试优良率达到55.3%。",),
         extra={"line": 4}),
    Item("石家庄市", city(HB, "石家庄市"), "city", "",
         ("推进智慧校园建设，全市中小学实现千兆宽带接入和多媒体教室全覆盖，建成市级教育资源"
          "公共服务平台，免费向师生提供各学科同步课程资源，农村学校通过专递课堂共享城区学校的优质课程。",),
         extra={"line": 5}),
    Item("保定市涿州市", (HB, "保定市", "涿州市"), "county",
         "扩大普通高中教育资源，满足群众上好高中期盼",
         ("涿州市新建普通高中2所，改扩建1所，新增高中学位4800个，消除普通高中大班额。",
          "与北京优质高中开展合作办学，选派骨干教师跟岗学习，全市普通高中本科上线率提高8个"
          "百分点。"),
         extra={"line": 7}),
    Item("唐山市", city(HB, "唐山市"), "city", "",
         ("建成市级中小学生研学实践教育基地28个，将研学实践纳入学校教学计划，每名学生每学年"
          "参加研学实践不少于3天，费用由财政和家庭合理分担，学校统一为参加研学的学生购买安全保险。",),
         extra={"line": 13}),
    Item("唐山市", city(HB, "唐山市"), "city", "",
         ("全市中小学、幼儿园全部建立家长学校，每学期开展不少于4次家庭教育指导活动，组建家庭"
          "教育讲师团深入社区开展公益讲座，帮助家长树立科学育儿观念，推动家庭教育指导服务进社区、进乡村。",),
         extra={"line": 14}),
)

AH = "安徽省"
Y_ITEMS = (
    Item("合肥市", city(AH, "合肥市"), "city",
         "合肥市建立预防中小学生欺凌工作机制，守护学生健康成长",
         ("合肥市在全市中小学成立学生欺凌治理委员会，每学期开展一次欺凌行为专项排查，设立"
          "匿名举报信箱和求助热线，对排查出的问题逐一建立台账、限时处置。",
          "将防欺凌教育纳入道德与法治课和主题班会，组织法治副校长开展专题讲座，对实施欺凌的"
          "学生由学校、家长和专业社工共同开展教育矫治。")),
    Item("", (AH,), "province", "强化校园食品安全管理，守护师生“舌尖上的安全”",
         ("部分县区探索建立校园食品安全“校长负责制+家长监督”模式，学校食堂大宗食材实行定点"
          "采购和索证索票，邀请家长代表不定期检查后厨卫生和食品留样。",
          "各地学校食堂全部实现“明厨亮灶”，学校负责人陪餐制度全面落实，全年未发生校园食品"
          "安全事故。"),
         extra={"places_also": [[]], "level_also": [""], "warn": True, "line": 11}),
    Item("芜湖市繁昌区", (AH, "芜湖市", "繁昌区"), "county",
         "芜湖市繁昌区开展交通安全“小手拉大手”活动",
         ("繁昌区联合公安交警部门在全区中小学开展交通安全“小手拉大手”活动，学生把交通安全"
          "知识带回家，劝导家长不骑车带人、不乘坐超员车辆，上下学时段在学校周边路口设立"
          "护学岗。",
          "活动开展以来，全区涉及学生的道路交通事故同比下降40%。")),
)

FIXTURES = (
    Fixture("a-national-titled", ".txt", "titled-cases-provinces", "utf-8", 2022, None,
            "2022年各地推进基础教育扩优提质典型案例", A_ITEMS, render_titled_cases),
    Fixture("b-district-parts", ".docx", "case-numbered-labelled-parts", "docx", 2021, SD,
            "2021年青岛市各区（市）教育重点工作典型案例", B_ITEMS, render_docx_parts),
    Fixture("c-bracket-numbered", ".pdf", "bracket-numbered-cases-with-part-headings", "pdf",
            2022, SD, "2022年烟台市深化新时代教师队伍建设改革典型案例", C_ITEMS,
            render_pdf_bracketed),
    Fixture("d-topic-report", ".txt", "topic-report", "gb18030", 2022, SD,
            "山东省2022年推进基础教育和职业教育高质量发展工作情况报告", D_ITEMS,
            render_topic_report,
            note="cases are the （一） items; each names its place in its text; the closing "
                 "section 四、下一步工作打算 is not a case"),
    Fixture("e-table-rows", ".docx", "table-rows", "docx", 2021, "江苏省",
            "2021年徐州市办好人民满意教育典型案例汇编", E_ITEMS, render_docx_table,
            note="one case per table row; the body is 主要做法 then 成效"),
    Fixture("f-word-autonumber", ".docx", "numbered-items-word-autonumber", "docx", 2021, HN,
            "2021年河南省各省辖市履行教育职责典型案例", F_ITEMS, render_docx_autonumber,
            note="Word draws 1.–6. across the three cities (one list, never restarted)"),
    Fixture("g-markdown-blocks", ".md", "markdown-case-blocks", "utf-8", 2023, SC,
            "2023年四川省县域义务教育优质均衡发展典型案例", G_ITEMS, render_markdown_blocks,
            note="places are written city+county (凉山州 is 凉山彝族自治州)"),
    Fixture("g2-markdown-lazy-numbers", ".md", "markdown-sections-lazy-numbers", "utf-8", 2022,
            GD, "2022年广东省各地市落实“双减”工作典型案例", G2_ITEMS,
            render_markdown_lazy_numbers,
            note="every item is written `1.` (Markdown renders 1, 2, …)"),
    Fixture("h-utf16-case-blocks", ".txt", "case-blocks-place-title-line", "utf-16", 2021, GS,
            "2021年甘肃省农村义务教育薄弱环节改善典型案例", H_ITEMS, render_case_blocks,
            note="UTF-16 little-endian with a byte-order mark, CRLF lines"),
    Fixture("i-county-subpoints", ".txt", "numbered-items-counties-subpoints", "utf-8", 2021, SD,
            "2021年烟台市各区市履行教育职责典型工作案例", I_ITEMS,
            render_numbered_with_subpoints,
            note="（1）（2）（3） lines are sub-points of the item above, not items"),
    Fixture("j-docx-parts", ".docx", "parts-with-titled-cases-headings", "docx", 2022, HUN,
            "2022年湖南省基础教育高质量发展典型案例", J_ITEMS, render_docx_parts_headings,
            note="第一部分… in Heading 1 are topics; the Heading 2 cases name their places"),
    Fixture("x-mixed-layouts", ".txt", "mixed-layouts", "utf-8", 2022, HB,
            "2022年河北省教育工作典型案例", X_ITEMS, render_mixed,
            outcome="refused_or_warnings",
            note="numbered items, then a 【案例3】 block inside the numbered layout, then a "
                 "section opening with an unnumbered paragraph and items all numbered 1.: a "
                 "user expects a refusal naming the line where the layout changes, or the "
                 "cases listed here with a warning for each doubtful spot, never silence"),
    Fixture("y-no-place", ".txt", "titled-cases-one-without-place", "utf-8", 2021, AH,
            "2021年安徽省中小学校园安全工作典型案例", Y_ITEMS, render_titled_cases,
            note="case 2 names no place: it is kept, placed at the province (or nowhere), "
                 "with a warning"),
)


# -- expectations -----------------------------------------------------------------------------


def expected(fx: Fixture) -> dict:
    cases = []
    for item in fx.items:
        case = {"place": item.place, "places": list(item.places), "place_level": item.level,
                "case_title": item.title, "text_starts": text_starts(item)}
        cases.append({**case, **item.extra})
    data = {"file": fx.name + fx.suffix, "layout": fx.layout, "encoding": fx.encoding,
            "title": fx.title, "year": fx.year, "province": fx.province, "outcome": fx.outcome}
    if fx.note:
        data["note"] = fx.note
    return {**data, "cases": cases}


def gazetteer_chains() -> set[tuple[str, ...]] | None:
    """Every province, city and county chain of jionlp's divisions, if jionlp is installed."""
    spec = importlib.util.find_spec("jionlp")  # found, not imported: only its data is read
    if spec is None or spec.origin is None:
        return None
    data = Path(spec.origin).parent / "dictionary" / "china_location.txt"
    chains, trail = set(), []
    for line in data.read_text(encoding="utf-8").splitlines():
        depth = len(line) - len(line.lstrip("\t"))
        if depth <= 2 and line.strip():
            trail = [*trail[:depth], line.strip().split("\t")[0]]
            chains.add(tuple(trail))
    return chains


def check(fx: Fixture, chains: set[tuple[str, ...]] | None) -> None:
    levels = {1: "province", 2: "city", 3: "county"}
    assert str(fx.year) in fx.title, fx.name
    for item in fx.items:
        assert 80 <= body_length(item) <= 400, (fx.name, item.place, body_length(item))
        assert levels[len(item.places)] == item.level, (fx.name, item.places)
        if chains is not None:
            assert tuple(item.places) in chains, (fx.name, item.places)


def check_lines(fx: Fixture, path: Path) -> None:
    """An expected case's `line` (where its heading, or its item, is) is where it is."""
    lines = path.read_bytes().decode(fx.encoding).splitlines()
    for item in fx.items:
        if "line" in item.extra:
            line = lines[item.extra["line"] - 1]
            assert (item.title and item.title in line) or text_starts(item) in line, \
                (fx.name, item.extra["line"], line)


def main() -> None:
    chains = gazetteer_chains()
    if chains is None:
        print("jionlp is not installed: place chains are not checked", file=sys.stderr)
    for fx in FIXTURES:
        check(fx, chains)
        path = HERE / (fx.name + fx.suffix)
        fx.render(fx, path)
        if fx.encoding == "utf-8":
            check_lines(fx, path)
        (HERE / f"{fx.name}.expected.json").write_text(
            json.dumps(expected(fx), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"{path.name}: {len(fx.items)} cases")


if __name__ == "__main__":
    main()
