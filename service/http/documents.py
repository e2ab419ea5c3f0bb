"""Documents over HTTP: the API (`/api/documents`) and the documents page (`/documents`), thin
handlers over `service.documents`, which `casesearch corpus add` uses too.

Every route needs an admin key (service.http.security.require_admin): with none set they are
off, and the page says how to turn them on. Every change (and every preview) is one audit
line; each client address may make CHANGES_PER_HOUR of them per worker. A file is read in a
process of its own, limited in time and memory, before anything is stored; a stored change
starts a build in the background (service.runtime.jobs), which the server swaps in as it does
any build: the answer says where to see it go live.

The page works without JavaScript: a file chosen is previewed (kept for an hour under
`<home>/uploads/<token>/` so that it need not be sent again), corrected and previewed again,
then added; `static/app.js` adds dragging a file in and the progress of going live.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from corpus.errors import (
    CorpusError,
    DocumentChangeError,
    DocumentConflictError,
    DocumentNotFoundError,
)
from corpus.filelock import LockWaitTimeout
from corpus.isolated import READ_SECONDS, ReadDocument
from corpus.store import Change, CorpusStore
from service.documents import (
    Digests,
    Served,
    audit,
    document_meta,
    document_record,
    document_records,
    live_state,
    read_received,
    received_file,
    received_name,
    store_read,
    trash_records,
)
from service.http.errors import api_problem
from service.http.security import (
    admin_keys,
    admin_of_cookie,
    admin_sign_in,
    admin_sign_out,
    client_address,
    form_token,
    require_admin,
)
from service.http.server import UPLOAD_OVERHEAD
from service.problems import ApiError
from service.records import DocumentInfo, shaped
from service.runtime.admission import WindowCounts, WorkGate, guesser
from service.runtime.reload import without_folders, without_paths
from service.schema import DOCUMENT

bp = Blueprint("documents", __name__)
UPLOAD_HOURS = 1             # how long a previewed file is kept for the page's "add"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
UPLOADING = ("documents.add_document", "documents.replace_document", "documents.preview_page")
_FORM_FIELDS = {field.name for field in DOCUMENT.fields} | {"file", "form_token", "upload",
                                                            "replace"}


def register_documents(app) -> None:
    """The routes, and what they keep per process: the digests of the stored files, the
    count of each client's changes, the background builds (tests may give `BUILDS`)."""
    from service.runtime.jobs import BackgroundBuilds

    app.register_blueprint(bp)
    app.extensions["casesearch.digests"] = Digests()
    app.extensions["casesearch.changes"] = WindowCounts(
        allowed=int(app.config["CHANGES_PER_HOUR"]), window=3600.0)
    # One document read at a time per worker, and one more waiting for it: a read holds a
    # request thread for as long as it takes (up to READ_SECONDS), and the others are kept
    # for searches. Two sent at once both land; a third is told to try again.
    app.extensions["casesearch.reads"] = WorkGate(1, "reading other documents", retry_after=5,
                                                  advice="", queue=1, wait=READ_SECONDS)
    settings = app.config.get("SETTINGS")
    builds = app.config.get("BUILDS")
    if builds is None and settings is not None:
        builds = BackgroundBuilds(settings)
    app.extensions["casesearch.builds"] = builds


# Where things are

def _store() -> CorpusStore:
    data = current_app.config.get("DATA_DIR")
    if data is None:
        raise ApiError(503, "this server was started without a corpus folder; documents "
                            "cannot be changed over HTTP")
    return CorpusStore(Path(data))


def _uploads() -> Path:
    settings = current_app.config.get("SETTINGS")
    home = settings.home if settings is not None else Path(current_app.instance_path)
    return home / "uploads"


def _served() -> Served:
    """The documents of the build served, and how background builds stand."""
    from service.runtime.jobs import last_build

    engine = current_app.extensions["casesearch"].engine
    settings = current_app.config.get("SETTINGS")
    state = last_build(settings) if settings is not None else {}
    building = bool(state.get("running"))
    if engine is None:
        return Served(documents={}, cases={}, building=building, last_build=state)
    manifest = engine.index.manifest
    counts = Counter(case.doc_id for case in engine.cases)
    return Served(documents=dict(manifest.documents) or dict.fromkeys(counts, ""),
                  cases=dict(counts), build=engine.index.path.name, built_at=manifest.built_at,
                  building=building, last_build=state)


