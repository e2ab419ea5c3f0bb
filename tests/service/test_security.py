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


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil",
                                    "/\t/evil.example", "/\n/evil.example", "/\r\n//evil",
                                    " //evil.example", "/\x00/evil", "\t//evil.example",
                                    "javascript:alert(1)", "/\u0085/evil", "///evil.example",
                                    "http:/evil.example", "/cases/\nSet-Cookie: x=1"])
def test_sign_in_only_goes_back_to_this_site(locked, target):
    signed = locked.post("/login", data={"key": "s3cret", "next": target})
    assert signed.status_code == 303 and signed.headers["Location"] == "/"


def test_sign_in_goes_back_to_the_page_asked_for(locked):
    asked = locked.get("/?q=%E6%A0%A1%E8%BD%A6&city=%E6%B5%8E%E5%8D%97%E5%B8%82")
    assert 'value="/?q=%E6%A0%A1%E8%BD%A6&amp;city=' in asked.get_data(as_text=True)
    signed = locked.post("/login", data={"key": "s3cret", "next": "/cases/sd2020-jinan-3?x=1"})
    assert signed.headers["Location"] == "/cases/sd2020-jinan-3?x=1"


def test_the_session_cookie_ends_with_the_browser_expires_and_differs_per_sign_in(locked):
    from service.http.security import SESSION_SECONDS, session_token, session_valid

    cookie = locked.post("/login", data={"key": "s3cret"}).headers["Set-Cookie"]
    assert "Max-Age" not in cookie and "Expires" not in cookie  # a session cookie
    earlier = session_token("s3cret", now=1_000_000)
    assert session_valid("s3cret", earlier, now=1_000_000 + 60)
    assert not session_valid("s3cret", earlier, now=1_000_000 + SESSION_SECONDS + 1)
    assert not session_valid("another-key", earlier, now=1_000_060)  # a new key ends it
    assert earlier != session_token("s3cret", now=1_000_001)
    forged = earlier.split(".")[0] + "." + "0" * 64
    assert not session_valid("s3cret", forged, now=1_000_060)
    for junk in ("", ".", "abc.def", "9" * 40 + ".x"):
        assert not session_valid("s3cret", junk)


def test_signing_out_ends_the_pages_session(locked):
    locked.post("/login", data={"key": "s3cret"})
    page = locked.get("/")
    assert page.status_code == 200 and "Sign out" in page.get_data(as_text=True)
    out = locked.post("/logout")
    assert out.status_code == 303 and "casesearch_session=;" in out.headers["Set-Cookie"]
    assert locked.get("/").status_code == 401


