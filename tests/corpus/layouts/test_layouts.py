"""Each layout real compilations use is read into the cases its expectations name: as many,
in order, each with its place as written, its level, its title and the start of its text
(the fixtures and their truth: README.md beside this file; the same rules score them in
scripts/layout_report.py)."""

from __future__ import annotations

import pytest

from corpus.errors import CorpusError
from corpus.load import parse_document
from scripts.layout_report import (
    LAYOUTS,
    expectations,
    level_right,
    meta_of,
    names_line,
    starts_right,
    title_right,
    unflagged,
)

EXPECTED = expectations()


def parse(expected: dict):
    return parse_document(LAYOUTS / expected["file"], meta_of(expected))


def test_every_fixture_has_its_expectations():
    files = {path.name for path in LAYOUTS.iterdir()
             if path.suffix in (".txt", ".md", ".docx", ".pdf") and path.name != "README.md"}
    assert files == {expected["file"] for expected in EXPECTED}


@pytest.mark.parametrize("expected", [e for e in EXPECTED if e["outcome"] == "cases"],
                         ids=lambda e: e["name"])
def test_a_layout_is_read_into_its_cases(expected):
    _, cases, report = parse(expected)
    assert len(cases) == len(expected["cases"]), [case.text[:20] for case in cases]
    for n, (case, wanted) in enumerate(zip(cases, expected["cases"], strict=True), start=1):
        where = f"case {n} ({wanted['text_starts']})"
        assert starts_right(case, wanted), f"{where}: text starts {case.text[:20]!r}"
        if wanted["place"]:
            assert case.city == wanted["place"], where
        if case.places:
            chains = [wanted["places"], *wanted.get("places_also", [])]
            assert list(case.places) in chains, f"{where}: places {case.places}"
        assert level_right(case, wanted), f"{where}: level {case.place_level!r}"
        assert title_right(case, wanted), f"{where}: title {case.case_title!r}"
    warnings = [str(w) for w in report.warnings]
    for n, wanted in enumerate(expected["cases"], start=1):
        if wanted.get("warn"):
            assert names_line(warnings, wanted.get("line")), f"case {n} is kept unflagged"


@pytest.mark.parametrize("expected", [e for e in EXPECTED if e["outcome"] != "cases"],
                         ids=lambda e: e["name"])
def test_a_document_mixing_layouts_is_refused_or_loses_no_case_unwarned(expected):
    try:
        _, cases, report = parse(expected)
    except CorpusError:
        return
    lost = unflagged(cases, expected["cases"], [str(w) for w in report.warnings])
    assert not lost, f"cases lost without a warning naming their line: {lost}"
