"""Fail when a store's models differ from its migrations' head (so no model change ships without a revision).

    python -m govgraph.migrations.check                      # every store, on throw-away SQLite files
    python -m govgraph.migrations.check --postgres postgresql+asyncpg://postgres@127.0.0.1:5432
    python -m govgraph.migrations.check --store services

Each store's history is run from nothing to head on an empty database, then compared with the models
(Alembic's ``compare_metadata``: tables, columns, types, nullability, indexes, constraints, and on PostgreSQL
comments). Exit status 1 lists the differences; write a revision for them with
``python -m govgraph.migrations.revision --store NAME -m "..."``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from govgraph.datasources.base import store_names
from govgraph.migrations import compare, head, upgrade
from govgraph.migrations.scratch import scratch_database


async def differences(store: str, postgres: str | None = None) -> list[Any]:
    """What the models have that the store's head does not (or the reverse); [] when they agree."""
    async with scratch_database(store, postgres) as url:
        await upgrade(store, url, "head")
        return await compare(store, url)


async def main(stores: list[str], postgres: str | None) -> int:
    failed = 0
    for store in stores:
        found = await differences(store, postgres)
        if found:
            failed += 1
            print(f"{store}: the models differ from head {head(store)}:")
            for d in found:
                print(f"    {d}")
        else:
            print(f"{store}: the models match head {head(store)}")
    if failed:
        print(f'\n{failed} store(s) need a revision: python -m govgraph.migrations.revision --store NAME -m "..."')
    return 1 if failed else 0


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govgraph.migrations.check", description=__doc__.split("\n")[0])
    parser.add_argument("--store", action="append", choices=store_names(), help="only this store (repeatable)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL to compare on (default: SQLite files)")
    args = parser.parse_args(argv)
    return asyncio.run(main(args.store or store_names(), args.postgres))


if __name__ == "__main__":
    sys.exit(cli())
