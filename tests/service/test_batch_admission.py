"""Batches are bounded: a full batch of the longest questions fits its body limit, and a worker
runs one batch at a time, answering the next 503 with Retry-After while health checks and
single searches go on."""

from __future__ import annotations

import json

from service.http.api import BATCH_BODY_BYTES
from service.http.server import BODY_LIMIT
from service.schema import MAX_BATCH, MAX_BATCH_CHARS, MAX_QUERY_CHARS


def _post(client, body: bytes):
    return client.post("/api/search/batch", data=body, content_type="application/json")


def test_the_largest_batch_fits_even_written_with_escapes(client):
    """32 questions, 4,000 Chinese characters in all, as json.dumps writes them (\\uXXXX)."""
    each = MAX_BATCH_CHARS // MAX_BATCH
    questions = [("校车安全" * 125)[:each] for _ in range(MAX_BATCH)]
    body = json.dumps({"queries": questions, "k": 1}).encode()
    assert len(body) > 16 * 1024
    answer = _post(client, body)
    assert answer.status_code == 200, answer.get_json()
    assert len(answer.get_json()["results"]) == MAX_BATCH


def test_a_batch_of_too_many_characters_is_told_to_split(client):
    questions = ["校" * MAX_QUERY_CHARS] * 16  # each allowed, too many in all
    answer = _post(client, json.dumps({"queries": questions}, ensure_ascii=False).encode())
    assert answer.status_code == 422
    assert "8,000 characters in all" in answer.get_json()["detail"]
    assert "split them" in answer.get_json()["detail"]


def test_a_body_over_the_limit_is_told_the_limit_and_what_to_do(client):
    body = json.dumps({"queries": ["校" * MAX_QUERY_CHARS] * (MAX_BATCH * 2)}).encode()
    answer = _post(client, body)
    assert answer.status_code == 413 and answer.mimetype == "application/problem+json"
    detail = answer.get_json()["detail"]
    assert f"{BATCH_BODY_BYTES:,} bytes" in detail and "fewer questions" in detail
    single = client.post("/api/search", data=json.dumps({"query": "校" * 20000}),
                         content_type="application/json")
    assert single.status_code == 413 and "not a document" in single.get_json()["detail"]


def test_a_batch_leaves_the_cores_to_everyone_else(app, client, monkeypatch):
    """While a batch runs, its embedding calls (and any other) are told to use one thread."""
    from index.retrieval import in_flight

    seen = []
    engine = app.extensions["casesearch"].engine
    real = engine.search_batch
    monkeypatch.setattr(engine, "search_batch", lambda *a, **k: (
        seen.append(in_flight.searches_overlap()), real(*a, **k))[1])
    assert _post(client, json.dumps({"queries": ["校车"]}).encode()).status_code == 200
    assert seen == [True] and not in_flight.searches_overlap()


def test_the_server_reads_ahead_a_whole_batch():
    assert BODY_LIMIT >= BATCH_BODY_BYTES


def test_a_second_batch_waits_its_turn_and_everyone_else_is_served(app, client):
    gate = app.extensions["casesearch.batches"]
    with gate.admit():  # a batch is running in this worker
        refused = _post(client, json.dumps({"queries": ["校车"]}).encode())
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        assert "try again" in refused.get_json()["detail"]
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/search?q=%E6%A0%A1%E8%BD%A6").status_code == 200
    assert _post(client, json.dumps({"queries": ["校车"]}).encode()).status_code == 200


def test_batches_always_leave_a_thread_for_the_rest():
    from service.runtime.settings import Settings

    assert Settings(server_threads=4, batch_slots=8).batch_threads == 3
    assert Settings(server_threads=1).batch_threads == 1


def test_a_batch_that_runs_out_of_time_says_so_instead_of_being_cut(client, monkeypatch):
    from service.http import api

    monkeypatch.setattr(api, "BATCH_SECONDS", -1.0)
    answer = _post(client, json.dumps({"queries": ["校车"] * 10}).encode())
    assert answer.status_code == 503 and "too busy" in answer.get_json()["detail"]
    assert answer.headers["Retry-After"] == "5"


def test_a_chunked_batch_answers_like_one_call(client, engine):
    questions = [f"校车安全 {i}" for i in range(20)]
    answered = _post(client, json.dumps({"queries": questions, "k": 3}).encode()).get_json()
    direct = engine.search_batch(questions, k=3)
    assert [[r["id"] for r in item["results"]] for item in answered["results"]] == [
        [hit.case.id for hit in hits] for hits in direct]

