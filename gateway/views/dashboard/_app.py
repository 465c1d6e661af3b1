"""The dashboard (/dashboard): a server-rendered page per request, every figure read through
GraphQL as the logged-in viewer (see _graphql.py). Login and logout live in _login.py; the
brief, its lists, exports and frozen briefs in _pages.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from gateway.limits.guard import RequestGuard
from gateway.views.dashboard import _login, _pages
from gateway.views.dashboard._assets import Assets
from gateway.views.dashboard._documents import DOCUMENTS
from gateway.views.dashboard._graphql import Answer, GraphQLClient, viewer_headers
from gateway.views.dashboard._messages import PURPOSES
from gateway.views.dashboard._period import TIMEZONE, today
from gateway.views.dashboard._session import Sessions, Viewer
from gateway.views.dashboard._web import environment, page, see_other, url


class Dashboard:
    """`graphql`: the ASGI app /graphql is served by (shedder → auth → guard → schema).
    `guard`: the request guard in it, whose trusted-document store takes the dashboard's
    documents in production. `secret`: what the session cookie is encrypted with, shared by
    replicas (None: one per process). `timezone`: the district's, as the brief counts days."""

    def __init__(self, graphql: ASGIApp, *, guard: RequestGuard | None = None,
                 secret: str | None = None, timezone: str = TIMEZONE) -> None:
        self.client = GraphQLClient(graphql, DOCUMENTS)
        self.guard = guard
        self.sessions = Sessions(secret)
        self.assets = Assets()
        self.env = environment()
        self.timezone = timezone

    def today(self) -> date:
        """Today where the district is: the day a brief's period may not start after."""
        return today(self.timezone)

    @property
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/dashboard", self._guarded(_pages.brief_page)),
            Route("/dashboard/list", self._guarded(_pages.items_page)),
            Route("/dashboard/export.xlsx", self._guarded(_pages.export_xlsx)),
            Route("/dashboard/export.csv", self._guarded(_pages.export_csv)),
            Route("/dashboard/freeze", self._guarded(_pages.freeze), methods=["POST"]),
            Route("/dashboard/frozen/{id:path}", self._guarded(_pages.frozen_page)),
            Route("/dashboard/login", self._bound(_login.login), methods=["GET", "POST"]),
            Route("/dashboard/logout", self._bound(_login.logout), methods=["POST"]),
            Route("/dashboard/static/{name}", self.assets.serve),
        ]

    def _bound(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            response: Response = await handler(self, request)
            return response

        return endpoint

    def _guarded(self, handler: Any) -> Any:
        """Pages for a logged-in viewer only; the others go to the login page and back."""

        async def endpoint(request: Request) -> Response:
            viewer = self.sessions.viewer(request)
            if viewer is None:
                here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return see_other(url("/dashboard/login", next=here))
            response: Response = await handler(self, request, viewer)
            return response

        return endpoint

    async def ask(self, request: Request, viewer: Viewer, operation: str,
                  variables: dict[str, Any]) -> Answer:
        """Run one of the dashboard's documents as `viewer`, from the browser's address."""
        return await self.ask_with(request, viewer_headers(viewer), operation, variables)

    async def ask_with(self, request: Request, headers: dict[str, str], operation: str,
                       variables: dict[str, Any]) -> Answer:
        if self.guard is not None and self.guard.limits.production:
            from gateway.schema import schema

            await self.client.trust(self.guard.documents, schema._schema, self.guard.limits)
        client = (request.client.host, request.client.port) if request.client else None
        return await self.client.run(operation, variables, headers=headers, client=client)

    def relogin(self, request: Request, answer: Answer) -> Response:
        """The credentials stopped working (revoked, expired): to the login page, saying why."""
        code = answer.problems[0].code if answer.problems else "UNAUTHENTICATED"
        response = see_other(url("/dashboard/login", error=code))
        self.sessions.end(response, request)
        return response

    async def render(self, template: str, context: dict[str, Any], *,
                     viewer: Viewer | None = None, status: int = 200) -> Response:
        base = {"assets": await self.assets.urls(), "viewer": viewer,
                "purpose_label": PURPOSES.get(viewer.purpose, viewer.purpose) if viewer else "",
                "token": self.sessions.form_token(viewer) if viewer else ""}
        return page(self.env, template, {**base, **context}, status=status)
