"""Request ids, access logs (text or JSON, queries optional) and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.http.app import create_app
from service.http.server import CUT
from service.runtime.logs import JsonFormatter, TextFormatter
from tests.service.conftest import get_json


def _families(client) -> dict:
    text = client.get("/metrics").get_data(as_text=True)
    return {family.name: family for family in text_string_to_metric_families(text)}


def test_every_answer_carries_a_request_id(client):
    given = client.get("/api/cities", headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123"
    for bad in ("x" * 65, "a b", "<script>", ""):
        made = client.get("/api/cities", headers={"X-Request-Id": bad})
        assert made.headers["X-Request-Id"] != bad and len(made.headers["X-Request-Id"]) == 32
    assert client.get("/api/nothing").headers["X-Request-Id"]  # errors too
    assert client.get("/api/cities", headers={"Host": "evil.example"}).headers["X-Request-Id"]


def test_metrics_count_requests_stages_and_the_cache(client):
    client.get("/api/search?q=校车安全")
    client.get("/api/search?q=校车安全")
    client.get("/api/cases/nope")
    families = _families(client)
    requests = {(s.labels["route"], s.labels["status"]): s.value
                for s in families["casesearch_http_requests"].samples
                if s.name.endswith("_total")}
    assert requests[("/api/search", "200")] >= 2
    assert requests[("/api/cases/<case_id>", "404")] >= 1
    durations = [s for s in families["casesearch_http_request_duration_seconds"].samples
                 if s.name.endswith("_count") and s.labels["route"] == "/api/search"]
    assert durations and durations[0].value >= 2
    stages = {s.labels["stage"] for s in families["casesearch_search_stage_seconds"].samples
              if s.name.endswith("_count")}
    assert stages == {"embedding", "ranking", "snippets"}
    assert families["casesearch_index_cases"].samples[0].value == 48
    assert families["casesearch_index_build_info"].samples[0].labels["build"]
    assert "casesearch_searches_in_flight" in families


def test_query_cache_lookups_are_counted(engine):
    from index.models.embedders import CachedEmbedder
    from index.retrieval.search import SearchEngine

    cached = SearchEngine(engine.index, CachedEmbedder(engine.embedder, size=16), engine.config)
    client = create_app({"TESTING": True, "ENGINE": cached}).test_client()
    for _ in range(3):
        client.get("/api/search?q=校车安全缓存")
    lookups = {s.labels["result"]: s.value
               for s in _families(client)["casesearch_query_cache_lookups"].samples
               if s.name.endswith("_total")}
    assert lookups["hit"] >= 2 and lookups["miss"] >= 1


def test_metrics_are_guarded_like_the_api(engine):
    locked = create_app({"TESTING": True, "ENGINE": engine, "API_KEY": "s3cret"}).test_client()
    refused = locked.get("/metrics")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert locked.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_one_access_line_per_request_and_no_question_when_told(engine, caplog):
    caplog.set_level(logging.INFO, logger="casesearch.access")
    for log_queries, shown in ((True, "q=校车"), (False, None)):
        caplog.clear()
        app = create_app({"TESTING": True, "ENGINE": engine, "LOG_QUERIES": log_queries})
        app.test_client().get("/api/search?q=校车", headers={"X-Request-Id": "r1"})
        lines = [r for r in caplog.records if r.name == "casesearch.access"]
        assert len(lines) == 1
        line = lines[0]
        assert line.request_id == "r1" and line.status == 200 and line.route == "/api/search"
        assert line.duration_ms >= 0
        if shown:
            assert shown in line.path
        else:
            assert line.path == "/api/search" and "校车" not in line.getMessage()


def test_json_logs_are_one_object_a_line_with_their_fields():
    record = logging.LogRecord("casesearch.access", logging.INFO, __file__, 1,
                               "GET %s", ("/api/cities",), None)
    record.request_id, record.status = "r2", 200
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /api/cities" and line["request_id"] == "r2"
    assert line["status"] == 200 and line["level"] == "INFO" and line["time"]


@pytest.mark.slow  # a real gunicorn with two workers
def test_the_real_server_adds_up_its_workers_and_logs_json(serve_fake):
    server = serve_fake(CASESEARCH_WORKERS="2", CASESEARCH_LOG_FORMAT="json")
    for i in range(12):
        assert get_json(f"{server.base}/api/search?q=%E6%A0%A1%E8%BD%A6{i}")[0] == 200
    with urllib.request.urlopen(f"{server.base}/metrics", timeout=10) as response:
        text = response.read().decode()
    total = sum(s.value for f in text_string_to_metric_families(text)
                if f.name == "casesearch_http_requests" for s in f.samples
                if s.name.endswith("_total") and s.labels["route"] == "/api/search")
    assert total >= 12  # whichever worker answered each
    lines = [line for line in server.log.read_text().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line, gunicorn's own too
    assert any(p["logger"] == "casesearch.access" and p.get("request_id") for p in parsed)
    assert any(p["logger"].startswith("gunicorn") for p in parsed)


def test_a_forged_line_in_a_path_stays_on_its_own_line(engine, caplog):
    """Log injection: a client's %0a, ESC or U+2028 is written as an escape in both formats."""
    caplog.set_level(logging.INFO, logger="casesearch.access")
    client = create_app({"TESTING": True, "ENGINE": engine}).test_client()
    client.get("/x%0a[date] [INFO] casesearch.access: GET /admin 200%1b[2J%E2%80%A8%C2%9b")
    record = next(r for r in caplog.records if r.name == "casesearch.access")
    for formatter in (TextFormatter(), JsonFormatter()):
        line = formatter.format(record)
        assert "\n" not in line and "\x1b" not in line and "\u2028" not in line, line
        assert "\x9b" not in line
    assert "\\n[date] [INFO]" in TextFormatter().format(record)
    assert json.loads(JsonFormatter().format(record))["path"].startswith("/x\n[date]")


