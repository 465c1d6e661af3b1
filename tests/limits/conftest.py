"""Apps under chosen limits, a production app with trusted documents, and a resolver spy."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from strawberry.extensions import SchemaExtension

from gateway.settings import Settings
from tests.conftest import agency_headers, agency_key


class Spy:
    """Counts field resolutions of the shared schema while a test runs."""

    def __init__(self) -> None:
        self.resolved = 0

    def reset(self) -> None:
        self.resolved = 0


@pytest.fixture
def spy() -> Iterator[Spy]:
    from gateway.schema import schema

    seen = Spy()

    class Counting(SchemaExtension):
        def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any,
                    **kwargs: Any) -> Any:
            seen.resolved += 1
            return _next(root, info, *args, **kwargs)

    before = schema.extensions
    schema.extensions = (*before, Counting)
    try:
        yield seen
    finally:
        schema.extensions = before


AppFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="module")
def make_client(synced: Any, district: Any, store_uri: str,
                tmp_path_factory: pytest.TempPathFactory) -> AppFactory:
    """`async with make_client(key=..., **settings) as c:` — an app of its own under `settings`."""
    from gateway.app import create_app

    @contextlib.asynccontextmanager
    async def make(*, key: str | None = None, ide: bool = True,
                   **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = Settings(data_dir=tmp_path_factory.mktemp("limits"), request_deadline_ms=5000,
                            partner_timeout_ms=4000, **overrides)
        app = create_app(settings, store_uri=store_uri, partners=district.partners_config(),
                         ide=ide)
        headers = agency_headers(key) if key else {}
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://juheli.test",
                                         headers=headers) as client:
                yield client

    return make


@pytest.fixture(scope="module")
async def limits_key(synced: Any, store_uri: str) -> str:
    """An agency of its own, so that these tests' rate limits count no one else's requests."""
    return await agency_key(store_uri, "limits-tests", "residents_committee", ["*"])


@pytest.fixture(scope="module")
async def dev(make_client: AppFactory, limits_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(key=limits_key) as client:
        yield client


@pytest.fixture(scope="module")
async def prod(make_client: AppFactory, limits_key: str) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(key=limits_key, mode="production") as client:
        yield client


def code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def codes(response: httpx.Response) -> list[str]:
    return [e["extensions"]["code"] for e in response.json()["errors"]]


def manifest_file(tmp_path: Path, documents: list[str]) -> Path:
    import hashlib
    import json

    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({hashlib.sha256(d.encode()).hexdigest(): d for d in documents}),
                    encoding="utf-8")
    return path
