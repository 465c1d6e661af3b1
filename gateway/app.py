"""The Starlette application: /graphql (+ GraphiQL), /healthz, /readyz.

The lifespan owns every resource — the store's pool and the partner adapters — and closes them.
Nothing contacts a partner at start-up, so a partner that is down never stops the gateway.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.adapters.registry import build_adapters, close_adapters
from gateway.auth.access import Access
from gateway.auth.identity import Authenticator
from gateway.auth.policy import Policy
from gateway.auth.principal import ANONYMOUS
from gateway.context import Context, Services, make_context
from gateway.db.store import Store
from gateway.errors import Unauthenticated
from gateway.limits import LimitedView, Limits, RequestGuard
from gateway.schema import schema
from gateway.settings import Settings


class GraphQLApp(LimitedView):
    def __init__(self, services: dict[str, Services], *, ide: bool) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide else None)
        self._services = services

    async def get_context(self, request: Any, response: Any) -> Context:
        services = self._services["current"]
        principal = request.scope.get("juheli.principal", ANONYMOUS)
        policy = await services.auth.policy() if services.auth else Policy()
        return make_context(services, request, response, Access(principal, policy))

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


class Authenticated:
    """Resolves the caller before GraphQL runs: bad credentials are a 401 with a coded error,
    and no resolver ever runs for them."""

    def __init__(self, app: ASGIApp, services: dict[str, Services]) -> None:
        self.app, self._services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = self._services.get("current")
        if services is not None and services.auth is not None:
            try:
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
        adapters = await build_adapters(
            partners if partners is not None else settings.partners,
            timeout_ms=settings.partner_timeout_ms,
        )
        holder["current"] = Services(store, adapters, settings.request_deadline_ms,
                                     settings.partner_timeout_ms,
                                     Authenticator(store.pool, settings))
        app.state.services = holder["current"]
        await guard.start(store.pool)
        try:
            yield
        finally:
            await guard.stop()
            await close_adapters(adapters)
            await store.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        services = holder.get("current")
        if services is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        try:
            await services.store.fetch("SELECT 1")
        except Exception as exc:  # any store failure means not ready; say which
            return JSONResponse({"status": "store unreachable", "detail": str(exc)}, 503)
        # Partners are reported, not required: the gateway serves what it can.
        return JSONResponse({"status": "ready", "partners": sorted(services.adapters)})

    limits = Limits.from_settings(settings)  # query limits, trusted documents, rate limits
    graphql = GraphQLApp(holder, ide=ide and not limits.production)
    guard = RequestGuard(graphql, limits, redis_url=settings.redis_url, ide=ide)
    routes = [
        Route("/", lambda request: RedirectResponse("/graphql")),
        # Every method reaches the guard, which answers the others with a coded 405.
        Route("/graphql", Authenticated(guard, holder)),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
