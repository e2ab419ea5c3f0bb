"""Briefs to take away: chosen practices (or a question's best) and a figures table, as Word
and Markdown, from the API, the command line and the page's selection."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from docx import Document

from service.runtime.settings import Settings

CHOSEN = ("sd2020-jinan-3", "sd2020-rizhao-3")


def _docx(data: bytes):
    return Document(io.BytesIO(data))


def _brief(client, query: str):
    response = client.get(f"/api/brief?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_a_word_brief_holds_each_practice_whole_with_its_source(client, engine):
    response = _brief(client, "id=sd2020-jinan-3&id=sd2020-rizhao-3&q=校车安全")
    assert response.mimetype.endswith("wordprocessingml.document")
    assert re.match(r'attachment; filename="brief-\d{4}-\d\d-\d\d\.docx"',
                    response.headers["Content-Disposition"])
    document = _docx(response.data)
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert texts[0] == "校车安全" and "问题 · Question: 校车安全" in texts
    assert "1. 济南市 · 案例 3" in texts and "2. 日照市 · 案例 3" in texts
    for case_id in CHOSEN:
        case = engine.case(case_id)
        assert case.text in texts
        assert any(f"第 {case.line} 行" in text and case_id in text and case.title in text
                   for text in texts)


def test_a_brief_with_a_figures_table(client):
    document = _docx(_brief(client, "id=sd2020-qingdao-2&figures=普惠性幼儿园覆盖率").data)
    table = document.tables[0]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0][0].startswith("地方") and len(rows) == 5
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings == ["市级 · cities"]  # the places' level, above its table
    assert ["东营市", "2020", "93.37 %", "93.37%", "sd2020-dongying-3"] in rows
    notes = [p.text for p in document.paragraphs if p.style.name == "List Bullet"]
    assert len(notes) == 4 and all("普惠性幼儿园覆盖率" in note for note in notes)


def test_a_comparison_alone_brings_the_practices_it_cites(client):
    text = _brief(client, "figures=普惠性幼儿园覆盖率&format=md").get_data(as_text=True)
    assert text.startswith("# 普惠性幼儿园覆盖率 · 各市对比\n")
    assert text.count("\n## ") == 5  # four practices, then the table
    assert "| 东营市 | 2020 | 93.37 % | 93.37% | sd2020-dongying-3 |" in text


def test_a_brief_of_a_question_holds_only_the_practices_that_answer_it(client, engine):
    response = _brief(client, "q=购置新国标校车&k=3&format=md&title=校车简报")
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.get_data(as_text=True)
    answering = engine.search("购置新国标校车", k=3, min_match="partial")
    assert 0 < len(answering) < len(engine.search("购置新国标校车", k=3))  # weaker ones exist
    assert text.startswith("# 校车简报\n") and text.count("\n## ") == len(answering)
    assert all(hit.case.text in text and f"id {hit.case.id}" in text for hit in answering)
    assert ("*只收回答这个问题的做法（回答问题、部分回答） · Only the practices that answer the "
            "question (strong or partial matches); weaker ones are left out*") in text
    # the reader may ask for weaker ones too, and the brief says so
    padded = _brief(client, "q=购置新国标校车&k=3&format=md&min_match=weak").get_data(as_text=True)
    assert padded.count("\n## ") == 3 and "相关 · related" in padded
    assert "The question's best practices, strong or partial or weak matches included" in padded


def test_a_question_nothing_answers_makes_no_brief(client, built_cli):
    response = client.get("/api/brief?q=火星基地的氧气供应&format=md")
    assert response.status_code == 404
    detail = response.get_json(force=True)["detail"]
    assert "no practice answers '火星基地的氧气供应' closely enough for a brief" in detail
    assert "choose practices by id" in detail
    printed = built_cli("brief", "--query", "火星基地的氧气供应")
    assert printed.exit_code == 1 and "closely enough for a brief" in printed.output
    # with a figures table there is still a brief, and it says that nothing answers
    text = _brief(client, "q=火星基地的氧气供应&figures=普惠性幼儿园覆盖率&format=md"
                  ).get_data(as_text=True)
    assert "没有做法回答这个问题" in text and "| 东营市 | 2020 |" in text


def test_a_brief_links_to_where_its_readers_reach_the_service(client, app, built_cli,
                                                               monkeypatch):
    via_proxy = client.get("/api/brief?id=sd2020-jinan-3&format=md",
                           headers={"Host": "localhost:8443", "X-Forwarded-Proto": "https"},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert "<https://localhost:8443/cases/sd2020-jinan-3>" in via_proxy.get_data(as_text=True)
    direct = client.get("/api/brief?id=sd2020-jinan-3&format=md").get_data(as_text=True)
    assert "<http://localhost/cases/sd2020-jinan-3>" in direct
    assert "127.0.0.1:8000" not in direct
    for odd in ("evil.example@localhost", "localhost/evil", "localhost#@x"):  # no link at all
        text = client.get("/api/brief?id=sd2020-jinan-3&format=md", headers={"Host": odd})
        assert text.status_code == 200 and "http" not in text.get_data(as_text=True), odd
    # the command line links nowhere unless an address is configured
    printed = built_cli("brief", "--ids", "sd2020-jinan-3")
    assert printed.exit_code == 0 and "http" not in printed.output
    monkeypatch.setenv("CASESEARCH_BASE_URL", "https://cases.example.gov.cn/")
    printed = built_cli("brief", "--ids", "sd2020-jinan-3")
    assert "<https://cases.example.gov.cn/cases/sd2020-jinan-3>" in printed.output
    app.config["SETTINGS"] = Settings.from_env()  # the configured address wins over the request's
    direct = client.get("/api/brief?id=sd2020-jinan-3&format=md").get_data(as_text=True)
    assert "<https://cases.example.gov.cn/cases/sd2020-jinan-3>" in direct


@pytest.mark.parametrize("query, words", [
    ("", "say what goes into the brief"),
    ("&".join(f"id=sd2020-jinan-{n}" for n in range(21)), "at most 20"),
    ("id=sd2020-jinan-3&format=pdf", "format must be one of"),
    ("q=%E2%80%8B", "has no words"),
])
def test_a_brief_that_cannot_be_made_says_why(client, query, words):
    response = client.get(f"/api/brief?{query}")
    assert response.status_code == 422 and words in response.get_json(force=True)["detail"]


def test_an_unknown_id_is_not_found_as_from_the_api(client):
    response = client.get("/api/brief?id=sd2020-jinan-3&id=../../etc/passwd")
    assert response.status_code == 404 == client.get("/api/cases/nope").status_code
    assert "no case has id '../../etc/passwd'" in response.get_json(force=True)["detail"]


def test_characters_a_word_file_cannot_hold_are_left_out(client):
    document = _docx(_brief(client, "id=sd2020-jinan-3&title=a%01b%00c").data)
    assert document.paragraphs[0].text == "abc"


def test_the_page_keeps_the_choice_in_its_address(client):
    page = client.get("/?q=校车&pick=sd2020-jinan-3&pick=bogus").get_data(as_text=True)
    checked = re.findall(r'<input type="checkbox" name="pick" value="([^"]+)" form="brief" '
                         r'checked>', page)
    assert checked == ["sd2020-jinan-3"]  # unknown ids are dropped
    links = re.findall(r'class="download" data-format="(\w+)" href="([^"]+)"', page)
    assert [form for form, _ in links] == ["docx", "md"]
    assert "id=sd2020-jinan-3" in links[0][1] and "q=%E6%A0%A1%E8%BD%A6" in links[0][1]
    assert "pick=sd2020-jinan-3" in page.split('class="chips"')[1].split("</nav>")[0]
    # a choice made on another page, whose card is not on this one, is carried as it is
    case = client.get("/cases/sd2020-jinan-3?pick=sd2020-jinan-1").get_data(as_text=True)
    assert '<input type="hidden" name="pick" value="sd2020-jinan-1">' in case


def test_the_command_line_writes_word_and_markdown(built_cli, tmp_path):
    out = tmp_path / "brief.docx"
    made = built_cli("brief", "--query", "校车安全", "--k", "2", "--min-match", "weak",
                     "--out", str(out))
    assert made.exit_code == 0 and "2 practices" in made.output
    assert sum(p.text.endswith(" · 案例 3") for p in Document(out).paragraphs) >= 1
    printed = built_cli("brief", "--ids", ",".join(CHOSEN), "--figures", "校车")
    assert printed.exit_code == 0 and printed.output.startswith("# 典型案例简报")
    assert "## 1. 济南市 · 案例 3" in printed.output and "各市数据对比" in printed.output
    markdown = tmp_path / "brief.md"
    assert built_cli("brief", "--ids", CHOSEN[0], "--out", str(markdown)).exit_code == 0
    assert markdown.read_text(encoding="utf-8").startswith("# ")
    refused = built_cli("brief", "--ids", "nope")
    assert refused.exit_code == 1 and "no case has id 'nope'" in refused.output
    assert isinstance(refused.exception, SystemExit)  # a message, not a traceback
    wordless = built_cli("brief", "--ids", CHOSEN[0], "--figures", "\u200b")
    assert wordless.exit_code == 1 and "has no words" in wordless.output


@pytest.mark.slow
def test_libreoffice_opens_the_word_brief_as_an_office_document(client, tmp_path):
    """The .docx converts with LibreOffice (headless) to a PDF of the pages expected (a
    one-practice brief fits a page; twenty practices and a table take several), in one
    sans-serif look, each page headed with the title, the date and the source."""
    from pypdf import PdfReader

    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.fail("LibreOffice is missing: `make test` installs it "
                    "(apt-get install libreoffice-writer-nogui)")
    for name, query in (("one", "id=sd2020-jinan-3"),
                        ("many", "&".join(f"id={case_id}" for case_id in _twenty(client))
                         + "&figures=普惠性幼儿园覆盖率")):
        (tmp_path / f"{name}.docx").write_bytes(_brief(client, query).data)
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(tmp_path / "one.docx"), str(tmp_path / "many.docx")], check=True,
                   capture_output=True, timeout=180)
    pages = {}
    for name in ("one", "many"):
        reader = PdfReader(tmp_path / f"{name}.pdf")
        pages[name] = len(reader.pages)
        fonts = {font["/BaseFont"].split("+")[-1] for page in reader.pages
                 for font in page["/Resources"]["/Font"].values()
                 if "/BaseFont" in font.get_object()}
        # Liberation Sans for Arial, a CJK sans for Microsoft YaHei, OpenSymbol's bullets
        assert fonts and not [font for font in fonts if "Serif" in font or "Times" in font]
        assert {font.split("-")[0] for font in fonts} <= {
            "LiberationSans", "WenQuanYiMicroHei", "NotoSansCJKsc", "DejaVuSans", "OpenSymbol"}
        for page in reader.pages:
            text = page.extract_text()
            assert re.search(r"典型案例简报\s*·\s*\d{4}-\d\d-\d\d\s*·\s*casesearch: 48 cases", text)
        assert "案例" in reader.pages[0].extract_text()
    assert pages["one"] == 1 and pages["many"] >= 3


def test_a_word_brief_is_set_in_one_look(client):
    """A4, the same two fonts in every style (no theme font to win over them), headings in
    black, and fixed table columns wide enough for a case id."""
    from docx.oxml.ns import qn

    document = _docx(_brief(client, "id=sd2020-qingdao-2&figures=普惠性幼儿园覆盖率").data)
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    fonts = list(document.styles.element.iter(qn("w:rFonts")))
    assert fonts and all(not any("heme" in name for name in f.attrib) for f in fonts)
    assert {(f.get(qn("w:ascii")), f.get(qn("w:eastAsia"))) for f in fonts} == {
        ("Arial", "Microsoft YaHei")}
    colors = {c.get(qn("w:val")) for c in document.styles.element.iter(qn("w:color"))}
    assert colors <= {"000000"}
    assert section.header.paragraphs[0].text.startswith("典型案例简报 · ")
    table = document.tables[0]
    assert [round(cell.width.cm, 1) for cell in table.rows[1].cells] == [3.4, 1.8, 2.6, 4.0, 4.2]


def _twenty(client) -> list[str]:
    return [case["id"] for case in client.get("/api/cases?limit=20").get_json()["cases"]]


def test_a_figure_no_group_measures_is_refused_with_the_nearest_to_try(client, built_cli):
    response = client.get("/api/brief?id=sd2020-jinan-3&figures=火星基地数量")
    assert response.status_code == 422
    body = response.get_json(force=True)
    assert "no figure group measures '火星基地数量' closely enough" in body["detail"]
    nearest = body["nearest_groups"]
    assert nearest and {"id", "metric", "unit", "similarity"} <= set(nearest[0])
    assert nearest[0]["id"] in body["detail"]
    assert all(group["similarity"] < 0.95 for group in nearest)  # the fake's threshold
    refused = built_cli("brief", "--ids", "sd2020-jinan-3", "--figures", "火星基地数量")
    assert refused.exit_code == 1 and isinstance(refused.exception, SystemExit)
    assert "error: no figure group measures '火星基地数量' closely enough" in refused.output


def test_a_brief_says_which_group_a_metric_chose_and_how_near(client):
    text = _brief(client, "id=sd2020-qingdao-2&figures=普惠性幼儿园覆盖率&format=md").get_data(
        as_text=True)
    group_id = client.get("/api/figures?metric=普惠性幼儿园覆盖率").get_json()["id"]
    assert re.search(rf"所用数据组 · Figures group: 普惠性幼儿园覆盖率 \(id {group_id}\), the "
                     r"nearest to “普惠性幼儿园覆盖率”: similarity 1\.00 \(0\.95 or more counts as "
                     r"the same measure\)", text)
    document = _docx(_brief(client, "id=sd2020-qingdao-2&figures=普惠性幼儿园覆盖率").data)
    assert any(p.text.startswith("所用数据组 · Figures group:") for p in document.paragraphs)
    by_id = _brief(client, f"id=sd2020-qingdao-2&figures={group_id}&format=md")
    assert "所用数据组" not in by_id.get_data(as_text=True)  # asked for by its id: no guess


def test_the_page_offers_the_brief_of_the_practices_that_answer(client, engine):
    """With none ticked, the page's brief is its own search (filters, mode, k) at the brief's
    min_match: the practices above the weaker matches, and the brief says so."""
    page = client.get("/?q=购置新国标校车&k=8&mode=lexical&city=济南市&city=日照市"
                      ).get_data(as_text=True)
    answering = engine.search("购置新国标校车", k=8, mode="lexical", min_match="partial",
                              cities=["济南市", "日照市"])
    assert answering and f"none ticked: the {len(answering)} that answer" in page or (
        len(answering) == 1 and "none ticked: the one that answers" in page)
    links = re.findall(r'class="download" data-format="(\w+)" href="([^"]+)"', page)
    assert len(links) == 2 and "id=" not in links[1][1]
    assert all(part in links[1][1] for part in ("k=8", "mode=lexical", "city=%E6%B5%8E"))
    text = client.get(links[1][1].replace("&amp;", "&")).get_data(as_text=True)
    assert text.count("\n## ") == len(answering)
    assert all(f"id {hit.case.id}" in text for hit in answering)
    assert "Only the practices that answer the question" in text
    nothing = client.get("/?q=火星基地的氧气供应").get_data(as_text=True)
    assert "No practice answers this closely" in nothing
    assert 'class="download"' not in nothing and "nothing answers it" in nothing
