"""Population store: citizens, their identity documents and parent/child links (DOMAIN.md §2)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    func,
    select,
)

from govgraph.datasources.base import (
    ManyLoader,
    OneLoader,
    Page,
    Store,
    chunks,
    index_many,
    index_one,
    paginate,
)
from govgraph.domain.text import like_pattern

metadata = MetaData()

citizens = Table(
    "citizens",
    metadata,
    Column("pid", String(12), primary_key=True, comment="12-digit personal ID number (số định danh cá nhân)"),
    Column(
        "node_key",
        String(16),
        nullable=False,
        unique=True,
        default=lambda: secrets.token_hex(8),
        comment="opaque key of the GraphQL node id: global ids must not carry the personal ID",
    ),
    Column("family_name", String(40), nullable=False),
    Column("middle_name", String(60), nullable=False, server_default=""),
    Column("given_name", String(40), nullable=False),
    Column("full_name", String(140), nullable=False, comment="as written, NFC, Vietnamese order"),
    Column("name_folded", String(140), nullable=False, comment="search key: lower case, no diacritics"),
    Column("date_of_birth", Date, nullable=False),
    Column("sex", String(6), nullable=False),
    Column("ethnicity", String(30), nullable=False, server_default="Kinh"),
    Column("nationality", String(30), nullable=False, server_default="Việt Nam"),
    Column("permanent_unit_code", String(5), nullable=True),
    Column("permanent_unit_structure", String(10), nullable=True),
    Column("permanent_address", Text, nullable=True),
    Column("temporary_unit_code", String(5), nullable=True),
    Column("temporary_unit_structure", String(10), nullable=True),
    Column("temporary_address", Text, nullable=True),
    Column("phone", String(11), nullable=True),
    Column("date_of_death", Date, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_citizens_permanent_unit", "permanent_unit_code", "permanent_unit_structure", "pid"),
    Index("ix_citizens_temporary_unit", "temporary_unit_code", "temporary_unit_structure"),
    Index("ix_citizens_name_folded", "name_folded"),
)

identity_documents = Table(
    "identity_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pid", String(12), ForeignKey("citizens.pid"), nullable=False, index=True),
    Column("type", String(10), nullable=False, comment="CMND9, CMND12, CCCD, CAN_CUOC, PASSPORT"),
    Column("number", String(12), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("issuer", String(120), nullable=False),
    Column("expires_on", Date, nullable=True),
)

parent_links = Table(
    "parent_links",
    metadata,
    Column("parent_pid", String(12), ForeignKey("citizens.pid"), primary_key=True),
    Column("child_pid", String(12), ForeignKey("citizens.pid"), primary_key=True, index=True),
    Column("relation", String(6), nullable=False, comment="FATHER or MOTHER"),
)

CITIZEN_COLUMNS = list(citizens.c)


@dataclass(frozen=True)
class CitizenFilter:
    search: str | None = None
    unit_code: str | None = None
    unit_structure: str | None = None
    sex: str | None = None
    born_from: Any = None
    born_to: Any = None
    alive: bool | None = None


def _filtered(f: CitizenFilter) -> Any:
    stmt = select(*CITIZEN_COLUMNS)
    if f.search:
        stmt = stmt.where(citizens.c.name_folded.like(like_pattern(f.search), escape="\\"))
    if f.unit_code:
        stmt = stmt.where(citizens.c.permanent_unit_code == f.unit_code)
        if f.unit_structure:
            stmt = stmt.where(citizens.c.permanent_unit_structure == f.unit_structure)
    if f.sex:
        stmt = stmt.where(citizens.c.sex == f.sex)
    if f.born_from:
        stmt = stmt.where(citizens.c.date_of_birth >= f.born_from)
    if f.born_to:
        stmt = stmt.where(citizens.c.date_of_birth <= f.born_to)
    if f.alive is True:
        stmt = stmt.where(citizens.c.date_of_death.is_(None))
    elif f.alive is False:
        stmt = stmt.where(citizens.c.date_of_death.is_not(None))
    return stmt


ORDERS = {
    "PERSONAL_ID": [(citizens.c.pid, False)],
    "NAME": [(citizens.c.name_folded, False), (citizens.c.pid, False)],
    "DATE_OF_BIRTH": [(citizens.c.date_of_birth, False), (citizens.c.pid, False)],
}


async def citizens_page(
    store: Store,
    f: CitizenFilter,
    order: str,
    descending: bool,
    first: int | None,
    after: str | None,
    row_scope: Any,
) -> Page:
    """A page of citizens matching ``f`` within ``row_scope`` (a SQL condition from govgraph.auth.scope)."""
    keys = [(col, desc != descending) for col, desc in ORDERS[order]]
    return await paginate(store, _filtered(f).where(row_scope), keys, first, after)


async def citizens_where(store: Store, condition: Any, row_scope: Any) -> Sequence[Row[Any]]:
    """Citizens matching ``condition`` within ``row_scope``: one statement."""
    return await store.all(select(*CITIZEN_COLUMNS).where(condition).where(row_scope))


class PopulationLoaders:
    """Batched reads of the population store, one loader per batch query."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.citizen_by_pid: OneLoader[str, Row[Any]] = OneLoader(self._citizens)
        self.citizen_by_node_key: OneLoader[str, Row[Any]] = OneLoader(self._citizens_by_node_key)
        self.documents_by_pid: ManyLoader[str, Row[Any]] = ManyLoader(self._documents)
        self.children_by_pid: ManyLoader[str, Row[Any]] = ManyLoader(self._children)
        self.parents_by_pid: ManyLoader[str, Row[Any]] = ManyLoader(self._parents)

    async def _citizens(self, pids: Sequence[str]) -> dict[str, Row[Any]]:
        out: dict[str, Row[Any]] = {}
        for part in chunks(pids):
            rows = await self.store.all(select(*CITIZEN_COLUMNS).where(citizens.c.pid.in_(part)))
            out.update(index_one(rows, lambda r: r.pid))
        return out

    async def _citizens_by_node_key(self, keys: Sequence[str]) -> dict[str, Row[Any]]:
        out: dict[str, Row[Any]] = {}
        for part in chunks(keys):
            rows = await self.store.all(select(*CITIZEN_COLUMNS).where(citizens.c.node_key.in_(part)))
            out.update(index_one(rows, lambda r: r.node_key))
        return out

    async def _documents(self, pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        d = identity_documents.c
        rows = await self.store.all(select(identity_documents).where(d.pid.in_(pids)).order_by(d.pid, d.issued_on))
        return index_many(rows, lambda r: r.pid)

    async def _children(self, pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        link = parent_links.c
        stmt = (
            select(link.parent_pid.label("link_key"), *CITIZEN_COLUMNS)
            .join(citizens, citizens.c.pid == link.child_pid)
            .where(link.parent_pid.in_(pids))
            .order_by(link.parent_pid, citizens.c.date_of_birth)
        )
        return index_many(await self.store.all(stmt), lambda r: r.link_key)

    async def _parents(self, pids: Sequence[str]) -> dict[str, list[Row[Any]]]:
        link = parent_links.c
        stmt = (
            select(link.child_pid.label("link_key"), link.relation, *CITIZEN_COLUMNS)
            .join(citizens, citizens.c.pid == link.parent_pid)
            .where(link.child_pid.in_(pids))
            .order_by(link.child_pid, link.relation)
        )
        return index_many(await self.store.all(stmt), lambda r: r.link_key)


async def update_contact(conn: Any, pid: str, phone: str | None) -> bool:
    """Set a citizen's phone (None clears it) inside the caller's transaction; False if no such citizen."""
    result = await conn.execute(citizens.update().where(citizens.c.pid == pid).values(phone=phone))
    return bool(result.rowcount)