def _build_state(served: Served) -> dict[str, Any]:
    tuning = None
    settings = current_app.config.get("SETTINGS")
    engine = current_app.extensions["casesearch"].engine
    if settings is not None and engine is not None:
        from service.runtime.tuning import tuning_state

        manifest = engine.index.manifest
        tuning = tuning_state(settings, manifest.corpus_sha256, manifest.model_id)
    last = {key: value for key, value in (served.last_build or {}).items() if key != "running"}
    if "message" in last:
        last["message"] = without_paths(str(last["message"]), *_folders())
    return {"serving": served.build, "running": served.building, "last": last,
            "tuning": without_paths(tuning) if tuning else tuning}


def _folders() -> list[Path]:
    settings = current_app.config.get("SETTINGS")
    found = [Path(current_app.config["DATA_DIR"])] if current_app.config.get("DATA_DIR") else []
    return found + ([settings.home] if settings is not None else [])


# Guards

@bp.before_request
def guard() -> Response | None:
    """An admin key for every route (the page's sign-in form aside); a change counted
    against its client."""
    page = not request.path.startswith("/api/")
    if request.endpoint in UPLOADING:  # before anything reads the form
        request.max_content_length = int(current_app.config["UPLOAD_BYTES"]) + UPLOAD_OVERHEAD
    if request.endpoint in ("documents.sign_in", "documents.sign_out"):
        return None
    try:
        g.admin = require_admin()
    except ApiError as error:
        if page and (error.status == 401 or not admin_keys()):  # sign in, or how to turn on
            return Response(render_template("documents_signin.html", off=not admin_keys(),
                                            error=None), status=error.status)
        raise
    if request.method in ("POST", "PUT", "DELETE"):
        if request.args:  # `?dry_run=true` must not be quietly taken for a real add
            raise ApiError(422, "the document routes take their fields in the multipart body, "
                                "not in the query string: send them as form fields, e.g. "
                                "curl -F dry_run=true -F file=@compilation.docx")
        counts: WindowCounts = current_app.extensions["casesearch.changes"]
        who = guesser(client_address())
        wait = counts.retry_after(who)
        if wait:
            raise ApiError(429, f"this address has made {counts.allowed} document changes "
                                f"and previews within the hour; try again in {wait} s",
                           retry_after=wait)
        counts.record(who)
    return None


@bp.errorhandler(ApiError)
def page_problem(error: ApiError) -> Response:
    """A refusal on the API is problem+json (service.http.errors); on the page, a page that
    says it, with the way back."""
    if request.path.startswith("/api/"):
        return api_problem(error)
    response = Response(render_template("documents_error.html", status=error.status,
                                        detail=error.detail), status=error.status)
    if "retry_after" in error.extra:
        response.headers["Retry-After"] = str(error.extra["retry_after"])
    return response


@bp.post("/documents/login")
def sign_in() -> Response:
    if not admin_keys():
        return Response(render_template("documents_signin.html", off=True, error=None),
                        status=403)
    signed_in = admin_sign_in(request.form.get("key", ""))
    if signed_in is None:
        return Response(render_template("documents_signin.html", off=False,
                                        error="wrong admin key · 管理密钥不正确"), status=401)
    response, name = signed_in
    audit("sign-in", "", who=name, address=client_address(), outcome="ok")
    return response


@bp.post("/documents/logout")
def sign_out() -> Response:
    """Sign out (with the page's form token: another site cannot sign an admin out)."""
    if admin_of_cookie() is not None and not secrets.compare_digest(
            request.form.get("form_token", "").encode(), form_token().encode()):
        raise ApiError(403, "this form is out of date; reload /documents and try again")
    return admin_sign_out()


# Reading what was sent

def _received() -> tuple[str, bytes]:
    """The file of a multipart request: its name as it may be kept, and its bytes.

    Raises:
        ApiError: 415 for a body that is not multipart, 422 without a file or with one of a
            format the reader does not take, 413 for one larger than the upload limit.
    """
    limit = int(current_app.config["UPLOAD_BYTES"])
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "send the document as multipart/form-data, the file in a part "
                            "named `file`, e.g. curl -F file=@compilation.docx")
    upload = request.files.get("file")
    if upload is None:
        raise ApiError(422, "no file: send the document in a part named `file`")
    try:
        name = received_name(upload.filename or "")
    except CorpusError as exc:
        raise ApiError(422, str(exc)) from None
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, f"the file is larger than {limit >> 20} MB, the most this server "
                            f"takes (CASESEARCH_UPLOAD_MB)")
    if not data:
        raise ApiError(422, f"{name} is empty")
    return name, data


