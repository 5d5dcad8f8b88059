"""The `govgraph` command: serve, migrate, seed, token, schema, simulate."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from enum import StrEnum
from typing import Annotated

import typer

from govgraph.auth.identity import Role, mint_token
from govgraph.config import Settings

app = typer.Typer(help="govgraph: one GraphQL API over Hanoi's government data stores.", no_args_is_help=True)


class Scale(StrEnum):
    demo = "demo"
    city = "city"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (use PostgreSQL stores for more than 1).")] = 1,
) -> None:
    """Serve /graphql, /healthz and /readyz. Refuses to start while a store's schema is behind (run `govgraph
    migrate`); on the embedded default it migrates the SQLite files itself and seeds demo data on first start."""
    import uvicorn

    settings = Settings.from_env()
    if workers > 1 and settings.embedded:
        raise typer.BadParameter("several workers need PostgreSQL stores (set GOVGRAPH_<STORE>_URL)")
    if settings.embedded:
        # Migrate and seed once, before workers start, so they do not race each other.
        from govgraph.seed import prepare_embedded

        asyncio.run(prepare_embedded(settings))
    else:
        from govgraph.migrations import MigrationsPending, ensure_current

        try:
            asyncio.run(ensure_current(settings))
        except MigrationsPending as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"govgraph on http://{host}:{port}/graphql  (token: govgraph token --role admin)")
    fresh_metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Workers share their Prometheus values through files here (set before any worker imports the client).
        fresh_metrics_dir = tempfile.mkdtemp(prefix="govgraph-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = fresh_metrics_dir
    elif os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)
    from govgraph.observability import logging_config

    try:
        uvicorn.run(
            "govgraph.server:serve_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=logging_config(settings.log_format, settings.log_level),
            log_level=settings.log_level,
            access_log=False,  # govgraph logs its own access line, with the request id and without client data
        )
    finally:
        if fresh_metrics_dir:
            shutil.rmtree(fresh_metrics_dir, ignore_errors=True)


@app.command()
def seed(
    scale: Annotated[Scale, typer.Option(help="demo: the 2017 pilot sizes; city: a million citizens.")] = Scale.demo,
    random_seed: Annotated[int, typer.Option(help="Seed of the generator (same seed, same data).")] = 2017,
    reset: Annotated[
        bool, typer.Option(help="Drop every store's tables and revision first (then they are migrated anew).")
    ] = False,
) -> None:
    """Fill the stores with realistic Hanoi data."""
    from govgraph.migrations import MigrationError
    from govgraph.seed import run_seed

    try:
        asyncio.run(run_seed(Settings.from_env(), scale.value, random_seed, reset))
    except MigrationError as exc:
        typer.echo(f"govgraph seed: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def migrate(
    store: Annotated[
        list[str] | None, typer.Option(help="Only this store (repeatable; default: every store, the audit one too).")
    ] = None,
    revision: Annotated[str, typer.Option(help="Upgrade to this revision (other than head: one --store).")] = "head",
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 when a store is behind, 2 when one cannot be told.")
    ] = False,
    downgrade: Annotated[
        str | None, typer.Option(metavar="REV", help="Downgrade one --store to REV (a revision, -1, or base).")
    ] = None,
    stamp: Annotated[
        str | None, typer.Option(metavar="REV", help="Record REV for one --store without running anything.")
    ] = None,
) -> None:
    """Bring every store's schema to this version's head (run it before `govgraph serve`).

    Each store has its own migration history and records its revision in its own database. A database made
    without migrations whose tables equal the models is adopted (stamped at head)."""
    from alembic.util import CommandError

    from govgraph.datasources.base import StoreUnavailable, store_names
    from govgraph.migrations import MigrationError, migrate_store, versions
    from govgraph.migrations import downgrade as run_downgrade
    from govgraph.migrations import stamp as run_stamp

    settings = Settings.from_env()
    names = store or store_names()
    unknown = sorted(set(names) - set(store_names()))
    if unknown:
        raise typer.BadParameter(f"no store named {', '.join(unknown)} (stores: {', '.join(store_names())})")
    single = downgrade is not None or stamp is not None or revision != "head"
    if single and len(names) != 1:
        raise typer.BadParameter("--downgrade, --stamp and --revision other than head need exactly one --store")
    if sum(x is not None for x in (downgrade, stamp)) + check > 1:
        raise typer.BadParameter("--check, --downgrade and --stamp exclude each other")

    if check:
        worst = 0
        for v in asyncio.run(versions(settings, names)):
            if isinstance(v, StoreUnavailable):
                typer.echo(f"{v.store}: cannot tell ({v.reason})", err=True)
                worst = 2
            else:
                typer.echo(v.describe())
                if v.state in ("unknown", "unversioned"):
                    worst = 2
                elif v.state != "current":
                    worst = max(worst, 1)
        raise typer.Exit(worst)

    async def run() -> None:
        for name in names:
            url = settings.url_for(name)
            if downgrade is not None:
                await run_downgrade(name, url, downgrade)
                typer.echo(f"{name}: downgraded to {downgrade}")
            elif stamp is not None:
                await run_stamp(name, url, stamp)
                typer.echo(f"{name}: stamped {stamp}")
            else:
                before, after = await migrate_store(name, url, revision)
                if before.current == after.current:
                    typer.echo(f"{name}: already at {', '.join(after.current)}")
                else:
                    was = ", ".join(before.current) or {"unversioned": "tables, no revision"}.get(before.state, "empty")
                    typer.echo(f"{name}: {was} -> {', '.join(after.current) or 'base'}")

    try:
        asyncio.run(run())
    except (MigrationError, StoreUnavailable, CommandError) as exc:
        typer.echo(f"govgraph migrate: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def token(
    role: Annotated[Role, typer.Option(help="The role the token carries.")],
    subject: Annotated[str | None, typer.Option(help="sub: a citizen's personal ID or a staff id.")] = None,
    unit: Annotated[str | None, typer.Option(help="Administrative-unit code of the jurisdiction.")] = None,
    school: Annotated[str | None, typer.Option(help="A teacher's school code.")] = None,
    domain: Annotated[list[str] | None, typer.Option(help="Store an officer works in (repeatable).")] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds.")] = 3600,
    purpose: Annotated[
        str | None, typer.Option(help="Standing purpose for staff reads of personal data (else send X-Purpose).")
    ] = None,
) -> None:
    """Print a signed development JWT for the configured key."""
    settings = Settings.from_env()
    typer.echo(mint_token(settings, role, subject, unit, school, tuple(domain or ()), ttl, purpose=purpose))


@app.command()
def schema(
    public: Annotated[bool, typer.Option(help="The public schema instead of the full one.")] = False,
    federation: Annotated[
        bool, typer.Option(help="The full schema as an Apollo Federation 2 subgraph (as GOVGRAPH_FEDERATION=1).")
    ] = False,
) -> None:
    """Print the SDL (of the full schema, or with --public of the anonymous one at /public/graphql).

    With --federation, or GOVGRAPH_FEDERATION=1, the full schema's subgraph SDL (with @link and @key)."""
    if public and federation:
        raise typer.BadParameter("--public and --federation exclude each other")
    if federation:
        os.environ["GOVGRAPH_FEDERATION"] = "1"  # read once, when the schema is built below
    if public:
        from govgraph.public import public_sdl

        typer.echo(public_sdl(), nl=False)
        return
    from govgraph.schema import sdl

    typer.echo(sdl(), nl=False)


@app.command()
def simulate(
    url: Annotated[str, typer.Option(help="The running server.")] = "http://127.0.0.1:8000",
    speed: Annotated[float, typer.Option(help="Ticks per second (each tick: readings, parking, dossiers).")] = 1.0,
    duration: Annotated[float, typer.Option(help="Stop after this many seconds.")] = 60.0,
    seed: Annotated[int, typer.Option(help="Seed of the feed's random choices.")] = 2017,
) -> None:
    """A live feed for demos and load tests: readings for every station (hourly patterns, pollution episodes,
    rainstorms), parking arrivals and departures, dossier progress, sent as GraphQL mutations to a running
    server with device and officer tokens for the configured key (the same path as real devices)."""
    from govgraph.simulate import SimulationError
    from govgraph.simulate import simulate as run

    try:
        report = asyncio.run(run(Settings.from_env(), url, speed, duration, seed))
    except SimulationError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(report.summary())


if __name__ == "__main__":
    app()