def test_made_up_methods_add_no_series(client):
    """Metric labels come from a fixed set: any other method is counted as `other`."""
    for i in range(40):
        client.open("/api/cities", method=f"BREW{i}")
    methods = {sample.labels["method"] for sample in _families(client)[
        "casesearch_http_requests"].samples}
    assert "other" in methods and not any(m.startswith("BREW") for m in methods)


def test_a_request_cut_at_its_deadline_is_logged_as_cut(engine, caplog):
    """The worker marks a request it cut; the access line then says 504, not the app's 200."""
    caplog.set_level(logging.INFO, logger="casesearch.access")
    cut = threading.Event()
    cut.set()
    client = create_app({"TESTING": True, "ENGINE": engine}).test_client()
    client.get("/api/cities", environ_base={CUT: cut})
    line = next(r for r in caplog.records if r.name == "casesearch.access")
    assert line.status == 504 and "cut" in line.getMessage()
    assert line.levelno == logging.WARNING


@pytest.mark.slow  # a real gunicorn, stopped by SIGTERM
def test_sigterm_leaves_no_metrics_folder_and_no_control_socket(serve_fake, tmp_path):
    """Replicas on one host share a user: none binds gunicorn's per-user control socket, and
    a stopped one leaves no metrics folder behind in the temporary directory."""
    user_home, scratch = tmp_path / "user", tmp_path / "scratch"
    user_home.mkdir()
    scratch.mkdir()
    server = serve_fake(HOME=str(user_home), TMPDIR=str(scratch), XDG_RUNTIME_DIR="")
    assert len(list(scratch.glob("casesearch-metrics-*"))) == 1
    assert not (user_home / ".gunicorn").exists()
    server.process.terminate()
    assert server.process.wait(30) == 0
    assert list(scratch.glob("casesearch-metrics-*")) == []


def test_the_in_flight_gauge_follows_the_engines_own_count(client):
    """Pages, the API and batches are all counted by the engine's occupancy, once."""
    from index.retrieval.in_flight import SEARCHES
    from service.http.observability import IN_FLIGHT

    seen: list[int] = []
    SEARCHES.watch(seen.append)
    for path in ("/?q=%E6%A0%A1%E8%BD%A6", "/api/search?q=%E6%A0%A1%E8%BD%A6"):
        seen.clear()
        assert client.get(path).status_code == 200
        assert seen and sum(seen) == 0 and seen[0] == 1, path
    assert client.post("/api/search/batch", json={"queries": ["校车", "宿舍"]}).status_code == 200
    assert IN_FLIGHT._value.get() == 0  # every entry was left
    SEARCHES.watch(seen.append)  # registering again changes nothing
    assert SEARCHES._watchers.count(seen.append) == 1


def test_a_traceback_cannot_start_a_line_that_reads_as_a_record():
    import sys

    try:
        raise ValueError("bad\n[2026-01-01] [INFO] casesearch.access: GET /admin 200\x1b[2J")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, "", 0, "boom", (), sys.exc_info())
    lines = TextFormatter().format(record).split("\n")
    assert lines[0].endswith("boom") and all(line.startswith("    ") for line in lines[1:])
    assert "\x1b" not in "\n".join(lines)
