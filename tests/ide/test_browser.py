"""The IDE in headless Chromium with every request off this machine refused: it loads, shows
each group's tabs, and runs them against the live gateway — with no console error and no
request to another origin. A screenshot is kept (see conftest.ide_artifacts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from tests.ide.conftest import Console

TAB_TITLES = ["FindHouseholdByAddress", "Household360", "Communities", "CoordinationBrief",
              "Households", "Partners", "Node"]
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"

RESPONSE_JS = """() => {
  const cm = document.querySelector('.result-window .CodeMirror');
  return cm ? cm.CodeMirror.getValue() : '';
}"""

ANSWERED_JS = """(before) => {
  const cm = document.querySelector('.result-window .CodeMirror');
  const text = cm ? cm.CodeMirror.getValue() : '';
  return text !== before && text.trim().startsWith('{');
}"""

SET_HEADERS_JS = """(text) => {
  const editors = [...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')];
  const shown = editors.find(e => !e.classList.contains('hidden'));
  shown.querySelector('.CodeMirror').CodeMirror.setValue(text);
}"""


class Offline:
    """Refuses every request that does not go to 127.0.0.1, and keeps what it refused."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    async def route(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            self.refused.append(url)
            await route.abort()


@pytest.fixture(scope="module")
async def ide(browser: Any, served_ide: str) -> AsyncIterator[tuple[Any, Console, Offline]]:
    offline = Offline()
    context = await browser.new_context(base_url=served_ide, locale="zh-CN",
                                        viewport={"width": 1400, "height": 900})
    await context.route("**/*", offline.route)
    try:
        page = await context.new_page()
        console = Console(page)
        await page.goto("/graphql")
        await page.wait_for_selector(".graphiql-container", timeout=20_000)
        yield page, console, offline
    finally:
        await context.close()


async def open_tab(page: Any, title: str) -> None:
    await page.locator(".graphiql-tab", has_text=title).first.click()
    await page.wait_for_function(
        "(t) => document.querySelector('.graphiql-tab-active')?.textContent.includes(t)", arg=title)


async def run(page: Any) -> dict[str, Any]:
    before = await page.evaluate(RESPONSE_JS)
    async with page.expect_response(lambda r: r.url.endswith("/graphql")
                                    and r.request.method == "POST") as answer:
        await page.click(".graphiql-execute-button")
    assert (await answer.value).ok
    await page.wait_for_function(ANSWERED_JS, arg=before)
    return dict(orjson.loads(await page.evaluate(RESPONSE_JS)))


async def test_the_ide_opens_with_every_groups_tabs_and_no_outside_request(
        ide: tuple[Any, Console, Offline], ide_artifacts: Path) -> None:
    page, console, offline = ide
    titles = [t.strip() for t in await page.locator(".graphiql-tab").all_text_contents()]
    assert [next((e for e in TAB_TITLES if e in t), t) for t in titles] == TAB_TITLES
    assert "Agency officer" in await page.evaluate(
        "() => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()")
    headers = await page.evaluate(
        f"() => document.querySelector('{HEADERS_EDITOR}').CodeMirror.getValue()")
    assert orjson.loads(headers)["X-Purpose"] == "case_handling"
    # The schema arrived: the documentation explorer can list the query type's fields.
    await page.click("button[aria-label='Show Documentation Explorer']")
    await page.wait_for_selector(".graphiql-doc-explorer >> text=Query", timeout=10_000)
    await page.screenshot(path=str(ide_artifacts / "ide-open.png"))
    assert offline.refused == []
    assert console.errors == []


async def test_a_preloaded_tab_runs_before_a_key_is_pasted(
        ide: tuple[Any, Console, Offline]) -> None:
    page, console, offline = ide
    await open_tab(page, "Partners")
    result = await run(page)  # the placeholders were not sent: the anonymous caller
    assert result.get("errors") is None, result
    assert len(result["data"]["partners"]) >= 3
    assert {"slug", "health", "records"} <= set(result["data"]["partners"][0])
    assert offline.refused == [] and console.errors == []


async def test_with_a_key_pasted_a_tab_shows_the_agencys_households(
        ide: tuple[Any, Console, Offline], ide_key: str, ide_artifacts: Path) -> None:
    page, console, offline = ide
    await open_tab(page, "Households")
    await page.evaluate(SET_HEADERS_JS, orjson.dumps({
        "Authorization": f"Bearer {ide_key}", "X-Purpose": "case_handling",
        "X-Officer": "王警官"}).decode())
    result = await run(page)
    households = result["data"]["households"]
    assert households["totalCount"] > 10 and households["pageInfo"]["hasNextPage"] is True
    assert len(households["edges"]) == 10
    assert all(e["node"]["id"].startswith("Household:") for e in households["edges"])
    await page.screenshot(path=str(ide_artifacts / "ide-households.png"))
    assert offline.refused == [] and console.errors == []
