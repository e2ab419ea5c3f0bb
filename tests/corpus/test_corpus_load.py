"""The shipped corpus loads into 48 cases, and a bad document is refused with a reason."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import pytest

from corpus import DEFAULT_DATA_DIR, CorpusError, CorpusStore, load_corpus, load_document
from corpus.ids import place_slug
from corpus.load import parse_document
from corpus.text import find_unsafe

SOURCE = DEFAULT_DATA_DIR / "shandong-2020-education-duty-cases.txt"


def test_shandong_document_has_48_cases_three_per_city(corpus):
    assert len(corpus.cases) == 48
    per_city = Counter(case.city for case in corpus.cases)
    assert len(per_city) == 16
    assert set(per_city.values()) == {3}
    assert list(per_city)[0] == "济南市" and list(per_city)[-1] == "菏泽市"


def test_each_city_numbers_its_cases_one_to_three(corpus):
    seqs: dict[str, list[int]] = {}
    for case in corpus.cases:
        seqs.setdefault(case.city, []).append(case.seq)
    assert all(numbers == [1, 2, 3] for numbers in seqs.values())


def test_cases_carry_the_document_metadata(corpus):
    first = corpus.cases[0]
    assert first.id == "sd2020-jinan-1"
    assert (first.city, first.seq, first.year, first.province) == ("济南市", 1, 2020, "山东省")
    assert first.title == "2020年各市履行教育职责典型工作案例"
    assert first.text.startswith("认真落实教育投入保障政策")


def test_ids_are_unique_and_url_safe(corpus):
    ids = [case.id for case in corpus.cases]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9-]+", case_id) for case_id in ids)


def test_the_section_without_a_blank_line_before_it_is_read(corpus):
    linyi = [case for case in corpus.cases if case.city == "临沂市"]
    assert [case.seq for case in linyi] == [1, 2, 3]
    assert all("临沂市" not in case.text for case in corpus.cases if case.city == "日照市")


def test_nothing_is_dropped(corpus):
    """Every non-blank line of the source is a preface, the title, a heading or item text."""
    lines = [line.strip() for line in SOURCE.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    headings = [line for line in lines if re.match(r"^[一二三四五六七八九十]+、", line)]
    items = [line for line in lines if re.match(r"^\d+\.", line)]
    assert len(lines) == 2 + len(headings) + len(items)
    assert [re.sub(r"^\d+\.", "", line) for line in items] == [c.text for c in corpus.cases]


def test_the_source_is_kept_byte_for_byte(corpus):
    import hashlib

    assert corpus.documents[0].sha256 == hashlib.sha256(SOURCE.read_bytes()).hexdigest()


def test_ids_are_stable_across_loads(corpus):
    assert [c.id for c in load_corpus().cases] == [c.id for c in corpus.cases]


@pytest.mark.parametrize(("name", "slug"), [("济南市", "jinan"), ("青岛", "qingdao"),
                                            ("Qingdao", "qingdao"), ("泰安市", "taian")])
def test_place_slugs(name, slug):
    assert place_slug(name) == slug


def _write(tmp_path, text: bytes, meta: dict | None):
    path = tmp_path / "doc.txt"
    path.write_bytes(text)
    if meta is not None:
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False))
    return path


def test_a_document_without_metadata_is_refused(tmp_path):
    path = _write(tmp_path, "一、甲市\n1.做法\n".encode(), None)
    with pytest.raises(CorpusError, match="metadata"):
        load_document(path)


def test_a_non_utf8_document_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, "一、甲市\n".encode() + "1.做法\n".encode("gbk"),
                  {"year": 2021, "province": "河北省", "title": "t"})
    with pytest.raises(CorpusError, match=r"doc.txt:2: not UTF-8"):
        load_document(path)


def test_two_places_with_the_same_pinyin_get_distinct_ids(tmp_path):
    path = _write(tmp_path, "一、泰安市\n1.a\n二、台安市\n1.b\n".encode(),
                  {"id": "x", "year": 2021, "province": "p", "title": "t"})
    _, cases = load_document(path)
    assert [case.id for case in cases] == ["x-taian1-1", "x-taian2-1"]


UNSAFE = ["\x0b", "\x00", "\x1b", "\x7f", "\x85", "\x9b", "\u202e", "\u2066", "\u2028",
          "\ud800", "\ufffe", "\n", "\t"]
GOOD_TEXT = "标题\n一、甲市\n1.推进课后服务全覆盖，参与学生比例达到95%。\n".encode()


@pytest.mark.parametrize("field", ["title", "province", "source"])
@pytest.mark.parametrize("char", UNSAFE)
def test_metadata_with_a_control_character_is_refused_naming_field_and_character(
        tmp_path, field, char):
    path = _write(tmp_path, GOOD_TEXT, None)
    meta = {"id": "x", "year": 2021, "province": "河北省", "title": "t", field: f"河北{char}省"}
    with pytest.raises(CorpusError) as raised:
        parse_document(path, meta)
    message = str(raised.value)
    assert f"{field} " in message and f"U+{ord(char):04X}" in message
    assert "at character 3" in message and "remove it" in message


@pytest.mark.parametrize("char", ["\x0b", "\u202e", "\ud800"])
def test_a_stored_document_whose_metadata_holds_a_control_character_is_unreadable(
        tmp_path, char):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    bad = data / "bad.txt"
    bad.write_bytes(GOOD_TEXT)
    bad.with_suffix(".json").write_text(json.dumps(
        {"id": "bad", "year": 2021, "province": f"河北{char}省"}), encoding="utf-8")
    corpus, problems = CorpusStore(data).load_readable()
    assert {doc.id for doc in corpus.documents} == {"sd2020"}
    [problem] = problems
    assert "bad.json" in problem.message and f"U+{ord(char):04X}" in problem.message


@pytest.mark.parametrize(("field", "value"), [("title", 5), ("title", ["t"]), ("source", 1)])
def test_stored_metadata_of_the_wrong_type_is_refused(tmp_path, field, value):
    path = _write(tmp_path, GOOD_TEXT, {"year": 2021, "province": "p", field: value})
    with pytest.raises(CorpusError, match=f"doc.json: field '{field}' must be a str"):
        load_document(path)


def test_a_stored_file_whose_name_holds_a_control_character_is_refused(tmp_path):
    path = tmp_path / "doc\x1b[31m.txt"
    path.write_bytes(GOOD_TEXT)
    path.with_suffix(".json").write_text(json.dumps({"year": 2021, "province": "p"}))
    with pytest.raises(CorpusError, match=r"file name .*U\+001B.*rename"):
        load_document(path)


def test_no_field_of_a_stored_document_s_cases_holds_a_control_character(tmp_path):
    path = _write(tmp_path, "标\x07题\n一、甲\u202e市\n1.推进\x0c课后服务全覆盖\x00。\n".encode(),
                  {"id": "x", "year": 2021, "province": "p"})
    doc, cases = load_document(path)
    for record in (doc, *cases):
        for value in vars(record).values():
            assert not isinstance(value, str) or find_unsafe(value) is None, value


def test_a_year_of_true_is_no_year(tmp_path):
    from corpus.errors import CorpusError
    from corpus.load import read_metadata

    (tmp_path / "d.txt").write_text("x", encoding="utf-8")
    (tmp_path / "d.json").write_text('{"year": true, "province": "山东省"}', encoding="utf-8")
    with pytest.raises(CorpusError, match="'year' must be a int"):
        read_metadata(tmp_path / "d.txt")
