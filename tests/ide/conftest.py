"""What the IDE tests share: an agency of their own, the gateway in production mode, the gateway
served by uvicorn on 127.0.0.1 for the browser, and headless Chromium (the dashboard tests'
launcher: tests/views/conftest.py). Screenshots go to `JUHELI_ARTIFACTS`/ide, or to `ide/` beside
the temporary folder the dashboard's fixture prints at the start of the run."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.settings import Settings
from tests.conftest import agency_headers, agency_key, app_client, uvicorn_serving
from tests.views import conftest as views
from tests.views.conftest import Console

__all__ = ["Console", "Refs", "page_refs"]

# The session's Chromium and the screenshot folder, as the dashboard tests have them.
browser = views.browser
artifacts = views.artifacts


class Refs(HTMLParser):
    """Every URL a page names: `src`, `href`, `action` attributes and `url(...)` in inline
    styles."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and name in ("src", "href", "action", "srcset", "poster", "data"):
                self.urls.append(value)
            if value and name == "style":
                self.urls += re.findall(r"url\(([^)]*)\)", value)


def page_refs(html: str) -> list[str]:
    refs = Refs()
    refs.feed(html)
    return refs.urls


@pytest.fixture(scope="session")
async def ide_key(synced: Any, store_uri: str) -> str:
    """A district-wide residents' committee of its own: its rate limit counts no one else's."""
    return await agency_key(store_uri, "ide-tests", "residents_committee", ["*"])


@pytest.fixture(scope="module")
async def production(ide_key: str, district: Any, store_uri: str,
                     tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.app import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("ide-prod"), mode="production",
                        request_deadline_ms=5000, partner_timeout_ms=4000)
    app = create_app(settings, store_uri=store_uri, partners=district.partners_config())
    async with app_client(app, agency_headers(ide_key)) as client:
        yield client


@pytest.fixture(scope="session")
def served_ide(ide_key: str, district: Any, store_uri: str, settings: Settings) -> Iterator[str]:
    """The gateway in development mode over real HTTP, for the browser."""
    from gateway.app import create_app

    app = create_app(settings, store_uri=store_uri, partners=district.partners_config())
    with uvicorn_serving(app) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def ide_artifacts(artifacts: Path) -> Path:
    """Beside the dashboard's screenshots (JUHELI_ARTIFACTS/ide, or the run's temporary one)."""
    folder = artifacts.parent / "ide"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
