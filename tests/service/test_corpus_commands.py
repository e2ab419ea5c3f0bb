"""Growing the corpus from the command line: add, list, remove, with incremental embedding."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from corpus.load import DEFAULT_DATA_DIR
from service import engine as engine_module
from service.cli import main
from tests.conftest import FakeEmbedder

HEBEI = """2021年河北省各市履行教育职责典型案例

（一）石家庄
（1）建设智慧校园，全市中小学实现千兆光纤进校园，开通在线课堂。
（2）推进集团化办学，组建教育集团56个，带动薄弱学校提升。

（二）保定
（1）实施乡村教师安居工程，建成教师周转宿舍800套，解决乡村教师住房难题。
"""


@pytest.fixture
def run(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    embedder = FakeEmbedder()
    monkeypatch.setenv("CASESEARCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CASESEARCH_DATA", str(data))
    monkeypatch.setenv("CASESEARCH_MODEL", "fake/char-ngrams")
    monkeypatch.setenv("CASESEARCH_SECOND_MODEL", "none")
    monkeypatch.setattr(engine_module, "load_embedder", lambda *a, **k: embedder)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    invoke.embedder, invoke.data = embedder, data
    return invoke


def _texts_embedded(embedder: FakeEmbedder) -> int:
    return sum(count for kind, count in embedder.calls if kind == "passage")


def test_add_a_document_in_another_style_and_find_its_cases(run, tmp_path):
    assert "indexed 48 cases" in run("build").output
    before = _texts_embedded(run.embedder)
    source = tmp_path / "hebei.md"
    source.write_text(HEBEI, encoding="utf-8")
    result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                 "--id", "hb2021")
    assert result.exit_code == 0, result.output
    assert "2 sections, 3 items (headings '（一）', items '（1）')" in result.output
    assert "indexed 51 cases" in result.output and "reused" in result.output
    # Only the three new cases were embedded (each is one sentence, the same text, so once).
    assert _texts_embedded(run.embedder) - before == 3
    assert (run.data / "hb2021.md").read_bytes() == source.read_bytes()
    assert json.loads((run.data / "hb2021.json").read_text())["province"] == "河北省"
    found = json.loads(run("search", "乡村教师安居工程周转宿舍", "--json").output)
    ids = [r["id"] for r in found["results"]]
    assert "hb2021-baoding-1" in ids and "sd2020-liaocheng-3" in ids
    listing = run("corpus", "list").output
    assert "hb2021" in listing and "sd2020" in listing and "3 cases" in listing


def test_ids_of_unchanged_cases_stay_stable(run, tmp_path):
    from corpus.load import load_corpus

    run("build")
    before = [case.id for case in load_corpus(run.data).cases]
    source = tmp_path / "hebei.md"
    source.write_text(HEBEI, encoding="utf-8")
    run("corpus", "add", str(source), "--year", "2021", "--province", "河北省", "--id", "hb")
    after = [case.id for case in load_corpus(run.data).cases]
    assert [case_id for case_id in after if case_id.startswith("sd2020-")] == before


def test_a_dry_run_reports_and_changes_nothing(run, tmp_path):
    source = tmp_path / "hebei.md"
    source.write_text(HEBEI, encoding="utf-8")
    result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                 "--dry-run")
    assert "would add 3 cases" in result.output
    assert sorted(p.name for p in run.data.iterdir()) == sorted(
        p.name for p in DEFAULT_DATA_DIR.iterdir())


@pytest.mark.parametrize(("text", "words"), [
    ("（一）石家庄\n（1）做法一。\n（3）做法三。\n", "expected 2"),
    ("（一）石家庄\n（二）保定\n（1）做法。\n", "no numbered items"),
    ("（一）石家庄\n（1）做法一。\n（1）重复的做法。\n", "expected 2"),
])
def test_a_broken_document_is_refused_with_its_line(run, tmp_path, text, words):
    source = tmp_path / "broken.txt"
    source.write_text(text, encoding="utf-8")
    result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                 "--title", "t")
    assert result.exit_code == 1 and words in result.output and "broken.txt:" in result.output
    assert "Nothing was changed" in result.output
    assert not (run.data / "broken.txt").exists()


def test_a_non_utf8_text_is_refused(run, tmp_path):
    source = tmp_path / "gbk.txt"
    source.write_bytes("（一）石家庄\n（1）做法。\n".encode("gbk"))
    result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                 "--title", "t")
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_a_word_document_is_read(run, tmp_path):
    from docx import Document

    document = Document()
    for line in ["2022年某省典型案例", "一、甲市", "1.推进课后服务全覆盖，参与学生比例达到95%。",
                 "二、乙市", "1.建设公办幼儿园30所，新增学位9000个。"]:
        document.add_paragraph(line)
    path = tmp_path / "cases.docx"
    document.save(str(path))
    result = run("corpus", "add", str(path), "--year", "2022", "--province", "某省",
                 "--id", "x2022", "--dry-run")
    assert result.exit_code == 0 and "2 sections, 2 items" in result.output


def test_a_taken_id_is_refused(run, tmp_path):
    source = tmp_path / "again.txt"
    source.write_text(HEBEI, encoding="utf-8")
    result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                 "--id", "sd2020")
    assert result.exit_code == 1 and "taken" in result.output


def test_remove_a_document(run, tmp_path):
    source = tmp_path / "hebei.md"
    source.write_text(HEBEI, encoding="utf-8")
    run("corpus", "add", str(source), "--year", "2021", "--province", "河北省", "--id", "hb")
    result = run("corpus", "remove", "hb")
    assert result.exit_code == 0 and "indexed 48 cases" in result.output
    assert "embedded 0 texts" in result.output  # everything left was embedded before
    assert run("corpus", "remove", "nope").exit_code == 1


def test_new_documents_can_be_filtered_by_year_and_province(run, tmp_path):
    source = tmp_path / "hebei.md"
    source.write_text(HEBEI, encoding="utf-8")
    run("corpus", "add", str(source), "--year", "2021", "--province", "河北省", "--id", "hb")
    only_2021 = json.loads(run("search", "教师", "--year", "2021", "--json").output)
    assert {r["province"] for r in only_2021["results"]} == {"河北省"}
    assert len(only_2021["results"]) == 3
    shandong = json.loads(run("search", "教师", "--province", "山东省", "--k", "50",
                              "--json").output)
    assert {r["year"] for r in shandong["results"]} == {2020}
