"""The `govgraph` command: serve, seed, token, schema, simulate."""

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
    """Serve /graphql, /healthz and /readyz. On the embedded default, seeds demo data on first start."""
    import uvicorn

    settings = Settings.from_env()
    if workers > 1 and settings.embedded:
        raise typer.BadParameter("several workers need PostgreSQL stores (set GOVGRAPH_<STORE>_URL)")
    if settings.embedded:
        # Create and seed once, before workers start, so they do not race each other.
        from govgraph.seed import prepare_embedded

        asyncio.run(prepare_embedded(settings))
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
            "govgraph.server:create_app",
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
    reset: Annotated[bool, typer.Option(help="Drop and recreate every store's tables first.")] = False,
) -> None:
    """Fill the stores with realistic Hanoi data."""
    from govgraph.seed import run_seed

    asyncio.run(run_seed(Settings.from_env(), scale.value, random_seed, reset))


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
