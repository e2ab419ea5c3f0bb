"""WSGI entry point for production servers: `gunicorn service.http.wsgi:app`."""

from __future__ import annotations

from service.http.app import create_app

app = create_app()