def _options(*, allow_dry_run: bool = True) -> dict[str, Any]:
    """The form's fields, checked by the request's definition (service.schema.DOCUMENT)."""
    unknown = sorted(set(request.form) - _FORM_FIELDS)
    if unknown:
        raise ApiError(422, f"unknown fields {', '.join(unknown[:5])}; allowed: "
                            f"{', '.join(field.name for field in DOCUMENT.fields)}")
    twice = sorted(name for name in {*request.form, *request.files}
                   if len(request.form.getlist(name)) + len(request.files.getlist(name)) > 1)
    if twice:
        raise ApiError(422, f"{', '.join(twice[:5])} given more than once; send each field, "
                            f"and one file, once")
    args = DOCUMENT.from_query(request.form)
    if not allow_dry_run:
        args["dry_run"] = False
    return args


def _read(path: Path, meta: dict[str, Any]) -> ReadDocument:
    try:
        with current_app.extensions["casesearch.reads"].admit():
            return read_received(path, meta)
    except CorpusError as exc:
        raise ApiError(422, without_folders(str(exc), path.parent, *_folders())) from None


def _preview(read: ReadDocument, *, dry_run: bool, replaces: bool) -> dict[str, Any]:
    return {"dry_run": dry_run, "id": read.doc.id, "title": read.doc.title,
            "year": read.doc.year, "province": read.doc.province, "cases": read.cases,
            "case_ids": list(read.case_ids), "replaces": replaces, "report": read.report}


def _change_error(exc: CorpusError) -> ApiError:
    """The HTTP answer to a change the store refused."""
    detail = without_folders(exc.over_http() if isinstance(exc, DocumentChangeError)
                             else str(exc), *_folders())
    if isinstance(exc, LockWaitTimeout):  # it names the lock's folder and its holders
        return ApiError(503, without_paths(detail, *_folders()), retry_after=10)
    if isinstance(exc, DocumentNotFoundError):
        return ApiError(404, detail)
    if isinstance(exc, DocumentConflictError):
        return ApiError(409, detail)
    return ApiError(422, detail)


def _audited(action: str, doc_id: str, make, **details: Any):
    """Run `make()` (a change, or a preview), with its audit line, whatever its outcome."""
    try:
        done = make()
    except ApiError as error:
        audit(action, doc_id, who=g.admin, address=client_address(),
              outcome=f"refused {error.status}: {error.detail}", **details)
        raise
    except CorpusError as exc:
        error = _change_error(exc)
        audit(action, doc_id, who=g.admin, address=client_address(),
              outcome=f"refused {error.status}: {error.detail}", **details)
        raise error from None
    audit(action, doc_id, who=g.admin, address=client_address(), outcome="ok", **details)
    return done


def _changed(action: str, change: Change, cases: int | None) -> dict[str, Any]:
    """A change's answer: the document as stored now, and where to see it go live."""
    store = _store()
    doc = store.find(change.doc_id)
    served = _served()
    record = (document_record(doc, served, current_app.extensions["casesearch.digests"])
              if doc is not None else None)
    live = record["live"] if record else live_state(change.doc_id, None, served)
    return {"action": action, "id": change.doc_id, "document": record,
            "trashed": change.trashed.name if change.trashed else None, "cases": cases,
            "live": live, "serving": served.build,
            "status": f"/api/documents/{quote(change.doc_id)}"}


def _after_change() -> None:
    builds = current_app.extensions.get("casesearch.builds")
    if builds is not None:
        builds.request()


# The API

@bp.get("/api/documents")
def list_documents() -> Response:
    served = _served()
    return jsonify(documents=document_records(_store(), served,
                                              current_app.extensions["casesearch.digests"]),
                   build=_build_state(served))


@bp.get("/api/documents/trash")
def list_trash() -> Response:
    return jsonify(versions=trash_records(_store(), _served()))


