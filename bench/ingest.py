"""Ingest throughput: N batches of 10,000 readings through `readingsIngest`, over HTTP, against a running server.

    python bench/ingest.py --backend sqlite --batches 5      # a fresh data dir, `govgraph serve` seeds the demo
    python bench/ingest.py --backend postgres --batches 5    # databases govgraph_bench_ingest_<store> on 127.0.0.1
    python bench/ingest.py --url http://127.0.0.1:8000 --batches 5   # a server you started (dev JWT secret)

The readings are a backfill of the demo's air stations (every pollutant, hourly), in consecutive windows ending
before the seeded 30 days, so every reading is new and every batch recomputes the NowCast and daily AQI of its
hours. After the new batches, the first batch is sent again (all duplicates) to time the idempotent path.
Prints a Markdown block to paste into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from govgraph.auth.identity import Role, mint_token
from govgraph.config import STORES, Settings

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/"
HOUR = dt.timedelta(hours=1)
POLLUTANTS = ("PM2_5", "PM10", "O3", "CO", "SO2", "NO2")
INGEST = """mutation($in: ReadingsIngestInput!) { readingsIngest(input: $in) {
  batch { inserted duplicates conflicts flagged rejected } userErrors { code } } }"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


BENCH_DATABASES = [f"govgraph_bench_ingest_{s}" for s in STORES]


async def drop_databases(names: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def ensure_databases(names: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        have = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name in have:
                await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def start(backend: str, folder: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    """`govgraph serve` on a fresh data dir (SQLite, seeded on first start) or fresh PostgreSQL databases."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_")}
    env.update(GOVGRAPH_DATA_DIR=str(folder), GOVGRAPH_LOG_LEVEL="warning")
    govgraph = [sys.executable, "-m", "govgraph.cli"]
    if backend == "postgres":
        names = {s: f"govgraph_bench_ingest_{s}" for s in STORES}
        asyncio.run(ensure_databases(list(names.values())))
        env.update({f"GOVGRAPH_{s.upper()}_URL": PG + n for s, n in names.items()})
        subprocess.run([*govgraph, "seed", "--reset"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
    port = free_port()
    proc = subprocess.Popen([*govgraph, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # the first SQLite start seeds the demo
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return proc, url, env
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("the server did not become ready within 300 s")


def batches(codes: list[str], count: int, size: int, end: dt.datetime) -> list[list[dict[str, Any]]]:
    """``count`` batches of ``size`` hourly readings, consecutive windows going back in time from ``end``."""
    per_hour = len(codes) * len(POLLUTANTS)
    hours = -(-size // per_hour)
    out = []
    for b in range(count):
        first = end - (b + 1) * hours * HOUR
        items: list[dict[str, Any]] = []
        for h in range(hours):
            at = (first + h * HOUR).isoformat()
            for k, code in enumerate(codes):
                pm25 = 25.0 + (h * 7 + k * 3) % 40
                values = {"PM2_5": pm25, "PM10": pm25 * 1.6, "O3": 30.0 + h % 60, "CO": 900.0 + 10 * (h % 30),
                          "SO2": 12.0 + k, "NO2": 30.0 + h % 25}  # fmt: skip
                items += [
                    {"stationCode": code, "measuredAt": at, "parameter": p, "value": values[p]} for p in POLLUTANTS
                ]
        out.append(items[:size])
    return out


async def run(url: str, token: str, count: int, size: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as http:
        body = (
            await http.post(
                "/graphql", json={"query": "{ stations(filter: {kind: AIR}, first: 100) { nodes { code } } }"}
            )
        ).json()
        codes = [n["code"] for n in body["data"]["stations"]["nodes"]]
        today = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        work = batches(codes, count, size, today - dt.timedelta(days=40))
        seconds: list[float] = []
        for items in work:
            t0 = time.perf_counter()
            resp = await http.post("/graphql", json={"query": INGEST, "variables": {"in": {"readings": items}}})
            seconds.append(time.perf_counter() - t0)
            payload = resp.json()["data"]["readingsIngest"]
            if payload["batch"] is None or payload["batch"]["inserted"] != len(items):
                raise RuntimeError(f"unexpected result: {payload}")
        t0 = time.perf_counter()
        resp = await http.post("/graphql", json={"query": INGEST, "variables": {"in": {"readings": work[0]}}})
        resend = time.perf_counter() - t0
        if resp.json()["data"]["readingsIngest"]["batch"]["duplicates"] != len(work[0]):
            raise RuntimeError("the resend was not all duplicates")
    return {"stations": len(codes), "seconds": seconds, "resend": resend}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--url", help="a running server (dev JWT secret) instead of starting one")
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--size", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="govgraph-bench-ingest-"))
    proc = None
    try:
        if args.url:
            url, settings = args.url, Settings.from_env()
        else:
            proc, url, env = start(args.backend, folder)
            settings = Settings.from_env(env)
        token = mint_token(settings, Role.DEVICE, "bench-gateway")
        result = asyncio.run(run(url, token, args.batches, args.size))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
        if proc is not None and args.backend == "postgres":
            asyncio.run(drop_databases(BENCH_DATABASES))
    s = result["seconds"]
    total = args.batches * args.size
    backend = args.url or args.backend
    print(f"""
### readingsIngest throughput ({backend})

- command: `python bench/ingest.py {" ".join(sys.argv[1:])}`
- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC
- machine: {machine()}
- data: demo seed + {args.batches} batches × {args.size:,} new hourly readings ({result["stations"]} air stations × 6
  pollutants, consecutive windows), over HTTP on loopback, one gateway (sequential requests)

| measure | value |
|---|---|
| readings per second (new) | {total / sum(s):,.0f} |
| seconds per batch (min / median / max) | {min(s):.2f} / {statistics.median(s):.2f} / {max(s):.2f} |
| resend of a batch (all duplicates), seconds | {result["resend"]:.2f} |
""")


if __name__ == "__main__":
    main()
