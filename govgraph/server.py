"""The Starlette application: routes, lifespan (check the stores' schema versions, migrate and seed the embedded
demo), authentication."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import hashlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UnsetType

from govgraph import observability
from govgraph.auth.identity import AuthError, Principal, VerifiedTokens, bearer_token, verify_token
from govgraph.config import Settings
from govgraph.context import Context
from govgraph.datasources.base import Stores
from govgraph.events import EventBus, make_bus
from govgraph.ide.web import ide_page, ide_routes
from govgraph.migrations import MigrationsPending, ensure_current, migrate_all
from govgraph.public.http import PublicView, RateLimited
from govgraph.schema import build_schema, limits
from govgraph.schema.cache import ResponseCache
from govgraph.schema.executor import CompiledExecutor, CompiledViewMixin
from govgraph.schema.front import CompiledFront

log = logging.getLogger("govgraph")


class GovGraphView(CompiledViewMixin, GraphQL[Context, None]):
    """strawberry's ASGI view with govgraph's context (stores, verified principal, fresh loaders).

    HTTP requests arrive here already authenticated (RequireToken). WebSocket connections speak only
    graphql-transport-ws; their token comes in connection_init and is verified in on_ws_connect.
    """

    def __init__(self, stores: Stores, settings: Settings, bus: EventBus, **kwargs: Any) -> None:
        super().__init__(
            build_schema(),
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=dt.timedelta(seconds=settings.ws_init_timeout),
            **kwargs,
        )
        self.max_subscriptions_per_connection = settings.ws_max_subscriptions
        self.stores = stores
        self.settings = settings
        self.bus = bus
        self.connections_per_token: Counter[str] = Counter()
        self.compiled = CompiledExecutor(self.schema) if settings.compiled else None
        if self.compiled is not None and settings.response_cache_ttl > 0:
            self.response_cache = ResponseCache(settings.response_cache_ttl, bus)

    def encode_json(self, data: object) -> str:
        # orjson: several times faster than json.dumps on large answers. Text, not bytes, so that WebSocket
        # messages stay text frames (strawberry sends bytes as binary frames).
        return orjson.dumps(data).decode()

    async def render_graphql_ide(self, request: Request) -> Response:
        # govgraph's own page (assets served from here, never a CDN), not strawberry's.
        return ide_page(request, "/graphql", full=True)

    async def get_context(self, request: Any, response: Any) -> Context:
        if isinstance(request, WebSocket):
            principal = Principal.anonymous()  # until on_ws_connect accepts a token
        else:
            principal = request.scope.get("govgraph.principal")
            if not isinstance(principal, Principal):
                # Only RequireToken sets it: a request that reached here without it is refused, never served.
                raise AuthError("not authenticated")
        return Context(
            stores=self.stores,
            principal=principal,
            bus=self.bus,
            request=request,
            response=response,
            report_stats=self.settings.query_stats,
            settings=self.settings,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, Any] | None:
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        try:
            principal = verify_token(bearer_token(raw if isinstance(raw, str) else None), self.settings)
        except AuthError as exc:
            raise ConnectionRejectionError({"reason": str(exc)}) from exc
        key = hashlib.sha256(str(raw).encode()).hexdigest()
        if self.connections_per_token[key] >= self.settings.ws_max_connections_per_token:
            limit = self.settings.ws_max_connections_per_token
            raise ConnectionRejectionError({"reason": f"at most {limit} connections per token"})
        self.connections_per_token[key] += 1
        context.request.scope["govgraph.token_key"] = key
        context.principal = principal
        return None

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
        try:
            async with asyncio.timeout(limits.EXECUTION_TIMEOUT):
                return await super().execute_single(
                    request, request_adapter, sub_response, context, root_value, request_data
                )
        except TimeoutError:
            # Cancelled: a mutation's transaction rolls back, so nothing is half-written.
            return timed_out()

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        observability.note_result(request.scope, bool(result.errors))
        return await super().process_result(request, result)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = observability.websocket_open() if scope["type"] == "websocket" else contextlib.nullcontext()
        try:
            with websocket:
                await super().__call__(scope, receive, send)
        finally:
            key = scope.get("govgraph.token_key")
            if key is not None:
                self.connections_per_token[key] -= 1
                if self.connections_per_token[key] <= 0:
                    del self.connections_per_token[key]


def _tune_gc() -> None:
    """Freeze the server's start-up objects (schema, modules, pools) out of the cyclic garbage collector: every
    full collection walked all of them again (measured with bench/cpuprofile.py: part of the 15-20% of a
    500-row answer's CPU that went to collections). The collection thresholds stay Python's: raising them
    (50,000/20/100, then 10,000/10/10) kept cyclic garbage, which holds whole answers, alive longer, and the
    RSS levelled off 26% higher (bench/leak.py, RESULTS.md)."""
    gc.collect()
    gc.freeze()


def timed_out() -> ExecutionResult:
    """The answer to an operation stopped at the execution timeout."""
    message = f"The operation ran longer than {limits.EXECUTION_TIMEOUT:g} s and was stopped"
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": "EXECUTION_TIMEOUT"})])


def _unauthorized(message: str) -> Response:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="govgraph"'},
    )


class RequireToken:
    """Verifies the bearer token of every HTTP request to the full schema before strawberry runs.

    The GraphiQL page itself (a browser GET asking for HTML) is served without a token; every query from it
    still needs one.
    """

    def __init__(self, view: GovGraphView, settings: Settings, app: ASGIApp | None = None) -> None:
        self.view = view
        self.app: ASGIApp = app or view
        self.settings = settings
        self.tokens = VerifiedTokens(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            conn = HTTPConnection(scope)
            wants_ide = scope["method"] == "GET" and "text/html" in conn.headers.get("accept", "")
            if wants_ide and self.settings.env == "development":
                # The page only; it runs nothing. Its queries come back here with their own token.
                await (await self.view.render_graphql_ide(Request(scope)))(scope, receive, send)
                return
            try:
                principal = self.tokens.verify(bearer_token(conn.headers.get("authorization")))
            except AuthError as exc:
                await _unauthorized(str(exc))(scope, receive, send)
                return
            scope["govgraph.principal"] = principal
        await self.app(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    stores: Stores | None = None,
    seed_demo: bool = True,
    bus: EventBus | None = None,
    tune_gc: bool = False,
) -> Starlette:
    """The ASGI app. ``stores`` may be given (tests); otherwise they are opened in the lifespan. ``tune_gc``: the
    server process's start-up objects are frozen out of the garbage collector (``govgraph serve`` runs
    :func:`serve_app`)."""
    settings = settings or Settings.from_env()
    bus = bus or make_bus(settings.redis_url, settings.redis_channel)
    owned = stores is None
    stores = stores or Stores(settings)
    observability.setup()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if owned and settings.embedded:
            # The embedded demo migrates its own SQLite files (`govgraph serve` has done it already).
            await migrate_all(settings)
            if seed_demo:
                from govgraph.seed import seed_if_empty

                await seed_if_empty(stores)
        elif owned:
            # Elsewhere the operator migrates (`govgraph migrate`): refuse a store whose schema is behind.
            try:
                await ensure_current(settings)
            except MigrationsPending as exc:
                log.error("%s", exc)
                await stores.dispose()
                raise
        await bus.start()
        if tune_gc:
            _tune_gc()
        try:
            yield
        finally:
            await bus.stop()
            if owned:
                await stores.dispose()
            observability.on_shutdown()

    view = GovGraphView(stores, settings, bus, graphql_ide="graphiql" if settings.env == "development" else None)
    # Learned queries POSTed as JSON are answered by the compiled front; everything else by the views.
    guarded = RequireToken(view, settings, CompiledFront(view, limits.EXECUTION_TIMEOUT, timed_out))
    # The public schema: anonymous, queries only, its own (stricter) limits and a per-client rate limit.
    public = RateLimited(CompiledFront(PublicView(stores, settings, bus)), settings)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        health = await stores.health()
        failing = {name: err for name, err in health.items() if err}
        bus_error = bus.health()
        body = {
            "status": "ready" if not failing and not bus_error else "degraded",
            "stores": {n: (e or "ok") for n, e in health.items()},
            "eventBus": bus_error or "ok",
        }
        return JSONResponse(body, status_code=200 if not failing and not bus_error else 503)

    routes: list[Route | WebSocketRoute | Mount] = [
        Route("/graphql", guarded, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),
        Route("/public/graphql", public, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        # Prometheus scrapes this; no token. Do not expose it publicly (block it at the proxy).
        Route("/metrics", observability.metrics_endpoint),
        *ide_routes(),  # the IDE pages' own assets (GraphiQL installed with the package), same origin
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(observability.ObservabilityMiddleware, routes=[r.path for r in routes])],
        lifespan=lifespan,
    )
    app.state.stores = stores
    app.state.bus = bus
    app.state.settings = settings
    return app


def serve_app() -> Starlette:
    """The app of ``govgraph serve`` (a server process of its own: its garbage collector is tuned)."""
    return create_app(tune_gc=True)


__all__ = ["GovGraphView", "Principal", "create_app", "serve_app"]
