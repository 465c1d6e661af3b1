"""The IDE over HTTP: the page /graphql serves a browser, and /ide/static/<digest>/<name>.

Whether the IDE is served is decided once, by the app (`--no-ide`, production mode): a gateway
without it answers the asset URLs with the same coded 404 the request guard gives the page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from gateway.errors import GatewayError, IdeDisabled, NotFound
from gateway.ide._assets import FROM_WHEEL, OWN, PREFIX, Asset, Assets
from gateway.ide._page import CONTENT_SECURITY_POLICY, render
from gateway.ide._tabs import tabs

LONG_CACHE = "public, max-age=31536000, immutable"
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # the assets it names change with a release
}


def _coded(exc: GatewayError, status: int) -> JSONResponse:
    return JSONResponse({"errors": [{"message": str(exc), "extensions": exc.extensions}]},
                        status_code=status)


class Ide:
    def __init__(self, *, enabled: bool, endpoint: str = "/graphql",
                 today: Callable[[], date] = date.today) -> None:
        self.enabled, self.endpoint, self._today = enabled, endpoint, today
        self.assets = Assets()

    @property
    def routes(self) -> list[Route]:
        # Any path below the prefix, so that every miss gets the coded answer.
        return [Route(PREFIX + "/{path:path}", self.asset, methods=["GET", "HEAD"])]

    async def page(self, request: Request) -> Response:
        """The IDE's page (the view calls this for a browser's GET the guard let through)."""
        found = await self.assets.all()
        ordered = [found[name] for name in (*FROM_WHEEL, *OWN)]
        body = render(ordered, tabs(self._today()), endpoint=self.endpoint)
        return HTMLResponse(body, headers=PAGE_HEADERS)

    async def asset(self, request: Request) -> Response:
        if not self.enabled:
            return _coded(IdeDisabled("The GraphQL IDE is not served here"), 404)
        digest, _, name = str(request.path_params["path"]).partition("/")
        asset = await self.assets.find(digest, name)
        if asset is None:
            return _coded(NotFound(f"No IDE asset {digest}/{name}: reload the page",
                                   asset=name), 404)
        return _serve(asset, gzip="gzip" in request.headers.get("accept-encoding", ""))


def _serve(asset: Asset, *, gzip: bool) -> Response:
    headers = {"Cache-Control": LONG_CACHE, "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff"}
    if gzip:
        headers["Content-Encoding"] = "gzip"
    return Response(asset.gzipped if gzip else asset.body, media_type=asset.media_type,
                    headers=headers)
