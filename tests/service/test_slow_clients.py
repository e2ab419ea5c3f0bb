"""The real server (gunicorn, fake models) against slow, stuck and malformed clients: they are
answered problem+json, and they cannot take the request threads from everyone else."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse

import pytest

from tests.service.conftest import get_json

pytestmark = pytest.mark.slow  # real server processes: seconds, not milliseconds
READ_TIMEOUT = 2.0


@pytest.fixture
def server(serve_fake):
    return serve_fake(CASESEARCH_READ_TIMEOUT=str(READ_TIMEOUT), CASESEARCH_SERVER_THREADS="4")


def _raw(port: int, data: bytes, timeout: float = 10) -> tuple[int, str, dict]:
    """Send raw bytes; the status, content type and JSON body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers.get("Content-Type", ""), json.loads(body or b"{}")


class Trickle(threading.Thread):
    """A client that sends a request one byte at a time, slowly."""

    def __init__(self, port: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.every, self.answer = every, b""

    def run(self) -> None:
        request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
        try:
            for byte in request:
                self.sock.send(bytes([byte]))
                time.sleep(self.every)
        except OSError:
            pass
        try:
            self.answer = self.sock.recv(4096)
        except OSError:
            pass


def test_more_slow_clients_than_threads_do_not_starve_the_others(server):
    trickles = [Trickle(server.port) for _ in range(6)]  # 4 request threads
    for trickle in trickles:
        trickle.start()
    time.sleep(0.8)  # every thread now holds a slow client
    started = time.perf_counter()
    assert get_json(server.base + "/healthz")[0] == 200
    health_s = time.perf_counter() - started
    started = time.perf_counter()
    status, found = get_json(server.base + "/api/search?q=" + urllib.parse.quote("校车安全"))
    search_s = time.perf_counter() - started
    assert status == 200 and found["results"]
    # Each slow client is cut off READ_TIMEOUT seconds after its first byte reached a thread.
    assert health_s < READ_TIMEOUT + 1.5 and search_s < READ_TIMEOUT + 1.5, (health_s, search_s)
    for trickle in trickles:
        trickle.join(READ_TIMEOUT + 10)
    cut = [t.answer for t in trickles if t.answer]
    assert cut and all(answer.startswith(b"HTTP/1.1 408") for answer in cut)
    assert all(b"application/problem+json" in answer for answer in cut)
    print(f"\nwith 6 trickling clients on 4 threads: /healthz {health_s * 1000:.0f} ms, "
          f"search {search_s * 1000:.0f} ms (read timeout {READ_TIMEOUT:g} s)")


def test_clients_trickling_their_headers_hold_no_request_thread(serve_fake):
    """Headers are read by the event loop: 8 clients sending a byte every 1.5 s (on 2 request
    threads, with the default 5 s read deadline) do not delay anyone, even before they are cut."""
    server = serve_fake(CASESEARCH_SERVER_THREADS="2")
    trickles = [Trickle(server.port, every=1.5) for _ in range(8)]
    for trickle in trickles:
        trickle.start()
    time.sleep(0.5)
    for _ in range(3):
        started = time.perf_counter()
        assert get_json(server.base + "/healthz", timeout=5)[0] == 200
        status, found = get_json(server.base + "/api/search?q=" + urllib.parse.quote("校车"),
                                 timeout=5)
        waited = time.perf_counter() - started
        assert status == 200 and found["results"]
        # Answered long before the slow clients' 5 s deadline frees anything.
        assert waited < 2.5, waited
    for trickle in trickles:
        trickle.join(20)
    assert all(t.answer.startswith(b"HTTP/1.1 408") for t in trickles)


def test_a_long_question_by_get_is_answered(server):
    question = urllib.parse.quote("校" * 500)  # 4.5 KB of request line, past gunicorn's default
    status, found = get_json(f"{server.base}/api/search?q={question}&k=1")
    assert status == 200 and len(found["results"]) == 1
    status, problem = get_json(f"{server.base}/api/search?q={question}%E6%A0%A1&k=1")
    assert status == 422 and "limit is 500" in problem["detail"]


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /api/search?q=" + b"%E6%A0%A1" * 1000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
    (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", 400),
    (b"GET /healthz HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n", 400),
    (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n", 400),
])
def test_what_gunicorn_refuses_is_problem_json_too(server, request_bytes, status):
    got, content_type, problem = _raw(server.port, request_bytes)
    assert got == status and content_type == "application/problem+json"
    assert problem["status"] == status and problem["detail"]


def test_raw_chinese_in_a_url_gets_told_how_to_encode_it(server):
    status, _, problem = _raw(server.port, "GET /api/search?q=校车 HTTP/1.1\r\nHost: "
                                           "127.0.0.1\r\n\r\n".encode())
    assert status == 400 and "percent-encode" in problem["detail"]
    assert "--data-urlencode" in problem["detail"]
    _, _, garbage = _raw(server.port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"
                                      b"garbage\r\n\r\n")
    assert garbage["detail"] == "the request is not valid HTTP/1.1"


def test_a_foreign_host_is_refused_by_the_real_server(server):
    status, _, problem = _raw(server.port, b"GET /api/cities HTTP/1.1\r\nHost: evil.example\r\n"
                                            b"Connection: close\r\n\r\n")
    assert status == 400 and "host name" in problem["detail"]
