from __future__ import annotations

import pytest

from service.app import create_app


@pytest.fixture
def app(engine):
    return create_app({"TESTING": True, "ENGINE": engine})


@pytest.fixture
def client(app):
    return app.test_client()
