"""Hostile and malformed requests: every one gets a clear 4xx problem, never a 5xx."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"

HOSTILE = [
    # (method, path, kwargs, expected status)
    ("POST", "/api/search", {"json": {"query": ""}}, 422),
    ("POST", "/api/search", {"json": {"query": " \t\n "}}, 422),
    ("POST", "/api/search", {"json": {"query": "校" * 501}}, 422),
    ("POST", "/api/search", {"json": {"query": "x" * 20000}}, 413),
    ("POST", "/api/search", {"json": {"query": None}}, 422),
    ("POST", "/api/search", {"json": {"query": ["校车"]}}, 422),
    ("POST", "/api/search", {"json": {"query": {"$gt": ""}}}, 422),
    ("POST", "/api/search", {"json": {"query": "校车", "k": -5}}, 422),
    ("POST", "/api/search", {"json": {"query": "校车", "k": 1e9}}, 422),
    ("POST", "/api/search", {"json": {"query": "校车", "k": 2.5}}, 422),
    ("POST", "/api/search", {"json": {"query": "校车", "k": None}}, 200),
    ("POST", "/api/search", {"json": {"query": "校车", "cities": [1, 2]}}, 422),
    ("POST", "/api/search", {"json": {"query": "校车", "cities": ["<script>"]}}, 422),
    ("POST", "/api/search", {"json": {"query": "校车", "extra": 1}}, 422),
    ("POST", "/api/search", {"json": "校车"}, 400),
    ("POST", "/api/search", {"json": 42}, 400),
    ("POST", "/api/search", {"data": "{\"query\": ", "content_type": "application/json"}, 400),
    ("POST", "/api/search", {"data": b"\xff\xfe{}", "content_type": "application/json"}, 400),
    ("POST", "/api/search", {"data": "query=x", "content_type": "text/plain"}, 400),
    ("POST", "/api/search", {}, 400),
    ("GET", "/api/search", {}, 422),
    ("GET", "/api/search?q=", {}, 422),
    ("GET", "/api/search?q=%00%01", {}, 422),          # control characters only: no words
    ("GET", "/api/search?q=%FF%FE", {}, 200),          # invalid UTF-8 stays as typed: "%FF%FE"
    ("GET", "/api/search?q=%E2%80%8B%EF%BB%BF", {}, 422),  # zero-width space and BOM
    ("GET", "/api/search?q=%EF%BC%9F%EF%BC%81...", {}, 422),  # punctuation only
    ("POST", "/api/search", {"json": {"query": "\u200b\u200c\ufeff"}}, 422),
    ("POST", "/api/search", {"json": {"query": "？！……——"}}, 422),
    ("POST", "/api/search", {"data": '{"query": "\\ud800校车"}',
                             "content_type": "application/json"}, 400),  # a lone surrogate
    ("POST", "/api/search", {"data": '{"query": "校车", "cities": ["\\udfff"]}',
                             "content_type": "application/json"}, 400),
    ("POST", "/api/search", {"data": '{"query": ' + "[" * 5000 + "]" * 5000 + "}",
                             "content_type": "application/json"}, 400),  # nested too deeply
    ("POST", "/api/search", {"data": '{"query": "校车", "cities": ' + "[" * 3000 + "]" * 3000
                             + "}", "content_type": "application/json"}, 400),
    ("POST", "/api/search", {"data": '{"query": "校车", "years": [' + "9" * 5000 + "]}",
                             "content_type": "application/json"}, 400),  # past int's digits
    ("POST", "/api/search", {"data": '{"query": "校车", "k": ' + "9" * 5000 + "}",
                             "content_type": "application/json"}, 400),
    ("POST", "/api/search", {"json": {"query": "校车", "years": [10 ** 30]}}, 422),
    ("POST", "/api/search", {"json": {"query": "校车", "years": [[[2020]]]}}, 422),
    ("POST", "/api/search", {"json": {"query": "校车", "mode": [["hybrid"]]}}, 422),
    ("POST", "/api/search", {"data": '{"query": "校车", "k": NaN}',
                             "content_type": "application/json"}, 422),
    ("GET", "/api/search?q=校车&year=" + "9" * 5000, {}, 422),
    ("GET", "/api/search?q=校车&k=" + "9" * 5000, {}, 422),
    ("GET", "/api/search?q=校车&k=abc", {}, 422),
    ("GET", "/api/search?q=校车&k=0x10", {}, 422),
    ("GET", "/api/search?q=校车&city=nowhere", {}, 422),
    ("GET", "/api/search?q=校车&mode=../../etc", {}, 422),
    ("GET", "/api/cases?limit=999999999999999999999", {}, 422),
    ("GET", "/api/cases?offset=-1", {}, 422),
    ("GET", "/api/cases?offset=99999999", {}, 200),
    ("GET", "/api/cases/..%2F..%2Fetc%2Fpasswd", {}, 404),
    ("GET", "/api/cases/%2e%2e", {}, 404),
    ("GET", "/api/cases/" + "a" * 5000, {}, 404),
    ("GET", "/api/cases/sd2020-jinan-3/similar?k=-1", {}, 422),
    ("GET", "/api/cases/sd2020-jinan-3/similar?same_city=2", {}, 422),
    ("GET", "/api/nothing", {}, 404),
    ("GET", "/static/../service/app.py", {}, 404),
    ("GET", "/static/%2e%2e/app.py", {}, 404),
    ("DELETE", "/api/search", {}, 405),
    ("PUT", "/api/cases/sd2020-jinan-3", {}, 405),
    ("PATCH", "/api/cities", {}, 405),
    ("POST", "/healthz", {}, 405),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), HOSTILE)
def test_hostile_request(client, method, path, kwargs, status):
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status >= 400:
        assert response.mimetype == PROBLEM
        problem = response.get_json(force=True)
        assert problem["status"] == status and problem["detail"]
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "/work/" not in body and ".py" not in body
        assert len(body) < 2000  # a client's huge value is never echoed back


def test_pages_survive_hostile_input(client):
    for path in ["/?q=" + "校" * 2000, "/?q=%FF&city=%00", "/?city=<script>",
                 "/cases/" + "x" * 3000]:
        assert client.get(path).status_code < 500
