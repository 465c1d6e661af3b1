"""The brief page, the list behind a figure, the exports, and frozen briefs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from gateway.views.dashboard import _export as export
from gateway.views.dashboard._graphql import Answer, Problem
from gateway.views.dashboard._messages import FIGURES, ITEM_KINDS, PURPOSES, error_text
from gateway.views.dashboard._model import Drill, Numbers, Section, freshness_table
from gateway.views.dashboard._period import chosen, presets
from gateway.views.dashboard._sections import sections
from gateway.views.dashboard._session import Viewer
from gateway.views.dashboard._web import attachment, form, same_origin, see_other, url

if TYPE_CHECKING:
    from gateway.views.dashboard._app import Dashboard

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Selection:
    community: str | None
    start: str
    end: str
    preset: str | None

    @classmethod
    def of(cls, params: Any, day: date) -> Selection:
        start, end, preset = chosen(params.get("from"), params.get("to"), day)
        return cls(params.get("community") or None, start, end, preset)

    @property
    def variables(self) -> dict[str, Any]:
        return {"community": self.community, "period": {"from": self.start, "to": self.end}}

    def link(self, path: str, **more: str | None) -> str:
        params = {"community": self.community, "from": self.start, "to": self.end, **more}
        return url(path, **params)


def shown(problems: list[Problem]) -> list[dict[str, str | None]]:
    return [{"code": p.code, "text": error_text(p.code), "detail": p.message, "path": p.path}
            for p in problems]


def _driller(viewer: Viewer | None, sel: Selection) -> Drill:
    if viewer is None or viewer.aggregates_only:  # a statistics purpose gets no lists
        return lambda figure, key, label: None
    return lambda figure, key, label: sel.link("/dashboard/list", figure=figure, key=key,
                                               label=label if key else None)


def brief_view(brief: dict[str, Any], drill: Drill) -> dict[str, Any]:
    """Everything a page (or an export) shows of one brief."""
    fresh = brief["freshness"]
    built: list[Section] = sections(brief, Numbers(brief["suppressedBelow"], drill))
    return {
        "brief": brief, "sections": built, "freshness": freshness_table(fresh),
        "down": [f for f in fresh if f["status"] == "DOWN"],
        "missing": [f for f in fresh if f["status"] == "NO_SNAPSHOT"],
        "stale": [f for f in fresh if f["status"] == "STALE"],
        "charts": {c.id: c.spec for s in built for c in s.charts},
    }


async def _ask_brief(dash: Dashboard, request: Request, viewer: Viewer,
                     sel: Selection) -> tuple[Answer, Answer | None]:
    communities = dash.ask(request, viewer, "DashboardCommunities", {})
    if sel.community is None:
        return await communities, None
    both = await asyncio.gather(communities,
                                dash.ask(request, viewer, "DashboardBrief", sel.variables))
    return both[0], both[1]


async def brief_page(dash: Dashboard, request: Request, viewer: Viewer) -> Response:
    sel = Selection.of(request.query_params, dash.today())
    return await render_brief(dash, request, viewer, sel)


async def render_brief(dash: Dashboard, request: Request, viewer: Viewer, sel: Selection,
                       extra: list[Problem] | None = None) -> Response:
    listed, answered = await _ask_brief(dash, request, viewer, sel)
    if listed.status == 401:
        return dash.relogin(request, listed)
    communities = (listed.data or {}).get("communities") or []
    if sel.community is None and communities:
        sel = Selection(communities[0]["code"], sel.start, sel.end, sel.preset)
        answered = await dash.ask(request, viewer, "DashboardBrief", sel.variables)
    problems = list(listed.problems) + (answered.problems if answered else []) + (extra or [])
    brief = (answered.data or {}).get("coordinationBrief") if answered else None
    context: dict[str, Any] = {
        "sel": sel, "communities": communities, "problems": shown(problems),
        "presets": [(p, sel.link("/dashboard", **{"from": p.start.isoformat(),
                                                   "to": p.end.isoformat()}))
                    for p in presets(dash.today())],
        "export_xlsx": sel.link("/dashboard/export.xlsx"),
        "export_csv": sel.link("/dashboard/export.csv"),
        "aggregates_only": viewer.aggregates_only,
    }
    if brief is not None:
        context.update(brief_view(brief, _driller(viewer, sel)))
    return await dash.render("dashboard/brief.html", context, viewer=viewer)


async def items_page(dash: Dashboard, request: Request, viewer: Viewer) -> Response:
    params = request.query_params
    sel = Selection.of(params, dash.today())
    figure, key, after = params.get("figure", ""), params.get("key"), params.get("after")
    answer, listed = await asyncio.gather(
        dash.ask(request, viewer, "DashboardItems", {
            **sel.variables, "figure": figure, "key": key or None, "first": PAGE_SIZE,
            "after": after or None}),
        dash.ask(request, viewer, "DashboardCommunities", {}))
    if answer.status == 401:
        return dash.relogin(request, answer)
    page = _flat((answer.data or {}).get("briefItems"))
    for item in (page or {}).get("items", []):
        item["kind"] = ITEM_KINDS.get(item["kind"], item["kind"])
    names = {c["code"]: c["name"] for c in (listed.data or {}).get("communities") or []}
    start = int(params["start"]) if params.get("start", "").isdigit() else 0
    more = {"figure": figure, "key": key, "label": params.get("label")}
    context = {
        "sel": sel, "title": FIGURES.get(figure, figure), "key": key,
        "key_label": params.get("label") or key,
        "community_name": names.get(str(sel.community).removeprefix("Community:")),
        "page": page, "problems": shown(answer.problems), "first_row": start + 1,
        "back": sel.link("/dashboard"),
        "first_page": sel.link("/dashboard/list", **more) if after else None,
        "next_page": sel.link("/dashboard/list", **more, after=page["endCursor"],
                              start=str(start + len(page["items"])))
        if page and page["hasNextPage"] else None,
    }
    return await dash.render("dashboard/list.html", context, viewer=viewer)


def _flat(connection: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Relay page as the list template reads it: items, total, withheld (items the viewer's
    grants do not cover), endCursor, hasNextPage."""
    if connection is None:
        return None
    info = connection["pageInfo"]
    return {"items": [e["node"] for e in connection["edges"]],
            "total": connection["totalCount"], "withheld": connection.get("withheld") or 0,
            "endCursor": info["endCursor"],
            "hasNextPage": info["hasNextPage"]}


