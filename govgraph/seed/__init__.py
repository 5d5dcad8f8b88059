"""Realistic, deterministic seed data for every store (scales: demo, city).

Each store has a module here with ``async def seed(ctx: SeedContext) -> None``; they run in the order of
``config.STORES`` (population first: the other stores refer to its people). Every domain draws from its own
random generator derived from the seed, so adding data to one domain does not change another's.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Table, func, select

from govgraph.config import STORES, Settings
from govgraph.datasources.base import Store, Stores, store_names
from govgraph.domain.identity import Sex
from govgraph.migrations import drop_store, migrate_all
from govgraph.seed.names import Name

PILOT_WARD = "00082"
"""Phường Cửa Nam (2025-07). Its code was Phường Trần Hưng Đạo's before 1 Jul 2025 (the code-reuse trap):
the 2017 pilots (register books, street parking on Lý Thường Kiệt and Trần Hưng Đạo) were there."""
PILOT_WARD_LEGACY = "00082"
"""Phường Trần Hưng Đạo, Quận Hoàn Kiếm (2025-01 structure): the ward whose 64 register books were digitised."""

BATCH = 20_000


@dataclass
class Person:
    pid: str
    name: Name
    dob: dt.date
    sex: Sex
    unit: str
    """Current (2025-07) unit code of permanent residence."""
    father: str | None = None
    mother: str | None = None
    phone: str | None = None
    address: str = ""


@dataclass
class SeedContext:
    stores: Stores
    scale: str
    random_seed: int
    today: dt.date
    progress: Progress
    people: list[Person] = field(default_factory=list)
    by_pid: dict[str, Person] = field(default_factory=dict)
    by_unit: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))
    children_of: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    shared: dict[str, Any] = field(default_factory=dict)
    """Facts one domain's seed leaves for later ones (e.g. school codes for enrolment)."""

    def rng(self, domain: str) -> random.Random:
        return random.Random(f"{self.random_seed}:{domain}")

    def sized(self, demo: int, city: int) -> int:
        return demo if self.scale == "demo" else city

    def add_person(self, p: Person) -> None:
        self.people.append(p)
        self.by_pid[p.pid] = p
        self.by_unit[p.unit].append(p)
        for parent in (p.father, p.mother):
            if parent:
                self.children_of[parent].append(p.pid)

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Any]:
        task_id = self.progress.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            self.progress.advance(task_id, n)

        yield advance
        self.progress.update(task_id, completed=total)

    async def insert(
        self,
        store: Store,
        table: Table,
        rows: Sequence[Any],
        label: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> None:
        """Bulk insert in batches with a progress bar (``columns`` as in ``Store.bulk_insert``)."""
        with self.task(label or f"{store.name}.{table.name}", len(rows)) as advance:
            for i in range(0, len(rows), BATCH):
                part = rows[i : i + BATCH]
                await store.bulk_insert(table, part, columns)
                advance(len(part))


def seed_modules() -> list[Any]:
    return [
        importlib.import_module(f"govgraph.seed.{name}")
        for name in STORES
        if importlib.util.find_spec(f"govgraph.seed.{name}") is not None
    ]


async def seed_stores(
    stores: Stores,
    scale: str = "demo",
    random_seed: int = 2017,
    today: dt.date | None = None,
    quiet: bool = False,
) -> SeedContext:
    """Seed every store (tables must exist and be empty)."""
    columns = [TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, disable=quiet, transient=False) as progress:
        ctx = SeedContext(stores, scale, random_seed, today or dt.date.today(), progress)
        for module in seed_modules():
            await module.seed(ctx)
    # Fresh planner statistics: right after a bulk load they describe empty tables, and PostgreSQL then picks
    # plans like scanning every complaint to find one person's (20 ms instead of 0.2 ms at city scale).
    for store in stores.all_stores():
        await store.analyze()
    return ctx


async def is_empty(stores: Stores) -> bool:
    from govgraph.datasources.population import citizens

    return not await stores["population"].scalar(select(func.count()).select_from(citizens))


async def seed_if_empty(stores: Stores) -> None:
    if await is_empty(stores):
        await seed_stores(stores, "demo")


async def prepare_embedded(settings: Settings) -> None:
    """Migrate the embedded SQLite stores to head and seed the demo on first start."""
    await migrate_all(settings)
    stores = Stores(settings)
    try:
        await seed_if_empty(stores)
    finally:
        await stores.dispose()


async def run_seed(settings: Settings, scale: str, random_seed: int, reset: bool) -> None:
    """Seed every store; ``reset`` drops their tables (and revision records) first. Stores are migrated to head,
    so a seeded database carries its schema version like any other."""
    if reset:
        for name in store_names():
            await drop_store(name, settings.url_for(name))
    await migrate_all(settings)
    stores = Stores(settings)
    try:
        if not await is_empty(stores):
            raise SystemExit("The stores already hold data: use --reset to replace it.")
        await seed_stores(stores, scale, random_seed)
    finally:
        await stores.dispose()
