"""Security for every response: optional API key, CORS only for an allow-list, strict headers."""

from __future__ import annotations

import hmac

from flask import Flask, Response, current_app, request

from service.errors import ApiError

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


def require_api_key() -> None:
    """With API_KEY set, /api/* needs `Authorization: Bearer <key>` (CORS preflights excepted)."""
    key = current_app.config.get("API_KEY")
    if not key or not _is_api(request.path) or request.method == "OPTIONS":
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             key.encode()):
        raise ApiError(401, "this API needs a key: send the header "
                            "`Authorization: Bearer <key>`", www_authenticate="Bearer")


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
    app.before_request(require_api_key)
    app.after_request(add_headers)