def _header(brief: dict[str, Any], viewer: Viewer) -> list[tuple[str, str]]:
    period = brief["period"]
    below = brief["suppressedBelow"]
    return [("社区", f"{brief['communityName']}（{brief['community']}）"),
            ("时段", f"{period['from']} 至 {period['to']}（{period['days']} 天）"),
            ("生成时间", brief["computedAt"]),
            ("小数字隐藏", f"小于 {below} 的数字不予显示" if below else "否"),
            ("无快照的单位", "、".join(brief["missing"]) or "无"),
            ("经办人", viewer.officer), ("用途", PURPOSES.get(viewer.purpose, viewer.purpose))]


async def _export(dash: Dashboard, request: Request, viewer: Viewer, kind: str) -> Response:
    sel = Selection.of(request.query_params, dash.today())
    answer = await dash.ask(request, viewer, "DashboardBrief", sel.variables)
    if answer.status == 401:
        return dash.relogin(request, answer)
    brief = (answer.data or {}).get("coordinationBrief")
    if brief is None:
        return await dash.render("dashboard/error.html", {
            "problems": shown(answer.problems), "back": sel.link("/dashboard")},
            viewer=viewer, status=400)
    view = brief_view(brief, lambda figure, key, label: None)
    header = _header(brief, viewer)
    stem = f"协调会简报_{brief['communityName']}_{sel.start}_{sel.end}"
    ascii_stem = f"brief_{brief['community']}_{sel.start}_{sel.end}"
    if kind == "xlsx":
        body = await asyncio.to_thread(export.xlsx, header, view["sections"], view["freshness"])
        return attachment(body, "application/vnd.openxmlformats-officedocument."
                          "spreadsheetml.sheet", f"{stem}.xlsx", f"{ascii_stem}.xlsx")
    body = export.csv_bytes(header, view["sections"], view["freshness"])
    return attachment(body, "text/csv; charset=utf-8", f"{stem}.csv", f"{ascii_stem}.csv")


async def export_xlsx(dash: Dashboard, request: Request, viewer: Viewer) -> Response:
    return await _export(dash, request, viewer, "xlsx")


async def export_csv(dash: Dashboard, request: Request, viewer: Viewer) -> Response:
    return await _export(dash, request, viewer, "csv")


async def freeze(dash: Dashboard, request: Request, viewer: Viewer) -> Response:
    values = await form(request)
    if values is None or not same_origin(request) or \
            not dash.sessions.form_token_ok(viewer, values.get("token", "")):
        return Response("form token refused", status_code=403, media_type="text/plain")
    sel = Selection(values.get("community") or None, values.get("from", ""),
                    values.get("to", ""), None)
    answer = await dash.ask(request, viewer, "DashboardFreeze", sel.variables)
    if answer.status == 401:
        return dash.relogin(request, answer)
    frozen = (answer.data or {}).get("freezeBrief")
    if frozen is None:
        return await render_brief(dash, request, viewer, sel, answer.problems)
    return see_other(f"/dashboard/frozen/{quote(frozen['id'], safe=':')}")


async def frozen_page(dash: Dashboard, request: Request, viewer: Viewer) -> Response:
    answer = await dash.ask(request, viewer, "DashboardFrozen",
                            {"id": request.path_params["id"]})
    if answer.status == 401:
        return dash.relogin(request, answer)
    frozen = (answer.data or {}).get("frozenBrief")
    problems = answer.problems or ([] if frozen else [Problem("NOT_FOUND", "no such brief")])
    context: dict[str, Any] = {"frozen": frozen, "problems": shown(problems)}
    if frozen is not None:
        context.update(brief_view(frozen["brief"], lambda figure, key, label: None))
        context["as_of"] = freshness_table(frozen["asOf"])
        period = frozen["brief"]["period"]
        context["back"] = url("/dashboard", community=frozen["brief"]["community"],
                              **{"from": period["from"], "to": period["to"]})
    return await dash.render("dashboard/frozen.html", context, viewer=viewer)
