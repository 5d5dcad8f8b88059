"""Subscription fan-out: N concurrent WebSocket subscribers of `readingAdded`, each receiving every new reading.

    python bench/fanout.py                       # both setups below, 1,000 subscribers
    python bench/fanout.py --setup single        # one server process, in-process event bus
    python bench/fanout.py --setup redis         # two server processes sharing Redis, subscribers split evenly

A fresh data directory is seeded with the demo (the first server start seeds it; the second process of the Redis
setup opens the same SQLite files). The subscribers are one asyncio process, each on its own connection with its
own token (tokens are limited in connections). Readings go to one water-level station through `readingsIngest`
(device token, over HTTP, to the first process), one reading per ingest, its measurement time the wall clock when
the ingest was sent: a subscriber's message carries it back (`lastMeasuredAt`), so

- latency = receipt of the `next` message − the moment the ingest request was sent (an upper bound on the
  delay from commit to receipt: it includes the ingest itself, whose round trip is reported too);
- paced phase: one ingest every --interval seconds; burst phase: --burst ingests back to back; deliveries per
  second = messages received by all subscribers / (last receipt − first send) of the burst.

Prints a Markdown block to paste into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from govgraph.auth.identity import Role, mint_token
from govgraph.config import Settings

ICT = dt.timezone(dt.timedelta(hours=7))
SUB = "subscription($c: String) { readingAdded(stationCode: $c) { lastMeasuredAt inserted } }"
INGEST = (
    """mutation($in: ReadingsIngestInput!) { readingsIngest(input: $in) { batch { inserted } userErrors { code } } }"""
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "govgraph.server:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning"]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603 - our own module
    deadline = time.monotonic() + 600  # the first start seeds the demo
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("the server did not become ready")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Fanout:
    def __init__(self, settings: Settings, urls: list[str], subscribers: int) -> None:
        self.settings = settings
        self.urls = urls
        self.subscribers = subscribers
        self.sent: dict[str, float] = {}
        """lastMeasuredAt (ISO) -> wall-clock time the ingest was sent."""
        self.received: dict[str, list[float]] = {}
        self.ready = 0
        self.errors: list[str] = []
        self.station = ""

    async def subscriber(self, k: int, started: asyncio.Event) -> None:
        url = self.urls[k % len(self.urls)].replace("http://", "ws://") + "/graphql"
        token = mint_token(self.settings, Role.OPERATOR, subject=f"bench-fanout-{k}", ttl=7200)
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"], open_timeout=60) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            payload = {"query": SUB, "variables": {"c": self.station}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            self.ready += 1
            if self.ready == self.subscribers:
                started.set()
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                if message.get("type") != "next" or "errors" in message.get("payload", {}):
                    self.errors.append(str(message)[:200])
                    continue
                at = message["payload"]["data"]["readingAdded"]["lastMeasuredAt"]
                self.received.setdefault(at, []).append(now)

    async def ingest(self, http: httpx.AsyncClient, token: str, value: float) -> tuple[str, float]:
        at = dt.datetime.now(ICT).replace(microsecond=dt.datetime.now().microsecond // 1000 * 1000)
        items = [{"stationCode": self.station, "measuredAt": at.isoformat(), "parameter": "LEVEL_M", "value": value}]
        sent = time.time()
        resp = await http.post("/graphql", json={"query": INGEST, "variables": {"in": {"readings": items}}},
                               headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        rtt = time.time() - sent
        body = resp.json()["data"]["readingsIngest"]
        assert body["batch"]["inserted"] == 1, body
        key = at.isoformat()
        self.sent[key] = sent
        return key, rtt

    async def wait_all(self, keys: list[str], within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if all(len(self.received.get(k, [])) >= self.subscribers for k in keys):
                return
            await asyncio.sleep(0.05)

    async def run(self, events: int, interval: float, burst: int) -> dict[str, Any]:
        admin = mint_token(self.settings, Role.ADMIN, subject="bench", ttl=7200, purpose="benchmark")
        device = mint_token(self.settings, Role.DEVICE, subject="bench-gateway", ttl=7200)
        async with httpx.AsyncClient(base_url=self.urls[0], timeout=60) as http:
            q = "{ stations(filter: {kind: WATER_LEVEL}, first: 1) { nodes { code } } }"
            resp = await http.post("/graphql", json={"query": q}, headers={"Authorization": f"Bearer {admin}"})
            self.station = resp.json()["data"]["stations"]["nodes"][0]["code"]
            started = asyncio.Event()
            opened = time.monotonic()
            tasks = []
            for k in range(self.subscribers):
                tasks.append(asyncio.create_task(self.subscriber(k, started)))
                if k % 50 == 49:
                    await asyncio.sleep(0.05)  # do not storm the accept queue
            await asyncio.wait_for(started.wait(), timeout=300)
            connect_s = time.monotonic() - opened
            await asyncio.sleep(1.0)  # the last subscriptions reach the bus
            warm, _ = await self.ingest(http, device, 1.0)
            await self.wait_all([warm], 30)
            # paced
            paced: list[str] = []
            rtts: list[float] = []
            for i in range(events):
                key, rtt = await self.ingest(http, device, 1.0 + i / 1000)
                paced.append(key)
                rtts.append(rtt)
                await asyncio.sleep(interval)
            await self.wait_all(paced, 60)
            # burst
            burst_keys: list[str] = []
            for i in range(burst):
                key, _ = await self.ingest(http, device, 2.0 + i / 1000)
                burst_keys.append(key)
                await asyncio.sleep(0.002)  # distinct milliseconds
            await self.wait_all(burst_keys, 120)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        latencies = [(r - self.sent[k]) * 1000 for k in paced for r in self.received.get(k, [])]
        burst_times = [r for k in burst_keys for r in self.received.get(k, [])]
        span = max(burst_times) - min(self.sent[k] for k in burst_keys) if burst_times else float("nan")
        burst_lat = [(r - self.sent[k]) * 1000 for k in burst_keys for r in self.received.get(k, [])]
        return {
            "connect_s": connect_s,
            "paced_expected": events * self.subscribers,
            "paced_delivered": len(latencies),
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p99": pct(latencies, 0.99) if latencies else float("nan"),
            "max": max(latencies) if latencies else float("nan"),
            "ingest_rtt_p50": statistics.median(rtts) * 1000,
            "burst_expected": burst * self.subscribers,
            "burst_delivered": len(burst_times),
            "burst_per_s": len(burst_times) / span if burst_times else 0.0,
            "burst_p50": statistics.median(burst_lat) if burst_lat else float("nan"),
            "burst_p99": pct(burst_lat, 0.99) if burst_lat else float("nan"),
            "errors": len(self.errors),
        }


def raise_open_files(want: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


def setup(kind: str, folder: Path, redis_url: str) -> tuple[list[subprocess.Popen[bytes]], list[str], Settings]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_")}
    env.update(GOVGRAPH_DATA_DIR=str(folder), GOVGRAPH_LOG_LEVEL="warning", GOVGRAPH_WS_QUEUE="256")
    if kind == "redis":
        env.update(GOVGRAPH_REDIS_URL=redis_url, GOVGRAPH_REDIS_CHANNEL=f"govgraph:bench:{uuid.uuid4().hex}")
    procs, urls = [], []
    for _ in range(2 if kind == "redis" else 1):
        port = free_port()
        procs.append(start_server(env, port, folder / "server.log"))  # the first seeds; the second opens the files
        urls.append(f"http://127.0.0.1:{port}")
    return procs, urls, Settings.from_env(env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", choices=["single", "redis", "both"], default="both")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20, help="paced ingests")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between paced ingests")
    parser.add_argument("--burst", type=int, default=20, help="ingests back to back")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    raise_open_files(args.subscribers * 2 + 1024)
    setups = ["single", "redis"] if args.setup == "both" else [args.setup]
    rows = []
    for kind in setups:
        with tempfile.TemporaryDirectory(prefix="govgraph-fanout-") as tmp:
            procs, urls, settings = setup(kind, Path(tmp), args.redis_url)
            try:
                result = asyncio.run(
                    Fanout(settings, urls, args.subscribers).run(args.events, args.interval, args.burst)
                )
            finally:
                for p in procs:
                    stop(p)
        label = "1 process, in-process bus" if kind == "single" else "2 processes + Redis (subscribers split evenly)"
        rows.append((label, result))
        print(label, json.dumps(result), file=sys.stderr)
    lines = [
        "## Subscriptions fan-out",
        "",
        f"- command: `python bench/fanout.py --setup {args.setup} --subscribers {args.subscribers} --events "
        f"{args.events} --interval {args.interval} --burst {args.burst}`",
        f"- date: {dt.date.today().isoformat()}",
        f"- machine: {machine()}",
        f"- sizes: demo seed on SQLite (WAL); {args.subscribers} WebSocket subscribers of `readingAdded(stationCode)`, "
        "one connection and token each, in one asyncio client process on the same machine; one reading per ingest",
        "- latency: from sending the ingest request to receiving the `next` message (includes the ingest itself)",
        "",
        "| setup | paced: delivered | p50 ms | p99 ms | max ms | ingest round trip p50 ms | burst: delivered "
        "| deliveries/s | burst p50 ms | burst p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in rows:
        lines.append(
            f"| {label} | {r['paced_delivered']}/{r['paced_expected']} | {r['p50']:.0f} | {r['p99']:.0f} "
            f"| {r['max']:.0f} | {r['ingest_rtt_p50']:.0f} | {r['burst_delivered']}/{r['burst_expected']} "
            f"| {r['burst_per_s']:.0f} | {r['burst_p50']:.0f} | {r['burst_p99']:.0f} | {r['errors']} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
