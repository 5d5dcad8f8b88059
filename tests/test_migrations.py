"""Schema migrations: every store's history builds its models from nothing on both backends, its last revision
goes down and up again, data survives an upgrade, the server refuses a store that is behind (and migrates the
embedded demo itself), and `govgraph migrate --check` tells a deploy pipeline where it stands."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import inspect, select, text

from govgraph.config import Settings
from govgraph.datasources import audit
from govgraph.datasources.base import Stores, store_metadata, store_names
from govgraph.migrations import (
    VERSION_TABLE,
    MigrationError,
    MigrationsPending,
    compare,
    downgrade,
    drop_store,
    ensure_current,
    head,
    migrate_all,
    migrate_store,
    migration_engine,
    stamp,
    upgrade,
    version,
    versions,
)
from govgraph.migrations.check import differences
from govgraph.server import create_app
from tests.conftest import (
    drop_pg_databases,
    drop_settings,
    ensure_pg_databases,
    free_port,
    make_settings,
    pg_prefix,
    pg_url,
    require_postgres,
    server_env,
)

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]

ROW = {
    "at": dt.datetime(2025, 7, 1, 8, 30, tzinfo=dt.UTC),
    "actor": "officer-17",
    "actor_role": "OFFICER",
    "actor_unit": "00082",
    "purpose": "checking a residence registration",
    "subject_pid": "001200000001",
    "record": "Citizen:001200000001",
    "fields": "Citizen.fullName",
    "request_id": "req-1",
    "operation": "CitizenCard",
}

LATER_AUDIT = '''"""A later audit revision, for tests: a new column with a default, and an ALTER SQLite cannot do."""

import sqlalchemy as sa
from alembic import op

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_log") as batch:
        batch.add_column(sa.Column("channel", sa.String(16), nullable=False, server_default="api"))
        batch.alter_column("purpose", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("access_log") as batch:
        batch.alter_column("purpose", existing_type=sa.Text(), nullable=False)
        batch.drop_column("channel")
'''


@pytest_asyncio.fixture
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Empty databases for every store: SQLite files in a fresh folder, or fresh PostgreSQL databases."""
    made = await make_settings(request.param, tmp_path / "data", label=f"mig{uuid.uuid4().hex[:8]}")
    yield made
    await drop_settings(made)


