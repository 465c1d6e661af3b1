"""The dashboard over HTTP, without a browser: its login, its cookie and form tokens, errors
shown on the page, partners down or never synced, its assets, and production's trusted
documents."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway.demo.names import TODAY
from gateway.settings import Settings
from gateway.views.dashboard._documents import DOCUMENTS
from gateway.views.dashboard._model import Numbers
from gateway.views.dashboard._sections import sections
from gateway.views.drill import drills
from tests.conftest import agency_headers
from tests.resilience._serving import DEAD_URL, household_with
from tests.views.conftest import Viewers

COOKIE = "juheli_dashboard"


@contextlib.asynccontextmanager
async def dashboard(settings: Settings, store_uri: str,
                    partners: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own (its own breakers) and a cookie-keeping client without credentials."""
    from gateway.app import create_app

    app = create_app(settings, store_uri=store_uri, partners=partners)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://juheli.test") as c:
            yield c


async def login(client: httpx.AsyncClient, key: str, purpose: str = "joint_meeting",
                officer: str = "王主任") -> httpx.Response:
    return await client.post("/dashboard/login", data={
        "key": key, "officer": officer, "purpose": purpose, "next": "/dashboard"})


@pytest.fixture(scope="module")
async def client(viewers: Viewers, district: Any, store_uri: str,
                 settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with dashboard(settings, store_uri, district.partners_config()) as c:
        yield c


def form_token(html: str) -> str:
    found = re.search(r'name="token" value="([0-9a-f]{64})"', html)
    assert found, "no form token on the page"
    return found.group(1)


async def test_pages_need_a_login_and_the_login_keeps_the_key_out_of_sight(
        client: httpx.AsyncClient, viewers: Viewers) -> None:
    client.cookies.clear()
    response = await client.get("/dashboard/list?figure=disputes.opened")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/dashboard/login?next=%2Fdashboard%2Flist")
    response = await login(client, viewers.district)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/dashboard" in cookie
    secret = viewers.district.split("_", 2)[2]  # jhl_<id>_<secret>: the secret may hold "_"
    assert secret not in cookie and viewers.district not in response.headers["location"]
    page = await client.get("/dashboard")
    assert page.status_code == 200 and "协调会简报" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["cache-control"] == "no-store"


async def test_a_bad_key_or_a_tampered_cookie_is_no_login(
        client: httpx.AsyncClient, viewers: Viewers) -> None:
    client.cookies.clear()
    refused = await login(client, viewers.district[:-4] + "AAAA")
    assert refused.status_code == 401 and "set-cookie" not in refused.headers
    assert "UNAUTHENTICATED" in refused.text and "API 密钥无效" in refused.text
    await login(client, viewers.district)
    token = client.cookies[COOKIE]
    client.cookies.set(COOKIE, token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:],
                       path="/dashboard")
    assert (await client.get("/dashboard")).status_code == 303


