"""The per-request context: who is asking, the stores, and fresh DataLoaders (never shared across requests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import unquote

import strawberry

from govgraph.auth.audit import AuditLog
from govgraph.auth.identity import Principal
from govgraph.config import Settings
from govgraph.datasources.base import QueryStats, Stores, batching
from govgraph.events import EventBus, InProcessBus

if TYPE_CHECKING:
    from govgraph.datasources.complaints import ComplaintsLoaders
    from govgraph.datasources.education import EducationLoaders
    from govgraph.datasources.environment import EnvironmentLoaders
    from govgraph.datasources.parking import ParkingLoaders
    from govgraph.datasources.population import PopulationLoaders
    from govgraph.datasources.registry import RegistryLoaders
    from govgraph.datasources.services import ServicesLoaders


T = TypeVar("T")


class Loaders:
    """One group of loaders per store, built on first use within one request. With ``batch=False``
    (GOVGRAPH_LOADERS=0) they run one statement per key."""

    def __init__(self, stores: Stores, batch: bool = True) -> None:
        self._stores = stores
        self._batch = batch

    @cached_property
    def population(self) -> PopulationLoaders:
        from govgraph.datasources.population import PopulationLoaders

        with batching(self._batch):
            return PopulationLoaders(self._stores["population"])

    @cached_property
    def registry(self) -> RegistryLoaders:
        from govgraph.datasources.registry import RegistryLoaders

        with batching(self._batch):
            return RegistryLoaders(self._stores["registry"])

    @cached_property
    def services(self) -> ServicesLoaders:
        from govgraph.datasources.services import ServicesLoaders

        with batching(self._batch):
            return ServicesLoaders(self._stores["services"])

    @cached_property
    def education(self) -> EducationLoaders:
        from govgraph.datasources.education import EducationLoaders

        with batching(self._batch):
            return EducationLoaders(self._stores["education"])

    @cached_property
    def parking(self) -> ParkingLoaders:
        from govgraph.datasources.parking import ParkingLoaders

        with batching(self._batch):
            return ParkingLoaders(self._stores["parking"])

    @cached_property
    def environment(self) -> EnvironmentLoaders:
        from govgraph.datasources.environment import EnvironmentLoaders

        with batching(self._batch):
            return EnvironmentLoaders(self._stores["environment"])

    @cached_property
    def complaints(self) -> ComplaintsLoaders:
        from govgraph.datasources.complaints import ComplaintsLoaders

        with batching(self._batch):
            return ComplaintsLoaders(self._stores["complaints"])


@dataclass
class Context:
    """What every resolver gets as ``info.context``."""

    stores: Stores
    principal: Principal
    bus: EventBus = field(default_factory=InProcessBus)
    request: Any = None
    response: Any = None
    stats: QueryStats = field(default_factory=QueryStats)
    report_stats: bool = False
    """Add ``extensions.queryStats`` to the response (GOVGRAPH_QUERY_STATS=1)."""
    connection_params: dict[str, Any] | None = None
    """The WebSocket connection_init payload (set by strawberry)."""
    settings: Settings = field(default_factory=Settings)
    audit: AuditLog = field(default_factory=AuditLog)
    """Staff reads of personal data in this request, appended to the audit store when it ends."""

    @property
    def purpose(self) -> str | None:
        """Why staff read personal data: the X-Purpose header (percent-encoded UTF-8, since HTTP headers are
        ASCII: ``Gi%E1%BA%A3i%20quy%E1%BA%BFt...``), else the token's `purpose` claim."""
        cached = self.__dict__.get("_purpose")
        if cached is not None and cached[0] is self.principal and cached[1] is self.request:
            return cached[2]  # type: ignore[no-any-return]  # asked once per personal field read: parse once
        headers = getattr(self.request, "headers", None)
        stated = unquote(headers.get("x-purpose") or "") if headers is not None else ""
        purpose = stated.strip()[:500] or self.principal.purpose
        self.__dict__["_purpose"] = (self.principal, self.request, purpose)
        return purpose

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.stores, batch=self.settings.loaders)

    def reset_loaders(self) -> None:
        """Fresh loaders (and caches): once per subscription event, so nothing is served stale or shared."""
        self.__dict__.pop("loaders", None)
        self.__dict__.pop("_scoped", None)

    @cached_property
    def _scoped(self) -> dict[str, Any]:
        return {}

    def scoped_loader(self, name: str, make: Callable[[], T]) -> T:
        """A loader that depends on who is asking (row scope), built once per request (or event)."""
        loader = self._scoped.get(name)
        if loader is None:
            with batching(self.settings.loaders):
                loader = self._scoped[name] = make()
        return cast("T", loader)


Info = strawberry.Info[Context, None]