@pytest.fixture
def later_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The migrations as shipped plus a second audit revision, in a temporary copy of the script directories."""
    import govgraph.migrations as migrations

    scripts = tmp_path / "scripts"
    shutil.copytree(migrations.SCRIPTS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "audit" / "versions" / "audit_0002_test.py").write_text(LATER_AUDIT, encoding="utf-8")
    monkeypatch.setattr(migrations, "SCRIPTS", scripts)
    return "audit_0002"


async def table_names(store: str, url: str) -> set[str]:
    engine = migration_engine(url, write=False)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


# --- every store: base to head equals the models; the last revision goes down and up -----------------------------


@pytest_asyncio.fixture
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """``(store, url)`` of one empty database: a SQLite file, or a fresh PostgreSQL database."""
    backend, store = request.param
    if backend == "sqlite":
        yield store, f"sqlite+aiosqlite:///{tmp_path / f'{store}.db'}"
        return
    require_postgres()
    name = f"{pg_prefix('mig')}_{uuid.uuid4().hex[:8]}_{store}"
    await ensure_pg_databases([name])
    yield store, pg_url(name)
    await drop_pg_databases([name])


@pytest.mark.parametrize(
    "empty_database",
    [
        pytest.param(
            (backend, store), id=f"{store}-{backend}", marks=[pytest.mark.postgres] if backend == "postgres" else []
        )
        for backend in ("sqlite", "postgres")
        for store in store_names()
    ],
    indirect=True,
)
async def test_history_builds_the_models_and_the_last_revision_goes_down_and_up(
    empty_database: tuple[str, str],
) -> None:
    store, url = empty_database
    assert (await version(store, url)).state == "empty"
    await upgrade(store, url, "head")
    assert await compare(store, url) == []
    got = await version(store, url)
    assert got.state == "current" and got.current == (head(store),)
    assert set(store_metadata(store).tables) <= await table_names(store, url)

    await downgrade(store, url, "-1")
    last = script_parent(store)
    assert (await version(store, url)).current == ((last,) if last else ())
    if last is None:  # the first revision went down: nothing of the store is left but the version table
        assert await table_names(store, url) <= {VERSION_TABLE}

    await upgrade(store, url, "head")
    assert await compare(store, url) == []
    assert (await version(store, url)).state == "current"


def script_parent(store: str) -> str | None:
    from govgraph.migrations import script_directory

    down = script_directory(store).get_revision(head(store)).down_revision
    assert down is None or isinstance(down, str)
    return down


# --- a later revision: data kept, the check catches it, the server refuses, the demo migrates ---------------------


@pytest.mark.parametrize("settings", BACKENDS, indirect=True)
async def test_rows_survive_an_upgrade_and_its_downgrade(settings: Settings, later_audit: str) -> None:
    url = settings.url_for("audit")
    await upgrade("audit", url, "audit_0001")
    stores = Stores(settings)
    try:
        await audit.append(stores.audit, [ROW])
    finally:
        await stores.dispose()
    assert (await version("audit", url)).state == "behind"

    await upgrade("audit", url, "head")
    assert (await version("audit", url)).current == (later_audit,)
    engine = migration_engine(url, write=False)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT actor, purpose, subject_pid, channel FROM access_log"))).one()
            assert tuple(row) == ("officer-17", "checking a residence registration", "001200000001", "api")
    finally:
        await engine.dispose()

    await downgrade("audit", url, "-1")
    stores = Stores(settings)
    try:
        rows = await stores.audit.all(select(audit.access_log))
        assert [(r.actor, r.purpose, r.fields) for r in rows] == [("officer-17", ROW["purpose"], ROW["fields"])]
    finally:
        await stores.dispose()


async def test_the_model_check_fails_when_head_differs_from_the_models(later_audit: str) -> None:
    found = await differences("audit")
    assert [d[0] for d in found if isinstance(d, tuple)] == ["remove_column"]  # head has `channel`, the models not
    assert await differences("parking") == []


@pytest.mark.postgres
@pytest.mark.parametrize("settings", [pytest.param("postgres")], indirect=True)
async def test_server_refuses_a_store_that_is_behind(settings: Settings, later_audit: str) -> None:
    for name in store_names():
        await upgrade(name, settings.url_for(name), "audit_0001" if name == "audit" else "head")
    app = create_app(settings)
    with pytest.raises(MigrationsPending) as refused:
        async with app.router.lifespan_context(app):
            pytest.fail("the server started on a store that is behind")
    message = str(refused.value)
    assert "audit: behind, at audit_0001; head is audit_0002" in message
    assert "govgraph migrate --store audit" in message
    assert "population" not in message  # only the store that is behind is named

    await migrate_all(settings)
    async with app.router.lifespan_context(app):
        assert all(v.state == "current" for v in await versions(settings) if not isinstance(v, Exception))
    await ensure_current(settings)


@pytest.mark.postgres
@pytest.mark.parametrize("settings", [pytest.param("postgres")], indirect=True)
def test_serve_command_refuses_empty_databases_with_the_command_to_run(settings: Settings) -> None:
    env = server_env(settings)
    cmd = [sys.executable, "-m", "govgraph.cli", "serve", "--port", str(free_port())]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert done.returncode == 1, done.stdout + done.stderr
    assert "govgraph will not start: 8 store(s) are not at the schema this version needs" in done.stderr
    assert "population: no tables yet; head is population_0001" in done.stderr
    assert "Run `govgraph migrate`" in done.stderr


@pytest.mark.parametrize("settings", [pytest.param("sqlite")], indirect=True)
async def test_embedded_demo_migrates_itself_from_an_empty_folder(settings: Settings, later_audit: str) -> None:
    assert settings.embedded and not settings.data_dir.exists()
    app = create_app(settings, seed_demo=False)
    async with app.router.lifespan_context(app):
        got = {v.store: v for v in await versions(settings) if not isinstance(v, Exception)}
        assert set(got) == set(store_names())
        assert all(v.state == "current" for v in got.values())
        assert got["audit"].current == (later_audit,)

    # An embedded store left behind (a newer govgraph on an old data folder) is brought up on start.
    await downgrade("audit", settings.url_for("audit"), "audit_0001")
    async with app.router.lifespan_context(app):
        assert (await version("audit", settings.url_for("audit"))).current == (later_audit,)


# --- adopting databases made without migrations, resetting, foreign revisions -----------------------------------


@pytest.mark.parametrize("settings", BACKENDS, indirect=True)
async def test_tables_made_without_migrations_are_adopted_only_when_they_equal_the_models(settings: Settings) -> None:
    stores = Stores(settings)
    try:
        await stores.create_all()
    finally:
        await stores.dispose()
    url = settings.url_for("parking")
    assert (await version(url=url, store="parking")).state == "unversioned"
    before, after = await migrate_store("parking", url)
    assert before.state == "unversioned" and after.state == "current"

    url = settings.url_for("environment")
    engine = migration_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP INDEX ix_alerts_station"))
    finally:
        await engine.dispose()
    with pytest.raises(MigrationError, match="differ from the models"):
        await migrate_store("environment", url)
    assert (await version("environment", url)).state == "unversioned"


@pytest.mark.parametrize("settings", BACKENDS, indirect=True)
async def test_reset_drops_tables_and_revision_so_the_next_migration_starts_over(settings: Settings) -> None:
    url = settings.url_for("registry")
    await upgrade("registry", url, "head")
    await drop_store("registry", url)
    assert await table_names("registry", url) == set()
    assert (await version("registry", url)).state == "empty"
    await migrate_store("registry", url)
    assert (await version("registry", url)).state == "current"


@pytest.mark.parametrize("settings", BACKENDS, indirect=True)
async def test_a_revision_of_another_store_is_reported_not_migrated(settings: Settings) -> None:
    url = settings.url_for("audit")
    await upgrade("audit", url, "head")
    engine = migration_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = 'population_0001'"))  # noqa: S608
    finally:
        await engine.dispose()
    got = await version("audit", url)
    assert got.state == "unknown" and "does not know" in got.describe()
    with pytest.raises(MigrationError, match="population_0001"):
        await migrate_store("audit", url)
    await stamp("audit", url, "audit_0001")  # the operator's way out once they know where it stands
    assert (await version("audit", url)).state == "current"


# --- govgraph migrate ---------------------------------------------------------------------------------------------


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "govgraph.cli", "migrate", *args]
    return subprocess.run(cmd, env=server_env(settings), capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


@pytest.mark.parametrize("settings", BACKENDS, indirect=True)
def test_migrate_command_and_its_check_exit_codes(settings: Settings) -> None:
    behind = run_cli(settings, "--check")
    assert behind.returncode == 1, behind.stdout + behind.stderr
    assert "complaints: no tables yet; head is complaints_0001" in behind.stdout

    one = run_cli(settings, "--store", "population")
    assert one.returncode == 0, one.stderr
    assert one.stdout.strip() == "population: empty -> population_0001"
    still = run_cli(settings, "--check", "--store", "population")
    assert still.returncode == 0 and "population: at head (population_0001)" in still.stdout
    assert run_cli(settings, "--check").returncode == 1  # the other stores are still empty

    every = run_cli(settings)
    assert every.returncode == 0, every.stderr
    assert "population: already at population_0001" in every.stdout
    assert "audit: empty -> audit_0001" in every.stdout
    assert run_cli(settings, "--check").returncode == 0

    down = run_cli(settings, "--downgrade", "base", "--store", "services")
    assert down.returncode == 0 and "services: downgraded to base" in down.stdout
    after = run_cli(settings, "--check")
    assert after.returncode == 1 and "services: no tables yet" in after.stdout

    assert run_cli(settings, "--downgrade", "base").returncode == 2  # which store? (a usage error)
    bad = run_cli(settings, "--downgrade", "no_such_revision", "--store", "audit")
    assert bad.returncode == 1 and "govgraph migrate:" in bad.stderr


@pytest.mark.parametrize("settings", [pytest.param("sqlite")], indirect=True)
def test_migrate_check_cannot_tell_a_store_that_does_not_answer(settings: Settings) -> None:
    down = Settings(data_dir=settings.data_dir, store_urls={"parking": "postgresql+asyncpg://postgres@127.0.0.1:9/x"})
    done = run_cli(down, "--check", "--store", "parking")
    assert done.returncode == 2 and "parking: cannot tell" in done.stderr
