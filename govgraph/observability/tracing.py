"""OpenTelemetry traces, only when an OTLP endpoint is configured (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) and the ``otel`` extra is installed (``pip install govgraph[otel]``).

Spans: one per request (server span, continuing an incoming W3C ``traceparent``), one per DataLoader batch,
one per store statement. Attributes are routes, operation names, store and loader names, batch sizes and the
statement's verb: never the SQL text, variables or ids. Without the packages or the endpoint every hook is a
no-op (one ``is None`` check).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from typing import Any

log = logging.getLogger("govgraph.tracing")

_tracer: Any = None
_provider: Any = None


def enabled() -> bool:
    return _tracer is not None


def use_provider(provider: Any) -> None:
    """Trace with this ``TracerProvider`` (tests pass one with an in-memory exporter); None turns tracing off."""
    global _tracer, _provider
    _provider = provider
    _tracer = provider.get_tracer("govgraph") if provider is not None else None


def configure_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Export spans over OTLP/HTTP when an endpoint is configured. True when tracing is on."""
    env = os.environ if environ is None else environ
    if _tracer is not None:
        return True
    if not (env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")):
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning("an OTLP endpoint is set but OpenTelemetry is not installed (pip install 'govgraph[otel]')")
        return False
    attributes = {} if env.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: "govgraph"}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use_provider(provider)
    return True


def flush() -> None:
    """Send what is buffered (at shutdown)."""
    if _provider is not None and hasattr(_provider, "force_flush"):
        _provider.force_flush()


@contextlib.contextmanager
def request_span(method: str, route: str, headers: Mapping[str, str], kind: str = "http") -> Iterator[Any]:
    """The server span of one request, current for its duration; yields it (or None when tracing is off)."""
    if _tracer is None:
        yield None
        return
    from opentelemetry import propagate, trace

    parent = propagate.extract(dict(headers))
    attributes = {"http.request.method": method, "http.route": route, "url.scheme": kind}
    with _tracer.start_as_current_span(
        f"{method} {route}", context=parent, kind=trace.SpanKind.SERVER, attributes=attributes
    ) as span:
        yield span


def finish_request_span(span: Any, status: int, operation: str | None, request_id: str) -> None:
    if span is None:
        return
    from opentelemetry.trace import Status, StatusCode

    span.set_attribute("http.response.status_code", status)
    span.set_attribute("govgraph.request_id", request_id)
    if operation:
        span.set_attribute("graphql.operation.name", operation)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))


@contextlib.contextmanager
def batch_span(loader: str, size: int) -> Iterator[None]:
    """A span around one DataLoader batch (a child of whatever resolver asked first)."""
    if _tracer is None:
        yield
        return
    with _tracer.start_as_current_span(
        f"dataloader {loader}", attributes={"govgraph.loader": loader, "govgraph.batch_size": size}
    ):
        yield


def start_statement_span(store: str, statement: str, dialect: str) -> Any:
    """A span for one statement, started in before_cursor_execute; :func:`end_statement_span` ends it."""
    if _tracer is None:
        return None
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
    verb = verb if verb.isalpha() and len(verb) <= 12 else "SQL"
    return _tracer.start_span(
        f"{verb} {store}",
        attributes={"db.system": dialect, "db.namespace": store, "db.operation.name": verb},
    )


def end_statement_span(span: Any, error: BaseException | None = None) -> None:
    if span is None:
        return
    if error is not None:
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("error.type", type(error).__name__)
        span.set_status(Status(StatusCode.ERROR))
    span.end()
