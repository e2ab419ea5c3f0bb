"""Every endpoint through the test client, with the fake embedder behind it."""

from __future__ import annotations

import re
import threading
import time

import pytest

from service.http.app import create_app

PROBLEM = "application/problem+json"


def test_search_post_returns_ranked_results(client):
    response = client.post("/api/search", json={"query": "购置新国标校车", "k": 3})
    assert response.status_code == 200
    body = response.get_json()
    assert body["query"] == "购置新国标校车"
    assert len(body["results"]) == 3
    first = body["results"][0]
    assert first["id"] == "sd2020-jinan-3"
    assert set(first) == {"id", "city", "seq", "text", "score", "snippet", "match", "year",
                          "province", "case_title", "place_level", "places"}
    assert body["took_ms"] >= 0
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_search_get_matches_post(client):
    got = client.get("/api/search", query_string={"q": "校车", "k": 4}).get_json()
    posted = client.post("/api/search", json={"query": "校车", "k": 4}).get_json()
    assert [r["id"] for r in got["results"]] == [r["id"] for r in posted["results"]]


def test_search_defaults_to_ten_results(client):
    assert len(client.get("/api/search?q=教育").get_json()["results"]) == 10


def test_search_filters_by_cities(client):
    body = client.post("/api/search", json={"query": "教师", "cities": ["青岛市"]}).get_json()
    assert {r["city"] for r in body["results"]} == {"青岛市"}
    got = client.get("/api/search?q=教师&city=青岛市&city=济南市").get_json()
    assert {r["city"] for r in got["results"]} == {"青岛市", "济南市"}


def test_json_is_utf8_not_escaped(client):
    response = client.get("/api/search?q=校车&k=1")
    assert "校车".encode() in response.data or "市".encode() in response.data


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"query": ""}, 422, "empty"),
    ({"query": "   "}, 422, "empty"),
    ({"query": 42}, 422, "string"),
    ({}, 422, "string"),
    ({"query": "x" * 501}, 422, "limit"),
    ({"query": "校车", "k": 0}, 422, "k must"),
    ({"query": "校车", "k": 51}, 422, "k must"),
    ({"query": "校车", "k": "ten"}, 422, "k must"),
    ({"query": "校车", "k": True}, 422, "k must"),
    ({"query": "校车", "cities": "青岛市"}, 422, "list"),
    ({"query": "校车", "cities": ["北京市"]}, 422, "北京市"),
    ({"query": "校车", "city": "青岛市"}, 422, "unknown fields"),
    (["校车"], 400, "JSON object"),
])
def test_bad_search_bodies_get_a_problem(client, body, status, words):
    response = client.post("/api/search", json=body)
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    problem = response.get_json(force=True)
    assert problem["status"] == status and words in problem["detail"]


@pytest.mark.parametrize(("data", "content_type"), [
    ("{broken", "application/json"),
    (b"\xff\xfe\xfa", "application/json"),
    ("query=校车", "application/x-www-form-urlencoded"),
    ("", "application/json"),
])
def test_malformed_bodies_are_400(client, data, content_type):
    response = client.post("/api/search", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.mimetype == PROBLEM


def test_an_oversized_body_is_413(client):
    response = client.post("/api/search", json={"query": "校" * 20000})
    assert response.status_code == 413
    assert response.mimetype == PROBLEM


def test_search_get_without_q(client):
    response = client.get("/api/search")
    assert response.status_code == 422
    assert "q is required" in response.get_json(force=True)["detail"]


def test_list_cases_pages(client):
    body = client.get("/api/cases?limit=5&offset=45").get_json()
    assert body["total"] == 48 and len(body["cases"]) == 3
    assert body["cases"][-1]["id"] == "sd2020-heze-3"
    assert len(client.get("/api/cases?limit=1000").get_json()["cases"]) == 48


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "offset=-1", "limit=abc"])
def test_list_cases_bad_paging(client, query):
    response = client.get(f"/api/cases?{query}")
    assert response.status_code == 422 and response.mimetype == PROBLEM


