"""The audit store: an append-only trail of staff reads of personal data (who, role, purpose, whose record,
which fields, when, request id). Nothing in the API updates or deletes it; a citizen reads their own entries
(`me { accessLog }`) and admins search it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, DateTime, Index, Integer, MetaData, String, Table, Text, select

from govgraph.datasources.base import Page, Store, paginate

metadata = MetaData()

access_log = Table(
    "access_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False, comment="token sub of the reader"),
    Column("actor_role", String(16), nullable=False),
    Column("actor_unit", String(32), nullable=True, comment="unit claim: a unit code, or an agency code"),
    Column("purpose", Text, nullable=False),
    Column("subject_pid", String(12), nullable=True, comment="whose personal data was read"),
    Column("record", String(80), nullable=False, comment="type and node key of the record"),
    Column("fields", Text, nullable=False, comment="comma-separated Type.field names"),
    Column("request_id", String(64), nullable=True),
    Column("operation", String(64), nullable=True),
    Index("ix_access_log_subject", "subject_pid", "at"),
    Index("ix_access_log_actor", "actor", "at"),
)


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    subject_pid: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


async def append(store: Store, rows: Sequence[dict[str, Any]]) -> None:
    """Append entries (one statement); the only write this store ever sees."""
    if rows:
        # COPY on PostgreSQL (a staff list audits a hundred reads per request), executemany on SQLite.
        await store.bulk_insert(access_log, rows, columns=list(rows[0]))


async def entries_page(store: Store, f: AuditFilter, first: int | None, after: str | None) -> Page:
    c = access_log.c
    stmt = select(access_log)
    if f.actor:
        stmt = stmt.where(c.actor == f.actor)
    if f.subject_pid:
        stmt = stmt.where(c.subject_pid == f.subject_pid)
    if f.since:
        stmt = stmt.where(c.at >= f.since)
    if f.until:
        stmt = stmt.where(c.at <= f.until)
    return await paginate(store, stmt, [(c.at, True), (c.id, True)], first, after)
