"""API key, CORS and security headers."""

from __future__ import annotations

import pytest

from service.app import create_app


@pytest.fixture
def locked(engine):
    return create_app({"TESTING": True, "ENGINE": engine, "API_KEY": "s3cret",
                       "CORS_ORIGINS": ("https://intranet.example",)}).test_client()


def test_without_a_key_the_api_is_open(client):
    assert client.get("/api/cities").status_code == 200


@pytest.mark.parametrize("header", [None, "Bearer wrong", "s3cret", "Basic s3cret", "Bearer "])
def test_with_a_key_the_api_refuses_missing_or_wrong_keys(locked, header):
    headers = {"Authorization": header} if header else {}
    response = locked.get("/api/cities", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "s3cret" not in response.get_data(as_text=True)


def test_with_a_key_the_right_one_opens_the_api(locked):
    response = locked.post("/api/search", json={"query": "校车"},
                           headers={"Authorization": "Bearer s3cret"})
    assert response.status_code == 200


def test_health_and_pages_need_no_key(locked):
    assert locked.get("/healthz").status_code == 200
    assert locked.get("/readyz").status_code == 200
    assert locked.get("/").status_code == 200


def test_cors_is_off_by_default(client):
    response = client.get("/api/cities", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_answers_only_allowed_origins(locked):
    allowed = locked.options("/api/search", headers={
        "Origin": "https://intranet.example", "Access-Control-Request-Method": "POST"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://intranet.example"
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    other = locked.options("/api/search", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/?q=校车")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = response.get_data(as_text=True)
    assert "<script>" not in page and " style=" not in page and "onclick" not in page
