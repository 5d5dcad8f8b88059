"""The ASGI middleware: request id, access log line, HTTP/GraphQL metrics, the request span.

It wraps the whole Starlette app. GraphQL views report what only they know (the operation's name, whether
the result had errors) through :func:`note_operation` and :func:`note_result` on the request's scope.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govgraph.observability import logs, metrics, tracing

access_log = logging.getLogger("govgraph.access")
log = logging.getLogger("govgraph")

SCOPE_KEY = "govgraph.observed"
REQUEST_ID_HEADER = b"x-request-id"
GRAPHQL_ROUTES = ("/graphql", "/public/graphql")


@dataclass
class Observed:
    """What the middleware learns about one request while it runs."""

    request_id: str
    route: str
    graphql: bool
    operation: str | None = None
    errors: bool = False


def note_operation(scope: Scope, query: str | None, operation_name: str | None) -> None:
    """Called by a GraphQL view before it executes: the (bounded, validated) operation name for labels."""
    observed = scope.get(SCOPE_KEY)
    if isinstance(observed, Observed):
        observed.operation = metrics.operation_label(query, operation_name)


def note_result(scope: Scope, has_errors: bool) -> None:
    """Called by a GraphQL view with its result: errors make the outcome ``graphql_error``."""
    observed = scope.get(SCOPE_KEY)
    if isinstance(observed, Observed):
        observed.errors = observed.errors or has_errors


def outcome(observed: Observed, status: int) -> str:
    if status >= 400:
        return "http_error"
    return "graphql_error" if observed.errors else "ok"


class ObservabilityMiddleware:
    """Request id in and out (``X-Request-Id``), one access line, metrics and a span per request."""

    def __init__(
        self, app: ASGIApp, routes: Iterable[str] = (), graphql_routes: Iterable[str] = GRAPHQL_ROUTES
    ) -> None:
        self.app = app
        self.graphql_routes = frozenset(graphql_routes)
        self.routes = frozenset(routes) | self.graphql_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid = logs.new_request_id(headers.get("x-request-id"))
        route = scope["path"] if scope["path"] in self.routes else metrics.OTHER
        websocket = scope["type"] == "websocket"
        method = "GET" if websocket else str(scope["method"])
        observed = Observed(rid, route, route in self.graphql_routes)
        scope[SCOPE_KEY] = observed
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            kind = message["type"]
            if kind in ("http.response.start", "websocket.accept", "websocket.http.response.start"):
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER, rid.encode())]
                status = 101 if kind == "websocket.accept" else int(message["status"])
                response_started = True
            elif kind == "websocket.close" and not response_started:
                status = 403
                response_started = True
            await send(message)

        try:
            with tracing.request_span(method, route, headers, "ws" if websocket else "http") as span:
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception:
                    status = 500
                    if response_started or websocket:
                        raise
                    log.exception("unhandled error")
                    await JSONResponse(
                        {"errors": [{"message": "Internal server error", "extensions": {"code": "INTERNAL"}}]},
                        status_code=500,
                    )(scope, receive, send_with_id)
                finally:
                    tracing.finish_request_span(span, status, observed.operation, rid)
        finally:
            elapsed = time.perf_counter() - started
            self._record(observed, method, status, elapsed, websocket)
            logs.request_id.reset(token)

    def _record(self, observed: Observed, method: str, status: int, elapsed: float, websocket: bool) -> None:
        fields: dict[str, Any] = {
            "kind": "websocket" if websocket else "http",
            "method": method,
            "path": observed.route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 3),
        }
        if not websocket:
            metrics.HTTP_REQUESTS.labels(observed.route, method, str(status)).inc()
            metrics.HTTP_DURATION.labels(observed.route, method).observe(elapsed)
            # a GraphQL request is one the view executed, or one refused before it (401, 400); not the IDE page
            if observed.graphql and (observed.operation is not None or status >= 400):
                operation = observed.operation or metrics.ANONYMOUS
                result = outcome(observed, status)
                metrics.GRAPHQL_REQUESTS.labels(observed.route, operation, result).inc()
                metrics.GRAPHQL_DURATION.labels(observed.route, operation).observe(elapsed)
                fields.update(operation=operation, outcome=result)
        access_log.info("%s %s %d", method, observed.route, status, extra=fields)
