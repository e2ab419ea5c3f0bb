"""Schemathesis against /openapi.json: no input yields a 5xx, and every response matches the
documented schema and status codes. (Driven through Hypothesis directly: schemathesis' pytest
plugin does not load under this pytest.)"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from service.http.app import create_app


@pytest.fixture(scope="module")
def api_schema(engine):
    app = create_app({"TESTING": False, "ENGINE": engine})
    return schemathesis.openapi.from_wsgi("/openapi.json", app)


def _no_engine():
    raise RuntimeError("the document does not need the engine")


def _operations():
    app_schema = schemathesis.openapi.from_dict(
        create_app({"TESTING": True, "ENGINE_LOADER": _no_engine}).test_client()
        .get("/openapi.json").get_json())
    return [f"{op.ok().method.upper()} {op.ok().path}" for op in app_schema.get_all_operations()]


@pytest.mark.parametrize("label", _operations())
def test_operation_conforms_to_the_schema(api_schema, label):
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def run(case):
        # Semantically invalid values that the schema cannot list (an unknown city, a query of
        # blanks) are rightly refused with 422, so "schema-valid data is accepted" is not checked.
        case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])

    run()