def test_get_case(client):
    case = client.get("/api/cases/sd2020-qingdao-2").get_json()
    assert case["city"] == "青岛市" and case["seq"] == 2 and case["year"] == 2020
    assert case["province"] == "山东省" and case["title"]


@pytest.mark.parametrize("case_id", ["nope", "..%2F..%2Fetc%2Fpasswd", "sd2020-jinan-9"])
def test_unknown_case_is_404_problem(client, case_id):
    response = client.get(f"/api/cases/{case_id}")
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_similar_excludes_the_case_and_its_city(client):
    body = client.get("/api/cases/sd2020-jinan-3/similar?k=50").get_json()
    assert body["case"]["id"] == "sd2020-jinan-3"
    assert len(body["results"]) == 45
    assert all(r["city"] != "济南市" for r in body["results"])


def test_similar_same_city(client):
    body = client.get("/api/cases/sd2020-jinan-3/similar?k=50&same_city=true").get_json()
    ids = {r["id"] for r in body["results"]}
    assert "sd2020-jinan-1" in ids and "sd2020-jinan-3" not in ids


@pytest.mark.parametrize("query", ["k=0", "k=x", "same_city=maybe"])
def test_similar_bad_arguments(client, query):
    response = client.get(f"/api/cases/sd2020-jinan-3/similar?{query}")
    assert response.status_code == 422 and response.mimetype == PROBLEM


def test_similar_of_unknown_case(client):
    assert client.get("/api/cases/nope/similar").status_code == 404


def test_cities(client):
    cities = client.get("/api/cities").get_json()
    assert len(cities) == 16 and cities[0] == {"city": "济南市", "count": 3}


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["model"] == "fake/char-ngrams" and ready.get_json()["cases"] == 48


@pytest.fixture
def held_loader(engine):
    """A loader that returns the engine only once `release` is set."""
    release = threading.Event()

    def loader():
        release.wait(5)
        return engine

    return loader, release


def test_not_ready_until_loaded_then_ready(held_loader):
    slow_loader, release = held_loader
    app = create_app({"TESTING": True, "ENGINE_LOADER": slow_loader, "ENGINE_WAIT_SECONDS": 0})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    waiting = client.get("/api/search?q=校车")
    assert waiting.status_code == 503 and waiting.mimetype == PROBLEM
    assert waiting.headers["Retry-After"]
    release.set()
    assert app.extensions["casesearch"].wait(5)
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/search?q=校车").status_code == 200


def test_a_request_during_start_up_waits_for_the_engine(held_loader):
    slow_loader, release = held_loader
    app = create_app({"TESTING": True, "ENGINE_LOADER": slow_loader, "ENGINE_WAIT_SECONDS": 10,
                      "ENGINE_MAX_WAITERS": 3})
    threading.Timer(0.2, release.set).start()
    assert app.test_client().get("/api/search?q=校车").status_code == 200


def test_waiting_requests_never_take_every_thread_during_start_up(held_loader):
    slow_loader, release = held_loader
    app = create_app({"TESTING": True, "ENGINE_LOADER": slow_loader, "ENGINE_WAIT_SECONDS": 10,
                      "ENGINE_MAX_WAITERS": 2})
    statuses: list[int] = []
    waiting = [threading.Thread(target=lambda: statuses.append(
        app.test_client().get("/api/search?q=校车").status_code)) for _ in range(2)]
    for thread in waiting:
        thread.start()
    time.sleep(0.3)  # both are waiting now
    started = time.perf_counter()
    third = app.test_client().get("/api/cities")
    assert third.status_code == 503 and third.headers["Retry-After"]
    assert time.perf_counter() - started < 1  # answered at once, not after the wait
    assert app.test_client().get("/healthz").status_code == 200
    release.set()
    for thread in waiting:
        thread.join(10)
    assert statuses == [200, 200]