@bp.get("/api/documents/<doc_id>")
def get_document(doc_id: str) -> Response:
    doc = _store().find(doc_id)
    if doc is None:
        raise ApiError(404, f"no document has id {doc_id!r}; see GET /api/documents")
    record = document_record(doc, _served(), current_app.extensions["casesearch.digests"])
    return jsonify(shaped(DocumentInfo, **record))


@bp.post("/api/documents")
def add_document() -> tuple[Response, int]:
    return _receive(replace=None)


@bp.put("/api/documents/<doc_id>")
def replace_document(doc_id: str) -> tuple[Response, int]:
    return _receive(replace=doc_id)


def _receive(replace: str | None) -> tuple[Response, int]:
    """Read the file sent; with dry_run, answer the report; otherwise store it."""
    action = "replace" if replace else "add"
    args = _options()
    name, data = _received()
    details = {"file": name, "bytes": len(data)}
    try:
        meta = document_meta(args, name, replace=replace)
    except CorpusError as exc:
        raise ApiError(422, str(exc)) from None
    store = _store()
    with received_file(data, name) as path:
        if args["dry_run"]:
            def preview() -> dict[str, Any]:
                read = _read(path, meta)
                store.check_add(meta["id"], path.suffix, replace=bool(replace))
                return _preview(read, dry_run=True, replaces=bool(replace))

            return jsonify(_audited("preview", meta["id"], preview, **details)), 200

        answer = _audited(action, meta["id"], lambda: _store_and_build(
            store, path, meta, name, replace=bool(replace)), **details)
    return jsonify(answer), 200 if replace else 201


def _store_and_build(store: CorpusStore, path: Path, meta: dict[str, Any], name: str, *,
                     replace: bool) -> dict[str, Any]:
    """Read a received file, store it, start the build that will serve it: the change's
    answer (the API's and the page's)."""
    read = _read(path, meta)
    done = store_read(store, path, read, replace=replace, added_by=g.admin, received_as=name)
    _after_change()
    return _changed("replaced" if replace else "added", done, read.cases)


@bp.delete("/api/documents/<doc_id>")
def remove_document(doc_id: str) -> Response:
    return jsonify(_remove_or_restore("remove", doc_id))


@bp.post("/api/documents/<doc_id>/restore")
def restore_document(doc_id: str) -> Response:
    return jsonify(_remove_or_restore("restore", doc_id))


def _remove_or_restore(action: str, doc_id: str) -> dict[str, Any]:
    store = _store()

    def change() -> dict[str, Any]:
        done = store.remove(doc_id) if action == "remove" else store.restore(doc_id)
        _after_change()
        return _changed("removed" if action == "remove" else "restored", done, None)

    return _audited(action, doc_id, change)


# The page

@bp.get("/documents")
def documents_page() -> str:
    return _render_documents()[0]


def _render_documents(error: str = "", status: int = 200) -> tuple[str, int]:
    served = _served()
    store = _store()
    done = request.args.get("done", "")
    return render_template(
        "documents.html", documents=document_records(
            store, served, current_app.extensions["casesearch.digests"]),
        trash=trash_records(store, served), build=_build_state(served), admin=g.admin,
        form_token=form_token(), error=error,
        done=done if done in ("added", "replaced", "removed", "restored") else "",
        changed=request.args.get("id", "")[:64], fields=_page_fields(),
        upload_mb=int(current_app.config["UPLOAD_BYTES"]) >> 20), status


# How the page names the request's fields (service.schema.DOCUMENT); each field's own
# description is shown beneath its name.
PAGE_LABELS = {"id": "文档 id · Document id", "title": "标题 · Title", "year": "年份 · Year",
               "province": "省份 · Province", "case_level": "案例层级 · Case level",
               "place": "统一地方 · One place for every case", "source": "来源 · Source"}


def _page_fields() -> dict[str, Any]:
    return {field.name: {"field": field, "label": PAGE_LABELS[field.name]}
            for field in DOCUMENT.fields if field.name in PAGE_LABELS}


@bp.post("/documents/preview")
def preview_page() -> tuple[str, int]:
    """Read a file chosen on the page (or the one previewed before, with corrections) and
    show how it was read; nothing is stored."""
    token = request.form.get("upload", "")
    if token:
        name, path = _kept_upload(token)
    else:
        name, data = _received()
        token, path = _keep_upload(name, data)
    return _render_preview(token, name, path)


