"""The event bus: committed changes are published here, after commit, never before.

In-process by default. The interface (``publish`` / ``subscribe``) is what a Redis pub/sub implementation
takes for several workers. A subscriber gets a bounded queue: one that does not keep up is dropped (its
iterator ends with ``SlowConsumer``) instead of letting memory grow without bound.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from govgraph import observability

DEFAULT_QUEUE = 1000


@dataclass(frozen=True)
class Event:
    """A committed change. ``topic`` is ``<store>.<thing>.<verb>``, e.g. ``services.dossier.status_changed``."""

    topic: str
    payload: dict[str, Any]
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    shared: dict[Hashable, asyncio.Future[Any]] = field(default_factory=dict, compare=False, repr=False)
    """What this process's subscribers of this event load once and share (``govgraph.resolvers.live.share``):
    non-personal, unscoped rows only. Not sent over Redis (each worker fills its own), and it lives and dies
    with the event object, so it holds one event's rows at most and never grows across events."""


class SlowConsumer(Exception):
    """The subscriber's queue overflowed; it was dropped."""


class BusInterrupted(Exception):
    """The event bus lost its connection (e.g. Redis went away); events may have been missed."""


@dataclass(frozen=True)
class _Interrupt:
    reason: str


class EventBus(Protocol):
    async def publish(self, events: Iterable[Event]) -> None: ...

    def subscribe(self, prefixes: Iterable[str], maxsize: int = DEFAULT_QUEUE) -> Subscription: ...

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener`` synchronously with every event this worker delivers (the response cache)."""

    def notify(self, event: Event) -> None:
        """Tell this worker's listeners only (no subscriber, no other worker)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def health(self) -> str | None:
        """None when healthy, else what is wrong."""


class Subscription:
    """One subscriber's bounded queue of events whose topic starts with one of its prefixes."""

    _ids = itertools.count(1)

    def __init__(self, bus: InProcessBus, prefixes: Iterable[str], maxsize: int) -> None:
        self.id = next(self._ids)
        self.prefixes = tuple(prefixes)
        self.queue: asyncio.Queue[Event | _Interrupt | None] = asyncio.Queue(maxsize=maxsize)
        self.dropped = False
        self.on_drop: Callable[[], None] | None = None
        """Called once when the subscriber is dropped as a slow consumer (e.g. to close its socket)."""
        self._bus = bus

    def wants(self, topic: str) -> bool:
        return any(topic.startswith(p) for p in self.prefixes)

    def offer(self, event: Event) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            self._bus.unsubscribe(self)
            # make room for the end marker so the reader wakes up and learns it was dropped
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(None)
            if self.on_drop is not None:
                self.on_drop()

    def interrupt(self, reason: str) -> None:
        """Tell the reader the bus failed: its iterator raises BusInterrupted (after what is queued)."""
        self._bus.unsubscribe(self)
        try:
            self.queue.put_nowait(_Interrupt(reason))
        except asyncio.QueueFull:
            self.queue.get_nowait()
            self.queue.put_nowait(_Interrupt(reason))

    def close(self) -> None:
        self._bus.unsubscribe(self)

    async def __aiter__(self) -> AsyncIterator[Event]:
        try:
            while True:
                event = await self.queue.get()
                if event is None:
                    if self.dropped:
                        raise SlowConsumer("the subscriber did not keep up and was dropped")
                    return
                if isinstance(event, _Interrupt):
                    raise BusInterrupted(event.reason)
                observability.event_delivered(event.at)
                yield event
        finally:
            self.close()


class InProcessBus:
    """Delivers events to subscribers in this process."""

    def __init__(self) -> None:
        self._subs: dict[int, Subscription] = {}
        self._listeners: list[Callable[[Event], None]] = []
        self.published = 0

    async def publish(self, events: Iterable[Event]) -> None:
        batch = list(events)
        for event in batch:
            observability.event_published(event.topic)
        await self.deliver(batch)

    async def deliver(self, events: Iterable[Event]) -> None:
        """Hand events to this process's subscribers (what ``publish`` does after counting them)."""
        for event in events:
            self.published += 1
            self.notify(event)
            for sub in list(self._subs.values()):
                if sub.wants(event.topic):
                    sub.offer(event)

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        self._listeners.append(listener)

    def notify(self, event: Event) -> None:
        """Tell the listeners (synchronous, before any subscriber runs)."""
        for listener in self._listeners:
            listener(event)

    def subscribe(self, prefixes: Iterable[str], maxsize: int = DEFAULT_QUEUE) -> Subscription:
        sub = Subscription(self, prefixes, maxsize)
        self._subs[sub.id] = sub
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.pop(sub.id, None)

    def interrupt_all(self, reason: str) -> None:
        for sub in list(self._subs.values()):
            sub.interrupt(reason)

    async def start(self) -> None:
        """Nothing to connect to in-process."""

    async def stop(self) -> None:
        self.interrupt_all("the server is shutting down")

    def health(self) -> str | None:
        return None

    @property
    def subscribers(self) -> int:
        return len(self._subs)


def encode(event: Event) -> bytes:
    return json.dumps({"topic": event.topic, "payload": event.payload, "at": event.at.isoformat()}).encode()


def decode(raw: bytes | str) -> Event:
    data = json.loads(raw)
    return Event(data["topic"], data["payload"], dt.datetime.fromisoformat(data["at"]))


def make_bus(redis_url: str | None, channel: str | None = None) -> EventBus:
    """In-process unless a Redis URL is configured (GOVGRAPH_REDIS_URL; channel: GOVGRAPH_REDIS_CHANNEL)."""
    if redis_url:
        from govgraph.events.redis import CHANNEL, RedisBus

        return RedisBus(redis_url, channel or CHANNEL)
    return InProcessBus()
