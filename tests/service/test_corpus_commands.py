"""Growing the corpus from the command line: add, list, remove, with incremental embedding."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpus.load import DEFAULT_DATA_DIR
from index.models.embedders import register_model
from service.cli.main import main
from tests.conftest import FakeEmbedder

ROOT = Path(__file__).resolve().parents[2]
FAKE_CLI = ROOT / "tests" / "fake_casesearch.py"
SHIPPED = "shandong-2020-education-duty-cases.txt"

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
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    embedder = FakeEmbedder(model_id="fake/counted")
    register_model("fake/counted", lambda **_: embedder)
    monkeypatch.setenv("CASESEARCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CASESEARCH_DATA", str(data))
    monkeypatch.setenv("CASESEARCH_MODEL", "fake/counted")
    monkeypatch.setenv("CASESEARCH_SECOND_MODEL", "none")
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
    from corpus.store import load_corpus

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
    assert sorted(p.name for p in run.data.iterdir() if not p.name.startswith(".")) == sorted(
        p.name for p in DEFAULT_DATA_DIR.iterdir() if not p.name.startswith("."))


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


def test_a_gbk_text_is_read_and_says_so(run, tmp_path):
    source = tmp_path / "gbk.txt"
    source.write_bytes("（一）石家庄\n（1）推进课后服务全覆盖。\n".encode("gbk"))
    result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                 "--title", "t", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "read: read as GB18030 (not UTF-8)" in result.output


def test_a_binary_file_named_txt_is_refused(run, tmp_path):
    source = tmp_path / "image.txt"
    source.write_bytes(bytes(range(256)) * 40)
    result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省")
    assert result.exit_code == 1 and "Nothing was changed" in result.output


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
    assert result.exit_code == 1 and "already used by" in result.output
    assert "--replace sd2020" in result.output and "Nothing was changed" in result.output


def test_a_file_named_like_the_shipped_document_does_not_replace_it(run, tmp_path):
    run("build")
    shipped = (run.data / SHIPPED).read_bytes()
    source = tmp_path / SHIPPED
    source.write_text(HEBEI, encoding="utf-8")
    for extra in ([], ["--dry-run"]):
        result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                     *extra)
        assert result.exit_code == 1, result.output
        assert f"already used by {SHIPPED} (document 'sd2020')" in result.output
    assert (run.data / SHIPPED).read_bytes() == shipped
    found = json.loads(run("search", "校车", "--json").output)
    assert all(r["id"].startswith("sd2020-") for r in found["results"])


@pytest.mark.parametrize("doc_id", ["../../../../tmp/evil", "README", "a/b", ".hidden"])
def test_an_id_that_is_not_a_slug_is_refused_before_anything_is_written(run, tmp_path, doc_id):
    source = tmp_path / "hebei.md"
    source.write_text(HEBEI, encoding="utf-8")
    before = sorted(p.name for p in run.data.iterdir())
    for extra in ([], ["--dry-run"]):
        result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                     "--id", doc_id, *extra)
        assert result.exit_code == 2 and "for example hb2021" in result.output
    assert sorted(p.name for p in run.data.iterdir()) == before
    assert not list(Path("/tmp").glob("evil*"))


def test_the_folder_readme_cannot_be_overwritten(run, tmp_path):
    readme = (run.data / "README.md").read_bytes()
    source = tmp_path / "README.md"
    source.write_text(HEBEI, encoding="utf-8")
    result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                 "--id", "readme")
    assert result.exit_code == 2 and "'readme' is reserved" in result.output
    assert (run.data / "README.md").read_bytes() == readme


def test_replace_trash_and_restore(run, tmp_path):
    run("build")
    source = tmp_path / "hebei-new.md"
    source.write_text(HEBEI, encoding="utf-8")
    replaced = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                   "--replace", "sd2020")
    assert replaced.exit_code == 0, replaced.output
    assert "previous version is kept in" in replaced.output
    assert "corpus restore sd2020" in replaced.output and "indexed 3 cases" in replaced.output
    assert (run.data / "sd2020.md").read_bytes() == source.read_bytes()
    assert "sd2020" in run("corpus", "trash").output
    restored = run("corpus", "restore", "sd2020")
    assert restored.exit_code == 0 and "indexed 48 cases" in restored.output
    assert "embedded 0 texts" in restored.output  # every vector was kept
    # The restored version is stored under its id, like every stored document.
    assert (run.data / "sd2020.txt").read_bytes() == (DEFAULT_DATA_DIR / SHIPPED).read_bytes()
    assert not (run.data / "sd2020.md").exists()


def test_replace_and_id_must_agree(run, tmp_path):
    source = tmp_path / "hebei.md"
    source.write_text(HEBEI, encoding="utf-8")
    result = run("corpus", "add", str(source), "--year", "2021", "--province", "河北省",
                 "--replace", "sd2020", "--id", "other")
    assert result.exit_code == 2 and "disagree" in result.output


def test_an_unreadable_stored_document_keeps_the_last_good_index(run, tmp_path):
    assert run("build").exit_code == 0
    (run.data / "broken.txt").write_text("（一）甲市\n（3）跳号。\n", encoding="utf-8")
    (run.data / "broken.json").write_text('{"year": 2021, "province": "x", "title": "t"}')
    kept = run("build", "--if-stale")
    assert kept.exit_code == 0 and "broken.txt:2" in kept.output
    assert "last good index" in kept.output
    served = json.loads(run("search", "校车", "--k", "50", "--json").output)["results"]
    assert len(served) == 48  # the last good index answers
    assert run("build").exit_code == 1  # an explicit build says what is wrong
    listing = run("corpus", "list")
    assert "sd2020" in listing.output and "unreadable: broken.txt:2" in listing.output


def _fake_cli(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(FAKE_CLI), *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow  # real processes
def test_two_adds_at_once_are_both_stored_and_indexed(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    env = {**os.environ, "CASESEARCH_HOME": str(tmp_path / "home"),
           "CASESEARCH_DATA": str(data), "CASESEARCH_MODEL": "fake/char-ngrams",
           "CASESEARCH_SECOND_MODEL": "none"}
    assert _fake_cli(env, "build").wait(60) == 0
    sources = []
    for name, city in (("hebei", "石家庄"), ("henan", "郑州")):
        source = tmp_path / f"{name}.md"
        source.write_text(HEBEI.replace("石家庄", city), encoding="utf-8")
        sources.append(source)
    adds = [_fake_cli(env, "corpus", "add", str(source), "--year", "2021", "--province",
                      "某省", "--id", source.stem) for source in sources]
    outputs = [add.communicate(timeout=120)[0] for add in adds]
    assert [add.returncode for add in adds] == [0, 0], outputs
    search = subprocess.run([sys.executable, str(FAKE_CLI), "search", "智慧校园", "--k", "50",
                             "--json"], env=env, cwd=ROOT, capture_output=True, text=True)
    doc_ids = {r["id"].split("-")[0] for r in json.loads(search.stdout)["results"]}
    assert {"hebei", "henan"} <= doc_ids


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


def test_listing_the_trash_escapes_what_a_terminal_would_obey(run):
    """A trashed version's metadata was never checked on the way in (or was edited since)."""
    version = run.data / ".trash" / "20260101T000000Z-evil"
    version.mkdir(parents=True)
    (version / "evil.txt").write_text("x", encoding="utf-8")
    (version / "evil.json").write_text(json.dumps({"id": "evil\x1b]0;pwned\x07", "year": 2021,
                                                   "province": "x", "title": "\x1b[2Jgone"}),
                                       encoding="utf-8")
    listed = run("corpus", "trash").output
    assert "\x1b" not in listed and "\x07" not in listed
    assert "\\x1b[2Jgone" in listed


