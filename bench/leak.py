"""Issue #6's memory check: the RSS of one govgraph process after 100,000 requests must be within 10% of its
RSS after the first 1,000.

    python bench/leak.py                              # city data, W3/W5/W4 in turn, 16 connections
    python bench/leak.py --requests 20000 --db-prefix gg_dev_   # a shorter run on other databases

One `govgraph serve` process (no --workers: its RSS is the server's) on the bench databases, with the same
environment as bench/perf.py (production; --server: compiled plans with the response cache by default). Its
answer to each request of the mix is checked first. Then wrk (bench/wrk/mix.lua) sends the mix in turn, W3,
W5, W4, W3, ..., and stops after a number of answers: 1,000 first, then the rest in steps; after each step,
once the server is idle again, its RSS (VmRSS of /proc/<pid>/status) is read. Every answer must be HTTP 200
without "errors".
Prints a Markdown block (command, date, machine, the RSS after each step, the verdict); --append adds it to
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from perf import LABELS, PG, Options, Running, loadavg, machine, settle, start, wait_ready  # noqa: E402
from workloads import prepare, summary  # noqa: E402

MIX = ("W3", "W5", "W4")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def send(running: Running, mix_dir: Path, count: int, answers: int, connections: int) -> dict[str, int]:
    """Send the mix until ``answers`` answers have arrived (at most 2 hours); wrk's BENCH line, parsed."""
    threads = min(2, connections)
    env = {**os.environ, "BENCH_MIX": str(mix_dir), "BENCH_MIX_COUNT": str(count), "BENCH_LIMIT": str(answers),
           "BENCH_THREADS": str(threads)}  # fmt: skip
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", "-d2h", "--timeout", "30s",
           "-s", str(BENCH / "wrk" / "mix.lua"), f"http://127.0.0.1:{running.port}/"]  # fmt: skip
    for old in mix_dir.glob("done-*"):
        old.unlink()
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) as wrk:  # noqa: S603
        while wrk.poll() is None and len(list(mix_dir.glob("done-*"))) < threads:
            time.sleep(0.2)
        if wrk.poll() is None:
            wrk.send_signal(signal.SIGINT)  # wrk stops and reports (its done() runs)
        out, _ = wrk.communicate(timeout=60)
    line = next((x for x in out.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no BENCH line:\n{out}")
    return {k: int(v) for k, v in (kv.split("=") for kv in line.split()[1:])}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=100_000, help="answers in all")
    p.add_argument("--first", type=int, default=1_000, help="answers before the first RSS reading")
    p.add_argument("--steps", type=int, default=10, help="RSS readings after the first (evenly spaced)")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument(
        "--server",
        choices=["govgraph-cached", "govgraph-compiled", "govgraph-loaders"],
        default="govgraph-cached",
        help="the configuration (as in bench/perf.py); default: serve's own, compiled plans and the response cache",
    )
    p.add_argument("--db-prefix", default="govgraph_bench_")
    p.add_argument("--pool", type=int, default=5)
    p.add_argument("--note", default="", help="said in the report after the load averages")
    p.add_argument("--append", action="store_true", help="append the report to bench/RESULTS.md")
    args = p.parse_args(argv)
    command = shlex.join(["python", "bench/leak.py", *(sys.argv[1:] if argv is None else argv)])
    out_dir = BENCH / "out"
    (out_dir / "logs").mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC)
    opts = Options(args.db_prefix, args.pool, 1, secrets.token_hex(32), out_dir / "logs")
    prepared = asyncio.run(prepare(PG, args.db_prefix, opts.secret, list(MIX)))
    mix = [prepared.requests[w, "govgraph"] for w in MIX]
    load_before = loadavg()
    running = start(args.server, "leak", opts)
    readings: list[tuple[int, float]] = []
    bad = 0
    try:
        for w, request in zip(MIX, mix, strict=True):
            summary(w, asyncio.run(wait_ready(running, request)))
        with tempfile.TemporaryDirectory(prefix="govgraph-leak-") as tmp:
            folder = Path(tmp)
            for i, request in enumerate(mix, start=1):
                (folder / f"{i}.path").write_text(request.path)
                (folder / f"{i}.body").write_bytes(request.body)
                (folder / f"{i}.headers").write_text("".join(f"{k}: {v}\n" for k, v in request.headers.items()))
            done = 0
            rest = args.requests - args.first
            targets = [args.first] + [args.first + rest * k // args.steps for k in range(1, args.steps + 1)]
            for target in targets:
                r = send(running, folder, len(mix), target - done, args.connections)
                done += r["answered"]
                bad += r["bad"]
                settle(running)
                readings.append((done, rss_mib(running.process.pid)))
                print(f"  {done:>7,} answers: RSS {readings[-1][1]:.1f} MiB ({r['bad']} bad)", file=sys.stderr)
    finally:
        running.stop()
    first, last = readings[0][1], readings[-1][1]
    growth = (last - first) / first
    verdict = "within 10%: passes" if abs(growth) <= 0.10 and not bad else "FAILS"
    lines = [
        f"### Memory: RSS over {readings[-1][0]:,} requests ({stamp.strftime('%Y-%m-%d %H:%M UTC')})",
        "",
        f"- command: `{command.strip()}`",
        f"- date: {stamp.strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine()}",
        f"- load average before / after: {load_before} / {loadavg()}" + (f" — {args.note}" if args.note else ""),
        f"- server: one `govgraph serve` process ({LABELS[args.server]}, GOVGRAPH_ENV=production, "
        f"{args.pool} connections per database) on the `{args.db_prefix}*` databases; "
        f"wrk, {args.connections} connections, the mix {'/'.join(MIX)} in turn",
        f"- answers that were not HTTP 200 or carried errors: {bad}",
        f"- RSS after the first {readings[0][0]:,}: {first:.1f} MiB; after {readings[-1][0]:,}: {last:.1f} MiB "
        f"({growth:+.1%}): **{verdict}**",
        "",
        "| answers | RSS MiB |",
        "|---:|---:|",
        *(f"| {n:,} | {rss:.1f} |" for n, rss in readings),
    ]
    text = "\n".join(lines) + "\n"
    path = out_dir / f"leak-{stamp.strftime('%Y%m%dT%H%M%SZ')}.md"
    path.write_text(text)
    print(text)
    if args.append:
        with (BENCH / "RESULTS.md").open("a") as f:
            f.write("\n" + text)
    if verdict == "FAILS":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
