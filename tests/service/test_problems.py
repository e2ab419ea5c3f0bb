"""One problem+json builder for every interface, and one mapping of the core's errors."""

from __future__ import annotations

import asyncio
import json

import pytest

from index.errors import (
    IndexIntegrityError,
    InvalidRequestError,
    ModelLoadError,
    UnknownCaseError,
    UnknownGroupError,
)
from service.problems import problem_body, status_of


@pytest.mark.parametrize(("error", "status"), [
    (UnknownCaseError("x"), 404), (UnknownGroupError("no group g"), 404),
    (InvalidRequestError("bad"), 422), (ModelLoadError("/srv/models gone"), 503),
    (IndexIntegrityError("/srv/index/x.faiss altered"), 503)])
def test_each_core_error_has_one_status(error, status):
    assert status_of(error) == status


def test_the_http_layer_maps_core_errors_by_that_table_without_server_paths():
    from flask import Flask

    from service.http.errors import register_error_handlers

    app = Flask(__name__)
    register_error_handlers(app)
    for error in (UnknownCaseError("x"), InvalidRequestError("bad k"),
                  ModelLoadError("/srv/models/e5 is gone")):
        app.add_url_rule(f"/{type(error).__name__}", type(error).__name__,
                         lambda error=error: (_ for _ in ()).throw(error))
    client = app.test_client()
    for name, status in (("UnknownCaseError", 404), ("InvalidRequestError", 422),
                         ("ModelLoadError", 503)):
        answer = client.get(f"/{name}")
        assert answer.status_code == status and answer.mimetype == "application/problem+json"
        assert "/srv" not in answer.get_data(as_text=True)


def test_every_interface_writes_the_same_problem_body():
    from service.assistants.mcp_server import _problem
    from service.http.errors import problem
    from service.http.server import problem_bytes

    expected = problem_body(429, "too many")
    from_flask = json.loads(problem(429, "too many").get_data())
    from_gunicorn = json.loads(problem_bytes(429, "too many").partition(b"\r\n\r\n")[2])
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(_problem(send, 429, "too many", []))
    from_mcp = json.loads(sent[1]["body"])
    assert from_flask == from_gunicorn == from_mcp == expected
