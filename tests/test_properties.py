"""Property tests (Hypothesis): the parser recovers any well-formed document exactly, never
fails with anything but CorpusFormatError and never lets a control character through; search
always returns at most k sorted, valid hits."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corpus.errors import CorpusFormatError
from corpus.ids import DOC_ID_PATTERN, section_slugs
from corpus.parse import parse_text
from corpus.text import find_unsafe
from index.errors import InvalidRequestError

NUMERALS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
item_text = st.text(alphabet=st.characters(whitelist_categories=("Lo",), max_codepoint=0x9FFF),
                    min_size=1, max_size=40).filter(lambda t: t.strip() and t[0] not in NUMERALS)
documents = st.lists(st.tuples(st.sampled_from(["甲市", "乙市", "丙州", "丁县"]),
                               st.lists(item_text, min_size=1, max_size=5)),
                     min_size=1, max_size=len(NUMERALS))


def render(doc: list[tuple[str, list[str]]], blank: bool) -> str:
    lines = ["附件", "标题"]
    for number, (name, items) in zip(NUMERALS, doc, strict=False):
        lines.append(f"{number}、{name}")
        for seq, text in enumerate(items, start=1):
            lines += ([""] if blank else []) + [f"{seq}.{text}"]
    return "\n".join(lines) + "\n"


@given(documents, st.booleans())
def test_a_well_formed_document_is_recovered_exactly(doc, blank):
    parsed = parse_text(render(doc, blank))
    assert parsed.title == "标题"
    assert [(s.name, [i.text for i in s.items]) for s in parsed.sections] == \
        [(name, [t.strip() for t in items]) for name, items in doc]


@given(st.text(max_size=300))
@example("0\r\r0")  # a lone \r ends a line too (found by Hypothesis in CI)
def test_any_text_parses_or_names_its_line(text):
    try:
        parse_text(text)
    except CorpusFormatError as exc:
        # Lines as the parser counts them: \r\n, \r and \n each end one.
        lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
        assert 1 <= exc.line <= lines + 1


# Text built mostly of the characters that make a document, with every kind of control mixed in.
CONTROLS = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))] + [
    "\u061c", "\u200e", "\u200f", "\u2028", "\u2029", "\u202a", "\u202e", "\u2066", "\u2069",
    "\ud800", "\udfff", "\ufdd0", "\ufffe", "\uffff", "\U0010ffff"]
hostile = st.text(alphabet=st.sampled_from([*"一二三、1234.（）第部分甲乙市做法\n ", *CONTROLS]),
                  max_size=120)


@given(st.one_of(hostile, st.text(max_size=300)))
@example("标\x07题\n一、甲\u202e市\n1.做\x0b法\x00\n")
def test_no_control_character_reaches_a_parsed_field(text):
    try:
        parsed = parse_text(text)
    except CorpusFormatError:
        return
    fields = [parsed.title or ""] + [section.name for section in parsed.sections] + [
        item.text for section in parsed.sections for item in section.items]
    assert all(find_unsafe(field) is None for field in fields), fields


names = st.lists(st.one_of(st.sampled_from(["泰安市", "台安", "a", "a1", "a-1", "A 1", "①", "x",
                                             "x2", "济南", "济南市", "2021 济南"]),
                           st.text(max_size=12)), min_size=1, max_size=14)
doc_ids = st.from_regex(DOC_ID_PATTERN, fullmatch=True)


@given(st.lists(st.tuples(doc_ids, names), min_size=1, max_size=3, unique_by=lambda d: d[0]))
def test_case_ids_are_unique_in_a_corpus_and_the_same_every_time(documents):
    ids = []
    for doc_id, sections in documents:
        ordinals = range(1, len(sections) + 1)
        slugs = section_slugs(sections, ordinals)
        assert slugs == section_slugs(sections, ordinals)
        ids += [f"{doc_id}-{slug}-{seq}" for slug in slugs for seq in (1, 2, 12)]
    assert len(set(ids)) == len(ids)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=80), k=st.integers(min_value=1, max_value=50))
def test_search_returns_at_most_k_sorted_valid_hits(engine, query, k):
    try:
        hits = engine.search(query, k=k)
    except InvalidRequestError:
        # Refused only when there is nothing to search: no letter or digit, or a lone surrogate.
        assert not any(unicodedata.category(c)[0] in "LN" for c in query) or any(
            0xD800 <= ord(c) <= 0xDFFF for c in query)
        return
    ids = {case.id for case in engine.cases}
    assert len(hits) <= k
    assert all(hit.case.id in ids for hit in hits)
    assert len({hit.case.id for hit in hits}) == len(hits)
    # Best first; a city named in the query puts its relevant cases ahead of the rest.
    named = set(engine.city_matcher.find(query).cities)
    lead = 0
    while lead < len(hits) and hits[lead].case.city in named:
        lead += 1
    for group in (hits[:lead], hits[lead:]):
        scores = [hit.score for hit in group]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("case_id", ["sd2020-jinan-3", "sd2020-heze-1"])
@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(min_value=1, max_value=50), same_city=st.booleans())
def test_similar_never_returns_the_case_itself(engine, case_id, k, same_city):
    hits = engine.similar(case_id, k=k, same_city=same_city)
    assert case_id not in {hit.case.id for hit in hits} and len(hits) <= k