def test_the_cookie_is_secure_behind_the_documented_tls_proxy(locked):
    behind = locked.post("/login", data={"key": "s3cret"},
                         headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in behind.headers["Set-Cookie"]
    plain = locked.post("/login", data={"key": "s3cret"})
    assert "Secure" not in plain.headers["Set-Cookie"]


@pytest.mark.parametrize("how", ["form", "bearer"])
def test_key_guessing_is_slowed_per_address_and_logged(engine, how, caplog):
    from service.runtime.admission import FAILURES_ALLOWED

    client = create_app({"TESTING": True, "ENGINE": engine, "API_KEY": "s3cret"}).test_client()

    def guess(key: str, address: str = "203.0.113.7"):
        environ = {"REMOTE_ADDR": address}
        if how == "form":
            return client.post("/login", data={"key": key}, environ_base=environ)
        return client.get("/api/cities", headers={"Authorization": f"Bearer {key}"},
                          environ_base=environ)

    statuses = [guess(f"wrong{i}").status_code for i in range(FAILURES_ALLOWED + 5)]
    assert statuses[:FAILURES_ALLOWED] == [401] * FAILURES_ALLOWED
    assert set(statuses[FAILURES_ALLOWED:]) == {429}
    refused = guess("s3cret")  # even the right key, until the window has passed
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert guess("s3cret", address="198.51.100.1").status_code in (200, 303)  # others are not
    warnings = [r for r in caplog.records if "wrong API key" in r.getMessage()]
    assert len(warnings) == FAILURES_ALLOWED and "203.0.113.7" in warnings[0].getMessage()
    assert all("wrong" not in r.getMessage().split("for")[-1] for r in warnings)  # no key


def test_behind_the_local_proxy_the_forwarded_address_is_counted(engine):
    from service.runtime.admission import FAILURES_ALLOWED

    client = create_app({"TESTING": True, "ENGINE": engine, "API_KEY": "s3cret"}).test_client()
    for i in range(FAILURES_ALLOWED):
        client.get("/api/cities", headers={"Authorization": f"Bearer no{i}",
                                           "X-Forwarded-For": "192.0.2.5"})
    blocked = client.get("/api/cities", headers={"Authorization": "Bearer no",
                                                 "X-Forwarded-For": "192.0.2.5"})
    other = client.get("/api/cities", headers={"Authorization": "Bearer s3cret",
                                               "X-Forwarded-For": "192.0.2.6"})
    assert blocked.status_code == 429 and other.status_code == 200


def _guessing_client(engine, **config):
    return create_app({"TESTING": True, "ENGINE": engine, "API_KEY": "s3cret",
                       **config}).test_client()


def _blocked_after_guesses(client, peer: str, forwarded: list[str]) -> bool:
    """Whether a client sending wrong keys with a new X-Forwarded-For each time (as one that
    hopes to dodge the limit would) is refused in the end: whether its header is ignored."""
    from service.runtime.admission import FAILURES_ALLOWED

    statuses = [client.get("/api/cities",
                           headers={"Authorization": f"Bearer no{i}",
                                    "X-Forwarded-For": forwarded[i % len(forwarded)]},
                           environ_base={"REMOTE_ADDR": peer}).status_code
                for i in range(FAILURES_ALLOWED + 1)]
    return statuses[-1] == 429


def test_forwarded_headers_from_anyone_but_a_trusted_proxy_are_ignored(engine):
    from ipaddress import ip_network

    made_up = [f"192.0.2.{n}" for n in range(1, 40)]
    # the default trusts loopback only: a remote peer cannot pick its own address
    assert _blocked_after_guesses(_guessing_client(engine), "203.0.113.9", made_up)
    # in a container every client arrives from the gateway, or looks like loopback: `none`
    none = _guessing_client(engine, TRUSTED_PROXIES=())
    assert _blocked_after_guesses(none, "127.0.0.1", made_up)
    # a proxy on another host, named by its network, is believed
    lan = _guessing_client(engine, TRUSTED_PROXIES=(ip_network("10.0.0.0/8"),))
    assert not _blocked_after_guesses(lan, "10.1.2.3", made_up)
    assert _blocked_after_guesses(lan, "127.0.0.1", made_up)  # loopback is no longer trusted


@pytest.mark.parametrize(("forwarded", "counted"), [
    # what the client sent itself, then what each trusted proxy appended
    ("198.51.100.4, 10.0.0.7", "198.51.100.4"),       # two proxies: the one before them
    ("192.0.2.77, 198.51.100.4", "198.51.100.4"),     # a client's own entry is never read
    ("junk, 198.51.100.4", "198.51.100.4"),
    ("10.0.0.5, 10.0.0.7", "10.0.0.5"),               # every hop trusted: the first of them
    ("198.51.100.4, junk", "10.0.0.1"),               # a malformed hop: the peer that sent it
    ("198.51.100.4, unknown", "10.0.0.1"),            # an obfuscated one (Squid) too
    ("198.51.100.4, ", "10.0.0.1"),                   # and an empty one
    ("198.51.100.4:51234", "198.51.100.4"),           # with the client's port (IIS, Azure)
    ("[2001:db8::1]:443", "2001:db8::1"),
    ("2001:db8::1, 10.0.0.7", "2001:db8::1"),
    ("198.51.100.4, ::ffff:10.0.0.7", "198.51.100.4"),  # a trusted hop, IPv4-mapped
    ("198.51.100.4,\t10.0.0.7", "198.51.100.4"),
])
def test_the_client_is_the_last_forwarded_address_that_is_no_trusted_proxy(
        engine, forwarded, counted):
    from ipaddress import ip_network

    from service.http.security import client_address

    app = create_app({"TESTING": True, "ENGINE": engine,
                      "TRUSTED_PROXIES": (ip_network("10.0.0.0/8"),)})
    with app.test_request_context("/", headers={"X-Forwarded-For": forwarded},
                                  environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert client_address() == counted


def test_https_is_believed_from_a_trusted_proxy_only(engine):
    from service.http.security import served_over_https

    for trusted, peer, secure in [(True, "127.0.0.1", True), (True, "203.0.113.9", False),
                                  (False, "127.0.0.1", False)]:
        app = create_app({"TESTING": True, "ENGINE": engine,
                          **({} if trusted else {"TRUSTED_PROXIES": ()})})
        with app.test_request_context("/", headers={"X-Forwarded-Proto": "https"},
                                      environ_base={"REMOTE_ADDR": peer}):
            assert served_over_https() is secure


def test_several_forwarded_for_lines_are_read_as_one_list(engine):
    from ipaddress import ip_network

    from service.http.security import client_address

    app = create_app({"TESTING": True, "ENGINE": engine,
                      "TRUSTED_PROXIES": (ip_network("10.0.0.0/8"),)})
    headers = [("X-Forwarded-For", "192.0.2.1"), ("X-Forwarded-For", "198.51.100.4, 10.0.0.7")]
    with app.test_request_context("/", headers=headers,
                                  environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert client_address() == "198.51.100.4"


def test_gunicorn_leaves_forwarded_headers_to_the_app():
    """gunicorn trusts loopback's X-Forwarded-Proto by default, which would make the scheme
    https whatever CASESEARCH_TRUSTED_PROXIES says: the server's configuration turns that
    off (the image check sees it end to end)."""
    from gunicorn.config import Config

    from service.http.server import gunicorn_options
    from service.runtime.settings import Settings

    config = Config()
    for name, value in gunicorn_options(Settings()).items():
        config.set(name, value)
    assert config.forwarded_allow_ips == []


@pytest.mark.parametrize(("raw", "count"), [("none", 0), ("NONE", 0), ("10.0.0.0/8", 1),
                                            ("10.0.0.1, ::1,10.0.0.1", 2),
                                            ("10.0.0.9/8", 1)])
def test_trusted_proxies_are_read_as_networks(raw, count):
    from service.runtime.settings import Settings

    assert len(Settings.from_env({"CASESEARCH_TRUSTED_PROXIES": raw}).trusted_proxies) == count


@pytest.mark.parametrize("raw", ["nginx", "10.0.0.0/33", "127.0.0.1:80", "*", " , "])
def test_a_trusted_proxy_that_is_no_address_is_refused_at_start_up(raw):
    from service.runtime.settings import Settings

    with pytest.raises(ValueError, match="CASESEARCH_TRUSTED_PROXIES (must list|lists no)"):
        Settings.from_env({"CASESEARCH_TRUSTED_PROXIES": raw})


def test_failures_are_forgotten_after_the_window_and_memory_is_bounded():
    from service.runtime.admission import WindowCounts

    failures = WindowCounts(allowed=2, window=10, tracked=3)
    failures.record("a", now=0)
    failures.record("a", now=1)
    assert failures.retry_after("a", now=5) == 6
    assert failures.retry_after("a", now=11.5) == 0
    for address in "bcde":
        failures.record(address, now=2)
    assert failures.retry_after("a", now=3) == 0  # the oldest address was forgotten


@pytest.mark.parametrize(("key", "words"), [("short", "at least 16"),
                                             ("a key with spaces 123", "spaces"),
                                             ("x" * 20 + "\x1b", "control")])
def test_a_weak_or_odd_key_is_refused_at_start_up(key, words):
    from service.runtime.settings import Settings

    with pytest.raises(ValueError, match=words):
        Settings.from_env({"CASESEARCH_API_KEY": key})
    assert Settings.from_env({"CASESEARCH_API_KEY": "k" * 16}).api_key == "k" * 16


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


def test_guessers_are_counted_by_host_not_by_address_they_can_change():
    from service.http.security import _within
    from service.runtime.admission import guesser
    from service.runtime.settings import LOOPBACK_NETWORKS, networks

    assert guesser("2001:db8::1") == guesser("2001:db8::ffff") == "2001:db8::/64"
    assert guesser("2001:db8:0:1::1") != guesser("2001:db8::1")
    assert guesser("::ffff:203.0.113.7") == guesser("203.0.113.7") == "203.0.113.7"
    loopback = networks("", LOOPBACK_NETWORKS)
    assert _within("::ffff:127.0.0.1", loopback) and _within("127.0.0.2", loopback)
    assert not _within("::ffff:203.0.113.7", loopback) and not _within("junk", loopback)
