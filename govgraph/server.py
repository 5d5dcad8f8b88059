"""The Starlette application: routes, lifespan (open stores, seed the embedded demo), authentication."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from govgraph.auth.identity import AuthError, Principal, bearer_token, verify_token
from govgraph.config import Settings
from govgraph.context import Context
from govgraph.datasources.base import Stores
from govgraph.events import EventBus, InProcessBus
from govgraph.schema import build_schema

log = logging.getLogger("govgraph")


class GovGraphView(GraphQL[Context, None]):
    """strawberry's ASGI view with govgraph's context (stores, verified principal, fresh loaders)."""

    def __init__(self, stores: Stores, settings: Settings, bus: EventBus, **kwargs: Any) -> None:
        super().__init__(build_schema(), **kwargs)
        self.stores = stores
        self.settings = settings
        self.bus = bus

    async def get_context(self, request: Any, response: Any) -> Context:
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
        )


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

    def __init__(self, app: GovGraphView, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            conn = HTTPConnection(scope)
            wants_ide = scope["method"] == "GET" and "text/html" in conn.headers.get("accept", "")
            if wants_ide and self.settings.env == "development":
                # The page only; it runs nothing. Its queries come back here with their own token.
                await HTMLResponse(self.app.graphql_ide_html)(scope, receive, send)
                return
            try:
                principal = verify_token(bearer_token(conn.headers.get("authorization")), self.settings)
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
) -> Starlette:
    """The ASGI app. ``stores`` may be given (tests); otherwise they are opened in the lifespan."""
    settings = settings or Settings.from_env()
    bus = bus or InProcessBus()
    owned = stores is None
    stores = stores or Stores(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if owned and settings.embedded:
            await stores.create_all()
            if seed_demo:
                from govgraph.seed import seed_if_empty

                await seed_if_empty(stores)
        try:
            yield
        finally:
            if owned:
                await stores.dispose()

    view = GovGraphView(stores, settings, bus, graphql_ide="graphiql" if settings.env == "development" else None)
    guarded = RequireToken(view, settings)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        health = await stores.health()
        failing = {name: err for name, err in health.items() if err}
        body = {
            "status": "ready" if not failing else "degraded",
            "stores": {n: (e or "ok") for n, e in health.items()},
        }
        return JSONResponse(body, status_code=200 if not failing else 503)

    app = Starlette(
        routes=[
            Route("/graphql", guarded, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
    app.state.stores = stores
    app.state.bus = bus
    app.state.settings = settings
    return app


__all__ = ["GovGraphView", "Principal", "create_app"]
