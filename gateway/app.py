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
from strawberry.asgi import GraphQL

from gateway.adapters.registry import build_adapters, close_adapters
from gateway.context import Context, Services, make_context
from gateway.db.store import Store
from gateway.schema import schema
from gateway.settings import Settings


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, services: dict[str, Services], *, ide: bool) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide else None)
        self._services = services

    async def get_context(self, request: Any, response: Any) -> Context:
        return make_context(self._services["current"], request, response)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


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
                                     settings.partner_timeout_ms)
        app.state.services = holder["current"]
        try:
            yield
        finally:
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

    graphql = GraphQLApp(holder, ide=ide)
    routes = [
        Route("/", lambda request: RedirectResponse("/graphql")),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
