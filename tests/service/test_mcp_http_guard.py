"""MCP over HTTP answers only its own host names and origins, and takes the API key."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from service.assistants.mcp_server import build_mcp_server, mcp_http_app

INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
              "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                         "clientInfo": {"name": "test", "version": "1"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.fixture
def mcp_client(engine):
    def make(api_key: str = ""):
        app = mcp_http_app(build_mcp_server(lambda: engine, "http://127.0.0.1:8000"),
                           hosts=("127.0.0.1", "localhost", "::1"), api_key=api_key)
        return TestClient(app, base_url="http://127.0.0.1:8001")

    return make


def _initialize(client, **headers):
    return client.post("/mcp", json=INITIALIZE, headers={**HEADERS, **headers})


def test_a_loopback_client_is_answered(mcp_client):
    with mcp_client() as client:
        assert _initialize(client).status_code == 200
        assert _initialize(client, Host="localhost:8001",
                           Origin="http://localhost:3000").status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8001", "127.0.0.1.evil.example"])
def test_a_foreign_host_is_refused(mcp_client, host):
    with mcp_client() as client:
        assert _initialize(client, Host=host).status_code == 421


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example",
                                    "null"])
def test_a_foreign_origin_is_refused(mcp_client, origin):
    with mcp_client() as client:
        assert _initialize(client, Origin=origin).status_code == 403


def test_with_a_key_mcp_needs_it(mcp_client):
    with mcp_client(api_key="s3cret") as client:
        refused = _initialize(client)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert "s3cret" not in refused.text
        assert _initialize(client, Authorization="Bearer wrong").status_code == 401
        assert _initialize(client, Authorization="Bearer s3cret").status_code == 200


def test_key_guessing_over_mcp_is_slowed_like_the_api(mcp_client, caplog):
    from service.runtime.admission import FAILURES_ALLOWED

    with mcp_client(api_key="s3cret") as client:
        statuses = [_initialize(client, Authorization=f"Bearer no{i}").status_code
                    for i in range(FAILURES_ALLOWED + 2)]
        assert statuses == [401] * FAILURES_ALLOWED + [429, 429]
        refused = _initialize(client, Authorization="Bearer s3cret")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert refused.headers["content-type"] == "application/problem+json"
    assert sum("wrong API key" in r.getMessage() for r in caplog.records) == FAILURES_ALLOWED
