"""The GraphiQL IDE served by govgraph itself: no CDN, same-origin assets, a strict CSP; and in headless Chromium,
the page loads with no request leaving localhost, runs a query and shows the result."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from websockets.asyncio.client import ClientConnection, connect

from govgraph.auth.identity import Role
from govgraph.ide import assets
from govgraph.ide.__main__ import main as ide_main
from govgraph.server import create_app
from tests.conftest import REQUIRE_SERVICES, Seeded, free_port, server_env, start_server, stop_server, token_for

CHROMIUM = os.environ.get("GOVGRAPH_TEST_CHROMIUM", "/usr/bin/chromium")
WARD = '{ administrativeUnit(code: "00082") { name } }'
WARD_NAME = "Phường Cửa Nam"


def require_assets() -> None:
    if assets.missing():
        message = f"GraphiQL's assets are not installed ({assets.VENDOR}): run `python -m govgraph.ide install`"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (GOVGRAPH_REQUIRE_SERVICES=1)")
        pytest.skip(message)


@pytest_asyncio.fixture
async def clients(seeded: Seeded) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """``clients(env="production")``: an in-process client on the seeded stores with those settings."""
    opened: list[httpx.AsyncClient] = []

    def make(**overrides: Any) -> httpx.AsyncClient:
        settings = dataclasses.replace(seeded.settings, **overrides)
        c = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings, stores=seeded.stores)),
                              base_url="http://govgraph.test")  # fmt: skip
        opened.append(c)
        return c

    yield make
    for c in opened:
        await c.aclose()


def referenced_urls(page: str) -> list[str]:
    return re.findall(r'\b(?:src|href)\s*=\s*"([^"]*)"', page)


HTML = {"Accept": "text/html"}


# ---------------------------------------------------------------------------------------------------------
# Plain HTTP


async def test_public_ide_page_references_only_same_origin_assets(
    clients: Callable[..., httpx.AsyncClient],
) -> None:
    require_assets()
    c = clients(env="production")
    page = await c.get("/public/graphql", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = referenced_urls(page.text)
    assert {"/ide/vendor/graphiql.min.js", "/ide/vendor/graphiql.min.css", "/ide/static/govgraph-ide.js"} <= set(urls)
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
    assert "http://" not in page.text and "https://" not in page.text
    assert "unpkg" not in page.text and "<script>" not in page.text  # no CDN, no inline script
    assert 'data-endpoint="/public/graphql"' in page.text
    assert 'data-headers=""' in page.text  # anonymous: nothing to fill in


async def test_ide_page_has_a_strict_content_security_policy(clients: Callable[..., httpx.AsyncClient]) -> None:
    require_assets()
    page = await clients().get("/public/graphql", headers=HTML)
    csp = {d.split()[0]: d.split()[1:] for d in page.headers["content-security-policy"].split("; ")}
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval
    assert csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    for sources in csp.values():
        for source in sources:
            assert source in ("'self'", "'none'", "'unsafe-inline'", "data:"), source
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_assets_are_served_with_their_content_types(clients: Callable[..., httpx.AsyncClient]) -> None:
    require_assets()
    c = clients(env="production")
    expected = {
        "/ide/vendor/graphiql.min.js": "javascript",
        "/ide/vendor/react.production.min.js": "javascript",
        "/ide/vendor/react-dom.production.min.js": "javascript",
        "/ide/vendor/graphiql.min.css": "text/css",
        "/ide/static/govgraph-ide.js": "javascript",
        "/ide/static/govgraph-ide.css": "text/css",
        "/ide/static/favicon.svg": "image/svg+xml",
    }
    for path, kind in expected.items():
        resp = await c.get(path)
        assert resp.status_code == 200, path
        assert kind in resp.headers["content-type"], (path, resp.headers["content-type"])
        assert resp.headers["x-content-type-options"] == "nosniff"
    graphiql = await c.get("/ide/vendor/graphiql.min.js")
    assert graphiql.content == (assets.VENDOR / "graphiql.min.js").read_bytes()
    for path in ("/ide/vendor/package.json", "/ide/vendor/../assets.py", "/ide/static/nothing.js"):
        assert (await c.get(path)).status_code == 404, path


async def test_full_schema_ide_in_development_has_a_bearer_header_ready(
    clients: Callable[..., httpx.AsyncClient],
) -> None:
    require_assets()
    page = await clients(env="development").get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert 'data-endpoint="/graphql"' in page.text
    assert "&quot;Authorization&quot;: &quot;Bearer &quot;" in page.text
    assert all(url.startswith("/") for url in referenced_urls(page.text))
    assert "content-security-policy" in page.headers


async def test_production_serves_no_full_schema_ide_but_the_public_one(
    clients: Callable[..., httpx.AsyncClient],
) -> None:
    c = clients(env="production")
    full = await c.get("/graphql", headers=HTML)
    assert full.status_code == 401
    assert "graphiql" not in full.text.lower()
    public = await c.get("/public/graphql", headers=HTML)
    assert public.status_code in (200, 503)  # 503 only when the assets are missing (tested below)
    assert 'data-endpoint="/public/graphql"' in public.text or "not installed" in public.text


async def test_without_assets_the_page_says_how_to_install_them(
    clients: Callable[..., httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "vendor"
    monkeypatch.setattr(assets, "VENDOR", empty)
    c = clients()
    page = await c.get("/public/graphql", headers=HTML)
    assert page.status_code == 503
    assert "python -m govgraph.ide install" in page.text
    assert "content-security-policy" in page.headers
    assert "<script" not in page.text
    # The API itself still answers.
    body = (await c.post("/public/graphql", json={"query": WARD})).json()
    assert body == {"data": {"administrativeUnit": {"name": WARD_NAME}}}


def test_install_copies_the_pinned_files_and_is_a_no_op_when_up_to_date(tmp_path: Path) -> None:
    """``install`` with a stand-in npm that lays out node_modules the way ``npm ci`` does."""
    fake_npm = tmp_path / "npm"
    layout = {**assets.FILES, **assets.LICENSES}
    script = ["#!/bin/sh", 'test "$1" = ci || exit 9', 'echo "$@" >> "$NPM_CALLS"']
    for source in layout.values():
        script += [f"mkdir -p node_modules/$(dirname {source})", f"echo 'content of {source}' > node_modules/{source}"]
    for pkg in ("graphiql", "react", "react-dom"):
        script.append(f"""echo '{{"version": "9.9.9-{pkg}"}}' > node_modules/{pkg}/package.json""")
    fake_npm.write_text("\n".join(script) + "\n")
    fake_npm.chmod(0o755)
    calls = tmp_path / "calls"
    vendor = tmp_path / "vendor"
    os.environ["NPM_CALLS"] = str(calls)
    try:
        assets.install(vendor, npm=[str(fake_npm)], log=False)
        assert assets.missing(vendor) == [] and assets.up_to_date(vendor)
        assert (vendor / "graphiql.min.js").read_text() == "content of graphiql/graphiql.min.js\n"
        assert (vendor / "LICENSE.graphiql.txt").is_file()
        assert assets.versions(vendor)["graphiql"] == "9.9.9-graphiql"
        assert oct(vendor.stat().st_mode & 0o777) == oct(0o755)
        assert calls.read_text().split() == ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
        assets.install(vendor, npm=[str(fake_npm)], log=False)  # up to date: npm is not run again
        assert len(calls.read_text().splitlines()) == 1
        (vendor / "graphiql.min.css").unlink()
        assets.install(vendor, npm=[str(fake_npm)], log=False)
        assert len(calls.read_text().splitlines()) == 2 and assets.missing(vendor) == []
    finally:
        del os.environ["NPM_CALLS"]
    failing = tmp_path / "failing-npm"
    failing.write_text("#!/bin/sh\nexit 1\n")
    failing.chmod(0o755)
    with pytest.raises(assets.InstallError, match="npm ci failed"):
        assets.install(tmp_path / "other", npm=[str(failing)], log=False)
    assert not (tmp_path / "other").exists()


def test_status_command_reports_the_installed_versions(capsys: pytest.CaptureFixture[str]) -> None:
    require_assets()
    assert ide_main(["status"]) == 0
    out = capsys.readouterr().out
    assert "graphiql" in out and "up to date" in out
    assert ide_main(["nonsense"]) == 2


# ---------------------------------------------------------------------------------------------------------
# Headless Chromium over the DevTools protocol


def require_chromium() -> None:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium, or set GOVGRAPH_TEST_CHROMIUM)"
        if REQUIRE_SERVICES:
            pytest.fail(message + " and GOVGRAPH_REQUIRE_SERVICES=1")
        pytest.skip(message)
    require_assets()


class Browser:
    """One headless Chromium page driven over CDP: every request it makes and every console message recorded."""

    def __init__(self, ws: ClientConnection, session: str) -> None:
        self.ws = ws
        self.session = session
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.requests: list[str] = []
        self.console: list[str] = []
        self.loaded = asyncio.Event()
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        async for raw in self.ws:
            msg = json.loads(raw)
            if "id" in msg and msg["id"] in self.pending:
                self.pending.pop(msg["id"]).set_result(msg)
            method, params = msg.get("method"), msg.get("params", {})
            if method == "Network.requestWillBeSent":
                self.requests.append(params["request"]["url"])
            elif method == "Page.loadEventFired":
                self.loaded.set()
            elif method == "Log.entryAdded":
                self.console.append(params["entry"]["text"])
            elif method == "Runtime.consoleAPICalled":
                self.console.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                self.console.append(json.dumps(params["exceptionDetails"])[:500])

    async def send(self, method: str, session: str | None = "", **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session or self.session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        await self.ws.send(json.dumps(message))
        reply = await asyncio.wait_for(future, 30)
        assert "error" not in reply, (method, reply["error"])
        result: dict[str, Any] = reply["result"]
        return result

    async def js(self, expression: str) -> Any:
        reply = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in reply, reply["exceptionDetails"]
        return reply["result"].get("value")

    async def wait_for(self, expression: str, seconds: float = 20) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = await self.js(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"timed out waiting for {expression}; console: {self.console}")

    async def open(self, url: str) -> None:
        self.loaded.clear()
        await self.send("Page.navigate", url=url)
        await asyncio.wait_for(self.loaded.wait(), 30)


@pytest.fixture
def chromium() -> Iterator[str]:
    """A headless Chromium with a fresh profile and no background networking; yields its DevTools WebSocket URL."""
    require_chromium()
    profile = Path(tempfile.mkdtemp(prefix="govgraph-chromium-"))
    args = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage",
        f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
        "about:blank",
    ]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and len(port_file.read_text().split()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Chromium did not start (exit {proc.poll()})")
            time.sleep(0.1)
        port, path = port_file.read_text().split()[:2]
        yield f"ws://127.0.0.1:{port}{path}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


@pytest_asyncio.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with connect(chromium, max_size=None) as ws:
        b = Browser(ws, "")
        target = await b.send("Target.createTarget", session=None, url="about:blank")
        attached = await b.send("Target.attachToTarget", session=None, targetId=target["targetId"], flatten=True)
        b.session = attached["sessionId"]
        for domain in ("Network", "Page", "Runtime", "Log"):
            await b.send(f"{domain}.enable")
        yield b
        b.reader.cancel()


@pytest.fixture
def server(seeded: Seeded) -> Iterator[Callable[..., str]]:
    """``server(GOVGRAPH_ENV="production")``: a real uvicorn process on the seeded stores; returns its base URL."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        port = free_port()
        environment = server_env(seeded.settings)
        environment.update(env)
        procs.append(start_server(environment, port))
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in procs:
        stop_server(proc)


