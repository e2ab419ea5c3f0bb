"""Documents over HTTP for real: gunicorn with the fake models, a document sent by a client goes
live without a restart (a build in the background, swapped in) and is found by a question;
two sent at once both land; a large document is taken, a larger one refused at the door."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from tests.service.conftest import get_json

pytestmark = pytest.mark.slow  # real server processes
ADMIN = "alice-admin-key-0123456789"
TEXT = ("{year}年河北省典型案例\n\n（一）石家庄\n"
        "（1）建设乡村少年宫{n}所，开展{word}科技体验活动。\n"
        "（2）推进集团化办学，组建教育集团56个，带动薄弱学校提升。\n")


@pytest.fixture(scope="module")
def server(serve_fake_shared):
    return serve_fake_shared(CASESEARCH_ADMIN_KEY=f"alice:{ADMIN}", CASESEARCH_TUNE="off",
                             CASESEARCH_RELOAD_SECONDS="0.5", CASESEARCH_WORKERS="2",
                             CASESEARCH_UPLOAD_MB="2")


def _multipart(name: str, data: bytes, **fields: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
             .encode() for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{name}"\r\nContent-Type: text/plain\r\n\r\n'.encode() + data
                 + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def _send(server, method: str, path: str, name: str = "", data: bytes = b"",
          key: str | None = ADMIN, **fields: str) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = None
    if name:
        body, boundary = _multipart(name, data, **fields)
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    request = urllib.request.Request(server.base + path, data=body, method=method,
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _until_live(server, doc_id: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, doc = _send(server, "GET", f"/api/documents/{doc_id}")
        if status == 200 and doc["live"] == "live":
            return doc
        time.sleep(0.3)
    pytest.fail(f"{doc_id} did not go live:\n{(server.folder / 'home' / 'build.log').read_text()}")


def _served_everywhere(server, check, seconds: float = 60) -> dict:
    """/readyz once it passes `check` many times in a row (every worker has swapped)."""
    deadline, in_a_row = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        ready = get_json(server.base + "/readyz")[1]
        in_a_row = in_a_row + 1 if check(ready) else 0
        if in_a_row >= 10:
            return ready
        time.sleep(0.05)
    pytest.fail(f"not every worker serves the new build: {ready}")


def _search(server, question: str) -> list[dict]:
    status, body = get_json(server.base + "/api/search?" + urllib.parse.urlencode(
        {"q": question, "k": 3}))
    assert status == 200
    return body["results"]


def test_a_document_sent_over_http_goes_live_and_is_found(server):
    build_before = get_json(server.base + "/readyz")[1]["build"]
    text = TEXT.format(year=2021, n="二百", word="周末").encode()
    status, body = _send(server, "POST", "/api/documents", "hebei.txt", text)
    assert status == 201 and body["live"] in ("waiting", "building")
    doc = _until_live(server, "hebei")
    assert doc["cases"] == 2 and doc["added_by"] == "alice"
    ready = _served_everywhere(server, lambda ready: ready["build"] != build_before)
    assert _search(server, "乡村少年宫二百所 周末科技体验")[0]["id"] == "hebei-shijiazhuang-1"
    assert ready["cases"] == 50
    status, listed = _send(server, "GET", "/api/documents")
    assert listed["build"]["serving"] == ready["build"] and listed["build"]["last"]["ok"]
    # removed: it leaves the search with the next build
    assert _send(server, "DELETE", "/api/documents/hebei")[0] == 200
    _served_everywhere(server, lambda ready: ready["cases"] == 48, seconds=60)
    assert not any(hit["id"].startswith("hebei-")
                   for hit in _search(server, "乡村少年宫二百所 周末科技体验"))
    log = server.log.read_text()
    assert "audit=add document=hebei by=alice" in log
    assert "audit=remove document=hebei by=alice" in log


def test_two_documents_sent_at_once_both_land(server):
    answers = {}

    def send(doc_id: str, word: str) -> None:
        text = TEXT.format(year=2022, n="三百", word=word).encode()
        answers[doc_id] = _send(server, "POST", "/api/documents", f"{doc_id}.txt", text)

    threads = [threading.Thread(target=send, args=args)
               for args in (("hb-a", "寒假天文"), ("hb-b", "暑期航模"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {doc_id: status for doc_id, (status, _) in answers.items()} == {"hb-a": 201,
                                                                            "hb-b": 201}
    _until_live(server, "hb-a")
    _until_live(server, "hb-b")
    _served_everywhere(server, lambda ready: ready["cases"] == 52)
    assert _search(server, "寒假天文科技体验")[0]["id"].startswith("hb-a-")
    assert _search(server, "暑期航模科技体验")[0]["id"].startswith("hb-b-")


def test_a_large_document_is_taken_and_a_larger_one_refused_at_the_door(server):
    lines = "".join(f"（{i}）推进集团化办学，组建教育集团{i}个，带动薄弱学校提升，" * 36 + "\n"
                    for i in range(1, 400))
    big = f"2023年河北省典型案例\n\n（一）石家庄\n{lines}".encode()
    assert 1 << 20 < len(big) < 2 << 20
    status, body = _send(server, "POST", "/api/documents", "big.txt", big, dry_run="true")
    assert status == 200 and body["cases"] == 399
    # Refused from the head alone, before the body is sent: without credentials an ordinary
    # request's limit holds; with them, the upload limit.
    status, detail = _head_only(server, len(big), credentials=None)
    assert status == 413 and "admin key" in detail
    for forged in ("Authorization: Bearer not-the-admin-key-at-all",
                   "Cookie: casesearch_admin=alice.1999999999.00ff"):
        status, detail = _head_only(server, len(big), credentials=forged)
        assert status == 413 and "admin key" in detail  # checked from the head, not taken in
    status, detail = _head_only(server, 3 << 20, credentials=f"Authorization: Bearer {ADMIN}")
    assert status == 413 and "CASESEARCH_UPLOAD_MB" in detail
    assert get_json(server.base + "/healthz")[0] == 200


def _head_only(server, length: int, *, credentials: str | None) -> tuple[int, str]:
    """Send a document upload's head (announcing `length` bytes, with the `credentials`
    header line) and read the answer."""
    auth = f"{credentials}\r\n" if credentials else ""
    head = (f"POST /api/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"]


def test_a_change_of_the_readers_options_alone_goes_live_too(server):
    text = TEXT.format(year=2024, n="四百", word="冬季冰雪").encode()
    assert _send(server, "POST", "/api/documents", "hbp.txt", text)[0] == 201
    _until_live(server, "hbp")
    status, body = _send(server, "PUT", "/api/documents/hbp", "hbp.txt", text, place="正定县")
    assert status == 200 and body["live"] != "live"  # the same file: still a new version
    _until_live(server, "hbp")
    _served_everywhere(server, lambda ready: ready["build"] != body["serving"])
    hit = _search(server, "冬季冰雪科技体验")[0]
    assert hit["id"].startswith("hbp-") and hit["city"] == "正定县"


def test_a_build_that_fails_says_so_and_names_the_document(server):
    broken = server.folder / "data" / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not a Word file")
    try:
        text = TEXT.format(year=2025, n="五百", word="春季植树").encode()
        assert _send(server, "POST", "/api/documents", "hbf.txt", text)[0] == 201
        deadline = time.monotonic() + 60
        while (doc := _send(server, "GET", "/api/documents/hbf")[1])["live"] != "failed":
            assert time.monotonic() < deadline, doc
            time.sleep(0.3)
        last = _send(server, "GET", "/api/documents")[1]["build"]["last"]
        assert last["ok"] is False and "broken.docx" in last["message"]
        assert str(server.folder) not in last["message"]
    finally:
        broken.unlink()
    assert _send(server, "DELETE", "/api/documents/hbf")[0] == 200


def test_a_server_started_on_an_index_behind_its_corpus_serves_it_and_catches_up(tmp_path):
    import os
    import shutil
    import subprocess
    import sys

    from corpus.load import DEFAULT_DATA_DIR
    from corpus.store import CorpusStore
    from tests.service.conftest import FAKE_CLI, ROOT, free_port

    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    port = free_port()
    env = {**os.environ, "CASESEARCH_HOME": str(tmp_path / "home"), "CASESEARCH_DATA": str(data),
           "CASESEARCH_MODEL": "fake/char-ngrams", "CASESEARCH_SECOND_MODEL": "fake/second",
           "CASESEARCH_TUNE": "off", "CASESEARCH_RELOAD_SECONDS": "0.5", "PORT": str(port)}
    run = [sys.executable, str(FAKE_CLI)]
    assert subprocess.run([*run, "build"], env=env, cwd=ROOT, capture_output=True).returncode == 0
    (tmp_path / "late.txt").write_text(TEXT.format(year=2026, n="六百", word="秋季"),
                                       encoding="utf-8")
    meta = {"id": "late", "year": 2026, "province": "河北省", "title": "2026年河北省典型案例"}
    CorpusStore(data).add(tmp_path / "late.txt", meta)  # stored, not built: as if stopped
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([*run, "serve"], env=env, cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        deadline, seen = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            try:
                status, ready = get_json(f"http://127.0.0.1:{port}/readyz")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
                continue
            if status == 200:
                seen.append(ready["cases"])
                if ready["cases"] == 50:
                    break
            time.sleep(0.1)
        assert seen and seen[0] == 48 and seen[-1] == 50, seen  # served at once, then caught up
    finally:
        server.terminate()
        server.wait(30)
    assert "serving the last build while a new one is made" in (tmp_path / "server.log"
                                                                ).read_text()
