"""Time `govgraph seed --scale city` and report the size of each store.

    python bench/seed_city.py --backend postgres   # seven databases govgraph_bench_<store> on 127.0.0.1
    python bench/seed_city.py --backend sqlite     # SQLite files under bench/out/city

Prints a Markdown block for bench/RESULTS.md (command, date, machine, time, sizes, row counts).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import time
from pathlib import Path

from sqlalchemy import func, select, text

from govgraph.config import STORES, Settings
from govgraph.datasources.base import Stores, store_names
from govgraph.migrations import drop_store, migrate_all
from govgraph.seed import seed_stores

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/"


async def ensure_databases(names: list[str]) -> None:
    import asyncpg

    conn = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
    try:
        have = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in have:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--scale", default="city")
    parser.add_argument("--random-seed", type=int, default=2017)
    args = parser.parse_args()
    if args.backend == "postgres":
        names = {s: f"govgraph_bench_{s}" for s in (*STORES, "audit")}
        await ensure_databases(list(names.values()))
        settings = Settings(store_urls={s: PG + n for s, n in names.items()})
    else:
        folder = Path("bench/out") / args.scale
        folder.mkdir(parents=True, exist_ok=True)
        settings = Settings(data_dir=folder)
    # Built by the migrations, as in production, so that `govgraph serve` accepts the databases (it refuses a
    # store whose tables were made without them until `govgraph migrate` adopts it).
    for name in store_names():
        await drop_store(name, settings.url_for(name))
    await migrate_all(settings)
    stores = Stores(settings)
    started = time.perf_counter()
    await seed_stores(stores, args.scale, args.random_seed)
    elapsed = time.perf_counter() - started
    print(f"\n### Seed `{args.scale}` on {args.backend}\n")
    print(f"- command: `python bench/seed_city.py --backend {args.backend} --scale {args.scale}`")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"- date: {dt.date.today()}, machine: {machine}")
    print(f"- wall time: {elapsed:.0f} s\n")
    print("| store | size | largest tables (rows) |\n|---|---|---|")
    for store in stores:
        if store.is_sqlite:
            sql = "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            size = int(await store.scalar(text(sql)))
        else:
            size = int(await store.scalar(text("SELECT pg_database_size(current_database())")))
        counts = []
        for table in store.metadata.sorted_tables:
            n = int(await store.scalar(select(func.count()).select_from(table)))
            counts.append((n, table.name))
        top = ", ".join(f"{name} {n:,}" for n, name in sorted(counts, reverse=True)[:3])
        print(f"| {store.name} | {size / 2**20:,.0f} MiB | {top} |")
    await stores.dispose()


if __name__ == "__main__":
    asyncio.run(main())
