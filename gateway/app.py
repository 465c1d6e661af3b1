"""The Starlette application: /graphql (+ GraphiQL, gateway/ide/), /dashboard, /healthz, /readyz.

The lifespan owns every resource — the store's pool and the partner adapters — and closes them.
Nothing contacts a partner at start-up, so a partner that is down never stops the gateway.
In front of /graphql: the load shedder (gateway/shedding.py), then authentication, then the
request guard (gateway/limits/guard.py), then the view.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gateway.adapters.registry import build_adapters, close_adapters
from gateway.adapters.resilience import PartnerPolicy
from gateway.auth.access import Access
from gateway.auth.identity import Authenticator
from gateway.auth.policy import Policy
from gateway.auth.principal import ANONYMOUS
from gateway.context import Context, Services, make_context
from gateway.db.store import Store, reaching_store
from gateway.errors import Unauthenticated
from gateway.health import healthz, readyz
from gateway.ide import Ide
from gateway.limits import LimitedView, Limits, RequestGuard
from gateway.limits.extension import SCOPE_LIMITS
from gateway.onboard.live import DefinitionWatcher
from gateway.resolvers.fetch import MAX_STALENESS_HEADER, max_staleness
from gateway.schema import schema
from gateway.settings import Settings
from gateway.shedding import LoadShedder
from gateway.subscriptions import (
    CLOSE_POLICY_VIOLATION,
    CREDENTIALS,
    CURRENT_SERVICES,
    SCOPE_SOCKET,
    SCOPE_TRUSTED,
    Listener,
    Occupancy,
    Socket,
    SocketLimits,
    TransportWS,
    credentials,
)
from gateway.sync.scheduler import SyncScheduler
from gateway.views.config import BriefConfig
from gateway.views.dashboard import Dashboard


class GraphQLApp(LimitedView):
    graphql_transport_ws_handler_class = TransportWS  # coded limits, trusted documents

    def __init__(self, services: dict[str, Services], *, ide: Ide,
                 max_subscriptions: int = 10) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide.enabled else None,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
                         max_subscriptions_per_connection=max_subscriptions)
        self._services, self._ide = services, ide

    async def render_graphql_ide(self, request: Request) -> Response:
        return await self._ide.page(request)  # ours: served offline, with example tabs

    async def get_context(self, request: Any, response: Any) -> Context:
        services = self._services["current"]
        principal = request.scope.get("juheli.principal", ANONYMOUS)
        with reaching_store():
            policy = await services.auth.policy() if services.auth else Policy()
        context = make_context(services, request, response, Access(principal, policy))
        context.max_staleness_s = max_staleness(request.headers.get(MAX_STALENESS_HEADER))
        return context

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def on_ws_connect(self, context: Context) -> Any:
        """A websocket's `connection_init`: the caller resolved as `Authenticated` resolves an
        HTTP request's; bad credentials close the socket with 4403 (docs/subscriptions.md)."""
        services, request = context.services, context.request
        headers = credentials(request.headers if request else {}, context.connection_params)
        if services.auth is not None:
            try:
                with reaching_store():
                    principal = await services.auth.principal(headers)
            except Unauthenticated as exc:
                raise ConnectionRejectionError(dict(exc.extensions)) from exc
            context.access = Access(principal, context.access.policy)
        socket: Socket | None = request.scope.get(SCOPE_SOCKET) if request else None
        if socket is not None:  # the rate limit and the agency's cap: SocketRefused, a close
            await socket.admit(context.access.principal)
        context.extra[CREDENTIALS] = headers  # each event authenticates again
        context.extra[CURRENT_SERVICES] = lambda: self._services["current"]  # and reads anew
        return await super().on_ws_connect(context)


class WebSocketLimits:
    """The websocket side of /graphql: the request limits and the trusted documents in the
    scope, where the HTTP guard puts them for a request, so a subscription is held to the same
    depth, cost, size and document rules (`LimitsExtension`, gateway/subscriptions/); and the
    socket's own limits (`Socket`: the guard's rate limit, this process's caps, a message
    budget). A client address already holding `max_pending_connections` sockets that have not
    sent their `connection_init` is refused before the handshake is accepted (HTTP 403)."""

    def __init__(self, app: ASGIApp, guard: RequestGuard, limits: SocketLimits) -> None:
        self.app, self.guard, self.limits = app, guard, limits
        self.occupancy = Occupancy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        socket = Socket(scope, self.limits, self.occupancy, self.guard.limiter)
        if not socket.enter():
            await WebSocket(scope, receive, send).close(code=CLOSE_POLICY_VIOLATION)
            return
        try:
            await self.app({**scope, SCOPE_LIMITS: self.guard.limits,
                            SCOPE_TRUSTED: self.guard.documents, SCOPE_SOCKET: socket},
                           receive, send)
        finally:
            socket.leave()


