"""What the dashboard tests share: the gateway served by uvicorn on 127.0.0.1, viewers' keys,
and headless Chromium through Playwright.

Chromium: `JUHELI_CHROMIUM`, else the system's (`chromium`, `chromium-browser`,
`google-chrome`), else Playwright's own download. With none the browser tests fail, never skip:
`python3 dev.py test` installs one when it can. Screenshots go to `JUHELI_ARTIFACTS` (or a
temporary folder, printed at the start of the run).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import agency_key, uvicorn_serving

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@dataclass(frozen=True)
class Viewers:
    district: str  # a residents' committee role over every community
    statistics: str  # the statistics role
    one: str  # a residents' committee of one community only
    communities: list[tuple[str, str]]  # (code, name), in code order


@pytest.fixture(scope="session")
async def viewers(synced: Any, store_uri: str) -> Viewers:
    conn = await asyncpg.connect(store_uri)
    try:
        rows = await conn.fetch("SELECT code, name FROM communities ORDER BY code")
    finally:
        await conn.close()
    communities = [(r["code"], r["name"]) for r in rows]
    return Viewers(
        district=await agency_key(store_uri, "dash-district", "residents_committee", ["*"]),
        statistics=await agency_key(store_uri, "dash-statistics", "statistics", ["*"]),
        one=await agency_key(store_uri, "dash-one", "residents_committee", [communities[0][0]]),
        communities=communities)


@pytest.fixture(scope="session")
def served(viewers: Viewers, district: Any, store_uri: str, settings: Any) -> Iterator[str]:
    """The gateway with the synced district, served over real HTTP for the browser."""
    from gateway.app import create_app

    app = create_app(settings, store_uri=store_uri, partners=district.partners_config())
    with uvicorn_serving(app) as base_url:
        yield base_url


def chromium_executable() -> str | None:
    named = os.environ.get("JUHELI_CHROMIUM")
    if named:
        return named
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def artifacts(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get("JUHELI_ARTIFACTS")
    folder = Path(named) / "dashboard" if named else tmp_path_factory.mktemp("dashboard-shots")
    folder.mkdir(parents=True, exist_ok=True)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"[dashboard] screenshots and PDFs in {folder}")
    return folder


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium for the session."""
    try:
        from playwright.async_api import Error, async_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install -e '.[test]'")
    playwright = await async_playwright().start()
    executable = chromium_executable()
    try:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True,
            args=["--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none"])
    except Error as exc:
        await playwright.stop()
        pytest.fail(f"no Chromium to test the dashboard with ({executable or 'Playwright’s own'}"
                    f" failed to start): {exc}\nInstall Debian's `chromium`, point "
                    "JUHELI_CHROMIUM at a Chromium, or run `python -m playwright install "
                    "chromium`.")
    try:
        yield launched
    finally:
        await launched.close()
        await playwright.stop()


class Console:
    """Errors a page logged: console errors and uncaught exceptions."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))


async def logged_in(browser: Any, base_url: str, key: str, *, purpose: str = "joint_meeting",
                    officer: str = "王主任") -> tuple[Any, Any, Console]:
    """A fresh browser context logged in to the dashboard: (context, page, console)."""
    context = await browser.new_context(base_url=base_url, locale="zh-CN",
                                        viewport={"width": 1280, "height": 900},
                                        accept_downloads=True)
    page = await context.new_page()
    console = Console(page)
    await page.goto("/dashboard/login")
    await page.fill("input[name=key]", key)
    await page.fill("input[name=officer]", officer)
    await page.select_option("select[name=purpose]", purpose)
    async with page.expect_navigation():
        await page.click("button[type=submit]")
    assert page.url.startswith(f"{base_url}/dashboard"), page.url
    return context, page, console
