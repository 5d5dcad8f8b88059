"""Running a mutation: role check, one transaction in one store, idempotency, events after commit.

A domain mutation resolver calls :func:`run_mutation` with a ``work(tx)`` coroutine that makes its changes
on ``tx.conn`` (inside the transaction), queues events with ``tx.emit``, raises :class:`UserInputError` for
expected failures (they roll everything back and become ``userErrors``), and returns the key of the object the
payload shows. Idempotency-Key (HTTP header, or an ``idempotencyKey`` input field) makes a retry return the
first result without changing anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from govgraph.context import Info
from govgraph.events import Event
from govgraph.schema.common import UserError

MAX_KEY = 200


class UserInputError(Exception):
    """An expected failure the user can fix: becomes ``userErrors`` in the payload; nothing is written."""

    def __init__(self, message: str, field: Sequence[str] | None = None, code: str = "INVALID") -> None:
        super().__init__(message)
        self.errors = [UserError(field=list(field) if field else None, message=message, code=code)]

    @classmethod
    def many(cls, errors: list[UserError]) -> UserInputError:
        exc = cls(errors[0].message, errors[0].field, errors[0].code)
        exc.errors = errors
        return exc


@dataclass
class Tx:
    """What ``work`` gets: the open transaction and a list of events to publish once it commits."""

    conn: AsyncConnection
    now: dt.datetime
    events: list[Event] = field(default_factory=list)

    def emit(self, topic: str, **payload: Any) -> None:
        self.events.append(Event(topic, payload, self.now))


@dataclass
class Outcome:
    key: str | None
    errors: list[UserError]
    replayed: bool = False


class _Replay(Exception):
    pass


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def fingerprint(operation: str, input: Any) -> str:
    raw = json.dumps({"op": operation, "input": _plain(input)}, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def idempotency_key(info: Info, input: Any) -> str | None:
    key = getattr(input, "idempotency_key", None)
    if not key and info.context.request is not None:
        key = info.context.request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= MAX_KEY):
        raise UserInputError(f"An idempotency key has 1 to {MAX_KEY} characters", ["idempotencyKey"], "INVALID")
    return key or None


def _stored(result: dict[str, Any]) -> Outcome:
    errors = [UserError(field=e.get("field"), message=e["message"], code=e["code"]) for e in result.get("errors", [])]
    return Outcome(result.get("key"), errors, replayed=True)


async def run_mutation(
    info: Info,
    *,
    store: str,
    operation: str,
    input: Any,
    work: Callable[[Tx], Awaitable[str]],
) -> Outcome:
    """Run ``work`` in one transaction of ``store``; publish its events after commit.

    Role checks happen before this is called (``govgraph.auth.roles.require``).
    """
    ctx = info.context
    s = ctx.stores[store]
    table = s.idempotency
    try:
        key = idempotency_key(info, input)
    except UserInputError as exc:
        return Outcome(None, exc.errors)
    # Stored hashed: the table must not become a list of who filed what (e.g. a denouncer's personal ID).
    subject = hashlib.sha256(f"govgraph-idempotency:{ctx.principal.subject}".encode()).hexdigest()
    fp = fingerprint(operation, input) if key else ""

    async def replay() -> Outcome:
        row = (await s.all(select(table).where(table.c.subject == subject, table.c.key == key)))[0]
        if row.operation != operation or row.fingerprint != fp:
            return Outcome(
                None,
                [
                    UserError(
                        field=["idempotencyKey"],
                        code="IDEMPOTENCY_KEY_REUSED",
                        message="This idempotency key was used for a different request",
                    )
                ],
            )
        return _stored(row.result)

    if key and await s.scalar(select(table.c.key).where(table.c.subject == subject, table.c.key == key)):
        return await replay()
    now = dt.datetime.now(dt.UTC)
    try:
        async with s.begin() as conn:
            if key:
                # Claim the key first: a concurrent request with the same key waits here, then fails.
                claim = table.insert().values(
                    subject=subject, key=key, operation=operation, fingerprint=fp, result={}, created_at=now
                )
                try:
                    await conn.execute(claim)
                except IntegrityError as exc:
                    raise _Replay from exc
            tx = Tx(conn, now)
            result_key = await work(tx)
            if key:
                await conn.execute(
                    update(table)
                    .where(table.c.subject == subject, table.c.key == key)
                    .values(result={"key": result_key, "errors": []})
                )
    except _Replay:
        return await replay()
    except UserInputError as exc:
        return Outcome(None, exc.errors)
    await ctx.bus.publish(tx.events)
    # This worker's response cache drops what read this store now, whether the work had events to tell or not
    # (other workers drop it on the events, or when it expires).
    ctx.bus.notify(Event(f"{store}.changed", {}, now))
    return Outcome(result_key, [])
