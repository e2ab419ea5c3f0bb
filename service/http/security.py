"""Security for every request and response: only the host names the service is served as
(no DNS rebinding), an optional API key over everything that reads cases (the API by header,
the pages by a signed session cookie that expires and can be signed out), wrong keys slowed
down per client, CORS only for an allow-list, strict headers."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
)

from service.problems import ApiError
from service.runtime.admission import (
    ADMIN_COOKIE,
    FAILURE_WINDOW,
    SESSION_SECONDS,
    WindowCounts,
    admin_of_authorization,
    admin_of_session,
    admin_token,
    bearer_matches,
    guesser,
)

# A sign-in lasts SESSION_SECONDS at most, and ends with the browser (a session cookie). The
# value is signed with the key alone, so that every replica behind the documented proxy accepts
# it; a new key ends every session at once.
SESSION_COOKIE = "casesearch_session"
OPEN_PATHS = ("/healthz", "/readyz", "/login", "/logout")
log = logging.getLogger(__name__)
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
    return path in OPEN_PATHS or path.startswith("/static/") or is_admin_path(path)


def is_admin_path(path: str) -> bool:
    """The routes that change the corpus (service.http.documents): guarded by an admin key
    (`require_admin`), which also grants reading, not by the read key."""
    return any(path == root or path.startswith(root + "/")
               for root in ("/documents", "/api/documents"))


def hostname(host_header: str) -> str:
    """The name in a Host header, without its port: `[::1]:8000` → `::1`."""
    try:
        return (urlsplit(f"//{host_header}").hostname or "").rstrip(".")
    except ValueError:
        return ""


def require_allowed_host() -> None:
    """Answer only requests addressed to a name this service is served as. A web page on
    another site cannot then reach a service on 127.0.0.1 by rebinding its own name to it.

    Not Flask's TRUSTED_HOSTS: that check runs wherever `request.host` is first read (a 400
    in Werkzeug's words, from inside whatever read it) and wants each port listed; this one
    runs first, before routing, accepts a name on any port, and says how to allow more."""
    allowed = current_app.config.get("ALLOWED_HOSTS") or ()
    if "*" in allowed:
        return
    if hostname(request.headers.get("Host", "")) not in allowed:
        raise ApiError(400, "this service does not answer requests for that host name; use "
                            "the address it is served at (an operator can allow more names "
                            "with CASESEARCH_ALLOWED_HOSTS)")


def _signature(key: str, issued: str) -> str:
    message = f"casesearch page session 2|{issued}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def session_token(key: str, now: float | None = None) -> str:
    """A new session cookie value: when it was issued, signed with the key (a digest: the key
    itself is never in it), so that each sign-in gets a value of its own that expires."""
    issued = str(int(time.time() if now is None else now))
    return f"{issued}.{_signature(key, issued)}"


def session_valid(key: str, token: str, now: float | None = None) -> bool:
    """Whether a cookie value was issued by this server, for this key, less than
    SESSION_SECONDS ago."""
    issued, _, signature = token.partition(".")
    if not issued.isdecimal() or len(issued) > 12:
        return False
    age = (time.time() if now is None else now) - int(issued)
    return 0 <= age < SESSION_SECONDS and hmac.compare_digest(
        signature.encode(), _signature(key, issued).encode())


def client_address() -> str:
    """The client's address: the peer's, or, from a trusted proxy (CASESEARCH_TRUSTED_PROXIES,
    by default one on this machine: the documented nginx), the address it forwarded. Read
    from the right of X-Forwarded-For: each trusted proxy's entry is passed over, and the
    first that is not one is the client. A malformed entry ends the walk at the hop that
    forwarded it, so that nobody's own header is believed past the proxies. (gunicorn's
    own trust of forwarded headers is off: service.http.server.)"""
    address = request.remote_addr or ""
    trusted = current_app.config["TRUSTED_PROXIES"]
    if not _within(address, trusted):
        return address
    hops = ",".join(request.headers.getlist("X-Forwarded-For")).split(",")
    for hop in (_without_port(hop.strip()) for hop in reversed(hops)):
        if not _is_address(hop):  # `unknown`, an obfuscated name, garbage
            break
        address = hop
        if not _within(hop, trusted):
            break
    return address


_BRACKETED = re.compile(r"\[([0-9A-Fa-f:.]+(?:%[\w.-]+)?)\](?::\d{1,5})?")
_IPV4_AND_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}")


def _without_port(hop: str) -> str:
    """An X-Forwarded-For entry as an address: some proxies append the client's port
    (`203.0.113.7:51234`, `[2001:db8::1]:443`)."""
    for form in (_BRACKETED, _IPV4_AND_PORT):
        match = form.fullmatch(hop)
        if match:
            return match.group(1)
    return hop


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _within(text: str, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
            ) -> bool:
    """Whether an address is in one of the networks; IPv4 as a dual-stack socket shows it
    (::ffff:127.0.0.1) counts as itself."""
    if not networks or not _is_address(text):
        return False
    address = ipaddress.ip_address(text)
    mapped = getattr(address, "ipv4_mapped", None)
    return any(candidate in network for candidate in (address, mapped) if candidate is not None
               for network in networks)  # an address is never in another version's network


def served_over_https() -> bool:
    """Whether the browser reached us over HTTPS: directly, or through a trusted proxy
    (`X-Forwarded-Proto: https`; CASESEARCH_TRUSTED_PROXIES)."""
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.is_secure or (
        proto == "https"
        and _within(request.remote_addr or "", current_app.config["TRUSTED_PROXIES"]))


def public_origin() -> str:
    """Where readers reach the service, for the links it hands out: CASESEARCH_BASE_URL, else
    this request's own origin (`https` through the documented proxy, the Host it was sent to,
    which `require_allowed_host` has checked); empty (no links) when that Host is no plain
    name and port."""
    settings = current_app.config.get("SETTINGS")
    if settings is not None and settings.base_url:
        return settings.base_url.rstrip("/")
    if not _HOST_AND_PORT.fullmatch(request.host):  # a Host the name check let by: no link
        return ""
    return f"{'https' if served_over_https() else 'http'}://{request.host}"


# A name or an IPv4 address, or an IPv6 one in brackets, and a port: what a link may hold.
_HOST_AND_PORT = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]+\])"
                            r"(?::\d{1,5})?")


def _refuse_guessing(address: str) -> None:
    wait = current_app.extensions["casesearch.failed_keys"].retry_after(guesser(address))
    if wait:
        raise ApiError(429, f"too many wrong keys from this address; try again in {wait} s",
                       retry_after=wait)


def _wrong_key(address: str, how: str) -> None:
    count = current_app.extensions["casesearch.failed_keys"].record(guesser(address))
    log.warning("wrong API key (%s) from %s for %s %s: %d in the last %g s", how, address,
                request.method, request.path, count, FAILURE_WINDOW)


def require_api_key() -> Response | None:
    """With API_KEY set, everything but health checks and static files needs the key: the API
    as `Authorization: Bearer <key>` (or the page's session cookie), the pages through the
    sign-in form, which sets that cookie. CORS preflights carry no credentials. A client that
    sent too many wrong keys is refused for a while (429), whatever it sends."""
    key = current_app.config.get("API_KEY")
    if not key or _is_open(request.path) or request.method == "OPTIONS":
        return None
    address = client_address()
    bearer = bearer_matches(request.headers.get("Authorization", ""), key)
    if bearer is not None:
        _refuse_guessing(address)
        if bearer or admin_of_bearer() is not None:
            return None
        _wrong_key(address, "Authorization header")
    elif session_valid(key, request.cookies.get(SESSION_COOKIE, "")):
        g.signed_in = True
        return None
    elif admin_of_cookie() is not None:  # an admin signed in on the documents page
        return None
    if _is_api(request.path) or request.path in ("/openapi.json", "/metrics"):
        raise ApiError(401, "this API needs a key: send the header "
                            "`Authorization: Bearer <key>`", www_authenticate="Bearer")
    return Response(render_template("login.html", next=local_target(request.full_path),
                                    error=None), status=401)


_UNSAFE_IN_TARGET = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def local_target(target: str) -> str:
    """Where to go after signing in: a path on this site, rebuilt from its parsed parts.
    Anything odd (a scheme, a host, `//`, a backslash, a control character or space that a
    browser would drop to make `//other.site`) gives `/`."""
    if (_UNSAFE_IN_TARGET.search(target) or target != target.strip()
            or not target.startswith("/") or target.startswith("//")):
        return "/"
    try:
        parts = urlsplit(target)
    except ValueError:
        return "/"
    if (parts.scheme or parts.netloc or not parts.path.startswith("/")
            or parts.path.startswith("//")):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.post("/login")
def login() -> Response:
    """Check the key from the sign-in form and keep a session cookie for the pages."""
    key = current_app.config.get("API_KEY")
    given = request.form.get("key", "")
    target = local_target(request.form.get("next", "/"))
    if not key:
        return redirect(target, code=303)
    address = client_address()
    _refuse_guessing(address)
    if not hmac.compare_digest(given.encode(), key.encode()):
        _wrong_key(address, "sign-in form")
        return Response(render_template("login.html", next=target,
                                        error="wrong key · 密钥不正确"), status=401)
    response = redirect(target, code=303)
    # A session cookie (no Max-Age: the browser forgets it when it closes), whose value also
    # expires on the server after SESSION_SECONDS.
    response.set_cookie(SESSION_COOKIE, session_token(key), httponly=True, samesite="Strict",
                        secure=served_over_https(), path="/")
    return response


@bp.post("/logout")
def logout() -> Response:
    """Sign out: the browser forgets its session cookie."""
    response = redirect("/", code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Strict",
                           secure=served_over_https())
    return response


# Admin keys: they change the corpus (service.http.documents), and grant reading too.

ADMIN_OFF = ("adding and changing documents over HTTP is off: an operator turns it on by "
             "setting CASESEARCH_ADMIN_KEY to a key of at least 16 characters (see "
             "docs/DEPLOY.md); `casesearch corpus add` works on the server meanwhile")


def admin_keys() -> tuple[tuple[str, str], ...]:
    """The (name, key) pairs that may change the corpus; none: the routes are off."""
    return tuple(current_app.config.get("ADMIN_KEYS") or ())


def admin_of_bearer() -> str | None:
    """The name of the admin key the request's `Authorization: Bearer` carries, if any."""
    return admin_of_authorization(request.headers.get("Authorization", ""), admin_keys())


def admin_of_cookie(now: float | None = None) -> str | None:
    """The name of the admin key whose session cookie the request carries, if valid."""
    return admin_of_session(request.cookies.get(ADMIN_COOKIE, ""), admin_keys(), now)


def form_token() -> str:
    """The token a documents page's forms carry (against cross-site requests, besides the
    cookie's SameSite=Strict): the admin session cookie, signed again."""
    token = request.cookies.get(ADMIN_COOKIE, "")
    key = dict(admin_keys()).get(token.rsplit(".", 2)[0], "")
    return hmac.new(key.encode(), f"form|{token}".encode(), hashlib.sha256).hexdigest()


def require_admin() -> str:
    """The name of the admin key this request is made with, or refuse it: 403 when no admin
    key is set (the routes are off, not open), 401 without a valid key (a wrong one counted
    against the client like a wrong read key), and, for a page's form sent with the session
    cookie, 403 without the form's token.

    Raises:
        ApiError: as above (a page's caller renders the sign-in form instead of a 401).
    """
    if not admin_keys():
        raise ApiError(403, ADMIN_OFF)
    if request.method == "OPTIONS":  # a CORS preflight carries no credentials
        return ""
    address = client_address()
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        _refuse_guessing(address)
        name = admin_of_bearer()
        if name is not None:
            return name
        read_key = current_app.config.get("API_KEY")
        if read_key and bearer_matches(header, read_key):  # a right key, for the wrong thing
            raise ApiError(403, "the read key (CASESEARCH_API_KEY) does not change documents; "
                                "send an admin key (CASESEARCH_ADMIN_KEY)")
        _wrong_key(address, "admin Authorization header")
        raise ApiError(401, "this admin key is not valid; send `Authorization: Bearer <admin "
                            "key>` (CASESEARCH_ADMIN_KEY)", www_authenticate="Bearer")
    name = admin_of_cookie()
    if name is None:
        raise ApiError(401, "changing documents needs an admin key: send `Authorization: "
                            "Bearer <admin key>`, or sign in on /documents",
                       www_authenticate="Bearer")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not hmac.compare_digest(
            request.form.get("form_token", "").encode(), form_token().encode()):
        raise ApiError(403, "this form is out of date or was not sent from the documents "
                            "page; reload /documents and try again")
    return name


def admin_sign_in(given: str) -> tuple[Response, str] | None:
    """Check a key from the documents page's sign-in form: a response that sets the admin
    session cookie and goes to /documents, with the key's name; None for a wrong key
    (counted)."""
    address = client_address()
    _refuse_guessing(address)
    for name, key in admin_keys():
        if hmac.compare_digest(given.encode(), key.encode()):
            response = redirect("/documents", code=303)
            response.set_cookie(ADMIN_COOKIE, admin_token(name, key), httponly=True,
                                samesite="Strict", secure=served_over_https(), path="/")
            return response, name
    _wrong_key(address, "admin sign-in form")
    return None


def admin_sign_out() -> Response:
    response = redirect("/documents", code=303)
    response.delete_cookie(ADMIN_COOKIE, path="/", httponly=True, samesite="Strict",
                           secure=served_over_https())
    return response


def add_headers(response: Response) -> Response:
    """Security headers everywhere; CORS headers only for an allowed origin on /api/*."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and _is_api(request.path) and origin in current_app.config.get("CORS_ORIGINS", ()):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
        response.headers["Access-Control-Max-Age"] = "600"
        response.vary.add("Origin")
    return response


def register_security(app: Flask) -> None:
    app.extensions["casesearch.failed_keys"] = WindowCounts()
    app.register_blueprint(bp)
    app.before_request(require_allowed_host)
    app.before_request(require_api_key)
    app.after_request(add_headers)