def _render_preview(token: str, name: str, path: Path, *, error: str = "",
                    status: int = 200) -> tuple[str, int]:
    replace = request.form.get("replace") or None
    problem = error
    read = None
    args: dict[str, Any] = {}
    try:
        args = _options(allow_dry_run=False)
        meta = document_meta(args, name, replace=replace)
        read = _audited("preview", meta["id"], lambda: _read(path, meta), file=name)
        _store().check_add(meta["id"], path.suffix, replace=bool(replace))
    except ApiError as exc:
        problem = problem or exc.detail
        status = exc.status if read is None else 200
    except CorpusError as exc:
        problem = problem or _change_error(exc).detail
        status = 200 if read is not None else 422
    conflict = read is not None and bool(problem) and _store().find(read.doc.id) is not None
    return render_template("document_preview.html", read=read, name=name, token=token,
                           problem=problem, args=args, replace=replace, conflict=conflict,
                           form_token=form_token(), fields=_page_fields()), status


@bp.post("/documents/add")
def add_page() -> Response | tuple[str, int]:
    """Store the file previewed, with the corrections made, and go back to the list."""
    name, path = _kept_upload(request.form.get("upload", ""))
    replace = request.form.get("replace") or None
    try:
        meta = document_meta(_options(allow_dry_run=False), name, replace=replace)
    except ApiError as error:
        return _render_preview(request.form["upload"], name, path, error=error.detail,
                               status=error.status)
    except CorpusError as exc:
        return _render_preview(request.form["upload"], name, path, error=str(exc), status=422)
    store = _store()
    try:
        answer = _audited("replace" if replace else "add", meta["id"], lambda: _store_and_build(
            store, path, meta, name, replace=bool(replace)), file=name)
    except ApiError as error:
        return _render_preview(request.form["upload"], name, path, error=error.detail,
                               status=error.status)
    shutil.rmtree(path.parent, ignore_errors=True)
    return redirect(url_for("documents.documents_page", done=answer["action"],
                            id=answer["id"]) + f"#doc-{answer['id']}", code=303)


@bp.post("/documents/<doc_id>/remove")
def remove_page(doc_id: str) -> Response:
    return _page_change("remove", doc_id)


@bp.post("/documents/<doc_id>/restore")
def restore_page(doc_id: str) -> Response:
    return _page_change("restore", doc_id)


def _page_change(action: str, doc_id: str) -> Response | tuple[str, int]:
    try:
        answer = _remove_or_restore(action, doc_id)
    except ApiError as error:
        return _render_documents(error.detail, error.status)
    return redirect(url_for("documents.documents_page", done=answer["action"],
                            id=answer["id"]), code=303)


# Files previewed on the page, kept for its "add"

def _keep_upload(name: str, data: bytes) -> tuple[str, Path]:
    """Keep a file previewed on the page under a token of its own (older ones dropped)."""
    root = _uploads()
    _drop_old_uploads(root)
    token = secrets.token_urlsafe(16)
    folder = root / token
    folder.mkdir(parents=True, mode=0o700)
    (folder / name).write_bytes(data)
    (folder / "upload.json").write_text(json.dumps({"name": name, "by": g.admin,
                                                    "at": time.time()}), encoding="utf-8")
    return token, folder / name


def _kept_upload(token: str) -> tuple[str, Path]:
    """The file kept under a token, if it is still kept.

    Raises:
        ApiError: 410 once it has expired (or never was).
    """
    folder = _uploads() / token
    try:
        if not _TOKEN.fullmatch(token):
            raise ValueError(token)
        kept = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
        name = received_name(kept["name"])
        if (time.time() - float(kept["at"]) > UPLOAD_HOURS * 3600 or kept["by"] != g.admin
                or not (folder / name).is_file()):
            raise ValueError(token)
    except (OSError, ValueError, KeyError, TypeError, CorpusError):
        raise ApiError(410, "the file previewed is no longer kept (after an hour, or once "
                            "added); choose it again") from None
    return name, folder / name


def _drop_old_uploads(root: Path) -> None:
    if not root.is_dir():
        return
    for folder in root.iterdir():
        try:
            if time.time() - folder.stat().st_mtime > UPLOAD_HOURS * 3600:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
