"""The dashboard's scripts and styles, served from the package — intranet browsers reach no
CDN. plotly.js comes from the plotly wheel (`plotly.offline.get_plotlyjs()`), read and gzipped
once per process; every asset's URL carries a digest of its content, so it is cached for a year
and a new release is fetched at once."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

PREFIX = "/dashboard/static/"
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
LONG_CACHE = "public, max-age=31536000, immutable"


@dataclass(frozen=True, slots=True)
class Asset:
    name: str
    body: bytes
    gzipped: bytes
    media_type: str
    version: str

    @property
    def url(self) -> str:
        return f"{PREFIX}{self.name}?v={self.version}"

    @classmethod
    def of(cls, name: str, body: bytes) -> Asset:
        media = _TYPES[name[name.rindex("."):]]
        return cls(name, body, gzip.compress(body, 6, mtime=0), media,
                   hashlib.sha256(body).hexdigest()[:12])


def _plotly() -> bytes:
    from plotly.offline import get_plotlyjs

    bundle: str = get_plotlyjs()
    return bundle.encode()


def _own(name: str) -> bytes:
    return resources.files("gateway.views").joinpath("static", name).read_bytes()


class Assets:
    """Read once, on first use; the plotly bundle (about 5 MB) off the event loop."""

    OWN = ("dashboard.css", "dashboard.js")

    def __init__(self) -> None:
        self._assets: dict[str, Asset] | None = None
        self._lock = asyncio.Lock()

    async def all(self) -> dict[str, Asset]:
        if self._assets is None:
            async with self._lock:
                if self._assets is None:
                    self._assets = await asyncio.to_thread(self._load)
        return self._assets

    def _load(self) -> dict[str, Asset]:
        found = {name: Asset.of(name, _own(name)) for name in self.OWN}
        found["plotly.min.js"] = Asset.of("plotly.min.js", _plotly())
        return found

    async def urls(self) -> dict[str, str]:
        return {name: asset.url for name, asset in (await self.all()).items()}

    async def serve(self, request: Request) -> Response:
        asset = (await self.all()).get(request.path_params["name"])
        if asset is None:
            return Response("not found", status_code=404, media_type="text/plain")
        headers = {"Cache-Control": LONG_CACHE, "Vary": "Accept-Encoding",
                   "X-Content-Type-Options": "nosniff"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)
