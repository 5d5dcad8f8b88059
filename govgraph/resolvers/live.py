"""Following the event bus for a subscription: bounded, authorised per event, ended by token expiry.

Every subscription resolver iterates :func:`follow`. For each event it gets fresh loaders (nothing cached from
an earlier event or shared with another subscriber), so the same row scoping and field rules as a query apply
to what it then yields. A subscriber whose queue overflows is dropped and its WebSocket closed with 4429; an
expired token ends the subscription with an error.

**Shared per-event loads (fan-out).** Public data that is the same for every reader is loaded once per event in
this process and shared by all its subscribers (:func:`load_shared`): the first subscriber that needs it starts
the load as a task of its own, the others await that task, and each subscriber's own fresh loader is then
primed with the result, so its nested fields that ask for the same key reuse it. The rows live on the event
object (``Event.shared``) and go with it: nothing is kept across events, so every event still reads the store
anew, and the cache cannot grow. The loads shared are exactly these:

- ``readingAdded``: the station row, and the readings the event stored (when the subscriber asks for them);
- ``aqiUpdated``: the station row and its latest hourly AQI;
- ``environmentAlert``: the alert row and its station row;
- ``parkingAvailabilityChanged``: the facility row, its availability (capacity, occupied, free) and its spaces
  (number, and the id of the open session on it) when asked.

This is safe because these rows hold no personal data and are not row-scoped: the environment store is public
(any signed-in role may follow it, and the public schema publishes it), and a facility, its counts and its
spaces are what every subscriber of availability receives. Nothing in them depends on who is asking, so one
load serves all. What does depend on the subscriber still runs per subscriber on the shared object: the
event filters (``match``), the role check at subscribe time, and every nested field through the subscriber's
own loaders and the policy table (a space's current session, for instance, is loaded within the subscriber's
row scope: a parking officer of the unit sees it, a stranger gets null). Personal data is never shared:
the subscriptions on dossiers, civil registrations, complaints and grades reload their objects per subscriber
with fresh, scoped loaders, as a query would.

A failed shared load fails the same way for every subscriber of that event (as if each had loaded it), and a
subscriber that goes away mid-load does not cancel it for the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable
from typing import Any, TypeVar

from aiodataloader import DataLoader
from starlette.websockets import WebSocket
from strawberry.types.nodes import SelectedField, Selection

from govgraph import observability
from govgraph.auth import audit
from govgraph.context import Info
from govgraph.events import Event

log = logging.getLogger("govgraph.live")

SLOW_CONSUMER_CLOSE = 4429

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TokenExpired(Exception):
    """The subscriber's token expired: the subscription ends; reconnect with a fresh token."""


async def _close(ws: WebSocket, reason: str) -> None:
    with contextlib.suppress(Exception):  # the client may already be gone, or strawberry closing it
        await ws.close(code=SLOW_CONSUMER_CLOSE, reason=reason)


async def follow(
    info: Info, prefixes: Iterable[str], match: Callable[[Event], bool] = lambda e: True
) -> AsyncIterator[Event]:
    ctx = info.context
    sub = ctx.bus.subscribe(prefixes, maxsize=ctx.settings.ws_queue)
    ws = ctx.request if isinstance(ctx.request, WebSocket) else None
    if ws is not None:
        reason = f"slow consumer: more than {ctx.settings.ws_queue} events waiting"

        def drop() -> None:
            # Several subscriptions of one connection may overflow together: close the socket once.
            if ws.scope.get("govgraph.slow_consumer_close") is None:
                ws.scope["govgraph.slow_consumer_close"] = asyncio.get_running_loop().create_task(_close(ws, reason))

        sub.on_drop = drop
    events = aiter(sub)
    observability.subscription_started()
    try:
        while True:
            expires = ctx.principal.expires_at
            timeout = None if expires is None else (expires - dt.datetime.now(dt.UTC)).total_seconds()
            if timeout is not None and timeout <= 0:
                raise TokenExpired("The token expired: subscribe again with a fresh token")
            try:
                event = await asyncio.wait_for(anext(events), timeout=timeout)
            except TimeoutError:
                raise TokenExpired("The token expired: subscribe again with a fresh token") from None
            except StopAsyncIteration:
                return
            if match(event):
                ctx.reset_loaders()
                yield event
                # The previous event's fields have been read: its staff reads of personal data go to the audit
                # store now, not when the subscription ends.
                await audit.flush(ctx, info.field_name)
    finally:
        observability.subscription_ended()
        sub.close()
        try:
            await audit.flush(ctx, info.field_name)
        except Exception:  # the stream is over; never lose the error silently
            log.exception("could not write the audit entries of an ended subscription")


def _observe(task: asyncio.Future[Any]) -> None:
    """Mark a shared load's failure as seen: its awaiters (if any are left) get it; none is logged as lost."""
    if not task.cancelled():
        task.exception()


async def share(event: Event, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
    """``load()`` once for ``event`` in this process, whoever asks first; every caller gets its result (or its
    error). Only for data that is the same for every subscriber (see the module docstring).

    The load runs as a task of its own and callers await it shielded, so a subscriber cancelled while waiting
    (its client went away) does not cancel the load for the others."""
    task = event.shared.get(key)
    if task is None:
        task = event.shared[key] = asyncio.ensure_future(load())
        task.add_done_callback(_observe)
    result: V = await asyncio.shield(task)
    return result


async def load_shared(event: Event, name: Hashable, loader: DataLoader[K, V], key: K) -> V:
    """``loader.load(key)`` once for ``event`` in this process (``name`` tells the loader and its arguments
    apart), then primed into ``loader`` (this subscriber's own, fresh for the event), so nested fields that ask
    for the same key reuse the shared value. ``loader`` must be unscoped and read no personal data."""

    async def load() -> V:
        return await loader.load(key)

    value = await share(event, (name, key), load)
    loader.prime(key, value)
    return value


def asks(info: Info, name: str) -> bool:
    """Whether the subscription's selection names the field ``name`` (as spelled in GraphQL) directly under
    its root field, fragments included. Directives are not evaluated: a skipped field still counts (at worst,
    one shared load that nobody reads)."""

    def within(selections: list[Selection]) -> bool:
        for s in selections:
            if isinstance(s, SelectedField):
                if s.name == name:
                    return True
            elif within(s.selections):  # an inline fragment or a fragment spread: its fields are the root's
                return True
        return False

    return any(within(root.selections) for root in info.selected_fields)
