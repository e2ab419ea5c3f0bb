"""Documents over HTTP, in process: the API and the page add, preview, replace, remove and
restore through the corpus store; nothing changes without an admin key; hostile files get
the command line's answers; every change is audited and counted."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document as WordDocument
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from corpus.isolated import read_document
from corpus.load import DEFAULT_DATA_DIR
from service.http.app import create_app
from service.http.openapi import openapi_document
from service.runtime.settings import Settings
from tests.corpus.test_word import zip_bomb

ADMIN = "alice-admin-key-0123456789"
OTHER = "bob-admin-key-9876543210xx"
READ = "the-read-key-abcdefghijkl"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
HEBEI = ("2021年河北省典型案例\n\n（一）石家庄\n（1）建设乡村少年宫二百所，开展周末科技体验活动。\n"
         "（2）推进集团化办学，组建教育集团56个，带动薄弱学校提升。\n（二）保定\n"
         "（1）实施乡村教师安居工程，建成周转宿舍800套。\n")


class Builds:
    """Stands for the background builds: counts the builds asked for."""

    def __init__(self) -> None:
        self.asked = 0

    def request(self) -> None:
        self.asked += 1


# A received file is read in a process of its own (corpus.isolated), half a second each. The
# tests of that process (hostile files, limits, the same report) keep it; the others read in
# this one, through the same function.
ISOLATED = ("test_the_same_report_as_the_command_line", "test_hostile_word_files",
            "test_a_dry_run_reports", "test_one_document_is_read_at_a_time")


@pytest.fixture(autouse=True)
def reads(request, monkeypatch):
    if not request.node.name.startswith(ISOLATED):
        from corpus.isolated import read_here

        monkeypatch.setattr("service.documents.read_document",
                            lambda path, meta, **limits: read_here(path, meta))


@pytest.fixture
def site(tmp_path, engine):
    """An app with admin keys over a copy of the corpus (the engine serves the shipped one)."""
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    return _site(tmp_path, engine, data)


def _site(tmp_path, engine, data, **config):
    settings = replace(Settings(), home=tmp_path / "home", data=data, tune="off",
                       model="fake/char-ngrams", second_model="none")
    builds = Builds()
    app = create_app({"TESTING": True, "ENGINE": engine, "SETTINGS": settings,
                      "DATA_DIR": data, "ADMIN_KEYS": (("alice", ADMIN), ("bob", OTHER)),
                      "BUILDS": builds, **config})
    app.builds, app.data = builds, data
    return app


def _upload(client, text: str = HEBEI, name: str = "hebei.txt", headers=AUTH, method="post",
            path="/api/documents", data: bytes | None = None, **fields):
    body = {"file": (io.BytesIO(data if data is not None else text.encode()), name),
            **{key: str(value) for key, value in fields.items()}}
    return getattr(client, method)(path, headers=headers, data=body,
                                   content_type="multipart/form-data")


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if ".lock" not in p.name}


def _schema(name: str) -> Draft202012Validator:
    document = openapi_document(None)
    schema = {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    return Draft202012Validator(json.loads(json.dumps(schema).replace(
        "#/components/", "#/components/")))


# Off unless an admin key is set

def test_without_an_admin_key_nothing_can_change_the_corpus(tmp_path, engine):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    app = _site(tmp_path, engine, data, ADMIN_KEYS=())
    client, before = app.test_client(), _files(data)
    for response in (_upload(client), _upload(client, headers={}),
                     _upload(client, method="put", path="/api/documents/sd2020"),
                     client.delete("/api/documents/sd2020", headers=AUTH),
                     client.post("/api/documents/sd2020/restore", headers=AUTH),
                     client.get("/api/documents", headers=AUTH)):
        assert response.status_code == 403
        assert "CASESEARCH_ADMIN_KEY" in response.get_json()["detail"]
    page = client.get("/documents")
    assert page.status_code == 403 and "CASESEARCH_ADMIN_KEY" in page.text
    assert _files(data) == before and app.builds.asked == 0


def test_an_admin_key_is_needed_and_the_read_key_is_not_one(tmp_path, engine):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    app = _site(tmp_path, engine, data, API_KEY=READ)
    client, before = app.test_client(), _files(data)
    assert _upload(client, headers={}).status_code == 401
    for _ in range(12):  # the read key is a right key for the wrong thing: never counted
        wrong = _upload(client, headers={"Authorization": f"Bearer {READ}"})
        assert wrong.status_code == 403 and "read key" in wrong.get_json()["detail"]
    unknown = _upload(client, headers={"Authorization": "Bearer " + "u" * 20})
    assert unknown.status_code == 401 and unknown.headers["WWW-Authenticate"] == "Bearer"
    assert _files(data) == before
    # an admin key reads too, where the read key is needed
    assert client.get("/api/search?q=校车", headers=AUTH).status_code == 200
    assert client.get("/api/search?q=校车").status_code == 401


def test_wrong_admin_keys_are_slowed_down_like_wrong_read_keys(site):
    client = site.test_client()
    codes = [_upload(client, headers={"Authorization": "Bearer " + "x" * 20}).status_code
             for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    assert _upload(client).status_code == 429  # the right key too, from that address, a while


def test_admin_keys_are_named_and_none_may_be_the_read_key():
    from service.runtime.settings import Settings

    settings = Settings.from_env({"CASESEARCH_ADMIN_KEY": f"alice:{ADMIN},{OTHER}"})
    assert settings.admin_keys == (("alice", ADMIN), ("admin", OTHER))
    with pytest.raises(ValueError, match="not be the read key"):
        Settings.from_env({"CASESEARCH_ADMIN_KEY": READ, "CASESEARCH_API_KEY": READ})
    with pytest.raises(ValueError, match="at least 16"):
        Settings.from_env({"CASESEARCH_ADMIN_KEY": "alice:short"})
    with pytest.raises(ValueError, match="twice"):
        Settings.from_env({"CASESEARCH_ADMIN_KEY": f"a:{ADMIN},b:{ADMIN}"})


# The API

def test_a_dry_run_reports_how_the_document_reads_and_changes_nothing(site):
    client, before = site.test_client(), _files(site.data)
    response = _upload(client, dry_run="true")
    assert response.status_code == 200
    body = response.get_json()
    _schema("DocumentPreview").validate(body)
    assert body["dry_run"] is True and body["cases"] == 3 and body["year"] == 2021
    assert body["province"] == "河北省"
    assert [case["place"] for case in body["report"]["cases"]] == ["石家庄", "石家庄", "保定"]
    assert body["report"]["cases"][0]["places"] == ["河北省", "石家庄市"]
    assert [level["style"] for level in body["report"]["outline"]["levels"]] == ["（一）", "（1）"]
    assert _files(site.data) == before and site.builds.asked == 0


def test_the_same_report_as_the_command_line(site, tmp_path):
    from corpus.isolated import read_here
    from corpus.report import render

    (tmp_path / "hebei.txt").write_text(HEBEI, encoding="utf-8")
    here = read_here(tmp_path / "hebei.txt", {"id": "hebei"})
    body = _upload(site.test_client(), dry_run="true").get_json()
    assert body["report"] == here.report
    assert render(body["report"]).startswith("title: 2021年河北省典型案例\n")


def test_add_stores_it_says_who_and_starts_a_build(site, caplog):
    client = site.test_client()
    with caplog.at_level(logging.INFO, logger="casesearch.audit"):
        response = _upload(client, source="河北省教育厅")
    assert response.status_code == 201
    body = response.get_json()
    _schema("DocumentChange").validate(body)
    assert body["action"] == "added" and body["cases"] == 3 and body["live"] == "waiting"
    assert body["status"] == "/api/documents/hebei"
    meta = json.loads((site.data / "hebei.json").read_text(encoding="utf-8"))
    assert meta["added_by"] == "alice" and meta["cases"] == 3 and meta["year"] == 2021
    assert meta["source"] == "河北省教育厅" and (site.data / "hebei.txt").read_text() == HEBEI
    assert site.builds.asked == 1
    audit = [r for r in caplog.records if r.name == "casesearch.audit"]
    assert len(audit) == 1 and audit[0].by == "alice" and audit[0].outcome == "ok"
    assert "audit=add document=hebei by=alice" in audit[0].getMessage()
    listed = client.get("/api/documents", headers=AUTH).get_json()
    _schema("DocumentList").validate(listed)
    states = {doc["id"]: doc["live"] for doc in listed["documents"]}
    assert states == {"sd2020": "live", "hebei": "waiting"}
    shipped = next(doc for doc in listed["documents"] if doc["id"] == "sd2020")
    assert shipped["cases"] == 48  # the build's count, for a document stored before counts


def test_an_id_in_use_is_refused_in_the_apis_words_and_audited(site, caplog):
    client = site.test_client()
    assert _upload(client).status_code == 201
    with caplog.at_level(logging.INFO, logger="casesearch.audit"):
        again = _upload(client)
    assert again.status_code == 409
    detail = again.get_json()["detail"]
    assert "PUT /api/documents/hebei" in detail and "--replace" not in detail
    assert str(site.data) not in detail
    assert caplog.records[-1].outcome.startswith("refused 409: document id 'hebei'")
    dry = _upload(client, dry_run="true")
    assert dry.status_code == 409


def test_replace_remove_and_restore(site):
    client = site.test_client()
    assert _upload(client).status_code == 201
    newer = HEBEI.replace("二百所", "三百所")
    replaced = _upload(client, newer, method="put", path="/api/documents/hebei")
    assert replaced.status_code == 200
    body = replaced.get_json()
    assert body["action"] == "replaced" and body["trashed"].endswith("-hebei")
    assert (site.data / "hebei.txt").read_text() == newer
    trash = client.get("/api/documents/trash", headers=AUTH).get_json()
    _schema("TrashList").validate(trash)
    assert [(v["id"], v["live"]) for v in trash["versions"]] == [("hebei", "replaced")]
    removed = client.delete("/api/documents/hebei", headers=AUTH)
    assert removed.status_code == 200 and removed.get_json()["document"] is None
    assert not (site.data / "hebei.txt").exists()
    assert client.get("/api/documents/hebei", headers=AUTH).status_code == 404
    restored = client.post("/api/documents/hebei/restore", headers=AUTH)
    assert restored.status_code == 200 and restored.get_json()["action"] == "restored"
    assert (site.data / "hebei.txt").read_text() == newer  # the newest trashed version
    assert site.builds.asked == 4
    assert client.delete("/api/documents/nope", headers=AUTH).status_code == 404
    assert client.post("/api/documents/nope/restore", headers=AUTH).status_code == 404
    assert _upload(client, method="put", path="/api/documents/nope").status_code == 404


def test_a_replacement_keeps_the_id_it_replaces(site):
    client = site.test_client()
    assert _upload(client).status_code == 201
    clash = _upload(client, method="put", path="/api/documents/hebei", id="other")
    assert clash.status_code == 422 and "keeps the id" in clash.get_json()["detail"]


@pytest.mark.parametrize(("name", "fields", "status", "words"), [
    ("hebei.exe", {}, 422, "unsupported format .exe"),
    ("", {}, 422, "no name"),
    ("hebei.txt", {"year": "twenty"}, 422, "year must be an integer"),
    ("hebei.txt", {"case_level": "12"}, 422, "case_level must be an integer from 1 to 9"),
    ("hebei.txt", {"owner": "me"}, 422, "unknown fields owner"),
    ("hebei.txt", {"id": "../etc"}, 422, "not valid"),
    ("hebei.txt", {"title": "典型\u202e案例"}, 422, "U+202E"),
])
def test_bad_requests_get_clear_answers_and_change_nothing(site, name, fields, status, words):
    client, before = site.test_client(), _files(site.data)
    response = _upload(client, name=name, **fields)
    assert response.status_code == status, response.get_json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert words in response.get_json()["detail"]
    assert _files(site.data) == before and site.builds.asked == 0


def test_a_file_name_with_a_path_or_control_characters_is_kept_as_its_last_part(site):
    client = site.test_client()
    response = _upload(client, name="../../etc/河北\x07 2021.txt")
    assert response.status_code == 201
    doc = response.get_json()["document"]
    assert doc["received_as"] == "河北 2021.txt" and doc["id"] == "hebei-2021"
    assert doc["file"] == "hebei-2021.txt" and (site.data / "hebei-2021.txt").is_file()


@pytest.mark.parametrize(("sent", "kept"), [
    ("C:\\fakepath\\cases.docx", "cases.docx"), ("../../cases.PDF", "cases.PDF"),
    ("\u202ecod.txt", "cod.txt"), (".hidden.md", "hidden.md"),
    ("长" * 300 + ".docx", "长" * 115 + ".docx"),
])
def test_a_received_name_is_its_last_part_without_hidden_characters(sent, kept):
    from service.documents import received_name

    assert received_name(sent) == kept


def test_not_multipart_empty_or_no_file(site):
    client = site.test_client()
    assert client.post("/api/documents", headers=AUTH, json={}).status_code == 415
    empty = _upload(client, data=b"")
    assert empty.status_code == 422 and "empty" in empty.get_json()["detail"]
    none = client.post("/api/documents", headers=AUTH, data={"year": "2021"},
                       content_type="multipart/form-data")
    assert none.status_code == 422 and "part named `file`" in none.get_json()["detail"]


def test_a_file_over_the_upload_limit_is_refused(tmp_path, engine):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    app = _site(tmp_path, engine, data, UPLOAD_BYTES=4096)
    response = _upload(app.test_client(), HEBEI * 20)
    assert response.status_code == 413
    assert "CASESEARCH_UPLOAD_MB" in response.get_json()["detail"]


def _zip_bomb(path: Path) -> bytes:
    return zip_bomb(path).read_bytes()


def _self_based_styles(path: Path) -> bytes:
    """A Word file whose style is based on itself, and another pair on each other."""
    word = WordDocument()
    word.add_paragraph("2021年河北省典型案例")
    word.add_paragraph("石家庄市")
    word.save(str(path))
    with zipfile.ZipFile(path) as source:
        members = {item.filename: source.read(item.filename) for item in source.infolist()}
    styles = members["word/styles.xml"].decode()
    cycle = ('<w:style w:type="paragraph" w:styleId="Loop"><w:name w:val="Loop"/>'
             '<w:basedOn w:val="Loop"/></w:style><w:style w:type="paragraph" w:styleId="A">'
             '<w:name w:val="A"/><w:basedOn w:val="B"/></w:style><w:style w:type="paragraph" '
             'w:styleId="B"><w:name w:val="B"/><w:basedOn w:val="A"/></w:style>')
    members["word/styles.xml"] = styles.replace("</w:styles>", cycle + "</w:styles>").encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path.read_bytes()


@pytest.mark.parametrize(("make", "status", "words"), [
    (_zip_bomb, 422, "unpacks to"),
    (lambda path: b"PK\x03\x04 not really a zip", 422, "not a readable Word"),
    (_self_based_styles, 422, "is based on itself"),
])
def test_hostile_word_files_get_the_readers_answers_never_a_500(site, tmp_path, make, status,
                                                                words):
    client, before = site.test_client(), _files(site.data)
    data = make(tmp_path / "made.docx")
    response = _upload(client, name="upload.docx", data=data)
    assert response.status_code == status, response.get_json()
    assert words in response.get_json()["detail"]
    assert str(tmp_path) not in response.get_json()["detail"]
    assert _files(site.data) == before


def test_a_reader_past_its_time_or_memory_is_stopped(tmp_path):
    from corpus.errors import CorpusError

    (tmp_path / "hebei.txt").write_text(HEBEI, encoding="utf-8")
    with pytest.raises(CorpusError, match="took longer than"):
        read_document(tmp_path / "hebei.txt", {"id": "hebei"}, seconds=0.01)
    with pytest.raises(CorpusError, match="more than 1 MB of memory"):
        read_document(tmp_path / "hebei.txt", {"id": "hebei"}, memory=1 << 20)
    assert read_document(tmp_path / "hebei.txt", {"id": "hebei"}).cases == 3


def test_changes_are_counted_per_address(tmp_path, engine):
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data, ignore=shutil.ignore_patterns(".*"))
    app = _site(tmp_path, engine, data, CHANGES_PER_HOUR=2)
    client = app.test_client()
    assert _upload(client, dry_run="true").status_code == 200
    assert _upload(client).status_code == 201
    third = client.delete("/api/documents/hebei", headers=AUTH)
    assert third.status_code == 429 and int(third.headers["Retry-After"]) > 0
    assert client.get("/api/documents", headers=AUTH).status_code == 200  # reading is not


def test_the_openapi_document_describes_the_document_routes():
    document = openapi_document(None)
    validate_openapi(document)
    operations = {op["operationId"] for path in document["paths"].values()
                  for op in path.values()}
    assert {"listDocuments", "addDocument", "replaceDocument", "removeDocument",
            "restoreDocument", "listTrash", "getDocument"} <= operations
    upload = document["components"]["schemas"]["DocumentUpload"]["properties"]
    from service.schema import DOCUMENT

    assert set(upload) == {"file", *(field.name for field in DOCUMENT.fields)}


# The page

def _sign_in(client, key: str = ADMIN) -> str:
    assert client.post("/documents/login", data={"key": key}).status_code == 303
    page = client.get("/documents")
    assert page.status_code == 200
    return re.search(r'name="form_token" value="([0-9a-f]+)"', page.text).group(1)


def test_the_page_asks_for_the_admin_key_and_says_who_is_signed_in(site):
    client = site.test_client()
    page = client.get("/documents")
    assert page.status_code == 401 and 'name="key"' in page.text
    wrong = client.post("/documents/login", data={"key": "nope" * 5})
    assert wrong.status_code == 401 and "管理密钥不正确" in wrong.text
    token = _sign_in(client, OTHER)
    page = client.get("/documents")
    assert "bob" in page.text and "sd2020" in page.text
    assert client.post("/documents/logout", data={"form_token": token}).status_code == 303
    assert client.get("/documents").status_code == 401


def test_preview_correct_and_add_from_the_page(site):
    client = site.test_client()
    token = _sign_in(client)
    before = _files(site.data)
    preview = client.post("/documents/preview", data={
        "form_token": token, "file": (io.BytesIO(HEBEI.encode()), "河北.txt")},
        content_type="multipart/form-data")
    assert preview.status_code == 200
    assert preview.text.count('class="card"') == 3 and "石家庄市" in preview.text
    upload = re.search(r'name="upload" value="([^"]+)"', preview.text).group(1)
    assert _files(site.data) == before  # a preview stores nothing in the corpus
    again = client.post("/documents/preview", data={"form_token": token, "upload": upload,
                                                    "id": "hb", "year": "2022"})
    assert again.status_code == 200 and "2022" in again.text
    added = client.post("/documents/add", data={"form_token": token, "upload": upload,
                                                "id": "hb", "year": "2022"})
    assert added.status_code == 303 and "done=added" in added.headers["Location"]
    meta = json.loads((site.data / "hb.json").read_text(encoding="utf-8"))
    assert meta["year"] == 2022 and meta["added_by"] == "alice"
    assert meta["received_as"] == "河北.txt"
    listed = client.get(added.headers["Location"])
    assert 'id="doc-hb"' in listed.text and "data-status" in listed.text
    gone = client.post("/documents/add", data={"form_token": token, "upload": upload})
    assert gone.status_code == 410  # the file previewed is dropped once added


def test_a_page_form_without_its_token_is_refused(site):
    client = site.test_client()
    _sign_in(client)
    before = _files(site.data)
    response = client.post("/documents/sd2020/remove", data={"form_token": "0" * 64})
    assert response.status_code == 403 and _files(site.data) == before
    forged = client.post("/documents/upload-token-x/remove")
    assert forged.status_code == 403


def test_remove_and_restore_from_the_page(site):
    client = site.test_client()
    token = _sign_in(client)
    assert _upload(client).status_code == 201
    removed = client.post("/documents/hebei/remove", data={"form_token": token})
    assert removed.status_code == 303 and not (site.data / "hebei.txt").exists()
    page = client.get("/documents")
    assert "回收站 · Trash (1)" in page.text
    restored = client.post("/documents/hebei/restore", data={"form_token": token})
    assert restored.status_code == 303 and (site.data / "hebei.txt").exists()
    missing = client.post("/documents/nope/remove", data={"form_token": token})
    assert missing.status_code == 404 and "no document has id" in missing.text


def test_a_preview_of_an_unreadable_file_says_why(site):
    client = site.test_client()
    token = _sign_in(client)
    response = client.post("/documents/preview", data={
        "form_token": token, "file": (io.BytesIO("只有一行".encode()), "one.txt")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and 'role="alert"' in response.text
    assert "disabled" in response.text  # nothing to add


def test_a_stale_preview_token_is_gone(site):
    client = site.test_client()
    token = _sign_in(client)
    for upload in ("A" * 22, "../../etc/passwd", ""):
        response = client.post("/documents/add", data={"form_token": token, "upload": upload})
        assert response.status_code == 410


def test_one_document_is_read_at_a_time_one_more_waits_and_a_third_is_told_to_retry(
        site, monkeypatch):
    import threading

    from service.http import documents

    entered, release = threading.Event(), threading.Event()
    real = documents.read_received

    def slow(path, meta):
        entered.set()
        release.wait(10)
        return real(path, meta)

    monkeypatch.setattr(documents, "read_received", slow)
    answers: dict = {}

    def send(name: str) -> None:
        answers[name] = _upload(site.test_client(), dry_run="true")

    first = threading.Thread(target=send, args=("first",))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=send, args=("second",))  # waits for the first
    second.start()
    for _ in range(100):  # until the second holds its place in the queue
        if site.extensions["casesearch.reads"]._callers._value == 0:
            break
        threading.Event().wait(0.02)
    third = _upload(site.test_client(), dry_run="true")
    release.set()
    first.join(20)
    second.join(20)
    assert third.status_code == 503 and third.headers["Retry-After"] == "5"
    assert "busy with reading other documents" in third.get_json()["detail"]
    assert answers["first"].status_code == 200 and answers["second"].status_code == 200


@pytest.mark.parametrize("doc_id", ["trash", "readme"])
def test_ids_the_routes_or_the_folder_use_are_reserved(site, doc_id):
    response = _upload(site.test_client(), id=doc_id)
    assert response.status_code == 422 and "reserved" in response.get_json()["detail"]


def test_fields_in_the_query_string_or_given_twice_are_refused(site):
    client, before = site.test_client(), _files(site.data)
    dry = client.post("/api/documents?dry_run=true", headers=AUTH, content_type=
                      "multipart/form-data", data={"file": (io.BytesIO(HEBEI.encode()), "h.txt")})
    assert dry.status_code == 422 and "not in the query string" in dry.get_json()["detail"]
    twice = client.post("/api/documents", headers=AUTH, content_type="multipart/form-data",
                        data={"file": [(io.BytesIO(HEBEI.encode()), "a.txt"),
                                       (io.BytesIO(HEBEI.encode()), "b.txt")]})
    assert twice.status_code == 422 and "more than once" in twice.get_json()["detail"]
    ids = client.post("/api/documents", headers=AUTH, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(HEBEI.encode()), "a.txt"), "id": ["x1", "x2"]})
    assert ids.status_code == 422
    assert _files(site.data) == before


def test_the_page_answers_its_refusals_as_a_page(site):
    client = site.test_client()
    token = _sign_in(client)
    stale = client.post("/documents/sd2020/remove", data={"form_token": "0" * 64})
    assert stale.status_code == 403 and stale.mimetype == "text/html"
    assert "Back to the documents" in stale.text
    gone = client.post("/documents/add", data={"form_token": token, "upload": "A" * 22})
    assert gone.status_code == 410 and gone.mimetype == "text/html"
    forged = client.post("/documents/logout", data={"form_token": "x"})
    assert forged.status_code == 403 and client.get("/documents").status_code == 200
    assert client.post("/documents/logout", data={"form_token": token}).status_code == 303


def test_a_file_previewed_by_one_admin_is_not_added_by_another(site):
    alice, bob = site.test_client(), site.test_client()
    token = _sign_in(alice)
    preview = alice.post("/documents/preview", data={
        "form_token": token, "file": (io.BytesIO(HEBEI.encode()), "hebei.txt")},
        content_type="multipart/form-data")
    upload = re.search(r'name="upload" value="([^"]+)"', preview.text).group(1)
    bob_token = _sign_in(bob, OTHER)
    taken = bob.post("/documents/add", data={"form_token": bob_token, "upload": upload})
    assert taken.status_code == 410 and not (site.data / "hebei.txt").exists()


def test_a_stray_file_in_the_trash_is_not_a_version(site):
    client = site.test_client()
    assert _upload(client).status_code == 201
    assert client.delete("/api/documents/hebei", headers=AUTH).status_code == 200
    (site.data / ".trash" / ".DS_Store").write_bytes(b"\0")
    trash = client.get("/api/documents/trash", headers=AUTH)
    assert trash.status_code == 200 and len(trash.get_json()["versions"]) == 1
    _sign_in(client)
    assert client.get("/documents").status_code == 200