DISTRICTS = """青岛市教育系统典型案例汇编（2022年）

案例一　崂山区：打造“家门口”的好学校
【基本情况】崂山区地处青岛东部，辖4个街道，共有中小学52所。
【主要做法】实施集团化办学，组建教育集团8个；推动教师交流轮岗，每年交流教师300人。

案例二　黄岛区：校车进村，接送无忧
【主要做法】全区投入校车186辆，开通线路212条，实现农村学生乘车全覆盖。
"""


def test_a_titled_layout_is_added_with_year_and_province_from_its_title(run, tmp_path):
    source = tmp_path / "qd.txt"
    source.write_text(DISTRICTS, encoding="utf-8")
    dry = run("corpus", "add", str(source), "--id", "qd2022", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "level 1 '案例一': 2 headings" in dry.output and "cases: titled" in dry.output
    assert "qd2022-laoshan-1  崂山区 (county/district: 山东省 › 青岛市 › 崂山区; heading)" \
        in dry.output
    assert not (run.data / "qd2022.txt").exists()
    assert run("corpus", "add", str(source), "--id", "qd2022").exit_code == 0
    meta = json.loads((run.data / "qd2022.json").read_text(encoding="utf-8"))
    assert (meta["year"], meta["province"]) == (2022, "山东省")  # from the title: 青岛市 is in it
    found = json.loads(run("search", "校车进村接送", "--json", "--place", "青岛").output)
    assert found["results"][0]["id"] == "qd2022-huangdao-1"
    assert found["results"][0]["places"] == ["山东省", "青岛市", "黄岛区"]


def test_the_readers_guesses_can_be_overridden(run, tmp_path):
    source = tmp_path / "qd.txt"
    source.write_text(DISTRICTS, encoding="utf-8")
    result = run("corpus", "add", str(source), "--id", "qd2022", "--place", "青岛市",
                 "--year", "2023", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "qd2022-qingdao-2  青岛市 (city: 山东省 › 青岛市; option)" in result.output
    result = run("corpus", "add", str(source), "--id", "qd2022", "--level", "3", "--dry-run")
    assert result.exit_code == 1 and "no headings at that level" in result.output
    assert "Nothing was changed" in result.output