EDITOR = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
RESULT = "(document.querySelector('.graphiql-response') || {}).innerText || ''"


def assert_all_local(requests: list[str], base: str) -> None:
    assert requests, "the page made no request at all"
    for url in requests:
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue  # inline fonts and icons from the CSS: no network
        assert parts.scheme in ("http", "ws") and parts.hostname in ("127.0.0.1", "localhost"), url
    assert any(u.startswith(f"{base}/ide/vendor/graphiql.min.js") for u in requests)


@pytest.mark.browser
async def test_public_ide_in_chromium_runs_a_query_with_nothing_leaving_localhost(
    server: Callable[..., str], browser: Browser
) -> None:
    base = server(GOVGRAPH_ENV="production", GOVGRAPH_JWT_SECRET="a-production-secret-for-the-browser-test")
    await browser.open(f"{base}/public/graphql")
    await browser.wait_for(f"!!document.querySelector('.graphiql-query-editor .CodeMirror') && {EDITOR}.getValue()")
    assert "00082" in await browser.js(f"{EDITOR}.getValue()")  # the page's sample query
    await browser.js(f"{EDITOR}.setValue({json.dumps(WARD)})")
    await browser.js("document.querySelector('.graphiql-execute-button').click()")
    shown = await browser.wait_for(f"(() => {{ const t = {RESULT}; return t.includes('{WARD_NAME}') && t; }})()")
    assert '"name": "Phường Cửa Nam"' in shown
    assert any(u == f"{base}/public/graphql" for u in browser.requests)  # the query went to this server
    assert_all_local(browser.requests, base)
    violations = [m for m in browser.console if "Content Security Policy" in m]
    assert violations == [], violations


