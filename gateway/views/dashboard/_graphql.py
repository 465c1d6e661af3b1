"""The dashboard asks GraphQL what it shows, as the viewer, through the same ASGI stack as a
client of /graphql: load shedding, authentication, the request guard (rate limits, trusted
documents, query limits), the schema with its grants, masking and audit.

A request goes in-process (httpx's ASGI transport, no socket) with the viewer's credentials
and the browser's address, so the audit chain records the officer and the client as for any
other request. Each document is sent with its sha256 as `documentId`: in production the
dashboard's documents are trusted on first use (they ship with the package) and run as
trusted documents; in development the text runs as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from starlette.types import ASGIApp

from gateway.limits.documents import Document, TrustedDocuments, check_manifest, sha256
from gateway.views.dashboard._session import Viewer

INTERNAL_URL = "http://dashboard.internal/graphql"


@dataclass(frozen=True, slots=True)
class Problem:
    """One error of an answer, as the page shows it."""

    code: str
    message: str
    path: str | None = None


@dataclass(slots=True)
class Answer:
    status: int
    data: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)


def _problems(errors: Any) -> list[Problem]:
    out = []
    for error in errors if isinstance(errors, list) else []:
        ext = error.get("extensions") or {}
        path = error.get("path")
        out.append(Problem(str(ext.get("code") or "INTERNAL_ERROR"),
                           str(error.get("message") or ""),
                           ".".join(str(p) for p in path) if path else None))
    return out


def viewer_headers(viewer: Viewer | None, *, key: str = "", officer: str = "",
                   purpose: str = "") -> dict[str, str]:
    if viewer is not None:
        key, officer, purpose = viewer.key, viewer.officer, viewer.purpose
    return {"authorization": f"Bearer {key}", "x-purpose": purpose,
            "x-officer": quote(officer), "content-type": "application/json",
            "accept": "application/json"}


class GraphQLClient:
    """Runs the dashboard's documents against the /graphql ASGI app."""

    def __init__(self, app: ASGIApp, documents: Mapping[str, str]) -> None:
        self.app = app
        self.documents = dict(documents)  # operation name → text
        self._trusted = False
        self._lock = asyncio.Lock()

    async def trust(self, store: TrustedDocuments | None, schema: Any, limits: Any) -> None:
        """Store the dashboard's documents as trusted (once per process): production runs
        trusted documents only, and these are reviewed code of this package."""
        if self._trusted or store is None:
            return
        async with self._lock:
            if not self._trusted:
                manifest = {f"sha256:{sha256(t)}": t for t in self.documents.values()}
                found: list[Document] = check_manifest(manifest, schema, limits)
                await store.add(found)
                self._trusted = True

    async def run(self, operation: str, variables: Mapping[str, Any], *,
                  headers: Mapping[str, str], client: tuple[str, int] | None) -> Answer:
        text = self.documents[operation]
        body = orjson.dumps({"documentId": f"sha256:{sha256(text)}", "query": text,
                             "operationName": operation, "variables": dict(variables)})
        transport = httpx.ASGITransport(app=self.app, client=client or ("127.0.0.1", 0))
        request = httpx.Request("POST", INTERNAL_URL, headers=dict(headers), content=body)
        response = await transport.handle_async_request(request)
        raw = await response.aread()
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return Answer(response.status_code, None,
                          [Problem("INTERNAL_ERROR", raw.decode("utf-8", "replace")[:200])])
        if not isinstance(payload, dict):
            return Answer(response.status_code, None, [Problem("INTERNAL_ERROR", "not an object")])
        data = payload.get("data")
        return Answer(response.status_code, data if isinstance(data, dict) else None,
                      _problems(payload.get("errors")))
