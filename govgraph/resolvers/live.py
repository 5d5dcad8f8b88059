"""Following the event bus for a subscription: bounded, authorised per event, ended by token expiry.

Every subscription resolver iterates :func:`follow`. For each event it gets fresh loaders (nothing cached from
an earlier event or shared with another subscriber), so the same row scoping and field rules as a query apply
to what it then yields. A subscriber whose queue overflows is dropped and its WebSocket closed with 4429; an
expired token ends the subscription with an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable, Iterable

from starlette.websockets import WebSocket

from govgraph import observability
from govgraph.auth import audit
from govgraph.context import Info
from govgraph.events import Event

log = logging.getLogger("govgraph.live")

SLOW_CONSUMER_CLOSE = 4429


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
