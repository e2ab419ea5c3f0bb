"""Case ids: unique in a document and across documents, the same on every load, and those of
the shipped corpus never change (evaluation files and links use them)."""

from __future__ import annotations

import json
import shutil

import pytest

from corpus import DEFAULT_DATA_DIR, load_corpus, load_document
from corpus.ids import MAX_SECTION_SLUG, section_slugs
from corpus.parse import chinese_ordinal

SHIPPED_SLUGS = ["jinan", "qingdao", "zibo", "zaozhuang", "dongying", "yantai", "weifang",
                 "jining", "taian", "weihai", "rizhao", "linyi", "dezhou", "liaocheng",
                 "binzhou", "heze"]


def write_document(folder, name: str, doc_id: str, sections: list[str]):
    path = folder / f"{name}.txt"
    lines = ["典型案例"]
    for number, section in enumerate(sections, start=1):
        lines += [f"{chinese_ordinal(number)}、{section}", "1.推进课后服务全覆盖。",
                  "2.建设公办幼儿园。"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.with_suffix(".json").write_text(json.dumps(
        {"id": doc_id, "year": 2021, "province": "河北省"}), encoding="utf-8")
    return path


def test_the_shipped_corpus_keeps_its_case_ids(corpus):
    assert [case.id for case in corpus.cases] == [
        f"sd2020-{slug}-{seq}" for slug in SHIPPED_SLUGS for seq in (1, 2, 3)]


@pytest.mark.parametrize("sections", [
    ["a", "a1", "a"],                       # a numbered twin would take the name of another
    ["济南市", "济南"],                       # a name, and the same name with its suffix
    ["泰安市", "台安市"],                     # two places with the same pinyin
    ["a b", "ab", "a-b", "AB"],             # spaces, hyphens and case slug alike
    ["①", "②", "x"],                        # no letters at all, and the fallback itself
    ["a11", "a", *"bcdefghi", "a"],         # section 11 is a twin, and "a11" is taken
    ["a", "a1", "a", "a1"],
])
def test_sections_whose_names_slug_alike_give_distinct_ids_every_time(tmp_path, sections):
    path = write_document(tmp_path, "doc", "x", sections)
    _, cases = load_document(path)
    ids = [case.id for case in cases]
    assert len(set(ids)) == len(ids) == 2 * len(sections)
    assert [case.id for case in load_document(path)[1]] == ids


def test_twins_are_told_apart_by_their_section_numbers():
    assert section_slugs(["泰安市", "台安市", "济南"], [1, 2, 3]) == ["taian1", "taian2", "jinan"]
    assert section_slugs(["a", "a1", "a"], [1, 2, 3]) == ["a1n2", "a1", "a3"]


def test_case_ids_of_two_documents_never_meet(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    # "hb" + "2021 济南" and "hb-2021" + "济南市" read alike if a slug may hold a hyphen.
    write_document(data, "hb", "hb", ["2021 济南"])
    write_document(data, "hb-2021", "hb-2021", ["济南市"])
    ids = [case.id for case in load_corpus(data).cases]
    assert len(ids) == 48 + 4 and len(set(ids)) == len(ids)


def test_a_long_section_name_gives_a_short_id(tmp_path):
    path = write_document(tmp_path, "doc", "x", ["很长的名字" * 200])
    _, cases = load_document(path)
    assert len(cases[0].id) <= len("x--1") + MAX_SECTION_SLUG
