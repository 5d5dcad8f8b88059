"""HTTP side of ``/public/graphql``: the anonymous view, stable error codes, and a per-client rate limit.

The rate limit is a token bucket per client, in process (no dependency, no shared store): each client may make
``GOVGRAPH_PUBLIC_RATE_LIMIT`` requests at once and regains that allowance over ``GOVGRAPH_PUBLIC_RATE_WINDOW``
seconds. With several workers each keeps its own buckets, so a client may get up to workers x limit; put a
shared limit at the proxy when that matters. The client is the peer address, or, with ``GOVGRAPH_TRUST_PROXY=1``,
the first address of ``X-Forwarded-For`` (the proxy must set that header itself, replacing what clients send).
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult

from govgraph import observability
from govgraph.auth.identity import Principal
from govgraph.config import Settings
from govgraph.context import Context
from govgraph.datasources.base import Stores
from govgraph.events import EventBus
from govgraph.ide.web import ide_page
from govgraph.public import Limits, build_public_schema
from govgraph.schema.cache import ResponseCache
from govgraph.schema.executor import CompiledExecutor, CompiledViewMixin

LIMIT_CODES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"exceeds maximum operation depth"), "MAX_DEPTH_LIMIT"),
    (re.compile(r"aliases found\. Allowed"), "MAX_ALIASES_LIMIT"),
    (re.compile(r"Document contains more than \d+ tokens"), "MAX_TOKENS_LIMIT"),
)


def limit_code(error: GraphQLError) -> str | None:
    """The code of a document refused by one of the public limits, or of any other refused document."""
    if error.original_error is not None or (error.extensions or {}).get("code"):
        return None
    for pattern, code in LIMIT_CODES:
        if pattern.search(error.message):
            return code
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED"


class PublicView(CompiledViewMixin, GraphQL[Context, None]):
    """strawberry's ASGI view over the public schema: anonymous, queries only, GraphiQL for everyone."""

    def __init__(self, stores: Stores, settings: Settings, bus: EventBus) -> None:
        super().__init__(
            build_public_schema(Limits.from_settings(settings)),
            graphql_ide="graphiql",  # open data: the IDE is served in production too
            allow_queries_via_get=True,
            subscription_protocols=(),
        )
        self.stores = stores
        self.settings = settings
        self.bus = bus
        self.compiled = CompiledExecutor(self.schema) if settings.compiled else None
        if self.compiled is not None and settings.response_cache_ttl > 0:
            self.response_cache = ResponseCache(settings.response_cache_ttl, bus)

    def encode_json(self, data: object) -> str:
        # orjson: several times faster than json.dumps on large answers. Text, not bytes, so that WebSocket
        # messages stay text frames (strawberry sends bytes as binary frames).
        return orjson.dumps(data).decode()

    async def render_graphql_ide(self, request: Request) -> Response:
        # govgraph's own page (assets served from here, never a CDN), not strawberry's.
        return ide_page(request, "/public/graphql", full=False)

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(
            stores=self.stores,
            principal=Principal.anonymous(),
            bus=self.bus,
            request=request,
            response=response,
            report_stats=self.settings.query_stats,
            settings=self.settings,
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        observability.note_operation(request.scope, request_data.query, request_data.operation_name)
        return await super().execute_single(request, request_adapter, sub_response, context, root_value, request_data)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        observability.note_result(request.scope, bool(result.errors))
        for error in result.errors or []:
            code = limit_code(error)
            if code:
                error.extensions = {**(error.extensions or {}), "code": code}
        return await super().process_result(request, result)


class TokenBuckets:
    """One token bucket per client key: ``capacity`` tokens, refilled at ``capacity / window`` per second.

    At most ``max_clients`` buckets are kept (least recently seen dropped first: a dropped client starts full).
    """

    def __init__(
        self,
        capacity: int,
        window: float,
        max_clients: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1 or window <= 0:
            raise ValueError("a rate limit needs a capacity of at least 1 and a positive window")
        self.capacity = float(capacity)
        self.refill = capacity / window
        self.max_clients = max_clients
        self.clock = clock
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0 when granted, else the seconds until one is available."""
        now = self.clock()
        tokens, at = self.buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.refill)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.refill
        self.buckets[key] = (tokens, now)
        while len(self.buckets) > self.max_clients:
            self.buckets.popitem(last=False)
        return wait


def client_key(scope: Scope, trust_proxy: bool) -> str:
    """Who is asking: X-Forwarded-For's first address behind a trusted proxy, else the peer address."""
    if trust_proxy:
        forwarded = Headers(scope=scope).get("x-forwarded-for", "")
        first = forwarded.split(",", 1)[0].strip()
        if first:
            return first
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimited:
    """ASGI wrapper: answers HTTP 429 with Retry-After and a JSON error once a client's bucket is empty."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.trust_proxy = settings.trust_proxy
        self.buckets = TokenBuckets(settings.public_rate_limit, settings.public_rate_window)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            wait = self.buckets.take(client_key(scope, self.trust_proxy))
            if wait > 0:
                retry = max(1, math.ceil(wait))
                body = {
                    "errors": [
                        {
                            "message": f"Too many requests to /public/graphql: retry after {retry} s.",
                            "extensions": {"code": "RATE_LIMITED", "retryAfter": retry},
                        }
                    ]
                }
                await JSONResponse(body, status_code=429, headers={"Retry-After": str(retry)})(scope, receive, send)
                return
        await self.app(scope, receive, send)
