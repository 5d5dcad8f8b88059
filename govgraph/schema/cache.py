"""A response cache for repeated read-only queries (dashboards, public pages), emptied by the events of each write.

A city's screens ask the same few queries again and again; most answers change only when something is written.
An answer is kept when all of this holds:

* it came from a compiled plan (``govgraph/schema/compiled.py``) without an error;
* producing it recorded no audited read: a staff read of someone's personal data is audited on every request,
  so such answers are never served from here;
* the key matches: the document, the operation, the variables and *who asks* (role, subject, unit, school,
  domains, purpose): row scopes and field rules depend on them, so one caller never gets another's answer
  (the public schema's callers are all anonymous and share answers).

It is dropped when

* a write commits to a store it read: on this worker at once, before the mutation's answer is sent (every
  mutation tells the local listeners ``<store>.changed`` after commit, ``resolvers/mutation.py``); on the other
  workers when the write's events arrive (every event's topic starts with its store, and Redis delivers them to
  every worker), or else when the answer expires;
* it is older than the TTL (``GOVGRAPH_RESPONSE_CACHE_TTL`` seconds): what changes without an event (time-derived
  fields such as a dossier becoming overdue, writes made outside the API) is at most that old;
* the event bus is unhealthy or has reconnected (events may have been missed): everything is dropped and nothing
  is kept until it is healthy again.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from govgraph.events import Event, EventBus


@dataclass(slots=True)
class Cached:
    data: Any
    stores: frozenset[str]
    expires: float


class ResponseCache:
    """Per process; bounded (least recently used answers go first)."""

    def __init__(self, ttl: float, bus: EventBus, maxsize: int = 1024) -> None:
        self.ttl = ttl
        self.bus = bus
        self.maxsize = maxsize
        self.entries: OrderedDict[tuple[Any, ...], Cached] = OrderedDict()
        self._reconnects = getattr(bus, "reconnects", 0)
        bus.add_listener(self.on_event)

    def key(self, query: str, operation: str | None, variables: Any, context: Any) -> tuple[Any, ...] | None:
        """The cache key of a request, or None when it cannot be cached (variables that do not encode)."""
        try:
            encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS) if variables else b""
        except TypeError:
            return None
        p = context.principal
        who = (p.role, p.subject, p.unit, p.school, p.domains, p.authenticated, context.purpose)
        return (query, operation, encoded, who)

    def _trusted(self) -> bool:
        """Invalidation can be trusted: the bus is healthy and has not reconnected (events may be lost)."""
        reconnects = getattr(self.bus, "reconnects", 0)
        if self.bus.health() is not None or reconnects != self._reconnects:
            self._reconnects = reconnects
            self.entries.clear()
            return False
        return True

    def get(self, key: tuple[Any, ...]) -> Any | None:
        if not self._trusted():
            return None
        found = self.entries.get(key)
        if found is None:
            return None
        if found.expires <= time.monotonic():
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return found.data

    def put(self, key: tuple[Any, ...], data: Any, stores: frozenset[str]) -> None:
        if not self._trusted():
            return
        self.entries[key] = Cached(data, stores, time.monotonic() + self.ttl)
        self.entries.move_to_end(key)
        while len(self.entries) > self.maxsize:
            self.entries.popitem(last=False)

    def on_event(self, event: Event) -> None:
        """A committed change: drop every answer that read the event's store."""
        store = event.topic.split(".", 1)[0]
        stale = [key for key, cached in self.entries.items() if store in cached.stores]
        for key in stale:
            del self.entries[key]
