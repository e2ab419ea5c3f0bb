"""Security for every request and response: only the host names the service is served as
(no DNS rebinding), an optional API key over everything that reads cases (the API by header,
the pages by a session cookie set once), CORS only for an allow-list, strict headers."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
)

from service.problems import ApiError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
SESSION_COOKIE = "casesearch_session"
OPEN_PATHS = ("/healthz", "/readyz", "/login")
bp = Blueprint("security", __name__)

# Pages load only their own stylesheet and script; nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith("/static/")


def hostname(host_header: str) -> str:
    """The name in a Host header, without its port: `[::1]:8000` → `::1`."""
    try:
        return (urlsplit(f"//{host_header}").hostname or "").rstrip(".")
    except ValueError:
        return ""


def require_allowed_host() -> None:
    """Answer only requests addressed to a name this service is served as. A web page on
    another site cannot then reach a service on 127.0.0.1 by rebinding its own name to it."""
    allowed = current_app.config.get("ALLOWED_HOSTS") or ()
    if "*" in allowed:
        return
    if hostname(request.headers.get("Host", "")) not in allowed:
        raise ApiError(400, "this service does not answer requests for that host name; use "
                            "the address it is served at (an operator can allow more names "
                            "with CASESEARCH_ALLOWED_HOSTS)")


def session_token(key: str) -> str:
    """The page session cookie's value for an API key (a digest, never the key itself)."""
    return hmac.new(key.encode(), b"casesearch page session 1", hashlib.sha256).hexdigest()


def _has_key(key: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), key.encode()):
        return True
    cookie = request.cookies.get(SESSION_COOKIE, "")
    return hmac.compare_digest(cookie.encode(), session_token(key).encode())


def require_api_key() -> Response | None:
    """With API_KEY set, everything but health checks and static files needs the key: the API
    as `Authorization: Bearer <key>` (or the page's session cookie), the pages through the
    sign-in form, which sets that cookie. CORS preflights carry no credentials."""
    key = current_app.config.get("API_KEY")
    if not key or _is_open(request.path) or request.method == "OPTIONS" or _has_key(key):
        return None
    if _is_api(request.path) or request.path in ("/openapi.json", "/metrics"):
        raise ApiError(401, "this API needs a key: send the header "
                            "`Authorization: Bearer <key>`", www_authenticate="Bearer")
    return Response(render_template("login.html", next=request.full_path.rstrip("?"),
                                    error=None), status=401)


def _local_target(target: str) -> str:
    """Where to go after signing in: a path on this site only (never `//other.site`)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@bp.post("/login")
def login() -> Response:
    """Check the key from the sign-in form and keep a session cookie for the pages."""
    key = current_app.config.get("API_KEY")
    given = request.form.get("key", "")
    target = _local_target(request.form.get("next", "/"))
    if not key:
        return redirect(target, code=303)
    if not hmac.compare_digest(given.encode(), key.encode()):
        return Response(render_template("login.html", next=target,
                                        error="wrong key · 密钥不正确"), status=401)
    response = redirect(target, code=303)
    response.set_cookie(SESSION_COOKIE, session_token(key), httponly=True, samesite="Strict",
                        secure=request.is_secure, max_age=30 * 24 * 3600, path="/")
    return response


def add_headers(response: Response) -> Response:
    """Security headers everywhere; CORS headers only for an allowed origin on /api/*."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and _is_api(request.path) and origin in current_app.config.get("CORS_ORIGINS", ()):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
        response.headers["Access-Control-Max-Age"] = "600"
        response.vary.add("Origin")
    return response


def register_security(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(require_allowed_host)
    app.before_request(require_api_key)
    app.after_request(add_headers)