class Authenticated:
    """Resolves the caller before GraphQL runs: bad credentials are a 401 with a coded error,
    and no resolver ever runs for them."""

    def __init__(self, app: ASGIApp, services: dict[str, Services]) -> None:
        self.app, self._services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = self._services.get("current")
        if services is not None and services.auth is not None:
            try:
                with reaching_store():  # unreachable: a 503 from the shedder, not a bare 500
                    scope["juheli.principal"] = await services.auth.principal(
                        Request(scope).headers)
            except Unauthenticated as exc:
                response = JSONResponse(
                    {"errors": [{"message": str(exc), "extensions": exc.extensions}]},
                    status_code=401, headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def resolve_store_uri(settings: Settings) -> str:
    """The store's libpq URI: DATABASE_URL, or a database in the embedded server."""
    if settings.database_url:
        return settings.database_url
    import asyncio

    from gateway.db.embedded import start_embedded, with_database
    from gateway.db.migrate import ensure_database

    admin = await asyncio.to_thread(start_embedded, settings.data_dir / "pg")
    await ensure_database(admin, "juheli")
    return with_database(admin, "juheli")


async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def create_app(
    settings: Settings | None = None,
    *,
    store_uri: str | None = None,
    partners: Mapping[str, Mapping[str, Any]] | None = None,
    ide: bool = True,
) -> Starlette:
    settings = settings or Settings()
    holder: dict[str, Services] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        uri = store_uri or await resolve_store_uri(settings)
        store = await Store.open(uri, max_size=settings.pool_max)
        config = partners if partners is not None else settings.partners
        policy = PartnerPolicy.from_settings(settings)  # timeouts, retries, breakers
        # Bodies onboarded by definition file (gateway/onboard/): built with the code
        # partners, and swapped in place when a definition changes.
        watcher = DefinitionWatcher(store.pool, holder, config, policy=policy,
                                    interval_s=settings.definitions_poll_s,
                                    grace_s=settings.request_deadline_ms / 1000 + 2,
                                    on_swap=lambda swapped: setattr(app.state, "services",
                                                                    swapped))
        adapters = await build_adapters(config, policy=policy,
                                        definitions=await watcher.prime())
        # One LISTEN connection per process: subscriptions hear what any process (or sync) wrote.
        events = Listener(uri, check_s=settings.events_check_s,
                          retention_h=settings.events_retention_h)
        await events.start()
        holder["current"] = Services(store, adapters, settings.request_deadline_ms,
                                     settings.partner_timeout_ms,
                                     Authenticator(store.pool, settings),
                                     stale_fallback=settings.stale_fallback,
                                     stale_max_age_s=settings.stale_max_age_s or None,
                                     brief=BriefConfig.from_settings(settings),
                                     events=events)
        app.state.services = holder["current"]
        await guard.start(store.pool)
        watcher.start()
        app.state.definitions = watcher
        # Sync and link on a schedule when asked (JUHELI_SYNC_INTERVAL_S): the link index
        # stays warm in this process, so what a sync changed is linked in about a second.
        scheduler = SyncScheduler(
            store.pool, partners if partners is not None else settings.partners,
            interval_s=settings.sync_interval_s, thresholds=settings.link_thresholds)
        scheduler.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            await scheduler.stop()
            await watcher.stop()
            await events.stop()
            await guard.stop()
            await close_adapters(holder["current"].adapters)  # the set in force at the end
            await store.close()

    limits = Limits.from_settings(settings)  # query limits, trusted documents, rate limits
    # GraphiQL, offline (gateway/ide/); the brief's tab asks for the days up to today there.
    ide_pages = Ide(enabled=ide and not limits.production,
                    today=BriefConfig.from_settings(settings).today)
    graphql = GraphQLApp(holder, ide=ide_pages, max_subscriptions=settings.max_subscriptions)
    guard = RequestGuard(graphql, limits, redis_url=settings.redis_url, ide=ide)
    shedder = LoadShedder(Authenticated(guard, holder), limit=settings.max_in_flight,
                          retry_after_s=settings.retry_after_s)
    routes = [
        Route("/", lambda request: RedirectResponse("/graphql")),
        # Every method reaches the guard, which answers the others with a coded 405.
        Route("/graphql", shedder),
        # Subscriptions over graphql-transport-ws (docs/subscriptions.md); credentials come with
        # connection_init, so the HTTP authentication and guard do not stand in front.
        WebSocketRoute("/graphql", WebSocketLimits(graphql, guard,
                                                   SocketLimits.from_settings(settings))),
        Route("/healthz", healthz),
        Route("/readyz", readyz(lambda: holder.get("current"), shedder,
                                timeout_s=settings.ready_probe_ms / 1000)),
        Route("/metrics", metrics),  # Prometheus: partner calls, retries, breakers
        *ide_pages.routes,
        # The brief in a browser; it asks /graphql (this same stack) as the logged-in viewer.
        *Dashboard(shedder, guard=guard, timezone=settings.timezone,
                   secret=settings.dashboard_secret).routes,
    ]
    return Starlette(routes=routes, lifespan=lifespan)
