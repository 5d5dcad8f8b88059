"""Subscription fan-out: N concurrent WebSocket subscribers of `readingAdded`, each receiving every new reading.

    python bench/fanout.py                       # both setups below on SQLite, 1,000 subscribers
    python bench/fanout.py --setup single        # one server process, in-process event bus
    python bench/fanout.py --setup redis         # two server processes (uvicorn) sharing Redis, subscribers split
    python bench/fanout.py --backend postgres    # the demo in PostgreSQL databases gg_fanout_<store> (dropped,
                                                 # migrated and seeded anew for each setup)
    python bench/fanout.py --backend postgres --setup workers   # `govgraph serve --workers 2` + Redis

`--setup both` runs `single`, then the two-process setup that the backend allows: on SQLite two uvicorn processes
on the same files (`govgraph serve` refuses several workers on SQLite), on PostgreSQL `govgraph serve --workers
2`, as deployed (README, Deployment), the kernel spreading the connections over the two workers (the split is
read from the workers' Prometheus files and printed).

On SQLite a fresh data directory is seeded with the demo (the first server start seeds it; the second process of
the Redis setup opens the same SQLite files); on PostgreSQL the databases are recreated, then `govgraph migrate`
and `govgraph seed` run before the server starts. The subscribers are one asyncio process, each on its own
connection with its own token (tokens are limited in connections). Readings go to one water-level station
through `readingsIngest` (device token, over HTTP, to the first process), one reading per ingest, its measurement
time the wall clock when the ingest was sent: a subscriber's message carries it back (`lastMeasuredAt`), so

- latency = receipt of the `next` message − the moment the ingest request was sent (an upper bound on the
  delay from commit to receipt: it includes the ingest itself, whose round trip is reported too);
- paced phase: one ingest every --interval seconds; burst phase: --burst ingests back to back; deliveries per
  second = messages received by all subscribers / (last receipt − first send) of the burst.

Prints a Markdown block to paste into bench/RESULTS.md, with the load average before and after each setup (the
machine may be shared).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import resource
import signal
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
from govgraph.config import STORES, Settings

ICT = dt.timezone(dt.timedelta(hours=7))
SUB = "subscription($c: String) { readingAdded(stationCode: $c) { lastMeasuredAt inserted } }"
INGEST = (
    """mutation($in: ReadingsIngestInput!) { readingsIngest(input: $in) { batch { inserted } userErrors { code } } }"""
)
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/"
PG_PREFIX = "gg_fanout"
GOVGRAPH = [sys.executable, "-m", "govgraph.cli"]


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


def uvicorn_cmd(port: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "--factory", "govgraph.server:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning"]  # fmt: skip


def start_server(env: dict[str, str], port: int, log: Path, cmd: list[str] | None = None) -> subprocess.Popen[bytes]:
    cmd = cmd or uvicorn_cmd(port)
    with log.open("ab") as out:
        # a session of its own, so that stopping it reaches the workers of `govgraph serve --workers N` too
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
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
    proc.terminate()  # uvicorn's supervisor stops its workers on SIGTERM
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group of the process started above (its own session)
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

    async def run(self, events: int, interval: float, burst: int, setup: Setup) -> dict[str, Any]:
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
            split = setup.split(self.subscribers)
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
            "split": split,
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


async def recreate_databases(names: list[str]) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def prepare_postgres(env: dict[str, str], log: Path) -> None:
    """Fresh databases, migrated and seeded with the demo, as README's Deployment section does it."""
    names = [env[f"GOVGRAPH_{s.upper()}_URL"].rsplit("/", 1)[1] for s in (*STORES, "audit")]
    asyncio.run(recreate_databases(names))
    with log.open("ab") as out:
        for step in (["migrate"], ["seed"]):
            subprocess.run([*GOVGRAPH, *step], env=env, stdout=out, stderr=subprocess.STDOUT, check=True)  # noqa: S603