@pytest.mark.browser
async def test_full_ide_in_chromium_sends_the_token_from_the_header_editor(
    server: Callable[..., str], browser: Browser, seeded: Seeded
) -> None:
    base = server(GOVGRAPH_ENV="development")
    await browser.open(f"{base}/graphql")
    find_headers = (
        "[...document.querySelectorAll('.CodeMirror')].map(e => e.CodeMirror)"
        ".find(cm => cm.getValue().includes('\"Authorization\"'))"
    )
    headers = json.loads(
        await browser.wait_for(f"(() => {{ const cm = {find_headers}; return cm && cm.getValue(); }})()")
    )
    assert headers == {"Authorization": "Bearer "}
    # Without a token the API refuses; the page shows that answer.
    await browser.js(f"{EDITOR}.setValue({json.dumps(WARD)})")
    await browser.js("document.querySelector('.graphiql-execute-button').click()")
    await browser.wait_for(f"({RESULT}).includes('UNAUTHENTICATED')")
    token = token_for(seeded.settings, Role.ADMIN)
    await browser.js(f"{find_headers}.setValue({json.dumps(json.dumps({'Authorization': f'Bearer {token}'}))})")
    # GraphiQL takes an edited header into its state after a short debounce: run until the answer changes.
    for _ in range(10):
        await asyncio.sleep(0.6)
        await browser.js("document.querySelector('.graphiql-execute-button').click()")
        await asyncio.sleep(0.4)
        if WARD_NAME in (await browser.js(RESULT) or ""):
            break
    await browser.wait_for(f"({RESULT}).includes('{WARD_NAME}')")
    assert_all_local(browser.requests, base)
    assert [m for m in browser.console if "Content Security Policy" in m] == []
