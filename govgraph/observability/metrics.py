"""Prometheus metrics: the families, bounded labels, the /metrics endpoint, multiprocess mode.

Labels carry only code-defined or bounded values: route paths, operation names that pass a strict pattern
(at most :data:`MAX_OPERATIONS` distinct ones per process), store names, loader names, event topics. Never
variables, ids, names or tokens.

Several workers (``govgraph serve --workers N``) share one directory named by ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode): each process writes its values there and ``/metrics`` sums them.
The variable must be set before ``prometheus_client`` is imported; the CLI does that.
"""

from __future__ import annotations

import datetime as dt
import functools
import glob
import os
import re
import threading

from graphql import GraphQLError, Lexer, Source, TokenKind
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

ANONYMOUS = "anonymous"
OTHER = "other"
OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
TOPIC = re.compile(r"[a-z_]{1,30}(\.[a-z_]{1,30}){0,3}")
MAX_OPERATIONS = 500
"""Distinct operation names one process labels; later ones count as ``other`` (label cardinality)."""
MAX_TOKENS = 5000
"""Tokens of a document scanned for its operation name before giving up (``anonymous``)."""

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STATEMENT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0)

GRAPHQL_REQUESTS = Counter(
    "govgraph_graphql_requests",
    "GraphQL requests by route, operation name and outcome (ok, graphql_error, http_error).",
    ["route", "operation", "outcome"],
)
GRAPHQL_DURATION = Histogram(
    "govgraph_graphql_request_duration_seconds",
    "Time to answer a GraphQL request, by route and operation name.",
    ["route", "operation"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "govgraph_http_requests",
    "HTTP requests by route (unknown paths: other), method and status code.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "govgraph_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
STATEMENTS = Counter("govgraph_store_statements", "SQL statements run, per store.", ["store"])
STATEMENT_ERRORS = Counter("govgraph_store_statement_errors", "SQL statements that failed, per store.", ["store"])
STATEMENT_DURATION = Histogram(
    "govgraph_store_statement_duration_seconds",
    "Time one SQL statement took, per store.",
    ["store"],
    buckets=STATEMENT_BUCKETS,
)
BATCH_SIZE = Histogram(
    "govgraph_dataloader_batch_size",
    "Keys per DataLoader batch, per loader.",
    ["loader"],
    buckets=BATCH_BUCKETS,
)
WEBSOCKETS = Gauge(
    "govgraph_websocket_connections",
    "Open WebSocket connections.",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS = Gauge(
    "govgraph_subscriptions_active",
    "GraphQL subscriptions following the event bus.",
    multiprocess_mode="livesum",
)
EVENTS_PUBLISHED = Counter("govgraph_events_published", "Events published to the event bus, by topic.", ["topic"])
EVENT_LAG = Histogram(
    "govgraph_event_bus_lag_seconds",
    "From an event's commit time to its delivery to a subscriber.",
    buckets=LAG_BUCKETS,
)

_known_operations: set[str] = set()
_known_lock = threading.Lock()


def _bounded(name: str) -> str:
    if name in _known_operations:
        return name
    with _known_lock:
        if len(_known_operations) >= MAX_OPERATIONS:
            return OTHER
        _known_operations.add(name)
    return name


@functools.lru_cache(maxsize=512)
def operation_label(query: str | None, operation_name: str | None) -> str:
    """The operation's name, if it is a plain identifier defined in the document; else ``anonymous``.

    The document is lexed (never matched with a regular expression), so a name inside a string literal (a
    variable's default, an argument) can never become a label. Names are capped in length and number.
    """
    if not isinstance(query, str) or (operation_name is not None and not isinstance(operation_name, str)):
        return ANONYMOUS
    wanted = operation_name if operation_name else None
    try:
        lexer = Lexer(Source(query))
        depth = 0
        expect_name = False
        token = lexer.advance()
        for _ in range(MAX_TOKENS):
            if token.kind == TokenKind.EOF:
                break
            if token.kind == TokenKind.BRACE_L:
                if depth == 0 and expect_name and wanted is None:
                    return ANONYMOUS  # the first operation has no name
                depth += 1
                expect_name = False
            elif token.kind == TokenKind.BRACE_R:
                depth -= 1
            elif depth == 0 and token.kind == TokenKind.NAME:
                if expect_name:
                    name = token.value or ""
                    if wanted is None or name == wanted:
                        return _bounded(name) if OPERATION_NAME.fullmatch(name) else ANONYMOUS
                    expect_name = False
                elif token.value in ("query", "mutation", "subscription"):
                    expect_name = True
            elif depth == 0 and token.kind != TokenKind.NAME:
                expect_name = False
            token = lexer.advance()
    except GraphQLError:
        return ANONYMOUS
    return ANONYMOUS


def topic_label(topic: str) -> str:
    """An event topic (``<store>.<thing>.<verb>``) if it has that shape, else ``other``."""
    return topic if TOPIC.fullmatch(topic) else OTHER


def loader_label(loader: object, fetch: object) -> str:
    """A DataLoader's name: its class when it is a named subclass, else the batch function's qualified name."""
    cls = type(loader).__name__
    if cls not in ("OneLoader", "ManyLoader"):
        return cls[:100]
    return str(getattr(fetch, "__qualname__", type(fetch).__name__))[:100]


# ---------------------------------------------------------------------------------------------------------
# Hooks called by the stores, loaders, event bus and subscriptions
# ---------------------------------------------------------------------------------------------------------


def statement_done(store: str, seconds: float, failed: bool = False) -> None:
    STATEMENTS.labels(store).inc()
    STATEMENT_DURATION.labels(store).observe(seconds)
    if failed:
        STATEMENT_ERRORS.labels(store).inc()


def batch_loaded(loader: str, size: int) -> None:
    BATCH_SIZE.labels(loader).observe(size)


def event_published(topic: str) -> None:
    EVENTS_PUBLISHED.labels(topic_label(topic)).inc()


def event_delivered(at: dt.datetime) -> None:
    EVENT_LAG.observe(max(0.0, (dt.datetime.now(dt.UTC) - at).total_seconds()))


# ---------------------------------------------------------------------------------------------------------
# Exposition
# ---------------------------------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _forget_dead_processes(path: str) -> None:
    """Live gauges of workers that died without a clean shutdown would otherwise be summed forever."""
    for file in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        pid_part = os.path.basename(file).rsplit("_", 1)[-1].removesuffix(".db")
        if pid_part.isdigit() and not _alive(int(pid_part)):
            _multiprocess.mark_process_dead(int(pid_part), path)  # type: ignore[no-untyped-call]


def mark_this_process_dead() -> None:
    """At shutdown, in multiprocess mode: drop this worker's live gauges (connections, subscriptions)."""
    path = multiprocess_dir()
    if path:
        _multiprocess.mark_process_dead(os.getpid(), path)  # type: ignore[no-untyped-call]


def render() -> bytes:
    """The exposition text: this process's registry, or every worker's in multiprocess mode."""
    path = multiprocess_dir()
    if not path:
        return generate_latest(REGISTRY)
    _forget_dead_processes(path)
    registry = CollectorRegistry()
    _multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


async def metrics_endpoint(request: Request) -> Response:
    """``GET /metrics``. Serve it to the monitoring network only: block it at the public proxy."""
    body = await run_in_threadpool(render) if multiprocess_dir() else render()
    return Response(body, media_type=CONTENT_TYPE_LATEST)
