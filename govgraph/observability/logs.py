"""Structured logs: a request id in every line, a JSON (or text) formatter that never prints personal data.

What a line may carry: time, level, logger, the message written in our code, the request id, and a short
list of safe fields (method, route path, status, duration, operation name, store, loader). Exception
messages are withheld (their type and stack frames are kept): messages such as "personalId '0010…' is not
valid" carry user input. GraphQL errors logged by strawberry are reduced to their path, type and code.
Third-party loggers stay at WARNING whatever the level: SQLAlchemy, aiosqlite and websockets log statement
parameters and frames (tokens) at INFO/DEBUG.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
import traceback
import uuid
from types import TracebackType
from typing import IO, Any, Literal

from graphql import GraphQLError

LogFormat = Literal["json", "text"]

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("govgraph_request_id", default=None)
"""The id of the request being handled (set by the middleware for the duration of the request)."""

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

SAFE_FIELDS = (
    "method",
    "path",
    "status",
    "duration_ms",
    "operation",
    "outcome",
    "kind",
    "store",
    "loader",
    "graphql_path",
    "error_type",
    "error_code",
)
"""Extra attributes a formatter prints (``log.info(..., extra={...})``); anything else is left out."""

OUR_LOGGERS = ("govgraph", "strawberry", "uvicorn")
"""Loggers that follow GOVGRAPH_LOG_LEVEL; every other one stays at WARNING."""


def new_request_id(incoming: str | None) -> str:
    """The client's X-Request-Id if it is a sane token (≤ 64 of [A-Za-z0-9._-]), else a fresh uuid4 hex."""
    if incoming and REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current request id (handlers run in the emitting context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class DropUvicornWebSocketLines(logging.Filter):
    """uvicorn's own WebSocket access lines carry the client address and the query string (where some clients
    put a token); the middleware's access line replaces them."""

    def filter(self, record: logging.LogRecord) -> bool:
        uvicorn = record.name.startswith("uvicorn")
        return not (uvicorn and isinstance(record.msg, str) and '"WebSocket %s"' in record.msg)


def _graphql_error_fields(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    code = (error.extensions or {}).get("code")
    return {
        "graphql_path": ".".join(str(p) for p in error.path or ()) or None,
        "error_type": type(original).__name__ if original is not None else "GraphQLError",
        "error_code": code if isinstance(code, str) and REQUEST_ID.fullmatch(code) else None,
    }


def safe_message(record: logging.LogRecord) -> tuple[str, dict[str, Any]]:
    """The message and the safe fields of a record."""
    fields = {k: getattr(record, k) for k in SAFE_FIELDS if getattr(record, k, None) is not None}
    if isinstance(record.msg, GraphQLError):
        fields.update({k: v for k, v in _graphql_error_fields(record.msg).items() if v is not None})
        return "GraphQL error (message withheld)", fields
    return record.getMessage(), fields


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def safe_exception(exc_info: ExcInfo | tuple[None, None, None] | None) -> str | None:
    """The exception's stack frames and type, without its message (which may quote user input)."""
    if not exc_info or exc_info[0] is None:
        return None
    etype, _value, tb = exc_info
    frames = "".join(traceback.format_tb(tb)) if tb is not None else ""
    return f"Traceback (most recent call last):\n{frames}{etype.__module__}.{etype.__qualname__}: (message withheld)"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id, safe fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        message, fields = safe_message(record)
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": message,
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            line["request_id"] = rid
        line.update(fields)
        exc = safe_exception(record.exc_info)
        if exc:
            line["exception"] = exc
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a terminal: ``time level logger [request id] message key=value …``, with the same redactions."""

    def format(self, record: logging.LogRecord) -> str:
        message, fields = safe_message(record)
        when = dt.datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        rid = getattr(record, "request_id", None) or request_id.get() or "-"
        extra = "".join(f" {k}={v}" for k, v in fields.items())
        text = f"{when} {record.levelname:<7} {record.name} [{rid}] {message}{extra}"
        exc = safe_exception(record.exc_info)
        return f"{text}\n{exc}" if exc else text


def make_handler(fmt: LogFormat, stream: IO[str] | None = None) -> logging.Handler:
    """The one handler: to stderr (or ``stream``), request id stamped, formatted as JSON or text."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(DropUvicornWebSocketLines())
    return handler


def logging_config(fmt: LogFormat, level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary (also handed to uvicorn, which applies it in every worker)."""
    if fmt not in ("json", "text"):
        raise ValueError(f"GOVGRAPH_LOG_FORMAT must be 'json' or 'text', not {fmt!r}")
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"default": {"()": "govgraph.observability.logs.make_handler", "fmt": fmt}},
        "loggers": {
            **{name: {"level": level, "handlers": [], "propagate": True} for name in OUR_LOGGERS},
            # replaced by the middleware's access line (uvicorn's has client addresses and query strings)
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
        },
        "root": {"level": "WARNING", "handlers": ["default"]},
    }
