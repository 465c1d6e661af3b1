"""The dashboard in headless Chromium: what a meeting sees on its screen and on paper.

One browser for the session and one logged-in page for most tests, which navigate it as a user
would: pickers, presets, links, chart bars, the export and freeze buttons. Every page must load
without a console error. Screenshots and the printed PDF are kept (see conftest.artifacts)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from python_calamine import CalamineWorkbook

from tests.views.conftest import Console, Viewers, logged_in

CHARTS = ("chart-disputes", "chart-appeals", "chart-services", "chart-meetings")
A4_CONTENT_PX = round((210 - 2 * 12) / 25.4 * 96)  # A4 less the 12 mm margins, at 96 dpi
PAGE_SIZE = 50

CARDS_JS = """() => Object.fromEntries([...document.querySelectorAll('.section')].flatMap(s =>
  [...s.querySelectorAll('.card')].map(c => [
    s.id.replace('section-', '') + ':' + c.querySelector('.label').textContent.trim(),
    c.querySelector('.value').textContent.trim()])))"""

DRAWN_JS = """(id) => [...document.querySelectorAll('#' + id + ' .bars .point path')]
  .map(p => p.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0).length"""


@pytest.fixture(scope="module")
async def meeting(browser: Any, served: str,
                  viewers: Viewers) -> AsyncIterator[tuple[Any, Console]]:
    """A joint-meeting viewer's page, logged in once for the module."""
    context, page, console = await logged_in(browser, served, viewers.district)
    try:
        yield page, console
    finally:
        await context.close()


async def open_brief(page: Any, community: str, preset: str | None = None) -> None:
    await page.goto(f"/dashboard?community={community}")
    if preset:
        async with page.expect_navigation():
            await page.click(f'.presets a[data-preset="{preset}"]')
    for chart in CHARTS:
        await page.wait_for_selector(f"#{chart}[data-rendered]", timeout=20_000)


async def cards(page: Any) -> dict[str, str]:
    return dict(await page.evaluate(CARDS_JS))


def number(text: str) -> int:
    return int(text.replace(",", ""))


async def test_a_bad_key_shows_the_coded_error_on_the_login_page(
        browser: Any, served: str, viewers: Viewers, artifacts: Path) -> None:
    context = await browser.new_context(base_url=served, locale="zh-CN")
    try:
        page = await context.new_page()
        await page.goto("/dashboard")
        assert "/dashboard/login" in page.url
        await page.fill("input[name=key]", viewers.district[:-4] + "AAAA")
        await page.fill("input[name=officer]", "王主任")
        async with page.expect_navigation():
            await page.click("button[type=submit]")
        error = await page.text_content("#login-error")
        assert "UNAUTHENTICATED" in error and "API 密钥无效" in error
        assert "jhl_" not in page.url
        await page.screenshot(path=str(artifacts / "login-bad-key.png"))
    finally:
        await context.close()


async def test_the_page_loads_with_no_console_errors_and_charts_drawn(
        meeting: tuple[Any, Console], viewers: Viewers, artifacts: Path) -> None:
    page, console = meeting
    await open_brief(page, viewers.communities[0][0], "year")
    for chart in CHARTS:
        assert await page.evaluate(DRAWN_JS, chart) > 0, f"{chart} drew no bar"
    assert await page.is_visible("text=数据时效")
    await page.screenshot(path=str(artifacts / "dashboard.png"))
    await page.screenshot(path=str(artifacts / "dashboard-full.png"), full_page=True)
    assert console.errors == []


async def test_changing_the_period_or_community_changes_the_figures(
        meeting: tuple[Any, Console], viewers: Viewers) -> None:
    page, console = meeting
    await open_brief(page, viewers.communities[0][0], "30d")
    month = await cards(page)
    month_from = await page.text_content("#period-from")
    await open_brief(page, viewers.communities[0][0], "year")
    year = await cards(page)
    assert await page.text_content("#period-from") != month_from
    assert await page.get_attribute('.presets a[data-preset="year"]', "class") == "active"
    assert month.keys() == year.keys() and month != year
    # Both periods end today, so a year holds the thirty days: no count can shrink.
    for label in ("disputes:新发纠纷", "appeals:受理诉求", "services:服务办件", "visits:联系户走访"):
        assert number(year[label]) >= number(month[label]), label
    other_code, other_name = viewers.communities[1]
    async with page.expect_navigation():
        await page.select_option("#community", other_code)  # submits at once, same period
    assert other_name in await page.text_content("h1")
    assert await page.text_content("#period-from") == await page.input_value("#from")
    assert await cards(page) != year
    assert console.errors == []


