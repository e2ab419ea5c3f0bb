"""Generated request bodies (Hypothesis): any Unicode (lone surrogates too), any nesting, numbers
of any size. Whatever arrives, the answer is a result or a 4xx problem, never a 5xx."""

from __future__ import annotations

import json
import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.schema import SEARCH

PROBLEM = "application/problem+json"
# Every field of a search, from its one definition: a field added there is fuzzed too.
FIELDS = [field.name for field in SEARCH.fields]
PARAMETERS = [field.query_name or field.name for field in SEARCH.fields] + ["format", "x"]

# JSON text, built as text: json.dumps could not write the numbers Python refuses to print.
any_char = st.one_of(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
                     st.integers(0xD800, 0xDFFF).map(chr))  # lone surrogates too
strings = st.text(any_char, max_size=30).map(lambda s: json.dumps(s, ensure_ascii=True))
numbers = st.one_of(
    st.integers().map(str),
    st.from_regex(r"-?[1-9][0-9]{0,6000}(\.[0-9]{1,20})?([eE][-+]?[0-9]{1,5})?", fullmatch=True),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-0", "0.0"]))
leaves = st.one_of(strings, numbers, st.sampled_from(["true", "false", "null"]))
values = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.dictionaries(strings, inner, max_size=3).map(
            lambda d: "{" + ",".join(f"{k}:{v}" for k, v in d.items()) + "}")),
    max_leaves=12)
deep = st.tuples(st.integers(1, 6000), leaves).map(lambda t: "[" * t[0] + t[1] + "]" * t[0])
bodies = st.dictionaries(st.one_of(st.sampled_from(FIELDS).map(json.dumps), strings),
                         st.one_of(values, deep), max_size=6).map(
    lambda d: "{" + ",".join(f"{k}:{v}" for k, v in d.items()) + "}")


def _check(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM
        assert json.loads(response.get_data(as_text=True))["detail"]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies)
def test_any_json_body_gets_a_result_or_a_problem(client, body):
    _check(client.post("/api/search", data=body.encode("utf-8", "surrogatepass"),
                       content_type="application/json"))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(raw=st.binary(max_size=200))
def test_any_bytes_as_a_body_get_a_result_or_a_problem(client, raw):
    _check(client.post("/api/search", data=raw, content_type="application/json"))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(params=st.lists(st.tuples(st.sampled_from(PARAMETERS),
                                  st.one_of(st.text(any_char, max_size=40),
                                            st.from_regex(r"[0-9]{1,5000}", fullmatch=True))),
                        max_size=5))
def test_any_query_string_gets_a_result_or_a_problem(client, params):
    query = urllib.parse.urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in params])
    _check(client.get("/api/search?" + query))
