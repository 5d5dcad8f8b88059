"""Where one workload's CPU goes: run it N times through the ASGI app in this process, under cProfile.

    python bench/cpuprofile.py --workload W5 --requests 300                    # embedded demo (SQLite, a temp dir)
    python bench/cpuprofile.py --workload W3 --pg postgresql+asyncpg://postgres@127.0.0.1:5432/govgraph_bench_

No HTTP server and no load generator: the app is called directly (scope, receive, send), so the numbers are
govgraph's own CPU per request (server side; the database's CPU is not in it). Prints the mean wall time per
request and the top functions by cumulative and by own time. A profiler, not a benchmark: cProfile slows
Python code about twofold; compare runs of this script with each other, and take speed from bench/perf.py.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from workloads import prepare  # noqa: E402

from govgraph.config import STORES, Settings  # noqa: E402
from govgraph.server import create_app  # noqa: E402


async def call(app: Any, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"host", b"bench")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    status = 0
    chunks: list[bytes] = []
    out_headers: dict[str, str] = {}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers.update({k.decode(): v.decode() for k, v in message.get("headers", [])})
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks), out_headers


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workload", default="W5")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pg", help="PostgreSQL URL prefix of the stores (…/govgraph_bench_); default: embedded")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-profile", action="store_true", help="time only")
    parser.add_argument("--save", help="also write the profile to this file (for pstats)")
    args = parser.parse_args()
    secret = "bench-profile-secret-" + "x" * 24
    env: dict[str, str] = {"GOVGRAPH_JWT_SECRET": secret, "GOVGRAPH_RESPONSE_CACHE_TTL": "0"}
    if args.pg:
        env.update({f"GOVGRAPH_{s.upper()}_URL": f"{args.pg}{s}" for s in (*STORES, "audit")})
        env["GOVGRAPH_ENV"] = "production"
    else:
        env["GOVGRAPH_DATA_DIR"] = tempfile.mkdtemp(prefix="govgraph-profile-")
    env.update({k: v for k, v in os.environ.items() if k.startswith("GOVGRAPH_") and k not in env})
    settings = Settings.from_env(env)
    app = create_app(settings, tune_gc=True)  # as `govgraph serve` runs it
    pg = args.pg.replace("postgresql+asyncpg://", "postgresql://") if args.pg else None
    async with app.router.lifespan_context(app):
        if pg is not None and args.workload in ("W1", "W2", "W3", "W4", "W5"):
            prefix = pg.rsplit("/", 1)[1]
            prepared = await prepare(pg.rsplit("/", 1)[0] + "/", prefix, secret, [args.workload])
            request = prepared.requests[args.workload, "govgraph"]
        else:
            request = await _embedded_request(args.workload, settings)
        status, body, headers = await call(app, request.path, request.body, request.headers)
        answer = json.loads(body)
        if status != 200 or answer.get("errors"):
            raise SystemExit(f"{status}: {body[:500]!r}")
        for _ in range(3):  # learn the plan, warm the pools
            await call(app, request.path, request.body, request.headers)
        status, body, headers = await call(app, request.path, request.body, request.headers)
        print(f"{args.workload}: {len(body):,} bytes, execution: {headers.get('x-govgraph-execution', 'normal')}")
        profile = cProfile.Profile()
        start = time.perf_counter()
        cpu = time.process_time()
        if not args.no_profile:
            profile.enable()
        for _ in range(args.requests):
            await call(app, request.path, request.body, request.headers)
        if not args.no_profile:
            profile.disable()
        wall = (time.perf_counter() - start) / args.requests * 1000
        cpu_ms = (time.process_time() - cpu) / args.requests * 1000
        print(f"{args.requests} requests: {wall:.2f} ms wall, {cpu_ms:.2f} ms CPU per request (this process)")
        if args.save and not args.no_profile:
            profile.dump_stats(args.save)
        if not args.no_profile:
            for key in ("cumulative", "tottime"):
                buf = io.StringIO()
                pstats.Stats(profile, stream=buf).sort_stats(key).print_stats(args.top)
                print(buf.getvalue())


async def _embedded_request(workload: str, settings: Settings) -> Any:
    from workloads import W3, W5, Request, graphql

    from govgraph.auth.identity import Role, mint_token

    token = mint_token(settings, Role.ADMIN if workload == "W3" else Role.OPERATOR, ttl=3600)
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "profile"}
    documents = {"W3": W3, "W5": W5, "tiny": "query Tiny { stations(first: 1) { nodes { code } } }"}
    if workload not in documents:
        raise SystemExit("on the embedded demo only W3, W5 and tiny run (W1, W2, W4 pick their data in PostgreSQL)")
    return Request("/graphql", graphql(documents[workload]), headers)


if __name__ == "__main__":
    asyncio.run(main())