async def test_a_figure_opens_the_list_behind_it(
        meeting: tuple[Any, Console], viewers: Viewers, artifacts: Path) -> None:
    page, console = meeting
    await open_brief(page, viewers.communities[0][0], "year")
    link = page.locator("#section-services .card a.drill").first
    shown = number(await link.text_content())
    async with page.expect_navigation():
        await link.click()
    assert "figure=services.total" in page.url
    assert number(await page.text_content("#total")) == shown
    rows = page.locator("table.items tbody tr")
    assert await rows.count() == min(shown, PAGE_SIZE)
    await page.screenshot(path=str(artifacts / "list.png"))
    if shown > PAGE_SIZE:
        async with page.expect_navigation():
            await page.click("#next-page")
        assert await rows.count() == min(shown - PAGE_SIZE, PAGE_SIZE)
    # A cell of a breakdown: the disputes of one category.
    await open_brief(page, viewers.communities[0][0], "year")
    cell = page.locator("#section-disputes table a.drill").first
    shown = number(await cell.text_content())
    async with page.expect_navigation():
        await cell.click()
    assert number(await page.text_content("#total")) == shown
    assert await rows.count() == min(shown, PAGE_SIZE)
    assert console.errors == []


async def test_the_chain_and_the_members_open_lists_of_places_and_people(
        meeting: tuple[Any, Console], viewers: Viewers, artifacts: Path) -> None:
    page, console = meeting
    for label, figure, kind in (("楼栋", "chain.buildings", "楼栋"),
                                ("支部", "chain.branches", "党支部"),
                                ("包户党员", "visits.members", "党员")):
        await open_brief(page, viewers.communities[0][0], "year")
        exactly = re.compile(f"^{label}$")
        card = page.locator(".card", has=page.locator(".label", has_text=exactly))
        link = card.locator("a.drill")
        shown = number(await link.text_content())
        async with page.expect_navigation():
            await link.click()
        assert f"figure={figure}" in page.url
        assert number(await page.text_content("#total")) == shown
        kinds = await page.locator("table.items tbody tr td:nth-child(3)").all_text_contents()
        names = await page.locator("table.items tbody tr td:nth-child(4)").all_text_contents()
        assert kinds == [kind] * min(shown, PAGE_SIZE) and "—" not in names
        await page.screenshot(path=str(artifacts / f"list-{figure}.png"))
    assert console.errors == []


