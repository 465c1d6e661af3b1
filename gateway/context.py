"""Per-request context: the store, the adapters, this request's loaders and source report."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from gateway.adapters.base import Adapter
from gateway.auth.access import Access
from gateway.auth.identity import Authenticator
from gateway.auth.policy import Policy
from gateway.auth.principal import ANONYMOUS
from gateway.db.store import Store
from gateway.resolvers.loaders import Loaders
from gateway.resolvers.sources import SourcesReport
from gateway.subscriptions import Listener
from gateway.views.cache import SectionCache
from gateway.views.config import BriefConfig


@dataclass
class Services:
    """What the lifespan opens once per process and every request shares."""

    store: Store
    adapters: Mapping[str, Adapter]
    request_deadline_ms: int = 800
    partner_timeout_ms: int = 600
    auth: Authenticator | None = None
    stale_fallback: bool = True  # serve the last snapshot when a live read fails
    stale_max_age_s: float | None = None  # never serve an older snapshot (None: any age)
    brief: BriefConfig = field(default_factory=BriefConfig)  # the coordination brief's knobs
    brief_cache: SectionCache = field(default_factory=SectionCache)  # computed sections
    events: Listener | None = None  # the store's events, for subscriptions (None: none served)


@dataclass
class Context:
    services: Services
    loaders: Loaders
    sources: SourcesReport
    request: Request | None = None
    response: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    access: Access = field(default_factory=lambda: Access(ANONYMOUS, Policy()))
    # The request's X-Max-Staleness: no snapshot older than this many seconds (None: no bound).
    max_staleness_s: float | None = None
    # A websocket's connection_init payload (strawberry sets it; gateway/subscriptions/).
    connection_params: dict[str, Any] | None = None

    @property
    def store(self) -> Store:
        return self.services.store


def make_context(services: Services, request: Request | None = None, response: Any = None,
                 access: Access | None = None) -> Context:
    """A request's context. Without `access` the request is anonymous: it sees no household."""
    deadline = time.monotonic() + services.request_deadline_ms / 1000
    sources = SourcesReport()
    loaders = Loaders(services.store, services.adapters, sources, deadline=deadline,
                      partner_timeout=services.partner_timeout_ms / 1000)
    return Context(services, loaders, sources, request, response,
                   access=access or Access(ANONYMOUS, Policy()))