def test_a_failed_load_is_reported_not_hidden():
    def broken_loader():
        raise RuntimeError("index missing at /secret/path")

    app = create_app({"TESTING": True, "ENGINE_LOADER": broken_loader})
    app.extensions["casesearch"].wait(5)
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["status"] == "failed"
    response = client.get("/api/cities")
    assert response.status_code == 503
    assert "/secret/path" not in response.get_data(as_text=True)


def test_unknown_route_and_wrong_method_are_problems(client):
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    wrong = client.delete("/api/search")
    assert wrong.status_code == 405 and wrong.mimetype == PROBLEM
    assert "GET" in wrong.headers["Allow"]


def test_an_unexpected_error_is_a_500_problem_without_trace(engine):
    class Broken:
        def __getattr__(self, name):
            raise ZeroDivisionError("secret detail")

    app = create_app({"TESTING": False, "ENGINE": Broken()})
    response = app.test_client().get("/api/cities")
    assert response.status_code == 500 and response.mimetype == PROBLEM
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_openapi_describes_every_endpoint(client, app):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    documented = set(spec["paths"])
    routes = {re.sub(r"<(\w+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(("/api", "/healthz", "/readyz", "/openapi"))}
    assert routes == documented


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_search_accepts_a_mode(client, mode):
    query = "新建防溺水智能化系统"
    body = client.post("/api/search", json={"query": query, "k": 3, "mode": mode}).get_json()
    assert body["results"][0]["id"] == "sd2020-linyi-3"
    assert client.get(f"/api/search?q={query}&k=3&mode={mode}").status_code == 200


def test_an_unknown_mode_is_422(client):
    response = client.post("/api/search", json={"query": "校车", "mode": "magic"})
    assert response.status_code == 422 and "mode must be" in response.get_json(force=True)["detail"]


def test_snippets_mark_matched_terms(client):
    body = client.get("/api/search?q=防溺水&k=1").get_json()
    assert "<mark>溺水</mark>" in body["results"][0]["snippet"]


def test_tools_endpoint_lists_function_definitions(client):
    tools = client.get("/api/tools").get_json()
    assert [t["function"]["name"] for t in tools] == ["search", "fetch", "similar_cases",
                                                     "compare_figures"]


def test_search_filters_by_year_and_province(client):
    body = client.post("/api/search", json={"query": "教师", "years": [2020],
                                            "provinces": ["山东省"]}).get_json()
    assert len(body["results"]) == 10 and {r["year"] for r in body["results"]} == {2020}
    assert client.get("/api/search?q=教师&year=2020&province=山东省").status_code == 200


@pytest.mark.parametrize(("body", "words"), [
    ({"query": "教师", "years": [1999]}, "known years: 2020"),
    ({"query": "教师", "provinces": ["河北省"]}, "known provinces: 山东省"),
    ({"query": "教师", "years": ["twenty"]}, "whole numbers"),
    ({"query": "教师", "years": 2020}, "list of years"),
])
def test_bad_year_and_province_filters(client, body, words):
    response = client.post("/api/search", json=body)
    assert response.status_code == 422 and words in response.get_json(force=True)["detail"]


def test_results_carry_a_match_level_and_min_match_filters(client):
    every = client.get("/api/search?q=购置新国标校车&k=20").get_json()["results"]
    assert all(r["match"] in ("strong", "partial", "weak") for r in every)
    close = client.get("/api/search?q=购置新国标校车&k=20&min_match=partial").get_json()["results"]
    assert [r["id"] for r in close] == [r["id"] for r in every if r["match"] != "weak"]
    wrong = client.get("/api/search?q=校车&min_match=excellent")
    assert wrong.status_code == 422 and "min_match must be one of" in wrong.get_json()["detail"]
    similar = client.get("/api/cases/sd2020-jinan-3/similar?min_match=strong").get_json()
    assert all(r["match"] == "strong" for r in similar["results"])


def test_a_download_name_never_carries_header_syntax():
    from service.http.api import download_name

    assert download_name("similar-sd2020-jinan-3") == "similar-sd2020-jinan-3"
    assert download_name('x"\r\nSet-Cookie: a=1; ../..') == "x-Set-Cookie-a-1"
    assert download_name("校车") == "export"
