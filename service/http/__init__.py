"""The web service: the Flask app factory, the JSON API, the pages, errors, security, OpenAPI and
the gunicorn server.
"""
