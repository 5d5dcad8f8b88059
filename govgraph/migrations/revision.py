"""Write a store's next revision from what its models changed (Alembic autogenerate), for developers.

    python -m govgraph.migrations.revision --store services -m "dossier fee waivers" \
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432

The store's history is run to head on a throw-away database (PostgreSQL when given: it also sees comments),
the models are compared with it, and the differences are written to
``govgraph/migrations/<store>/versions/<store>_<NNNN>_<slug>.py``. Read it before committing: autogenerate
does not see renames (it drops and adds), and a new NOT NULL column on a table with rows needs a server default
or a data step. Then format it (``ruff format``) and run ``python -m govgraph.migrations.check``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from alembic import command
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from govgraph.datasources.base import store_names
from govgraph.migrations import alembic_config, run_on, script_directory, upgrade
from govgraph.migrations.scratch import scratch_database


def next_revision_id(store: str) -> str:
    return f"{store}_{len(list(script_directory(store).walk_revisions())) + 1:04d}"


async def write_revision(store: str, message: str, postgres: str | None = None) -> str | None:
    """The path of the new revision, or None when the models match head (nothing written)."""
    async with scratch_database(store, postgres) as url:
        await upgrade(store, url, "head")
        written: list[str] = []

        def skip_empty(context: MigrationContext, revision: Any, directives: list[MigrationScript]) -> None:
            script = directives[0]
            if all(ops.is_empty() for ops in script.upgrade_ops_list):
                directives.clear()

        def autogenerate(conn: Connection) -> None:
            cfg = alembic_config(store, url, conn)
            result = command.revision(
                cfg, message, autogenerate=True, rev_id=next_revision_id(store), process_revision_directives=skip_empty
            )
            for script in result if isinstance(result, list) else [result]:
                if script is not None:
                    written.append(script.path)

        await run_on(store, url, autogenerate, write=True)
        return written[0] if written else None


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govgraph.migrations.revision", description=__doc__.split("\n")[0])
    parser.add_argument("--store", required=True, choices=store_names())
    parser.add_argument("-m", "--message", required=True, help="what the revision changes")
    parser.add_argument("--postgres", help="a PostgreSQL server URL to autogenerate on (default: SQLite)")
    args = parser.parse_args(argv)
    path = asyncio.run(write_revision(args.store, args.message, args.postgres))
    if path is None:
        print(f"{args.store}: the models match head; nothing written")
    else:
        print(f"wrote {path}: read it, tidy it, `ruff format` it, then run python -m govgraph.migrations.check")
    return 0


if __name__ == "__main__":
    sys.exit(cli())
