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


@pytest.fixture(scope="module")
def server(serve_fake_shared):
    """One server for the tests that leave it as they found it."""
    return serve_fake_shared(CASESEARCH_READ_TIMEOUT=str(READ_TIMEOUT),
                             CASESEARCH_SERVER_THREADS="4")


@pytest.fixture(scope="module")
def trickled(serve_fake_shared):
    """A server with a single request thread and the default 5 s read deadline."""
    return serve_fake_shared(CASESEARCH_SERVER_THREADS="1")


@pytest.fixture(scope="module")
def one_thread(serve_fake_shared):
    """A server with a single request thread and a short read deadline."""
    return serve_fake_shared(CASESEARCH_SERVER_THREADS="1", CASESEARCH_READ_TIMEOUT="1")


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


class Slow(threading.Thread):
    """A client that sends `head` at once, then `tail` one byte every `every` seconds."""

    def __init__(self, port: int, head: bytes, tail: bytes, every: float = 0.3) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.head, self.tail, self.every, self.answer = head, tail, every, b""

    def run(self) -> None:
        try:
            self.sock.sendall(self.head)
            for byte in self.tail:
                self.sock.send(bytes([byte]))
                time.sleep(self.every)
        except OSError:
            pass
        try:
            self.answer = self.sock.recv(65536)
        except OSError:
            pass


def trickling_client(port: int, every: float = 0.5) -> Slow:
    """A client that sends a request one byte at a time, slowly."""
    return Slow(port, b"", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200,
                every)


def test_more_slow_clients_than_threads_do_not_starve_the_others(server):
    trickles = [trickling_client(server.port) for _ in range(6)]  # 4 request threads
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


def test_clients_trickling_their_headers_hold_no_request_thread(trickled):
    """Headers are read by the event loop: 8 clients sending a byte every 1.5 s (on 1 request
    thread, with the default 5 s read deadline) do not delay anyone, even before they are cut."""
    server = trickled
    trickles = [trickling_client(server.port, every=1.5) for _ in range(8)]
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


@pytest.mark.parametrize("question", ["校车", "校车安全", "老师住宿困难怎么解决", "café"])
def test_raw_chinese_in_a_url_gets_told_how_to_encode_it(server, question):
    # 校车安全 holds the byte 0x85, which Python's str.split and `\s` take for a line break.
    status, _, problem = _raw(server.port, f"GET /api/search?q={question} HTTP/1.1\r\nHost: "
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


HEALTH = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
CHUNKED = (b"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n")


@pytest.mark.parametrize(("head", "tail"), [
    (CHUNKED, b"10\r\n{\"query\": \"abc\"}\r\n0\r\n\r\n"),   # a chunked body, trickled
    (HEALTH + b"GET /healthz HTTP/1.1\r\nHo", b"st: 127.0.0.1\r\n\r\n"),  # pipelined
    (b"POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
     b"Content-Length: 17\r\n\r\n{\"q", b"uery\": \"abc\"}"),  # a small body, trickled
])
def test_trickled_bodies_and_pipelined_requests_hold_no_thread(trickled, head, tail):
    server = trickled
    slow = [Slow(server.port, head, tail) for _ in range(3)]
    for client in slow:
        client.start()
    time.sleep(0.5)
    started = time.perf_counter()
    assert get_json(server.base + "/healthz", timeout=5)[0] == 200
    assert time.perf_counter() - started < 2.0  # not after a slow client's 5 s deadline
    for client in slow:
        client.sock.close()


def test_a_body_too_large_to_take_is_refused_before_it_is_sent(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200000\r\n\r\n")
        started = time.perf_counter()
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413") and b"application/problem+json" in answer
    assert time.perf_counter() - started < 2.0


def test_a_client_that_expects_100_continue_is_told_to_go_on(server):
    body = json.dumps({"queries": ["校车安全"] * 8}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /api/search/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                     b"Connection: close\r\nContent-Length: " + str(len(body)).encode()
                     + b"\r\n\r\n")
        started = time.perf_counter()
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
        assert time.perf_counter() - started < 1.0
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert b"HTTP/1.1 200" in answer


def test_a_request_waiting_for_a_thread_is_not_blamed_for_the_wait(one_thread):
    """Complete requests queued behind busy threads are answered, not cut with a 408."""
    server = one_thread
    results: list[int] = []

    def ask(i: int) -> None:
        status, _ = get_json(server.base + "/api/search?q=" + urllib.parse.quote(f"校车{i}"),
                             timeout=30)
        results.append(status)

    askers = [threading.Thread(target=ask, args=(i,)) for i in range(12)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(30)
    assert results == [200] * 12
