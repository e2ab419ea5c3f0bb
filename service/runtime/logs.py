"""Logging for the service and the CLI: plain text, or one JSON object a line
(`CASESEARCH_LOG_FORMAT=json`), for every logger, gunicorn's included."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "[%(asctime)s] [%(levelname)s] %(name)s: %(message)s"
# What a log line or the terminal must not carry from data (a request, a document): a line
# break would start a forged line; an escape sequence (ESC, or the C1 CSI U+009B on its own)
# would move the cursor, clear the screen or set the window title; line and paragraph
# separators and bidirectional controls make a line read other than it is; a lone surrogate
# cannot even be encoded. The CLI shows data through the same two functions.
_RAW_IN_JSON = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_RAW_IN_JSON}]")
_UNSAFE_IN_JSON = re.compile(f"[{_RAW_IN_JSON}]")  # JSON escapes C0 itself; its indent is \n


def escape_controls(text: str) -> str:
    """`text` with every control character written as an escape (`\\n`, `\\x1b`, `\\u2028`)."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def json_text(data: Any, **options: Any) -> str:
    """`json.dumps(data, ensure_ascii=False)`, with a \\u escape for each character above
    that JSON leaves raw (it escapes C0 itself): the same value for any JSON reader."""
    text = json.dumps(data, ensure_ascii=False, **options)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class TextFormatter(logging.Formatter):
    """The text format, one record a line: whatever a client sent (a path, a header, a
    question) is escaped, so that it can neither start a line of its own nor move the cursor.
    A traceback keeps its line breaks, every line indented, so that none reads as a record."""

    def __init__(self, fmt: str = TEXT_FORMAT, *args: Any, **kwargs: Any) -> None:
        super().__init__(fmt, *args, **kwargs)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        safe = logging.makeLogRecord({**record.__dict__, "message": escape_controls(
            record.message), "name": escape_controls(record.name)})
        return super().formatMessage(safe)

    def formatException(self, exc_info: Any) -> str:  # noqa: N802 (logging's name)
        """A traceback, each of its lines indented and escaped: an exception's message can
        quote a client, and must not start a line that reads as a log record."""
        text = super().formatException(exc_info)
        return "\n".join(f"    {escape_controls(line)}" for line in text.split("\n"))


# Attributes every LogRecord has; anything else was passed with `extra=` and is kept.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON: time, level, logger, message, and its extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update({key: value for key, value in record.__dict__.items()
                     if key not in _STANDARD and not key.startswith("_")})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json_text(line, default=str)


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """Send every log record to stderr in the chosen format (replacing earlier handlers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def gunicorn_log_config(log_format: str) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its own messages go through the same handler and format."""
    formatter = {"()": "service.runtime.logs.JsonFormatter" if log_format == "json"
                 else "service.runtime.logs.TextFormatter"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"casesearch": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "casesearch",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": ["stderr"],
                                       "propagate": False}},
    }