async def test_posts_need_the_form_token_and_this_origin(
        client: httpx.AsyncClient, viewers: Viewers) -> None:
    client.cookies.clear()
    await login(client, viewers.district)
    token = form_token((await client.get("/dashboard")).text)
    code = viewers.communities[0][0]
    period = {"community": code, "from": "2026-01-01", "to": "2026-01-31"}
    assert (await client.post("/dashboard/freeze", data=period)).status_code == 403
    forged = await client.post("/dashboard/freeze", data={**period, "token": token},
                               headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    assert (await client.post("/dashboard/logout", data={})).status_code == 403
    out = await client.post("/dashboard/logout", data={"token": token})
    assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"]
    assert (await client.get("/dashboard")).status_code == 303


@pytest.mark.parametrize(("query", "code", "text"), [
    ("from=2026-03-01&to=2026-02-01", "PERIOD_REVERSED", "结束日期早于开始日期"),
    ("from=2999-01-01&to=2999-01-31", "PERIOD_IN_FUTURE", "尚未开始"),
    ("from=2026-02-30&to=2026-03-01", "BAD_USER_INPUT", "日期格式"),
])
async def test_a_bad_period_is_a_coded_error_on_a_page_that_still_renders(
        client: httpx.AsyncClient, viewers: Viewers, query: str, code: str, text: str) -> None:
    client.cookies.clear()
    await login(client, viewers.district)
    page = await client.get(f"/dashboard?community={viewers.communities[0][0]}&{query}")
    assert page.status_code == 200
    assert code in page.text and text in page.text
    assert 'id="community"' in page.text and viewers.communities[1][1] in page.text  # pickers
    assert 'id="section-disputes"' not in page.text


async def test_a_community_outside_the_grant_is_refused_on_the_page(
        client: httpx.AsyncClient, viewers: Viewers) -> None:
    client.cookies.clear()
    await login(client, viewers.one)
    own, other = viewers.communities[0], viewers.communities[1]
    page = await client.get(f"/dashboard?community={other[0]}")
    assert "FORBIDDEN" in page.text and "不在本单位的授权范围内" in page.text
    assert f'<option value="{own[0]}"' in page.text and other[1] not in page.text
    listed = await client.get(f"/dashboard/list?community={other[0]}&figure=disputes.opened")
    assert "FORBIDDEN" in listed.text


async def test_a_statistics_viewer_gets_no_list_behind_a_figure(
        client: httpx.AsyncClient, viewers: Viewers) -> None:
    client.cookies.clear()
    await login(client, viewers.statistics, purpose="statistics")
    code = viewers.communities[0][0]
    page = await client.get(f"/dashboard?community={code}")
    assert "&lt;5" in page.text and "/dashboard/list?" not in page.text
    listed = await client.get(
        f"/dashboard/list?community={code}&figure=chain.householdsWithoutMember")
    assert "PURPOSE_NOT_ALLOWED" in listed.text and "Household:" not in listed.text


async def test_a_partner_that_is_down_is_flagged(viewers: Viewers, district: Any, store_uri: str,
                                                 settings: Settings) -> None:
    """The hall's breaker opens on one failed live read; the brief then says it is down."""
    partners = {**district.partners_config(),
                "hall": {"kind": "rest", "base_url": DEAD_URL, "breaker_failures": 1,
                         "breaker_open_ms": 600_000, "retries": 0}}
    household = await household_with(store_uri, "hall", "service_case")
    async with dashboard(settings, store_uri, partners) as c:
        await c.post("/graphql", json={
            "query": "query($id: ID!) { household(id: $id) { services { title } } }",
            "variables": {"id": household}}, headers={
            "Authorization": f"Bearer {viewers.district}", "X-Purpose": "case_handling",
            "X-Officer": "t"})
        await login(c, viewers.district)
        page = await c.get(f"/dashboard?community={viewers.communities[0][0]}")
    banner = page.text[page.text.index('class="partner-alerts"'):][:600]
    assert "系统故障" in banner and "为民服务大厅" in banner
    assert "系统故障（DOWN）" in page.text


async def test_assets_come_from_the_package_and_are_cached(client: httpx.AsyncClient,
                                                           viewers: Viewers) -> None:
    client.cookies.clear()
    await login(client, viewers.district)
    page = (await client.get(f"/dashboard?community={viewers.communities[0][0]}")).text
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css)[^"]*)"', page)
    assert len(sources) == 3 and all(s.startswith("/dashboard/static/") for s in sources)
    assert "http://" not in page and "https://" not in page
    plotly = next(s for s in sources if "plotly" in s)
    plain = await client.get(plotly, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and b"plotly.js v" in plain.content[:200]
    assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
    zipped = await client.get(plotly, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == plain.content


async def test_production_runs_the_dashboard_on_trusted_documents(
        viewers: Viewers, district: Any, store_uri: str,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = Settings(data_dir=tmp_path_factory.mktemp("prod"), mode="production",
                        request_deadline_ms=5000, partner_timeout_ms=4000)
    async with dashboard(settings, store_uri, district.partners_config()) as c:
        raw = await c.post("/graphql", json={"query": "{ communities { code } }"}, headers={
            "Authorization": f"Bearer {viewers.district}", "X-Purpose": "joint_meeting"})
        assert "DOCUMENT_NOT_TRUSTED" in raw.text  # raw queries are refused here…
        assert (await login(c, viewers.district)).status_code == 303  # …the dashboard's run
        page = await c.get(f"/dashboard?community={viewers.communities[0][0]}")
    assert 'id="section-disputes"' in page.text and 'class="problem"' not in page.text


async def test_partners_never_synced_are_missing_figures_not_zeros(
        viewers: Viewers, district: Any, pg_admin: str, settings: Settings) -> None:
    """A store that synced the residents' committee only: every other partner has no snapshot,
    and the sections they feed say so instead of showing zeros."""
    from gateway.ops import run_sync
    from tests.conftest import agency_key, migrated_store

    partners = district.partners_config()
    uri = await migrated_store(pg_admin, "dashboard_rc_only")
    await run_sync(settings, partners={"rc": partners["rc"]}, store_uri=uri)
    key = await agency_key(uri, "dash-rc-only", "residents_committee", ["*"])
    async with dashboard(settings, uri, partners) as c:
        await login(c, key)
        page = (await c.get(f"/dashboard?community={viewers.communities[0][0]}")).text
    banner = page[page.index('class="partner-alerts"'):][:800]
    assert "尚无快照" in banner and "人民调解委员会" in banner and "社区居委会" not in banner
    disputes = page[page.index('id="section-disputes"'):page.index('id="section-appeals"')]
    assert "无快照：" in disputes and "无数据" in disputes
    assert re.search(r'class="value">\s*<span[^>]*>0<', disputes) is None  # no zero headline


# Figures whose lists came with the drill-down of every figure; all are non-zero for the first
# community's year or month, so they are links there.
NEWLY_LINKED = {
    "disputes.byMediationType.closed", "disputes.byMediationType.overdue",
    "disputes.byReportingBody.closed", "disputes.byReportingBody.overdue",
    "appeals.onTime", "appeals.rated", "appeals.satisfied", "appeals.byType.closed",
    "appeals.byType.onTime", "chain.households", "chain.buildings", "chain.compounds",
    "chain.branches", "visits.members", "visits.shortOfTarget.visits"}
LINK = re.compile(r'<a class="drill num" href="([^"]+)" data-value="([\d.]+)"')


async def _total(client: httpx.AsyncClient, href: str) -> int:
    listed = (await client.get(href)).text
    total = re.search(r'id="total">(\d+)<', listed)
    assert total, href
    return int(total.group(1))


async def test_every_kind_of_link_lists_as_many_items_as_its_figure_says(
        client: httpx.AsyncClient, viewers: Viewers) -> None:
    """One link of each figure, headline and per group, on a year's and a month's brief: the
    list behind it has that many items. A rate lists what it counts: the satisfied among the
    rated, the appeals closed on time in every channel."""
    import html

    client.cookies.clear()
    await login(client, viewers.district)
    page = (await client.get(f"/dashboard?community={viewers.communities[0][0]}")).text
    by_kind: dict[tuple[str, bool], tuple[str, str]] = {}
    rates: dict[str, float] = {}
    on_time_by_channel = rated = 0
    for preset in ("year", "30d"):
        found = re.search(rf'href="([^"]+)" data-preset="{preset}"', page)
        assert found
        shown = (await client.get(html.unescape(found.group(1)))).text
        for href, value in LINK.findall(shown):
            href = html.unescape(href)
            named = re.search(r"figure=([\w.]+)", href)
            assert named
            figure, keyed = named.group(1), "key=" in href
            by_kind.setdefault((figure, keyed), (href, value))
            if preset == "year" and "." in value:
                rates[figure] = float(value)
                by_kind[(figure, keyed)] = (href, value)
            elif preset == "year" and figure == "appeals.onTime" and keyed:
                on_time_by_channel += int(value)
            elif preset == "year" and figure == "appeals.rated":
                rated = int(value)
    assert NEWLY_LINKED <= {figure for figure, _ in by_kind}, NEWLY_LINKED - {
        figure for figure, _ in by_kind}
    assert len(by_kind) >= 35, sorted(by_kind)
    assert rates.keys() == {"appeals.onTime", "appeals.satisfied"}
    for (figure, _), (href, value) in sorted(by_kind.items()):
        total = await _total(client, href)
        if "." not in value:
            assert total == int(value), (figure, href)
        elif figure == "appeals.satisfied":
            assert total / rated == pytest.approx(rates[figure], abs=5e-5)
        else:
            assert total == on_time_by_channel > 0


def _every_count_three(value: Any) -> Any:
    """The brief with every count 3: every figure non-zero, so every drill shows as a link."""
    if isinstance(value, dict):
        return {k: _every_count_three(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_every_count_three(v) for v in value]
    return 3 if isinstance(value, int) and not isinstance(value, bool) else value


async def test_every_count_on_the_page_links_to_a_list_the_api_names(
        client: httpx.AsyncClient, viewers: Viewers) -> None:
    """Each count and rate of every section is a link to a figure `briefItems` knows — but a
    member's visit target, which counts nothing."""
    period = {"from": (TODAY - timedelta(days=179)).isoformat(), "to": TODAY.isoformat()}
    body = (await client.post("/graphql", json={
        "query": DOCUMENTS["DashboardBrief"], "variables": {
            "community": viewers.communities[0][0], "period": period}},
        headers=agency_headers(viewers.district, "joint_meeting"))).json()
    brief = _every_count_three(body["data"]["coordinationBrief"])
    links: list[tuple[str, str | None]] = []

    def drill(figure: str, key: str | None, label: str | None) -> str:
        links.append((figure, key))
        return f"{figure}|{key}"

    unlinked = set()
    for s in sections(brief, Numbers(None, drill)):
        cells = [("cards", c.label, c.cell) for c in s.cards] + [
            (t.title, t.columns[i], cell) for t in s.tables for row in t.rows
            for i, cell in enumerate(row)]
        for where, column, cell in cells:
            counted = isinstance(cell.value, int | float) and not isinstance(cell.value, bool)
            if counted and not cell.href:
                unlinked.add((s.key, where, column))
    assert unlinked == {("visits", "cards", "每户目标走访次数"),
                        ("visits", "未达标党员（差距最大在前）", "目标"),
                        ("property", "按院落", "欠费月数合计")}  # sums, targets: no list
    known = drills()
    assert {figure for figure, _ in links} <= known.keys()
    assert {"chain.buildingsWithoutCommitteeMember", "chain.compoundsWithoutSecretary",
            "chain.branchesWithoutCommittee", "visits.membersMeetingTarget"} <= {
        figure for figure, _ in links}


async def test_what_the_dashboard_reads_is_audited_as_the_viewer(
        client: httpx.AsyncClient, viewers: Viewers, store_uri: str) -> None:
    import asyncpg

    client.cookies.clear()
    await login(client, viewers.district, officer="审计测试员")
    code = viewers.communities[0][0]
    listed = await client.get(
        f"/dashboard/list?community={code}&figure=chain.householdsWithoutMember")
    shown = set(re.findall(r"<td>(\d{12}-\d{2}-\d{4})</td>", listed.text))
    assert shown
    conn = await asyncpg.connect(store_uri)
    try:
        rows = await conn.fetch(
            "SELECT agency, purpose, households, client FROM audit_log WHERE officer = $1",
            "审计测试员")
    finally:
        await conn.close()
    assert rows and {r["agency"] for r in rows} == {"dash-district"}
    assert {r["purpose"] for r in rows} == {"joint_meeting"}
    audited = {h.removeprefix("Household:") for r in rows for h in r["households"]}
    assert shown <= audited


async def test_a_list_says_how_many_items_the_viewers_grants_withhold(
        client: httpx.AsyncClient, viewers: Viewers, store_uri: str) -> None:
    """A mediation committee lists the disputes it may read and is told how many others the
    figure counts (12345 tickets, 维权 cases): listed + withheld = the figure."""
    from tests.conftest import agency_key

    mediation = await agency_key(store_uri, "dash-mediation", "mediation", ["*"])
    code = viewers.communities[0][0]
    url = f"/dashboard/list?community={code}&from=2020-01-01&to=2026-11-29&figure=disputes.opened"
    client.cookies.clear()
    assert (await login(client, viewers.district)).status_code == 303
    everything = (await client.get(url)).text
    client.cookies.clear()
    assert (await login(client, mediation, purpose="case_handling")).status_code == 303
    page = (await client.get(url)).text
    client.cookies.clear()

    def number(html: str, name: str) -> int:
        found = re.search(rf'<strong id="{name}">(\d+)</strong>', html)
        assert found, f"no #{name} on the page"
        return int(found.group(1))

    assert 'id="withheld"' not in everything  # the residents' committee reads them all
    withheld = number(page, "withheld")
    assert withheld > 0 and number(page, "total") > 0
    assert number(page, "total") + withheld == number(everything, "total")
