"""API key, CORS and security headers."""

from __future__ import annotations

import pytest

from service.http.app import create_app


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


def test_with_a_key_only_health_checks_and_static_files_stay_open(locked):
    assert locked.get("/healthz").status_code == 200
    assert locked.get("/readyz").status_code == 200
    assert locked.get("/static/style.css").status_code == 200
    for api in ("/api/cases", "/api/tools", "/openapi.json", "/api/cases/sd2020-jinan-3"):
        assert locked.get(api).status_code == 401, api


@pytest.mark.parametrize("page", ["/?q=校车", "/cases/sd2020-jinan-3", "/overview"])
def test_with_a_key_pages_ask_for_it_and_show_no_case(locked, page):
    response = locked.get(page)
    assert response.status_code == 401
    body = response.get_data(as_text=True)
    assert 'name="key"' in body
    assert "商河" not in body and "class=\"card\"" not in body and "class=\"case\"" not in body


def test_signing_in_once_keeps_a_strict_session_cookie_for_pages_and_api(locked):
    wrong = locked.post("/login", data={"key": "nope", "next": "/?q=校车"})
    assert wrong.status_code == 401 and "wrong key" in wrong.get_data(as_text=True)
    signed = locked.post("/login", data={"key": "s3cret", "next": "/cases/sd2020-jinan-3"})
    assert signed.status_code == 303 and signed.headers["Location"] == "/cases/sd2020-jinan-3"
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "s3cret" not in cookie
    assert locked.get("/cases/sd2020-jinan-3").status_code == 200
    assert locked.get("/api/cities").status_code == 200  # the page's session reaches the API


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil"])
def test_sign_in_only_goes_back_to_this_site(locked, target):
    signed = locked.post("/login", data={"key": "s3cret", "next": target})
    assert signed.headers["Location"] == "/"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example",
                                  "localhost.", "[::2]:8000", "", "a b"])
def test_requests_for_other_host_names_are_refused(client, host):
    response = client.get("/api/cities", headers={"Host": host})
    expected = 200 if host == "localhost." else 400
    assert response.status_code == expected, host
    if expected == 400:
        assert response.mimetype == "application/problem+json"
        assert "host name" in response.get_json()["detail"]


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "[::1]:8000", "LOCALHOST"])
def test_loopback_names_on_any_port_are_served(client, host):
    assert client.get("/api/cities", headers={"Host": host}).status_code == 200


def test_a_doubled_slash_redirect_never_echoes_a_foreign_host(client):
    foreign = client.get("/api//cities", headers={"Host": "evil.example"})
    assert foreign.status_code == 400 and "Location" not in foreign.headers
    local = client.get("/api//cities", headers={"Host": "127.0.0.1:8000"})
    assert local.status_code in (200, 308)
    assert "evil" not in local.headers.get("Location", "")


def test_allowed_hosts_come_from_the_settings():
    from service.runtime.settings import Settings

    default = Settings.from_env({})
    assert default.served_hosts == ("127.0.0.1", "localhost", "::1")
    extended = Settings.from_env({"CASESEARCH_ALLOWED_HOSTS": "Search.Example.org, [::2]",
                                  "HOST": "10.0.0.5"})
    assert set(extended.served_hosts) >= {"search.example.org", "::2", "10.0.0.5"}
    assert "0.0.0.0" not in Settings.from_env({"HOST": "0.0.0.0"}).served_hosts


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