async def test_a_chart_bar_opens_the_list_behind_it(
        meeting: tuple[Any, Console], viewers: Viewers) -> None:
    page, console = meeting
    await open_brief(page, viewers.communities[0][0], "year")
    specs = orjson.loads(await page.text_content("#chart-specs"))
    bar = page.locator("#chart-services .bars .point path").first
    await bar.scroll_into_view_if_needed()
    box = await bar.bounding_box()
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.wait_for_timeout(150)  # plotly decides which bar is under the mouse on hover
    async with page.expect_navigation():
        await page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    trace = specs["chart-services"]["data"][0]
    assert page.url.endswith(trace["customdata"][0]) and "figure=services.byBody" in page.url
    assert number(await page.text_content("#total")) == trace["y"][0]
    assert console.errors == []


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of each page of a PDF Chromium wrote."""
    boxes = re.findall(rb"/Type\s*/Page\b(?!s).*?/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+"
                       rb"([\d.]+)\s+([\d.]+)\s*\]", pdf, re.S)
    if not boxes:  # the box may come before the type
        boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", pdf)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


async def test_the_print_layout_fits_a4(meeting: tuple[Any, Console], viewers: Viewers,
                                        artifacts: Path) -> None:
    page, console = meeting
    await open_brief(page, viewers.communities[0][0], "year")
    await page.emulate_media(media="print")
    await page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1100})
    try:
        await page.wait_for_timeout(300)  # plotly follows the new width
        assert not await page.is_visible(".pickers") and not await page.is_visible(".topbar")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= A4_CONTENT_PX
        rights = await page.evaluate("""() => [...document.querySelectorAll(
            '.chart-box, .chart svg.main-svg, table, .cards')].map(e =>
            Math.ceil(e.getBoundingClientRect().right))""")
        assert rights and max(rights) <= A4_CONTENT_PX
        await page.screenshot(path=str(artifacts / "print.png"), full_page=True)
        pdf = await page.pdf(format="A4", print_background=True)
        (artifacts / "brief.pdf").write_bytes(pdf)
    finally:
        await page.emulate_media(media="screen")
        await page.set_viewport_size({"width": 1280, "height": 900})
    pages = pdf_pages(pdf)
    assert 1 <= len(pages) <= 20
    assert all(abs(w - 595.3) < 2 and abs(h - 841.9) < 2 for w, h in pages), pages[:3]
    assert console.errors == []


async def test_the_exports_hold_the_figures_on_the_page(
        meeting: tuple[Any, Console], viewers: Viewers, artifacts: Path) -> None:
    page, console = meeting
    await open_brief(page, viewers.communities[0][0], "year")
    shown = await cards(page)
    async with page.expect_download() as download:
        await page.click("#export-xlsx")
    path = artifacts / "brief.xlsx"
    await (await download.value).save_as(path)
    book = CalamineWorkbook.from_path(str(path))
    assert {"简报信息", "矛盾纠纷", "群众诉求", "服务与五卡", "包联责任链", "党员联系户",
            "四会落实", "未满足的需求", "数据时效"} <= set(book.sheet_names)
    titles = {"disputes": "矛盾纠纷", "appeals": "群众诉求", "services": "服务与五卡",
              "chain": "包联责任链", "visits": "党员联系户"}
    for key, sheet in titles.items():
        rows = book.get_sheet_by_name(sheet).to_python()
        start = next(i for i, r in enumerate(rows) if r[0] == "主要指标") + 2
        figures = {}
        for row in rows[start:]:
            if not row[0]:
                break
            figures[row[0]] = row[1]
        on_page = {k.split(":", 1)[1]: v for k, v in shown.items() if k.startswith(key + ":")}
        assert figures.keys() == on_page.keys(), sheet
        for label, value in on_page.items():
            exported = figures[label]
            if isinstance(exported, float) and not value.endswith("%"):
                assert exported == float(value.replace(",", "")), (sheet, label)
            else:
                assert str(exported) == value, (sheet, label)
    href = await page.get_attribute("#export-csv", "href")
    response = await page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    body = await response.body()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0] == ["板块", "表", "项目", "指标", "数值"]
    total = next(r for r in lines if r[:3] == ["服务与五卡", "主要指标", "服务办件"])
    assert total[4] == shown["services:服务办件"].replace(",", "")
    assert console.errors == []


async def test_freezing_the_brief_shows_it_with_its_hash(
        meeting: tuple[Any, Console], viewers: Viewers, artifacts: Path) -> None:
    page, console = meeting
    await open_brief(page, viewers.communities[0][0], "30d")
    live = await cards(page)
    async with page.expect_navigation():
        await page.click("#freeze")
    assert re.search(r"/dashboard/frozen/FrozenBrief:\d+$", page.url), page.url
    assert re.fullmatch(r"[0-9a-f]{64}", (await page.text_content("#frozen-hash")).strip())
    assert await page.is_visible("text=各单位数据截至")
    for chart in CHARTS:
        await page.wait_for_selector(f"#{chart}[data-rendered]")
    assert await cards(page) == live
    assert await page.locator("a.drill").count() == 0  # a frozen brief lists no live data
    await page.screenshot(path=str(artifacts / "frozen.png"))
    assert console.errors == []


async def test_a_reversed_period_is_a_coded_error_and_the_page_still_works(
        meeting: tuple[Any, Console], viewers: Viewers, artifacts: Path) -> None:
    page, console = meeting
    await open_brief(page, viewers.communities[0][0])
    await page.fill("#from", "2026-03-01")
    await page.fill("#to", "2026-02-01")
    async with page.expect_navigation():
        await page.click("#apply")
    problem = await page.text_content(".problem")
    assert "PERIOD_REVERSED" in problem and "结束日期早于开始日期" in problem
    assert await page.is_visible("#community") and await page.is_visible(".presets")
    await page.screenshot(path=str(artifacts / "period-reversed.png"))
    assert console.errors == []


async def test_a_statistics_viewer_sees_suppressed_figures_and_no_lists(
        browser: Any, served: str, viewers: Viewers, artifacts: Path) -> None:
    context, page, console = await logged_in(browser, served, viewers.statistics,
                                             purpose="statistics")
    try:
        await open_brief(page, viewers.communities[0][0])
        suppressed = await page.locator(".section span.muted", has_text="<5").count()
        assert suppressed > 0
        assert await page.locator("a.drill").count() == 0
        needs = await page.text_content("#section-needs")
        assert "统计用途不提供名单" in needs and "Household:" not in needs
        await page.screenshot(path=str(artifacts / "statistics.png"), full_page=True)
        assert console.errors == []
    finally:
        await context.close()
