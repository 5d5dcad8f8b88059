"""Redis pub/sub event bus: events published by any worker reach subscribers on every worker.

Publishing goes to Redis only; local delivery happens when the message comes back from Redis, so every
worker (this one included) sees each event exactly once. If Redis drops, the listener reconnects with
backoff, ``health()`` says so (``/readyz``), and local subscribers get an error on their stream (they may
have missed events) rather than hanging silently. While Redis is down, a committed change's events are
delivered to this worker's subscribers directly so that at least they are not lost here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from govgraph import observability
from govgraph.events import DEFAULT_QUEUE, Event, InProcessBus, Subscription, decode, encode

log = logging.getLogger("govgraph.events")

CHANNEL = "govgraph:events"


class RedisBus:
    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        self.url = url
        self.channel = channel
        self._local = InProcessBus()
        self._redis = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=None)
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._error: str | None = "not connected yet"
        self.reconnects = 0
        self.published = 0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="govgraph-redis-bus")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._connected.wait(), timeout=5)

    async def stop(self) -> None:
        self._local.interrupt_all("the server is shutting down")
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._redis.aclose()

    def health(self) -> str | None:
        return self._error

    async def _listen(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self._error = None
                self._connected.set()
                backoff = 0.1
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        # counted once by the worker that published it, not by every worker that delivers it
                        await self._local.deliver([decode(message["data"])])
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                was_up = self._error is None
                self._error = f"redis unavailable: {type(exc).__name__}; reconnecting"
                self._connected.clear()
                if was_up:
                    log.warning("event bus lost Redis (%s); reconnecting", type(exc).__name__)
                    self.reconnects += 1
                    self._local.interrupt_all("the event bus lost its Redis connection; events may be missed")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def publish(self, events: Iterable[Event]) -> None:
        batch = list(events)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in batch:
                    pipe.publish(self.channel, encode(event))
                await pipe.execute()
            self.published += len(batch)
            for event in batch:
                observability.event_published(event.topic)
                # This worker's listeners hear its own writes now, not when Redis echoes them (then again).
                self._local.notify(event)
        except (RedisError, OSError):
            log.warning("could not publish %d event(s) to Redis; delivering to this worker only", len(batch))
            await self._local.publish(batch)

    def subscribe(self, prefixes: Iterable[str], maxsize: int = DEFAULT_QUEUE) -> Subscription:
        return self._local.subscribe(prefixes, maxsize)

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        self._local.add_listener(listener)

    def notify(self, event: Event) -> None:
        self._local.notify(event)

    @property
    def subscribers(self) -> int:
        return self._local.subscribers
