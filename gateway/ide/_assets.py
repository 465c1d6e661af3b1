"""GraphiQL's scripts and styles, served from installed files — intranet browsers reach no CDN.

GraphiQL 2, React 17 and ReactDOM come built from the `graphene-django-graphiql-static` wheel
(its Django view is never imported: we read its static folder); `ide.js` and `ide.css` are ours.
Each URL carries a digest of the file (`/ide/static/<digest>/<name>`), so a file is cached for a
year and a new release is fetched at once; a digest that is not the current one is a 404, not
today's file under yesterday's name.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable

PREFIX = "/ide/static"
WHEEL_PACKAGE = "graphene_django_graphiql_static"
# In the order the page loads them: React before ReactDOM before GraphiQL before ours.
FROM_WHEEL = ("graphiql.min.css", "react.production.min.js", "react-dom.production.min.js",
              "graphiql.min.js")
OWN = ("ide.css", "ide.js")
MEDIA_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    body: bytes
    gzipped: bytes
    digest: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.name.rsplit(".", 1)[1]]

    @property
    def url(self) -> str:
        return f"{PREFIX}/{self.digest}/{self.name}"

    @property
    def is_script(self) -> bool:
        return self.name.endswith(".js")


def _read(folder: Traversable, name: str) -> Asset:
    body = folder.joinpath(name).read_bytes()
    return Asset(name, body, gzip.compress(body, 6, mtime=0), hashlib.sha256(body).hexdigest()[:16])


def wheel_folder() -> Traversable:
    """The wheel's static folder: read as data, so Django is never needed."""
    return resources.files(WHEEL_PACKAGE).joinpath("static", WHEEL_PACKAGE)


def load_assets() -> dict[str, Asset]:
    own = resources.files("gateway.ide").joinpath("static")
    found = {name: _read(wheel_folder(), name) for name in FROM_WHEEL}
    return found | {name: _read(own, name) for name in OWN}


class Assets:
    """Read and gzipped once, on first use, off the event loop (GraphiQL is about 1 MB): the
    first request starts the one load, and every request awaits it."""

    def __init__(self) -> None:
        self._loading: asyncio.Future[dict[str, Asset]] | None = None

    async def all(self) -> dict[str, Asset]:
        if self._loading is None:
            self._loading = asyncio.ensure_future(asyncio.to_thread(load_assets))
        return await self._loading

    async def find(self, digest: str, name: str) -> Asset | None:
        asset = (await self.all()).get(name)
        return asset if asset is not None and asset.digest == digest else None
