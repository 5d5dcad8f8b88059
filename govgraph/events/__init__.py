"""The event bus: committed changes are published here, after commit, never before.

In-process by default. The interface (``publish`` / ``subscribe``) is what a Redis pub/sub implementation
takes for several workers. A subscriber gets a bounded queue: one that does not keep up is dropped (its
iterator ends with ``SlowConsumer``) instead of letting memory grow without bound.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_QUEUE = 1000


@dataclass(frozen=True)
class Event:
    """A committed change. ``topic`` is ``<store>.<thing>.<verb>``, e.g. ``services.dossier.status_changed``."""

    topic: str
    payload: dict[str, Any]
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class SlowConsumer(Exception):
    """The subscriber's queue overflowed; it was dropped."""


class EventBus(Protocol):
    async def publish(self, events: Iterable[Event]) -> None: ...

    def subscribe(self, prefixes: Iterable[str], maxsize: int = DEFAULT_QUEUE) -> Subscription: ...


class Subscription:
    """One subscriber's bounded queue of events whose topic starts with one of its prefixes."""

    _ids = itertools.count(1)

    def __init__(self, bus: InProcessBus, prefixes: Iterable[str], maxsize: int) -> None:
        self.id = next(self._ids)
        self.prefixes = tuple(prefixes)
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=maxsize)
        self.dropped = False
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
                yield event
        finally:
            self.close()


class InProcessBus:
    """Delivers events to subscribers in this process."""

    def __init__(self) -> None:
        self._subs: dict[int, Subscription] = {}
        self.published = 0

    async def publish(self, events: Iterable[Event]) -> None:
        for event in events:
            self.published += 1
            for sub in list(self._subs.values()):
                if sub.wants(event.topic):
                    sub.offer(event)

    def subscribe(self, prefixes: Iterable[str], maxsize: int = DEFAULT_QUEUE) -> Subscription:
        sub = Subscription(self, prefixes, maxsize)
        self._subs[sub.id] = sub
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.pop(sub.id, None)

    @property
    def subscribers(self) -> int:
        return len(self._subs)
