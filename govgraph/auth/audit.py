"""Collects the personal-data reads of one request and appends them to the audit store when it ends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from govgraph.auth.rules import Subject

if TYPE_CHECKING:
    from govgraph.context import Context


class PurposeRequired(Exception):
    """A staff read of another person's personal data without a stated purpose."""


@dataclass
class AuditLog:
    reads: dict[tuple[str, str | None], set[str]] = field(default_factory=dict)

    def record(self, subject: Subject, field_key: str) -> None:
        self.reads.setdefault((subject.record, subject.owner), set()).add(field_key)

    def rows(self, ctx: Context, operation: str | None, request_id: str | None) -> list[dict[str, Any]]:
        now = dt.datetime.now(dt.UTC)
        p = ctx.principal
        return [
            {
                "at": now,
                "actor": p.subject,
                "actor_role": p.role.value,
                "actor_unit": p.unit,
                "purpose": ctx.purpose or "",
                "subject_pid": owner,
                "record": record,
                "fields": ",".join(sorted(fields)),
                "request_id": request_id,
                "operation": operation,
            }
            for (record, owner), fields in sorted(self.reads.items(), key=lambda kv: kv[0][0])
        ]


async def flush(ctx: Context, operation: str | None) -> None:
    """Append what was read so far to the audit store (end of a request, or after each subscription event)."""
    if not ctx.audit.reads:
        return
    from govgraph.datasources import audit as audit_ds
    from govgraph.observability.logs import request_id

    rows = ctx.audit.rows(ctx, operation, request_id.get())
    ctx.audit.reads.clear()
    await audit_ds.append(ctx.stores.audit, rows)
