"""Fixtures of the index tests besides the shared ones (tests/conftest.py)."""

from tests.index.places_corpus import places_engine  # noqa: F401  (a fixture)
