"""Observability: Prometheus metrics (``/metrics``), structured logs with a request id, OpenTelemetry traces.

The rest of the code calls the small hooks here; nothing personal ever reaches a label, a log line or a span
(see :mod:`govgraph.observability.logs` and :mod:`govgraph.observability.metrics` for what is allowed).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from govgraph.observability import metrics, tracing
from govgraph.observability.asgi import ObservabilityMiddleware, note_operation, note_result
from govgraph.observability.logs import logging_config, request_id
from govgraph.observability.metrics import (
    batch_loaded,
    event_delivered,
    event_published,
    loader_label,
    metrics_endpoint,
)


@contextlib.asynccontextmanager
async def observe_batch(loader: str, size: int) -> AsyncIterator[None]:
    """Around one DataLoader batch: the batch-size histogram and a span."""
    metrics.batch_loaded(loader, size)
    with tracing.batch_span(loader, size):
        yield


def statement_started(info: dict[Any, Any], store: str, statement: str, dialect: str) -> None:
    """before_cursor_execute: remember when (and the span) on the connection."""
    info.setdefault("govgraph_t0", []).append(time.perf_counter())
    info.setdefault("govgraph_span", []).append(tracing.start_statement_span(store, statement, dialect))


def statement_finished(info: dict[Any, Any], store: str, error: BaseException | None = None) -> float | None:
    """after_cursor_execute (or handle_error): count and time the statement; returns its seconds."""
    starts = info.get("govgraph_t0")
    if not starts:
        return None
    seconds: float = time.perf_counter() - starts.pop()
    spans = info.get("govgraph_span")
    tracing.end_statement_span(spans.pop() if spans else None, error)
    metrics.statement_done(store, seconds, failed=error is not None)
    return seconds


@contextlib.contextmanager
def websocket_open() -> Iterator[None]:
    metrics.WEBSOCKETS.inc()
    try:
        yield
    finally:
        metrics.WEBSOCKETS.dec()


def subscription_started() -> None:
    metrics.SUBSCRIPTIONS.inc()


def subscription_ended() -> None:
    metrics.SUBSCRIPTIONS.dec()


def setup() -> None:
    """When an app is created (in each worker): export traces if an OTLP endpoint is configured."""
    tracing.configure_from_env()


def on_shutdown() -> None:
    """In each worker: flush spans; in multiprocess mode, drop this worker's live gauges."""
    tracing.flush()
    metrics.mark_this_process_dead()


__all__ = [
    "ObservabilityMiddleware",
    "batch_loaded",
    "event_delivered",
    "event_published",
    "loader_label",
    "logging_config",
    "metrics_endpoint",
    "note_operation",
    "note_result",
    "observe_batch",
    "on_shutdown",
    "request_id",
    "setup",
    "statement_finished",
    "statement_started",
    "subscription_ended",
    "subscription_started",
    "websocket_open",
]
