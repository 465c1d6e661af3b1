"""Logging a browser in: the viewer's API key, officer and purpose, checked by asking GraphQL
with them, then kept in the session cookie. The key never travels in a URL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from gateway.views.dashboard._graphql import Problem, viewer_headers
from gateway.views.dashboard._messages import PURPOSES, error_text
from gateway.views.dashboard._web import form, page, safe_next, same_origin, see_other

if TYPE_CHECKING:
    from gateway.views.dashboard._app import Dashboard


async def _form_page(dash: Dashboard, request: Request, *, problem: Problem | None = None,
                     values: dict[str, str] | None = None, status: int = 200) -> Response:
    values = values or {}
    context = {"purposes": PURPOSES, "problem": problem,
               "message": error_text(problem.code) if problem else None,
               "officer": values.get("officer", ""),
               "purpose": values.get("purpose") or "joint_meeting",
               "next": safe_next(values.get("next") or request.query_params.get("next")),
               "assets": await dash.assets.urls(), "viewer": None}
    return page(dash.env, "dashboard/login.html", context, status=status)


async def login(dash: Dashboard, request: Request) -> Response:
    if request.method == "GET":
        code = request.query_params.get("error")
        return await _form_page(dash, request, problem=Problem(code, "") if code else None)
    if not same_origin(request):
        return Response("cross-site form refused", status_code=403, media_type="text/plain")
    values = await form(request)
    if values is None:
        return Response("expected a form", status_code=400, media_type="text/plain")
    key, officer = values.get("key", "").strip(), values.get("officer", "").strip()
    purpose = values.get("purpose", "").strip()
    if not key or not officer or purpose not in PURPOSES:
        problem = Problem("BAD_USER_INPUT", "key, officer and a known purpose are required")
        return await _form_page(dash, request, problem=problem, values=values, status=400)
    headers = viewer_headers(None, key=key, officer=officer, purpose=purpose)
    answer = await dash.ask_with(request, headers, "DashboardCommunities", {})
    if answer.problems or answer.data is None:
        problem = answer.problems[0] if answer.problems else Problem("INTERNAL_ERROR", "")
        return await _form_page(dash, request, problem=problem, values=values,
                                status=401 if answer.status == 401 else 400)
    response = see_other(safe_next(values.get("next")))
    dash.sessions.start(response, request, key=key, officer=officer, purpose=purpose)
    return response


async def logout(dash: Dashboard, request: Request) -> Response:
    viewer = dash.sessions.viewer(request)
    values = await form(request) or {}
    token_ok = viewer is not None and dash.sessions.form_token_ok(viewer, values.get("token", ""))
    if viewer is not None and not (same_origin(request) and token_ok):
        return Response("form token refused", status_code=403, media_type="text/plain")
    response = see_other("/dashboard/login")
    dash.sessions.end(response, request)
    return response