def wait_workers(proc: subprocess.Popen[bytes], workers: int, url: str) -> None:
    """Until the supervisor has ``workers`` children and the server has answered /readyz for a while."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 120
    while len(children.read_text().split()) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"`govgraph serve` did not start {workers} workers")
        time.sleep(0.2)
    ok = 0
    while ok < 20:  # both workers import and start in parallel; give the slower one time to accept too
        ok = ok + 1 if httpx.get(f"{url}/readyz", timeout=5).status_code == 200 else 0
        time.sleep(0.25)


def per_worker(metrics_dir: Path, supervisor: int) -> list[int]:
    """Subscriptions open in each worker of ``supervisor``, from their Prometheus multiprocess files
    (govgraph_subscriptions_active, one file per process)."""
    from prometheus_client.mmap_dict import MmapedDict

    workers = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    counts = []
    for pid in sorted(workers, key=int):
        path = metrics_dir / f"gauge_livesum_{pid}.db"
        if path.exists():  # not for the supervisor's other children (multiprocessing's resource tracker)
            values = MmapedDict.read_all_values_from_file(str(path))  # type: ignore[no-untyped-call]
            counts.append(int(sum(v[1] for v in values if '"govgraph_subscriptions_active"' in v[0])))
    return counts


class Setup:
    """The server processes of one setup, and what the bench needs to reach them."""

    def __init__(self, kind: str, backend: str, folder: Path, redis_url: str) -> None:
        self.kind, self.backend, self.folder = kind, backend, folder
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_") and k != "PROMETHEUS_MULTIPROC_DIR"}
        env.update(GOVGRAPH_DATA_DIR=str(folder), GOVGRAPH_LOG_LEVEL="warning", GOVGRAPH_WS_QUEUE="256")
        if backend == "postgres":
            env.update({f"GOVGRAPH_{s.upper()}_URL": f"{PG}{PG_PREFIX}_{s}" for s in (*STORES, "audit")})
        if kind in ("redis", "workers"):
            env.update(GOVGRAPH_REDIS_URL=redis_url, GOVGRAPH_REDIS_CHANNEL=f"govgraph:bench:{uuid.uuid4().hex}")
        self.metrics_dir = folder / "metrics"
        self.env = env
        self.settings = Settings.from_env(env)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []

    def start(self) -> None:
        log = self.folder / "server.log"
        if self.backend == "postgres":
            prepare_postgres(self.env, log)
        if self.kind == "workers":
            port = free_port()
            cmd = [*GOVGRAPH, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
            self.metrics_dir.mkdir()  # the workers' metric files, read for the split
            self.procs.append(
                start_server({**self.env, "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir)}, port, log, cmd)
            )
            self.urls.append(f"http://127.0.0.1:{port}")
            wait_workers(self.procs[0], 2, self.urls[0])
            return
        for _ in range(2 if self.kind == "redis" else 1):
            port = free_port()
            self.procs.append(start_server(self.env, port, log))  # the first seeds (SQLite); the second opens the files
            self.urls.append(f"http://127.0.0.1:{port}")

    def split(self, subscribers: int) -> str:
        """How the subscribers were spread over the server processes."""
        if self.kind == "workers":
            return "/".join(str(n) for n in per_worker(self.metrics_dir, self.procs[0].pid)) or "?"
        n = len(self.urls)
        return "/".join(str(len(range(k, subscribers, n))) for k in range(n))

    def stop(self) -> None:
        for p in self.procs:
            stop(p)

    @property
    def label(self) -> str:
        return {
            "single": "1 process, in-process bus",
            "redis": "2 processes (uvicorn) + Redis",
            "workers": "`govgraph serve --workers 2` + Redis",
        }[self.kind]


def load_average() -> str:
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--setup", choices=["single", "redis", "workers", "both"], default="both")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20, help="paced ingests")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between paced ingests")
    parser.add_argument("--burst", type=int, default=20, help="ingests back to back")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    if args.setup == "workers" and args.backend != "postgres":
        parser.error("--setup workers needs --backend postgres (govgraph serve runs one worker on SQLite)")
    if args.backend == "postgres":
        try:
            socket.create_connection(("127.0.0.1", 5432), timeout=2).close()
        except OSError:
            parser.error("PostgreSQL is not answering on 127.0.0.1:5432")
    raise_open_files(args.subscribers * 2 + 1024)
    two = "workers" if args.backend == "postgres" else "redis"
    kinds = ["single", two] if args.setup == "both" else [args.setup]
    started_at = dt.datetime.now(dt.UTC)
    rows = []
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="govgraph-fanout-") as tmp:
            setup = Setup(kind, args.backend, Path(tmp), args.redis_url)
            try:
                setup.start()
                load_before = load_average()
                fanout = Fanout(setup.settings, setup.urls, args.subscribers)
                result = asyncio.run(fanout.run(args.events, args.interval, args.burst, setup))
                result["load"] = f"{load_before} → {load_average()}"
            finally:
                setup.stop()
        rows.append((setup.label, result))
        print(setup.label, json.dumps(result), file=sys.stderr)
    backend = "SQLite (WAL), files" if args.backend == "sqlite" else "PostgreSQL 127.0.0.1, databases gg_fanout_<store>"
    lines = [
        f"### {'SQLite' if args.backend == 'sqlite' else 'PostgreSQL'}",
        "",
        f"- command: `python bench/fanout.py --backend {args.backend} --setup {args.setup} --subscribers "
        f"{args.subscribers} --events {args.events} --interval {args.interval} --burst {args.burst}`",
        f"- date: {started_at.strftime('%Y-%m-%d %H:%M')} UTC",
        f"- machine: {machine()}",
        f"- sizes: demo seed on {backend}; {args.subscribers} WebSocket subscribers of `readingAdded(stationCode)`, "
        "one connection and token each, in one asyncio client process on the same machine; one reading per ingest",
        "- latency: from sending the ingest request to receiving the `next` message (includes the ingest itself)",
        "- load: the 1/5/15-minute load average when the subscribers started → when the setup ended",
        "",
        "| setup | subscribers per process | paced: delivered | p50 ms | p99 ms | max ms | ingest round trip p50 ms "
        "| burst: delivered | deliveries/s | burst p50 ms | burst p99 ms | errors | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in rows:
        lines.append(
            f"| {label} | {r['split']} | {r['paced_delivered']}/{r['paced_expected']} | {r['p50']:.0f} "
            f"| {r['p99']:.0f} | {r['max']:.0f} | {r['ingest_rtt_p50']:.0f} "
            f"| {r['burst_delivered']}/{r['burst_expected']} | {r['burst_per_s']:.0f} | {r['burst_p50']:.0f} "
            f"| {r['burst_p99']:.0f} | {r['errors']} | {r['load']} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
